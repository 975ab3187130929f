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
  runHealthy,
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
   * As small as each scenario still means something at. Pod starts and the HPA's reactions take real seconds
   * whatever the scale: pod-kill's second round waits for the first one's replacement (waitReady), so a short
   * interval costs no second victim. A broken variant fails faster than a healthy stack passes, so its runs
   * can be shorter.
   */
  timeScale: { pass: number; fail: number };
  /** What else the healthy run's result.json must show, beyond a PASS. */
  checkPass?: (result: PassResult) => void;
}

interface PassResult {
  slos: { id: string; verdict: string; measured: number | string | null; evidence: string }[];
  timeline: { t: number; p95Ms: number | null; desiredReplicas?: number | null }[];
  scaling?: {
    hpa: { name: string } | null;
    hpaSamples: { t: number | null; desired: number | null }[];
    replicaSamples: { t: number | null; ready: number }[];
  };
}

/**
 * The autoscaler reacted before p95 breached, read from the figures in result.json rather than from the SLO's own
 * verdict: a replica beyond the three at load start was Ready after the HPA asked for it, and no second before
 * that had a p95 over 250 ms.
 */
function scaledUpBeforeBreach(result: PassResult): void {
  const scaling = result.scaling!;
  expect(scaling.hpa?.name).toBe('fraud-scorer');
  const start = scaling.replicaSamples.filter((s) => (s.t ?? 0) <= 0).at(-1)?.ready ?? 3;
  expect(start).toBe(3);
  const asked = scaling.hpaSamples.find((s) => (s.t ?? -1) >= 0 && (s.desired ?? 0) > start);
  expect(asked, JSON.stringify(scaling.hpaSamples)).toBeDefined();
  const ready = scaling.replicaSamples.find((s) => (s.t ?? -1) >= asked!.t! && s.ready > start);
  expect(ready, JSON.stringify(scaling.replicaSamples)).toBeDefined();
  const breach = result.timeline.find((p) => p.p95Ms !== null && p.p95Ms > 250);
  if (breach) expect(breach.t).toBeGreaterThan(ready!.t!);
  const slo = result.slos.find((x) => x.id === 'scaling-fault')!;
  expect(slo.verdict).toBe('PASS');
  expect(typeof slo.measured).toBe('number');
  // The capacity chart's series: the HPA's wish is in the timeline.
  expect(result.timeline.some((p) => (p.desiredReplicas ?? 0) > start)).toBe(true);
}

const cases: Case[] = [
  {
    scenario: 'pod-kill',
    variant: 'no-readiness',
    expectFailed: ['error-rate-fault'],
    timeScale: { pass: 0.2, fail: 0.2 },
  },
  {
    scenario: 'node-drain',
    variant: 'no-pdb',
    expectFailed: ['min-ready-replicas-fault'],
    timeScale: { pass: 0.2, fail: 0.2 },
  },
  {
    // The HPA reacts in real seconds (a metrics scrape, a sync, a pod start), which the time scale does not
    // shorten: at 0.3 the climb lasts 90 s, enough for a reaction. The broken variant never scales within 10
    // minutes, so a 45 s climb shows that as well as a longer one (the healthy HPA was Ready 0.5–30 s after the
    // load reached 100 req/s, a third of the way up).
    scenario: 'load-ramp',
    variant: 'slow-scale-up',
    expectFailed: ['scaling-fault'],
    timeScale: { pass: 0.3, fail: 0.15 },
    checkPass: scaledUpBeforeBreach,
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

describe.each(cases)('$scenario', ({ scenario, variant, expectFailed, timeScale, checkPass }) => {
  let before: ClusterSnapshot;

  beforeAll(async () => {
    await resetStack();
    before = await snapshot();
  });
  afterAll(async () => {
    await resetStack();
  });

  it('PASSes on the healthy stack and leaves the cluster as it found it', async () => {
    const run = await runHealthy(`scenarios/${scenario}.yaml`, timeScale.pass);
    expect(run.exitCode, explain(run)).toBe(0);
    expect(run.result?.verdict).toBe('PASS');
    expect(run.result?.faults.every((f) => f.confirmed)).toBe(true);
    expect(failedCases(run.junit)).toEqual([]);
    checkPass?.(run.result as unknown as PassResult);
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
