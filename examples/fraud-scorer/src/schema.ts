import { z } from 'zod';
import { FEATURES } from './features.js';

const describeRange = (min: number, max: number, exclusiveMax: boolean): string =>
  `between ${min} and ${max}${exclusiveMax ? ' (exclusive)' : ''}`;

const FeatureRow = z
  .array(z.number({ error: (issue) => `expected a finite number, got ${describe(issue.input)}` }))
  .superRefine((row, ctx) => {
    if (row.length !== FEATURES.length) {
      ctx.addIssue({
        code: 'custom',
        message: `expected ${FEATURES.length} features (${FEATURES.map((f) => f.name).join(', ')}), got ${row.length}`,
      });
      return;
    }
    FEATURES.forEach((spec, i) => {
      const v = row[i]!;
      const exclusiveMax = spec.name === 'hour';
      const inRange = v >= spec.min && (exclusiveMax ? v < spec.max : v <= spec.max);
      if (!inRange) {
        ctx.addIssue({
          code: 'custom',
          path: [i],
          message: `${spec.name} must be ${describeRange(spec.min, spec.max, exclusiveMax)}, got ${v}`,
        });
      } else if (spec.binary && v !== 0 && v !== 1) {
        ctx.addIssue({ code: 'custom', path: [i], message: `${spec.name} must be 0 or 1, got ${v}` });
      }
    });
  });

export const ScoreRequestSchema = z.object({
  features: z.array(FeatureRow).min(1, 'at least one row is required'),
  entityId: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only')
    .optional(),
});
export type ScoreRequest = z.infer<typeof ScoreRequestSchema>;

export interface FieldError {
  readonly path: string;
  readonly message: string;
}

/** Enough to fix a request; a 256x8 batch of garbage must not produce a 2 000-entry error body. */
export const MAX_REPORTED_ISSUES = 20;

export function toFieldErrors(error: z.ZodError): FieldError[] {
  return error.issues
    .slice(0, MAX_REPORTED_ISSUES)
    .map((issue) => ({ path: issue.path.map(String).join('.') || '(body)', message: issue.message }));
}

function describe(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'array';
  if (typeof input === 'number') return String(input);
  return typeof input;
}
