import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  assertBudgetLeft,
  budgetStatus,
  readBudget,
  recordRun,
  type BudgetFile,
} from '../../../src/budget/budget.js';
import { EnvironmentError, ExitCode, InvalidInputError } from '../../../src/errors.js';

const run = (requests: number, errors: number, id = 'r') => ({
  runId: id,
  scenario: 's',
  at: '2026-11-23T00:00:00Z',
  requests,
  errors,
});

describe('error budget', () => {
  it('follows the runbook example: 0.12 % errors against 99.9 % exhausts the budget', () => {
    const b: BudgetFile = { version: 1, slo: 0.999, floor: 0, runs: [run(10_000_000, 12_000)] };
    const s = budgetStatus(b);
    expect(s.consumed).toBeCloseTo(1.2, 6);
    expect(s.remaining).toBe(0);
  });

  it('a clean run consumes nothing; a run at the SLO consumes it all', () => {
    expect(budgetStatus({ version: 1, slo: 0.98, floor: 0, runs: [run(1000, 0)] }).consumed).toBe(0);
    expect(budgetStatus({ version: 1, slo: 0.98, floor: 0, runs: [run(1000, 20)] }).consumed).toBeCloseTo(
      1,
      9,
    );
  });

  it('refuses to start (exit 3) below the floor, with the numbers in the message', () => {
    const b: BudgetFile = { version: 1, slo: 0.98, floor: 0.25, runs: [run(1000, 16)] };
    let error: unknown;
    try {
      assertBudgetLeft('budget.json', b);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as EnvironmentError).exitCode).toBe(ExitCode.Environment);
    expect((error as Error).message).toMatch(/20\.0 % left, floor 25\.0 %.*16 errors in 1000 requests/);
    expect(() => assertBudgetLeft('budget.json', { ...b, runs: [run(1000, 10)] })).not.toThrow();
  });

  it('starts a missing file empty, records runs, and reads them back', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'chaos-budget-'));
    const file = path.join(dir, 'nested', 'budget.json');
    const empty = await readBudget(file, { slo: 0.98, floor: 0.3 });
    expect(empty).toEqual({ version: 1, slo: 0.98, floor: 0.3, runs: [] });
    const after = await recordRun(file, empty, run(500, 3, 'a'));
    await recordRun(file, after, run(500, 1, 'b'));
    const back = await readBudget(file, { slo: 0.5, floor: 0 });
    expect(back.slo).toBe(0.98);
    expect(back.runs.map((r) => r.runId)).toEqual(['a', 'b']);
    expect(budgetStatus(back)).toMatchObject({ requests: 1000, errors: 4 });
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(back);
  });

  it('a damaged budget file is invalid input (exit 2), not a crash', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'chaos-budget-'));
    const file = path.join(dir, 'budget.json');
    await writeFile(file, '{"version":1,"slo":2,"floor":0,"runs":[]}');
    await expect(readBudget(file, { slo: 0.98, floor: 0 })).rejects.toBeInstanceOf(InvalidInputError);
    await writeFile(file, 'not json');
    await expect(readBudget(file, { slo: 0.98, floor: 0 })).rejects.toBeInstanceOf(InvalidInputError);
  });
});
