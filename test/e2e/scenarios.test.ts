/**
 * The six scenarios against the real testbed with real k6: PASS on the healthy stack, FAIL for the right
 * SLO on a broken variant, and the cluster exactly as before after every run.
 */
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/verdict/result.js';
import {
  applyStack,
  explain,
  failedCases,
  kubectl,
  resetStack,
  runHealthy,
  runScenario,
  snapshot,
  type ChaosRun,
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
  /** What else the broken variant's run must show, beyond its FAIL. */
  checkFail?: (run: ChaosRun) => Promise<void>;
  /** One more run on the broken variant, judged against the first one. */
  againOnFail?: { title: string; test: (first: ChaosRun, timeScale: number) => Promise<void> };
}

const JAEGER = 'http://127.0.0.1:30686';

async function fullResult(run: ChaosRun): Promise<RunResult> {
  return JSON.parse(await readFile(path.join(run.reportDir, 'result.json'), 'utf8')) as RunResult;
}

/**
 * The trace exemplars of the slow window point at the feature-store call, every one of them is a trace Jaeger
 * holds, and each is kept in triage/ and named in summary.md.
 */
async function exemplarsNameTheFeatureStore(run: ChaosRun): Promise<void> {
  const r = await fullResult(run);
  const slo = r.slos.find((s) => s.id === 'latency-p95-fault')!;
  expect(slo.verdict).toBe('FAIL');
  const traces = slo.traces!;
  expect(traces.problem, slo.evidence).toBeNull();
  expect(traces.exemplars.length).toBeGreaterThanOrEqual(1);
  expect(slo.evidence).toMatch(/where the time went \(\d+ slowest traced requests\): .*feature-store/);
  const summaryMd = await readFile(path.join(run.reportDir, 'summary.md'), 'utf8');
  for (const e of traces.exemplars) {
    const { bottleneck, criticalPath, durationMs } = e.summary;
    const steps = JSON.stringify(criticalPath);
    // The whole request is in the trace, from the scorer's server span down, and it waited on the scorer's
    // call to the delayed feature store.
    expect(durationMs, steps).toBeGreaterThan(0.8 * e.ms);
    expect(criticalPath[0], steps).toMatchObject({ service: 'fraud-scorer', operation: 'POST /score' });
    expect(bottleneck, steps).toMatchObject({ service: 'fraud-scorer', operation: 'feature-store GET' });
    expect(bottleneck!.ms / durationMs, steps).toBeGreaterThan(0.5);
    expect((await fetch(`${JAEGER}/api/traces/${e.traceId}`)).status, e.traceId).toBe(200);
    await access(path.join(run.reportDir, 'triage', `trace-${e.traceId}.json`));
    expect(summaryMd).toContain(e.traceId);
  }
  expect(r.traces).toMatchObject({ url: JAEGER, problem: null });
}

/** The same run with Jaeger scaled to zero: every SLO judged as before, and the report says why no traces. */
async function sameVerdictsWithoutJaeger(first: ChaosRun, timeScale: number): Promise<void> {
  await kubectl('-n', 'monitoring', 'scale', 'deploy/jaeger', '--replicas=0');
  try {
    await kubectl('-n', 'monitoring', 'wait', 'pod', '-l', 'app=jaeger', '--for=delete', '--timeout=60s');
    const run = await runScenario('scenarios/feature-store-latency.yaml', timeScale);
    expect(run.exitCode, explain(run)).toBe(1);
    const verdicts = (x: ChaosRun) => Object.fromEntries(x.result!.slos.map((s) => [s.id, s.verdict]));
    expect(verdicts(run)).toEqual(verdicts(first));
    const r = await fullResult(run);
    expect(r.traces?.problem).toMatch(
      /^exemplars could not be fetched: the trace backend at http:\/\/127\.0\.0\.1:30686 did not answer/,
    );
    const slo = r.slos.find((s) => s.id === 'latency-p95-fault')!;
    expect(slo.traces).toMatchObject({ exemplars: [], problem: r.traces!.problem });
    expect(slo.evidence).toContain('exemplars could not be fetched');
    expect(r.events.some((e) => e.message === r.traces!.problem)).toBe(true);
  } finally {
    await kubectl('-n', 'monitoring', 'scale', 'deploy/jaeger', '--replicas=1');
    await kubectl('-n', 'monitoring', 'rollout', 'status', 'deploy/jaeger', '--timeout=120s');
  }
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
    checkFail: exemplarsNameTheFeatureStore,
    againOnFail: {
      title:
        'with the trace backend stopped, judges every SLO as before and says the exemplars could not be fetched',
      test: sameVerdictsWithoutJaeger,
    },
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

describe.each(cases)(
  '$scenario',
  ({ scenario, variant, expectFailed, timeScale, checkPass, checkFail, againOnFail }) => {
    let before: ClusterSnapshot;
    let failed: ChaosRun | null = null;

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
      await checkFail?.(run);
      // Reverted: the variant's own template is back, nothing cordoned, no agent left running.
      expect(await snapshot()).toEqual(broken);
      failed = run;
    });

    if (againOnFail)
      it(`on the ${variant} variant ${againOnFail.title}`, async () => {
        expect(failed, 'the FAIL run above did not complete').not.toBeNull();
        await againOnFail.test(failed!, timeScale.fail);
      });
  },
);
