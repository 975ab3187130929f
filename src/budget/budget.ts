/**
 * The error budget across runs: budget = 1 − SLO; consumed = errors / (requests × (1 − SLO)). A budget file
 * keeps every run's requests and errors, so scheduled game days and CI gates spend one shared budget and
 * stop injecting faults once too little of it is left.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { EnvironmentError, InvalidInputError } from '../errors.js';

const budgetFileSchema = z.strictObject({
  version: z.literal(1),
  /** Success-rate objective, e.g. 0.98 for "errors < 2 %". */
  slo: z.number().gt(0).lt(1),
  /** Refuse to start a run when less than this share of the budget remains. */
  floor: z.number().min(0).max(1),
  runs: z.array(
    z.strictObject({
      runId: z.string(),
      scenario: z.string(),
      at: z.string(),
      requests: z.number().int().min(0),
      errors: z.number().int().min(0),
    }),
  ),
});

export type BudgetFile = z.infer<typeof budgetFileSchema>;

export interface BudgetStatus {
  requests: number;
  errors: number;
  /** Share of the budget spent; above 1 means overspent. */
  consumed: number;
  remaining: number;
}

export function budgetStatus(b: BudgetFile): BudgetStatus {
  const requests = b.runs.reduce((a, r) => a + r.requests, 0);
  const errors = b.runs.reduce((a, r) => a + r.errors, 0);
  const consumed = requests === 0 ? 0 : errors / (requests * (1 - b.slo));
  return { requests, errors, consumed, remaining: Math.max(0, 1 - consumed) };
}

/** Reads the budget file; a missing one starts empty with the given SLO and floor. */
export async function readBudget(file: string, init: { slo: number; floor: number }): Promise<BudgetFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, ...init, runs: [] };
    throw new EnvironmentError(`cannot read budget file ${file}: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError([`${file}:1:1: (file): not JSON: ${(error as Error).message}`]);
  }
  const parsed = budgetFileSchema.safeParse(data);
  if (!parsed.success) {
    throw new InvalidInputError(
      parsed.error.issues.map((i) => `${file}:1:1: ${i.path.join('.') || '(root)'}: ${i.message}`),
    );
  }
  return parsed.data;
}

/** Exit 3 before any fault when the budget is below its floor. */
export function assertBudgetLeft(file: string, b: BudgetFile): BudgetStatus {
  const status = budgetStatus(b);
  if (status.remaining < b.floor) {
    throw new EnvironmentError(
      `error budget in ${file} is below its floor: ${(status.remaining * 100).toFixed(1)} % left, floor ${(b.floor * 100).toFixed(1)} % ` +
        `(${status.errors} errors in ${status.requests} requests against a ${(b.slo * 100).toFixed(2)} % SLO)`,
      'no more experiments until the budget recovers: start a new budget period with a new file, or lower "floor" deliberately',
    );
  }
  return status;
}

/** Appends one run; written to a temporary file and renamed, so a crash never leaves half a ledger. */
export async function recordRun(
  file: string,
  b: BudgetFile,
  run: BudgetFile['runs'][number],
): Promise<BudgetFile> {
  const next: BudgetFile = { ...b, runs: [...b.runs, run] };
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(next, null, 2) + '\n');
  await rename(tmp, file);
  return next;
}
