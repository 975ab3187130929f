/**
 * The six scenarios against the real testbed with real k6: PASS on the healthy stack, FAIL for the right
 * SLO on a broken variant, and the cluster exactly as before after every run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyStack,
  explain,
  failedCases,
  resetStack,
  runScenario,
  snapshot,
  type ClusterSnapshot,
} from './helpers.js';

interface Case {
  scenario: string;
  /** The deploy/variants overlay that breaks what the scenario checks. */
  variant: string;
  /** junit testcases that must fail on the broken variant. */
  expectFailed: string[];
  /**
   * As small as each scenario still means something at: pod-kill repeats its kill blind to readiness, so below
   * 0.25 the second kill can land before the first replacement is Ready. A broken variant fails faster than a
   * healthy stack passes, so its runs can be shorter.
   */
  timeScale: { pass: number; fail: number };
}

const cases: Case[] = [
  {
    scenario: 'pod-kill',
    variant: 'no-readiness',
    expectFailed: ['error-rate-fault'],
    timeScale: { pass: 0.25, fail: 0.2 },
  },
  {
    scenario: 'node-drain',
    variant: 'no-pdb',
    expectFailed: ['min-ready-replicas-fault'],
    timeScale: { pass: 0.2, fail: 0.2 },
  },
  {
    scenario: 'load-ramp',
    variant: 'tiny-cpu',
    expectFailed: ['latency-p95-fault'],
    timeScale: { pass: 0.1, fail: 0.1 },
  },
  {
    scenario: 'feature-store-latency',
    variant: 'no-breaker',
    expectFailed: ['latency-p95-fault'],
    // Its quality SLOs need enough answers per window to mean something (src/verdict/quality.ts).
    timeScale: { pass: 0.3, fail: 0.15 },
  },
  {
    scenario: 'missing-model-artifact',
    variant: 'surge-unavailable',
    expectFailed: ['error-rate-fault'],
    timeScale: { pass: 0.2, fail: 0.2 },
  },
  {
    scenario: 'oversize-batch',
    variant: 'no-batch-guard',
    expectFailed: ['http-status-oversize-all'],
    timeScale: { pass: 0.15, fail: 0.15 },
  },
];

describe.each(cases)('$scenario', ({ scenario, variant, expectFailed, timeScale }) => {
  let before: ClusterSnapshot;

  beforeAll(async () => {
    await resetStack();
    before = await snapshot();
  });
  afterAll(async () => {
    await resetStack();
  });

  it('PASSes on the healthy stack and leaves the cluster as it found it', async () => {
    const run = await runScenario(`scenarios/${scenario}.yaml`, timeScale.pass);
    expect(run.exitCode, explain(run)).toBe(0);
    expect(run.result?.verdict).toBe('PASS');
    expect(run.result?.faults.every((f) => f.confirmed)).toBe(true);
    expect(failedCases(run.junit)).toEqual([]);
    expect(await snapshot()).toEqual(before);
  });

  it(`FAILs on the ${variant} variant, naming ${expectFailed.join(', ')}`, async () => {
    await applyStack(variant);
    const broken = await snapshot();
    const run = await runScenario(`scenarios/${scenario}.yaml`, timeScale.fail);
    expect(run.exitCode, explain(run)).toBe(1);
    expect(run.result?.verdict).toBe('FAIL');
    for (const id of expectFailed) expect(failedCases(run.junit), explain(run)).toContain(id);
    // Reverted: the variant's own template is back, nothing cordoned, no agent left running.
    expect(await snapshot()).toEqual(broken);
  });
});
