/**
 * A game-day suite: scenarios in order, with pauses between them for the people in the room, and what to do
 * when one fails. Loaded with the same `file:line:col: path: message` diagnostics as a scenario.
 */
import { statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { loadDocumentFile, type DocumentKind, type DocumentResult } from '../scenario/parse.js';
import { dnsLabel, duration } from '../scenario/schema.js';
import { MAX_SCENARIO_BYTES } from '../scenario/text.js';

/** A name RBAC matches exactly: no wildcard, so a suite states what it uses and no more. */
const rbacName = (what: string) =>
  z.string().regex(/^[a-z0-9]([-a-z0-9./]*[a-z0-9])?$/, `expected a ${what} name, no wildcard`);

const policyRule = z.strictObject({
  apiGroups: z
    .array(
      z
        .string()
        .regex(/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$/, 'expected an API group ("" is core), no wildcard'),
    )
    .min(1),
  resources: z.array(rbacName('resource (or resource/subresource)')).min(1),
  verbs: z
    .array(z.enum(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection']))
    .min(1),
  resourceNames: z.array(z.string().min(1)).min(1).optional(),
});

export const suiteSchema = z
  .strictObject({
    $schema: z.string().optional(),
    apiVersion: z.literal('chaos/v1'),
    kind: z.literal('GameDay'),
    metadata: z.strictObject({
      name: dnsLabel.describe('Game-day name; used in the run id and report directory'),
      description: z.string().max(2000).default(''),
      owner: z
        .string()
        .min(1)
        .max(200)
        .optional()
        .describe('Team or person who owns the action items, e.g. ml-platform-oncall'),
    }),
    scenarios: z
      .array(
        z.strictObject({
          file: z.string().min(1).describe("Scenario file, relative to the suite's directory"),
          pauseAfter: duration
            .optional()
            .describe('Wait this long after the scenario (respond and review before the next one)'),
        }),
      )
      .min(1, 'a game day needs at least one scenario')
      .max(50),
    stopOnFailure: z
      .boolean()
      .default(true)
      .describe('Skip the remaining scenarios once one FAILs or is INCONCLUSIVE'),
    timeScale: z
      .number()
      .positive()
      .max(100)
      .optional()
      .describe('Multiply every window and fault time of every scenario (a rehearsal at 0.2)'),
    rbac: z
      .array(policyRule)
      .min(1)
      .max(50)
      .optional()
      .describe(
        "What the suite's kubectl faults need, as Role rules in their scenarios' namespace: `chaos schedule` grants exactly these on top of what it derives for the rest",
      ),
  })
  .describe('chaos game-day suite (chaos/v1)');

export type Suite = z.output<typeof suiteSchema>;

const SUITE: DocumentKind<Suite> = {
  noun: 'suite',
  keysHint: 'apiVersion, kind: GameDay, metadata, scenarios',
  schema: suiteSchema,
  check: (suite, baseDir) =>
    baseDir === undefined
      ? []
      : suite.scenarios.flatMap((s, i) => {
          const resolved = path.resolve(baseDir, s.file);
          try {
            if (statSync(resolved).isFile()) return [];
          } catch {
            // reported below
          }
          return [
            {
              path: ['scenarios', i, 'file'],
              message: `no such file: ${s.file} (resolved against the suite's directory: ${resolved})`,
            },
          ];
        }),
  otherKind: (kind, file) =>
    kind === 'Scenario'
      ? `this is a scenario (kind: Scenario), not a game-day suite: run it with \`chaos run ${file}\`, check it with \`chaos validate ${file}\``
      : undefined,
};

export function loadSuiteFile(file: string): Promise<DocumentResult<Suite>> {
  return loadDocumentFile(SUITE, file);
}

/**
 * Only a peek, to pick the loader for a file whose kind is not known (validate, list); the loader reports
 * everything else, including unreadable files.
 */
export async function looksLikeSuite(file: string): Promise<boolean> {
  try {
    // Not a byte read from what the loader would refuse: a FIFO would block, /dev/zero never ends.
    const info = await stat(file);
    if (!info.isFile() || info.size > MAX_SCENARIO_BYTES) return false;
    return /^kind:\s*GameDay\s*$/m.test(await readFile(file, 'utf8'));
  } catch {
    return false;
  }
}

/** The scenario files of a suite, resolved against the suite's directory. */
export function suiteScenarioFiles(suite: Suite, suiteFile: string): string[] {
  return suite.scenarios.map((s) => path.resolve(path.dirname(suiteFile), s.file));
}
