/** `chaos run --budget`: a spent error budget stops the run before it touches any cluster. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { chaos, ensureBuilt } from './helpers.js';

beforeAll(() => ensureBuilt());

describe('chaos run --budget', () => {
  it('refuses to start (exit 3) when the remaining budget is below its floor', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'chaos-budget-cli-'));
    const file = path.join(dir, 'budget.json');
    const run = (errors: number) => ({
      runId: 'earlier',
      scenario: 'pod-kill',
      at: '2026-11-23T00:00:00Z',
      requests: 10_000,
      errors,
    });
    writeFileSync(file, JSON.stringify({ version: 1, slo: 0.98, floor: 0.25, runs: [run(180)] }));
    // No kubeconfig at all: the refusal must come from the budget, before any cluster is contacted.
    const refused = chaos(['run', 'scenarios/pod-kill.yaml', '--budget', file], {
      env: { KUBECONFIG: path.join(dir, 'none'), HOME: dir },
    });
    expect(refused.code, refused.stderr).toBe(3);
    expect(refused.stderr).toMatch(
      /error budget in .*budget\.json is below its floor: 10\.0 % left, floor 25\.0 %/,
    );
    expect(refused.stderr).not.toMatch(/\n\s+at /);
  });

  it('rejects a --budget-floor outside 0..1 as a usage error (exit 2)', () => {
    const r = chaos(['run', 'scenarios/pod-kill.yaml', '--budget', 'x.json', '--budget-floor', '1.5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--budget-floor must be a number from 0 to 1/);
  });
});
