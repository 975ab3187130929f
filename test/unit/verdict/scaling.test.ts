/**
 * The scaling SLO judged on fake timelines: what the HPA and Deployment watch would have recorded, and the
 * per-second load. Windows of the base plan: baseline 0–60 s, fault 60–150 s, recovery 150–210 s.
 */
import { describe, expect, it } from 'vitest';
import type {
  HpaCondition,
  HpaSample,
  ReplicaSample,
  ScalingTimeline,
} from '../../../src/observe/scaling.js';
import { PodObserver } from '../../../src/observe/pods.js';
import type { ScenarioInput } from '../../../src/scenario/schema.js';
import type { SloResult } from '../../../src/verdict/result.js';
import { judgeSlos, type Observations } from '../../../src/verdict/slo.js';
import { makePlan } from '../../fakes/scenario.js';

const T0 = Date.parse('2026-12-02T11:00:00.000Z');
const at = (s: number) => T0 + s * 1000;

type SloInput = NonNullable<ScenarioInput['slos']>[number];

const ACTIVE: HpaCondition[] = [
  { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: null },
  { type: 'ScalingActive', status: 'True', reason: 'ValidMetricFound', message: null },
  { type: 'ScalingLimited', status: 'False', reason: 'DesiredWithinRange', message: null },
];
const NO_METRICS: HpaCondition[] = [
  { type: 'AbleToScale', status: 'True', reason: 'SucceededGetScale', message: null },
  {
    type: 'ScalingActive',
    status: 'False',
    reason: 'FailedGetResourceMetric',
    message: 'the HPA was unable to compute the replica count: unable to get metrics for resource cpu',
  },
];

const hpa = (s: number, desired: number | null, cpu: number | null, conditions = ACTIVE): HpaSample => ({
  at: at(s),
  desired,
  current: desired,
  cpuPercent: cpu,
  conditions,
});
const ready = (s: number, n: number, replicas = n): ReplicaSample => ({ at: at(s), replicas, ready: n });

/** 3 replicas before the load; the HPA asks for 5 at 70 s; the 4th is Ready at 78 s, the 5th at 80 s. */
function scaledUp(over: Partial<ScalingTimeline> = {}): ScalingTimeline {
  return {
    deployment: 'fraud-scorer',
    hpa: { name: 'fraud-scorer', minReplicas: 3, maxReplicas: 6, cpuTargetPercent: 50 },
    hpaSamples: [hpa(-30, 3, 12), hpa(55, 3, 40), hpa(70, 5, 82), hpa(85, 5, 51)],
    replicaSamples: [ready(-30, 3), ready(70, 3, 5), ready(78, 4, 5), ready(80, 5)],
    ...over,
  };
}

/** Requests per second ramping 10 → 40 over the first 60 s, p95 flat at `p95` ms unless overridden. */
function perSecond(p95 = 5, breaches: Record<number, number> = {}): Observations['perSecond'] {
  return Array.from({ length: 210 }, (_, t) => ({
    t,
    requests: t < 60 ? 10 + Math.floor(t / 2) : 40,
    p95Ms: breaches[t] ?? p95,
  }));
}

async function judge(slo: SloInput, obs: Partial<Observations>, extra: SloInput[] = []): Promise<SloResult> {
  const plan = makePlan({
    slos: [{ type: 'latency', percentile: 95, max: '250ms' }, slo, ...extra],
  });
  const results = await judgeSlos(plan, {
    load: {},
    pods: new PodObserver(),
    faults: [],
    loadStartMs: T0,
    desiredReplicas: 3,
    versionBefore: null,
    previousLogs: {},
    scaling: scaledUp(),
    perSecond: perSecond(),
    ...obs,
  });
  return results.find((r) => r.kind === 'scaling')!;
}

describe('scaling SLO', () => {
  it('PASSes when a replica beyond the starting three is Ready before any p95 breach; measures from the window start', async () => {
    const r = await judge({ type: 'scaling', window: 'fault' }, {});
    expect(r).toMatchObject({ id: 'scaling-fault', window: 'fault', verdict: 'PASS', measured: 18 });
    expect(r.threshold).toBe('scale-up Ready before p95 breach');
    expect(r.evidence).toContain('replica 4 Ready at t=78s (HPA asked for 5 at t=70s)');
    expect(r.evidence).toContain("18s after the fault window's start (t=60s)");
    expect(r.evidence).toContain('Ready: 3 (t=0s) → 4 (t=78s) → 5 (t=80s)');
    expect(r.evidence).toContain('HPA desired: 3 (t=0s, CPU 12%) → 5 (t=70s, CPU 82%)');
    expect(r.evidence).toContain('ScalingActive True (ValidMetricFound)');
    expect(r.evidence).toContain('CPU peak 82% of request at t=70s');
    expect(r.evidence).toContain('p95 never above 250ms in the fault window');
  });

  it('measures from the first second the load reached fromRate', async () => {
    // 10 + t/2 ≥ 30 first at t = 40 s.
    const r = await judge({ type: 'scaling', fromRate: 30, within: '40s' }, {});
    expect(r).toMatchObject({ verdict: 'PASS', measured: 38 });
    expect(r.threshold).toBe('scale-up Ready before p95 breach, ≤ 40s (from 30 req/s)');
    expect(r.evidence).toContain('after the load reaching 30 req/s (t=40s, 30 requests that second)');
  });

  it('FAILs when the first extra replica is Ready only after p95 breached', async () => {
    const r = await judge({ type: 'scaling', window: 'fault' }, { perSecond: perSecond(5, { 75: 410 }) });
    expect(r).toMatchObject({ verdict: 'FAIL', measured: 18 });
    expect(r.evidence).toContain('too late: the p95 SLO was breached first, at t=75s');
    expect(r.evidence).toContain('p95 first above 250ms at t=75s (410 ms)');
  });

  it('a breach after the extra replica was Ready does not fail it', async () => {
    const r = await judge({ type: 'scaling', window: 'fault' }, { perSecond: perSecond(5, { 79: 410 }) });
    expect(r.verdict).toBe('PASS');
    expect(r.evidence).toContain('p95 first above 250ms at t=79s');
  });

  it('FAILs when the reaction is slower than within', async () => {
    const r = await judge({ type: 'scaling', window: 'fault', within: '15s' }, {});
    expect(r).toMatchObject({ verdict: 'FAIL', measured: 18 });
    expect(r.evidence).toContain('slower than 15s');
  });

  it('FAILs when the HPA asked for more but none was Ready by the window’s end (a slow scale-up)', async () => {
    const r = await judge(
      { type: 'scaling', window: 'fault' },
      {
        scaling: scaledUp({
          hpaSamples: [hpa(-30, 3, 12), hpa(140, 5, 95)],
          replicaSamples: [ready(-30, 3), ready(140, 3, 5), ready(160, 4, 5)],
        }),
      },
    );
    expect(r).toMatchObject({ verdict: 'FAIL', measured: null });
    expect(r.evidence).toMatch(
      /^the HPA asked for 5 at t=140s but no replica beyond 3 was Ready by the fault window's end/,
    );
  });

  it('FAILs when the HPA never asked for more (held at its max), with its conditions as evidence', async () => {
    const limited: HpaCondition[] = [
      ...ACTIVE.slice(0, 2),
      { type: 'ScalingLimited', status: 'True', reason: 'TooManyReplicas', message: null },
    ];
    const r = await judge(
      { type: 'scaling', window: 'fault' },
      {
        scaling: scaledUp({
          hpa: { name: 'fraud-scorer', minReplicas: 3, maxReplicas: 3, cpuTargetPercent: 50 },
          hpaSamples: [hpa(-30, 3, 12), hpa(70, 3, 160, limited)],
          replicaSamples: [ready(-30, 3)],
        }),
      },
    );
    expect(r).toMatchObject({ verdict: 'FAIL', measured: null });
    expect(r.evidence).toContain('the HPA never asked for more than the 3 replicas Ready at load start');
    expect(r.evidence).toContain('ScalingLimited True (TooManyReplicas)');
    expect(r.evidence).toContain('HPA fraud-scorer (min 3, max 3, CPU target 50%)');
    expect(r.evidence).toContain('CPU peak 160% of request at t=70s');
  });

  it('a Ready surge pod without an HPA decision is not a scale-up', async () => {
    const r = await judge(
      { type: 'scaling', window: 'fault' },
      {
        scaling: scaledUp({
          hpaSamples: [hpa(-30, 3, 12)],
          replicaSamples: [ready(-30, 3), ready(70, 4, 3), ready(75, 3)],
        }),
      },
    );
    expect(r.verdict).toBe('FAIL');
  });

  it('a scale-up before the level was reached counts as a reaction of zero', async () => {
    const r = await judge(
      { type: 'scaling', fromRate: 40 },
      {
        scaling: scaledUp({
          hpaSamples: [hpa(-30, 3, 12), hpa(30, 4, 70)],
          replicaSamples: [ready(-30, 3), ready(40, 4)],
        }),
      },
    );
    expect(r).toMatchObject({ verdict: 'PASS', measured: 0 });
    expect(r.evidence).toContain('(already scaled up by then)');
  });

  it('is INCONCLUSIVE, never PASS, without an HPA for the Deployment', async () => {
    const r = await judge({ type: 'scaling' }, { scaling: scaledUp({ hpa: null, hpaSamples: [] }) });
    expect(r).toMatchObject({ verdict: 'INCONCLUSIVE', measured: null });
    expect(r.evidence).toBe(
      'no HorizontalPodAutoscaler in ml-serving scales Deployment fraud-scorer: nothing to judge',
    );
  });

  it('is INCONCLUSIVE when the HPA had no metrics (ScalingActive False) and nothing scaled', async () => {
    const r = await judge(
      { type: 'scaling', window: 'fault' },
      {
        scaling: scaledUp({
          hpaSamples: [hpa(-30, 3, null, NO_METRICS)],
          replicaSamples: [ready(-30, 3)],
        }),
      },
    );
    expect(r.verdict).toBe('INCONCLUSIVE');
    expect(r.evidence).toContain(
      'the HPA could not compute a scale (ScalingActive False: FailedGetResourceMetric the HPA was unable to compute the replica count',
    );
  });

  it('is INCONCLUSIVE when the load never reached the level', async () => {
    const r = await judge({ type: 'scaling', fromRate: 40, window: 'baseline' }, {});
    expect(r.verdict).toBe('INCONCLUSIVE');
    expect(r.evidence).toBe(
      'the load never reached 40 req/s in the baseline window (peak 39 req/s): the level the reaction is timed from never came',
    );
  });

  it('is INCONCLUSIVE without load or without the Deployment', async () => {
    expect((await judge({ type: 'scaling' }, { loadStartMs: null })).evidence).toBe('load never started');
    const r = await judge({ type: 'scaling' }, { scaling: scaledUp({ replicaSamples: [] }) });
    expect(r).toMatchObject({
      verdict: 'INCONCLUSIVE',
      evidence: 'Deployment fraud-scorer was never observed',
    });
  });

  it('on a window the load missed, its FAIL becomes INCONCLUSIVE (no load, no CPU to scale on)', async () => {
    const { sloJudge } = await import('../../../src/verdict/slos/index.js');
    const judgeOf = sloJudge(
      makePlan({ slos: [{ type: 'latency', max: '250ms' }, { type: 'scaling' }] }).scenario.slos[1]!,
    );
    expect(judgeOf.needs).toContain('load');
    expect(judgeOf.absenceIsBreach).toBe(true);
  });
});
