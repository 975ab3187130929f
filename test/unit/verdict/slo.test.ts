import { describe, expect, it } from 'vitest';
import { AnswersAcc, type AnswersSummary } from '../../../src/load/answers.js';
import { PrometheusError, type PromSeries } from '../../../src/adapters/prometheus.js';
import { PodObserver } from '../../../src/observe/pods.js';
import type { PromQuerier, PrometheusContext } from '../../../src/observe/prometheus.js';
import type { ScenarioInput } from '../../../src/scenario/schema.js';
import type { FaultRecord, SloResult, WindowName } from '../../../src/verdict/result.js';
import {
  judgeSlos,
  overallVerdict,
  type Observations,
  type WindowEvidence,
} from '../../../src/verdict/slo.js';
import { makePod, type PodOptions } from '../../fakes/kube.js';
import { makePlan } from '../../fakes/scenario.js';

const T0 = Date.parse('2026-11-23T15:30:00.000Z');
/** Absolute time of an offset (seconds) from load start. */
const at = (s: number) => T0 + s * 1000;
const iso = (s: number) => new Date(at(s)).toISOString();

function noAnswers(): AnswersSummary {
  return new AnswersAcc(0, 1).summary();
}

type SloInput = NonNullable<ScenarioInput['slos']>[number];

/** Realistic numbers for one window of a 40 req/s run; override what the test is about. */
function win(window: WindowName, over: Partial<WindowEvidence> = {}): WindowEvidence {
  const requests = over.requests ?? 2400;
  const failed = over.failed ?? 0;
  return {
    window,
    startOffsetS: 0,
    endOffsetS: 60,
    requests,
    failed,
    errorRate: requests > 0 ? failed / requests : 0,
    rps: requests / 60,
    p50Ms: requests > 0 ? 18.4 : null,
    p90Ms: requests > 0 ? 39.2 : null,
    p95Ms: requests > 0 ? 61.7 : null,
    p99Ms: requests > 0 ? 143.2 : null,
    maxMs: requests > 0 ? 611.9 : null,
    statusCounts: requests > 0 ? { '200': requests - failed, ...(failed ? { '503': failed } : {}) } : {},
    statusByPayload: {},
    modelVersions: {},
    longestGapS: requests > 0 ? 0.21 : null,
    answers: noAnswers(),
    ...over,
  };
}

function confirmedKill(injectedS = 65, pods = ['fraud-scorer-7d4b9f-xk2pq']): FaultRecord {
  return {
    type: 'pod-kill',
    description: `deleted 1 pod(s): ${pods.map((p) => `ml-serving/${p}`).join(', ')}`,
    injectedAt: iso(injectedS),
    revertedAt: null,
    confirmed: true,
    targets: pods.map((p) => `ml-serving/${p}`),
    notes: [],
  };
}

/** A pod observer fed with the watch events of a 3-replica deployment, one replica killed at t+65 s. */
function killedAndReplaced(opts: { replacementReadyS?: number | null } = {}): PodObserver {
  const pods = new PodObserver();
  const ev = (type: 'ADDED' | 'MODIFIED' | 'DELETED', o: PodOptions, s: number) =>
    pods.apply({ type, object: makePod(o), receivedAt: new Date(at(s)) });
  for (const name of [
    'fraud-scorer-7d4b9f-aaaaa',
    'fraud-scorer-7d4b9f-bbbbb',
    'fraud-scorer-7d4b9f-xk2pq',
  ]) {
    ev('ADDED', { name }, -10);
  }
  ev('MODIFIED', { name: 'fraud-scorer-7d4b9f-xk2pq', terminating: true }, 65.05);
  ev('ADDED', { name: 'fraud-scorer-7d4b9f-zz9rt', ready: false }, 65.1);
  ev('DELETED', { name: 'fraud-scorer-7d4b9f-xk2pq', terminating: true, ready: false }, 66);
  const ready = opts.replacementReadyS === undefined ? 83.5 : opts.replacementReadyS;
  if (ready !== null) ev('MODIFIED', { name: 'fraud-scorer-7d4b9f-zz9rt' }, ready);
  return pods;
}

function observations(over: Partial<Observations> = {}): Observations {
  return {
    load: {
      all: win('all', { requests: 8400, endOffsetS: 210 }),
      baseline: win('baseline'),
      fault: win('fault'),
      recovery: win('recovery'),
    },
    pods: killedAndReplaced(),
    faults: [confirmedKill()],
    loadStartMs: T0,
    desiredReplicas: 3,
    versionBefore: 'v3',
    previousLogs: {},
    scaling: null,
    perSecond: [],
    ...over,
  };
}

async function judgeOne(
  slo: SloInput,
  obs: Partial<Observations> = {},
  extra: Partial<ScenarioInput> = {},
): Promise<SloResult> {
  const plan = makePlan({ slos: [slo], ...extra });
  const results = await judgeSlos(plan, observations(obs));
  expect(results).toHaveLength(1);
  return results[0]!;
}

describe('latency SLO', () => {
  it('passes when the percentile is within the limit, with the numbers as evidence', async () => {
    const r = await judgeOne({ type: 'latency', percentile: 95, max: '250ms' });
    expect(r).toMatchObject({
      id: 'latency-p95-all',
      kind: 'latency',
      window: 'all',
      verdict: 'PASS',
      measured: 61.7,
      threshold: '≤ 250ms',
    });
    expect(r.evidence).toBe('p95 = 61.7 ms over 8400 requests (p50 18.4 ms, p99 143.2 ms, max 611.9 ms)');
  });

  it('fails when the percentile of the judged window is over the limit', async () => {
    const r = await judgeOne(
      { type: 'latency', percentile: 99, max: '250ms', window: 'fault' },
      { load: { fault: win('fault', { p99Ms: 431.7 }) } },
    );
    expect(r).toMatchObject({ id: 'latency-p99-fault', verdict: 'FAIL', measured: 431.7 });
  });

  it('passes exactly at the limit (≤)', async () => {
    const r = await judgeOne(
      { type: 'latency', percentile: 95, max: '250ms' },
      { load: { all: win('all', { p95Ms: 250 }) } },
    );
    expect(r.verdict).toBe('PASS');
  });

  it('is INCONCLUSIVE, never PASS, without requests in the window', async () => {
    for (const load of [{}, { all: win('all', { requests: 0 }) }, { all: win('all', { p95Ms: null }) }]) {
      const r = await judgeOne({ type: 'latency', percentile: 95, max: '250ms' }, { load });
      expect(r).toMatchObject({ verdict: 'INCONCLUSIVE', measured: null });
      expect(r.evidence).toContain('no requests measured in the all window');
    }
  });
});

describe('errorRate SLO', () => {
  it('passes under the limit and lists the non-2xx statuses', async () => {
    const r = await judgeOne(
      { type: 'errorRate', max: '2%' },
      {
        load: {
          all: win('all', { requests: 8400, failed: 21, statusCounts: { '200': 8379, '503': 17, '0': 4 } }),
        },
      },
    );
    expect(r).toMatchObject({ id: 'error-rate-all', verdict: 'PASS', measured: '0.250%', threshold: '< 2%' });
    expect(r.evidence).toBe('21 of 8400 requests failed (0.250%); non-2xx: no response×4, 503×17');
  });

  it('fails exactly at the limit: the runbook says "< 2 %"', async () => {
    const r = await judgeOne(
      { type: 'errorRate', max: '2%' },
      { load: { all: win('all', { requests: 2400, failed: 48 }) } },
    );
    expect(r.verdict).toBe('FAIL');
    expect(r.measured).toBe('2.000%');
  });

  it('fails exactly at a limit that is not exact in binary floating point', async () => {
    // 1.1 / 100 is 0.011000000000000001 in floating point, a hair above 11/1000: still "not < 1.1 %".
    const r = await judgeOne(
      { type: 'errorRate', max: '1.1%' },
      { load: { all: win('all', { requests: 1000, failed: 11 }) } },
    );
    expect(r.verdict).toBe('FAIL');
    const under = await judgeOne(
      { type: 'errorRate', max: '1.1%' },
      { load: { all: win('all', { requests: 1000, failed: 10 }) } },
    );
    expect(under.verdict).toBe('PASS');
  });

  it('max 0%: PASS with no failure at all, FAIL with one', async () => {
    expect(
      (await judgeOne({ type: 'errorRate', max: '0%' }, { load: { all: win('all', { failed: 0 }) } }))
        .verdict,
    ).toBe('PASS');
    expect(
      (await judgeOne({ type: 'errorRate', max: '0%' }, { load: { all: win('all', { failed: 1 }) } }))
        .verdict,
    ).toBe('FAIL');
  });

  it('judges the window it names', async () => {
    const r = await judgeOne(
      { type: 'errorRate', max: '1%', window: 'fault' },
      {
        load: {
          all: win('all', { requests: 8400, failed: 30 }),
          fault: win('fault', { requests: 3600, failed: 30 }),
        },
      },
    );
    expect(r).toMatchObject({ id: 'error-rate-fault', window: 'fault', verdict: 'PASS' });
  });

  it('is INCONCLUSIVE without requests', async () => {
    const r = await judgeOne(
      { type: 'errorRate', max: '2%' },
      { load: { all: win('all', { requests: 0 }) } },
    );
    expect(r).toMatchObject({ verdict: 'INCONCLUSIVE', measured: null });
  });
});

describe('availability SLO', () => {
  it('passes when the longest stretch without a success is within maxGap', async () => {
    const r = await judgeOne(
      { type: 'availability', maxGap: '2s' },
      { load: { all: win('all', { longestGapS: 1.234 }) } },
    );
    expect(r).toMatchObject({
      id: 'availability-all',
      verdict: 'PASS',
      measured: 1.23,
      threshold: 'gap ≤ 2s',
    });
    expect(r.evidence).toContain('1.23 s');
  });

  it('fails when the endpoint answered nothing successful for longer', async () => {
    const r = await judgeOne(
      { type: 'availability', maxGap: '2s' },
      { load: { all: win('all', { longestGapS: 7.9 }) } },
    );
    expect(r.verdict).toBe('FAIL');
  });

  it('passes exactly at maxGap', async () => {
    const r = await judgeOne(
      { type: 'availability', maxGap: '2s' },
      { load: { all: win('all', { longestGapS: 2 }) } },
    );
    expect(r.verdict).toBe('PASS');
  });

  it('is INCONCLUSIVE when nothing was measured', async () => {
    for (const w of [win('all', { requests: 0 }), win('all', { longestGapS: null })]) {
      const r = await judgeOne({ type: 'availability', maxGap: '2s' }, { load: { all: w } });
      expect(r.verdict).toBe('INCONCLUSIVE');
    }
  });
});

describe('throughput SLO', () => {
  it('passes at or above the minimum rate', async () => {
    const r = await judgeOne(
      { type: 'throughput', min: 40 },
      { load: { all: win('all', { requests: 8400, rps: 40 }) } },
    );
    expect(r).toMatchObject({ id: 'throughput-all', verdict: 'PASS', measured: 40, threshold: '≥ 40 req/s' });
  });

  it('fails below it', async () => {
    const r = await judgeOne(
      { type: 'throughput', min: 40 },
      { load: { all: win('all', { requests: 7000, rps: 33.33 }) } },
    );
    expect(r).toMatchObject({ verdict: 'FAIL', measured: 33.33 });
  });

  it('is INCONCLUSIVE without load data or without a single request', async () => {
    expect((await judgeOne({ type: 'throughput', min: 40 }, { load: {} })).verdict).toBe('INCONCLUSIVE');
    const none = await judgeOne(
      { type: 'throughput', min: 40 },
      { load: { all: win('all', { requests: 0, rps: 0 }) } },
    );
    expect(none.verdict).toBe('INCONCLUSIVE');
  });
});

describe('recovery SLO', () => {
  it('measures from the kill to all replicas Ready with the killed one replaced', async () => {
    const r = await judgeOne({ type: 'recovery', within: '60s' });
    expect(r).toMatchObject({
      id: 'recovery-time',
      window: 'all',
      verdict: 'PASS',
      measured: 18.5,
      threshold: '≤ 60s',
    });
    expect(r.evidence).toBe(
      `pod-kill at ${iso(65)}; 3 replicas Ready again (1 replaced) at ${iso(83.5)}: 18.5s`,
    );
  });

  it('fails when recovery took longer than allowed', async () => {
    const r = await judgeOne({ type: 'recovery', within: '15s' });
    expect(r).toMatchObject({ verdict: 'FAIL', measured: 18.5 });
  });

  it('fails, with what was seen, when the replicas never came back', async () => {
    const r = await judgeOne(
      { type: 'recovery', within: '60s' },
      { pods: killedAndReplaced({ replacementReadyS: null }) },
    );
    expect(r).toMatchObject({ verdict: 'FAIL', measured: null });
    expect(r.evidence).toContain('3 Ready replicas (1 of them new) never observed');
    expect(r.evidence).toContain('ready now: 2');
  });

  it('uses readyReplicas from the SLO over the deployment', async () => {
    const r = await judgeOne({ type: 'recovery', within: '60s', readyReplicas: 2 }, { desiredReplicas: 5 });
    expect(r).toMatchObject({ verdict: 'PASS', measured: 18.5 });
  });

  it('does not count a pod with the same name in another namespace as replaced', async () => {
    const fault = { ...confirmedKill(), targets: ['other-team/fraud-scorer-7d4b9f-xk2pq'] };
    // The drained bystander is not under test: recovery only waits for the pods it watches.
    const pods = killedAndReplaced({ replacementReadyS: null });
    const r = await judgeOne({ type: 'recovery', within: '60s' }, { pods, faults: [fault] });
    expect(r.evidence).toContain('(0 of them new)');
  });

  it('does not wait for an extra pod when a repeated kill picks the first replacement', async () => {
    // Kill xk2pq at 65 s; its replacement zz9rt is Ready at 83.5 s and is itself the second victim at 90 s;
    // zz9rt's replacement qq7mm is Ready at 99 s. Two kills, but only one pre-existing pod to replace.
    const pods = killedAndReplaced();
    const ev = (type: 'ADDED' | 'MODIFIED' | 'DELETED', o: PodOptions, t: number) =>
      pods.apply({ type, object: makePod(o), receivedAt: new Date(at(t)) });
    ev('MODIFIED', { name: 'fraud-scorer-7d4b9f-zz9rt', terminating: true }, 90.05);
    ev('ADDED', { name: 'fraud-scorer-7d4b9f-qq7mm', ready: false }, 90.1);
    ev('MODIFIED', { name: 'fraud-scorer-7d4b9f-qq7mm' }, 99);
    const fault = confirmedKill(65, ['fraud-scorer-7d4b9f-xk2pq', 'fraud-scorer-7d4b9f-zz9rt']);
    const r = await judgeOne({ type: 'recovery', within: '60s' }, { pods, faults: [fault] });
    expect(r.verdict).toBe('PASS');
    expect(r.evidence).toContain('(1 replaced)');
    expect(r.measured).toBe(18.5);
  });

  it('counts only evicted pods under test after a node drain', async () => {
    const fault: FaultRecord = {
      type: 'node-drain',
      description: 'cordoned worker-2; evicted 2/2 pod(s)',
      injectedAt: iso(65),
      revertedAt: null,
      confirmed: true,
      targets: [
        'node/worker-2',
        'pod/ml-serving/fraud-scorer-7d4b9f-xk2pq',
        'pod/monitoring/node-exporter-abcde',
      ],
      notes: [],
    };
    const r = await judgeOne({ type: 'recovery', within: '60s' }, { faults: [fault] });
    expect(r).toMatchObject({ verdict: 'PASS', measured: 18.5 });
    expect(r.evidence).toContain('(1 replaced)');
  });

  it('is INCONCLUSIVE without a confirmed pod-removing fault or without a replica count', async () => {
    const unconfirmed = { ...confirmedKill(), confirmed: false, injectedAt: null };
    expect((await judgeOne({ type: 'recovery', within: '60s' }, { faults: [unconfirmed] })).verdict).toBe(
      'INCONCLUSIVE',
    );
    const latency: FaultRecord = { ...confirmedKill(), type: 'latency' };
    expect((await judgeOne({ type: 'recovery', within: '60s' }, { faults: [latency] })).verdict).toBe(
      'INCONCLUSIVE',
    );
    expect((await judgeOne({ type: 'recovery', within: '60s' }, { desiredReplicas: null })).verdict).toBe(
      'INCONCLUSIVE',
    );
  });
});

describe('minReadyReplicas SLO', () => {
  it('fails when Ready replicas dipped under the minimum in the window, naming when', async () => {
    const r = await judgeOne({ type: 'minReadyReplicas', min: 3, window: 'fault' });
    expect(r).toMatchObject({ id: 'min-ready-replicas-fault', verdict: 'FAIL', measured: 2 });
    expect(r.evidence).toBe(
      `lowest Ready replica count in the fault window: 2; below 3 at ${iso(65.05)} → 2`,
    );
  });

  it('passes when the dip stays at or above the minimum', async () => {
    const r = await judgeOne({ type: 'minReadyReplicas', min: 2, window: 'fault' });
    expect(r).toMatchObject({ verdict: 'PASS', measured: 2 });
  });

  it('judges only its window: the baseline never dipped', async () => {
    const r = await judgeOne({ type: 'minReadyReplicas', min: 3, window: 'baseline' });
    expect(r).toMatchObject({ verdict: 'PASS', measured: 3 });
  });

  it('is INCONCLUSIVE when the load never started or no readiness was observed', async () => {
    expect(
      (await judgeOne({ type: 'minReadyReplicas', min: 2, window: 'fault' }, { loadStartMs: null })).verdict,
    ).toBe('INCONCLUSIVE');
    expect(
      (await judgeOne({ type: 'minReadyReplicas', min: 2, window: 'fault' }, { pods: new PodObserver() }))
        .verdict,
    ).toBe('INCONCLUSIVE');
  });
});

describe('restarts and oomKilled SLOs', () => {
  function withRestarts(): PodObserver {
    const pods = new PodObserver();
    pods.apply({
      type: 'ADDED',
      object: makePod({ name: 'fraud-scorer-a', restarts: 2 }),
      receivedAt: new Date(at(-5)),
    });
    pods.apply({ type: 'ADDED', object: makePod({ name: 'fraud-scorer-b' }), receivedAt: new Date(at(-5)) });
    pods.apply({
      type: 'MODIFIED',
      object: makePod({
        name: 'fraud-scorer-a',
        restarts: 3,
        lastTerminated: { reason: 'OOMKilled', finishedAt: iso(70) },
      }),
      receivedAt: new Date(at(70)),
    });
    return pods;
  }

  it('counts restarts during the run only, not those before it', async () => {
    const r = await judgeOne({ type: 'restarts', max: 0 }, { pods: withRestarts() });
    expect(r).toMatchObject({
      id: 'restarts',
      verdict: 'FAIL',
      measured: 1,
      evidence: 'fraud-scorer-a restarted 1×',
    });
    expect((await judgeOne({ type: 'restarts', max: 1 }, { pods: withRestarts() })).verdict).toBe('PASS');
  });

  it('passes with no restart at all', async () => {
    const r = await judgeOne({ type: 'restarts', max: 0 });
    expect(r).toMatchObject({
      verdict: 'PASS',
      measured: 0,
      evidence: 'no container restarted during the run',
    });
  });

  it('names OOMKilled pods', async () => {
    const r = await judgeOne({ type: 'oomKilled' }, { pods: withRestarts() });
    expect(r).toMatchObject({
      id: 'oom-killed',
      verdict: 'FAIL',
      measured: 1,
      evidence: 'OOMKilled: fraud-scorer-a',
      threshold: '≤ 0',
    });
    expect((await judgeOne({ type: 'oomKilled' })).verdict).toBe('PASS');
  });

  it('is INCONCLUSIVE, not PASS, when no pod was observed at all', async () => {
    expect((await judgeOne({ type: 'restarts', max: 0 }, { pods: new PodObserver() })).verdict).toBe(
      'INCONCLUSIVE',
    );
    expect((await judgeOne({ type: 'oomKilled' }, { pods: new PodObserver() })).verdict).toBe('INCONCLUSIVE');
  });
});

describe('podState SLO', () => {
  const badRelease: FaultRecord = {
    type: 'model-version',
    description: 'set MODEL_VERSION=v404 on deployment ml-serving/fraud-scorer',
    injectedAt: iso(60),
    revertedAt: null,
    confirmed: true,
    targets: ['deployment/ml-serving/fraud-scorer'],
    notes: [],
  };

  function crashLooping(): PodObserver {
    const pods = new PodObserver();
    pods.apply({
      type: 'ADDED',
      object: makePod({ name: 'fraud-scorer-old' }),
      receivedAt: new Date(at(-5)),
    });
    pods.apply({
      type: 'ADDED',
      object: makePod({ name: 'fraud-scorer-new', ready: false }),
      receivedAt: new Date(at(61)),
    });
    pods.apply({
      type: 'MODIFIED',
      object: makePod({
        name: 'fraud-scorer-new',
        ready: false,
        restarts: 2,
        waiting: 'CrashLoopBackOff',
        lastTerminated: { reason: 'Error', exitCode: 1 },
      }),
      receivedAt: new Date(at(75)),
    });
    return pods;
  }

  const logs = {
    'fraud-scorer-new':
      'loading model\nFATAL: cannot serve model v404: artifact s3://models/fraud/v404 not found\n',
  };

  it('passes when new pods crash-loop with the expected line in their previous log', async () => {
    const slo: SloInput = {
      type: 'podState',
      reason: 'CrashLoopBackOff',
      logContains: 'cannot serve model v404',
    };
    const r = await judgeOne(slo, { pods: crashLooping(), faults: [badRelease], previousLogs: logs });
    expect(r).toMatchObject({ id: 'pod-state-crashloopbackoff', verdict: 'PASS', measured: 1 });
    expect(r.evidence).toBe(
      '1 of 1 new pod(s) reached CrashLoopBackOff: fraud-scorer-new; previous log contains "cannot serve model v404" in 1 pod(s): FATAL: cannot serve model v404: artifact s3://models/fraud/v404 not found',
    );
  });

  it('fails when the log line is missing, even though the state was reached', async () => {
    const slo: SloInput = {
      type: 'podState',
      reason: 'CrashLoopBackOff',
      logContains: 'cannot serve model v404',
    };
    const r = await judgeOne(slo, { pods: crashLooping(), faults: [badRelease], previousLogs: {} });
    expect(r.verdict).toBe('FAIL');
  });

  it('fails when no new pod reached the state, or none was created', async () => {
    const r = await judgeOne(
      { type: 'podState', reason: 'OOMKilled' },
      { pods: crashLooping(), faults: [badRelease] },
    );
    expect(r).toMatchObject({ verdict: 'FAIL', measured: 0 });
    const late = { ...badRelease, injectedAt: iso(100) };
    const none = await judgeOne(
      { type: 'podState', reason: 'CrashLoopBackOff' },
      { pods: crashLooping(), faults: [late] },
    );
    expect(none).toMatchObject({ verdict: 'FAIL', evidence: 'no pod was created after the fault' });
  });

  it('is INCONCLUSIVE for "new" pods without a confirmed fault', async () => {
    const r = await judgeOne(
      { type: 'podState', reason: 'CrashLoopBackOff' },
      { pods: crashLooping(), faults: [{ ...badRelease, confirmed: false }] },
    );
    expect(r.verdict).toBe('INCONCLUSIVE');
  });

  it('pods: any looks at every observed pod, and is INCONCLUSIVE when none was observed', async () => {
    const r = await judgeOne(
      { type: 'podState', reason: 'CrashLoopBackOff', pods: 'any' },
      { pods: crashLooping(), faults: [] },
    );
    expect(r).toMatchObject({
      verdict: 'PASS',
      evidence: '1 of 2 any pod(s) reached CrashLoopBackOff: fraud-scorer-new',
    });
    const none = await judgeOne(
      { type: 'podState', reason: 'CrashLoopBackOff', pods: 'any' },
      { pods: new PodObserver(), faults: [] },
    );
    expect(none.verdict).toBe('INCONCLUSIVE');
  });
});

describe('httpStatus SLO', () => {
  const oversizeFault: Partial<ScenarioInput> = { faults: [{ type: 'oversize-batch' }] };
  const counts = (byPayload: Record<string, Record<string, number>>) => ({
    load: {
      all: win('all', {
        statusByPayload: byPayload,
        statusCounts: Object.values(byPayload).reduce<Record<string, number>>((a, c) => {
          for (const [k, v] of Object.entries(c)) a[k] = (a[k] ?? 0) + v;
          return a;
        }, {}),
      }),
    },
  });

  it('passes when oversize requests only ever get 413', async () => {
    const r = await judgeOne(
      { type: 'httpStatus', payload: 'oversize', expect: ['413'], never: ['5xx'] },
      counts({ normal: { '200': 2160 }, oversize: { '413': 240 } }),
      oversizeFault,
    );
    expect(r).toMatchObject({
      id: 'http-status-oversize-all',
      verdict: 'PASS',
      measured: 0,
      threshold: 'only 413, never 5xx',
    });
    expect(r.evidence).toBe('240 oversize requests: 413×240');
  });

  it('fails on a status class it must never see, counting the offenders', async () => {
    const r = await judgeOne(
      { type: 'httpStatus', payload: 'oversize', expect: ['413'], never: ['5xx'] },
      counts({ normal: { '200': 2160 }, oversize: { '413': 230, '502': 6, '0': 4 } }),
      oversizeFault,
    );
    expect(r).toMatchObject({ verdict: 'FAIL', measured: 10 });
    expect(r.evidence).toBe('240 oversize requests: no response×4, 413×230, 502×6; 10 break the rule');
  });

  it('never alone: any status outside the forbidden class passes', async () => {
    const r = await judgeOne(
      { type: 'httpStatus', never: ['5xx'] },
      counts({ normal: { '200': 2000, '429': 400 } }),
    );
    expect(r.verdict).toBe('PASS');
  });

  it('is INCONCLUSIVE when no request of that payload was sent', async () => {
    const r = await judgeOne(
      { type: 'httpStatus', payload: 'oversize', expect: ['413'] },
      counts({ normal: { '200': 2400 } }),
      oversizeFault,
    );
    expect(r.verdict).toBe('INCONCLUSIVE');
    expect(r.evidence).toBe('no oversize requests were sent in the all window');
  });
});

describe('modelVersion SLO', () => {
  it('passes when every response came from the version served before the run', async () => {
    const r = await judgeOne(
      { type: 'modelVersion' },
      { load: { all: win('all', { modelVersions: { v3: 8390, none: 10 } }) } },
    );
    expect(r).toMatchObject({
      id: 'model-version-all',
      verdict: 'PASS',
      measured: 'v3',
      threshold: '= v3 (unchanged)',
    });
    expect(r.evidence).toBe('8390 responses by version: v3×8390');
  });

  it('fails when any response came from another version', async () => {
    const r = await judgeOne(
      { type: 'modelVersion' },
      { load: { all: win('all', { modelVersions: { v3: 8000, v404: 12 } }) } },
    );
    expect(r).toMatchObject({ verdict: 'FAIL', measured: 'v404' });
  });

  it('checks an explicit version', async () => {
    const r = await judgeOne(
      { type: 'modelVersion', expect: 'v4', window: 'recovery' },
      { load: { recovery: win('recovery', { modelVersions: { v4: 2400 } }) } },
    );
    expect(r).toMatchObject({ id: 'model-version-recovery', verdict: 'PASS', threshold: '= v4' });
  });

  it('is INCONCLUSIVE without a known version before, or without versioned responses', async () => {
    const versions = { load: { all: win('all', { modelVersions: { v3: 100 } }) } };
    const unknown = await judgeOne({ type: 'modelVersion' }, { ...versions, versionBefore: null });
    expect(unknown.verdict).toBe('INCONCLUSIVE');
    // Says where the version was looked for: V2 metadata often lists none (MLServer without `versions`).
    expect(unknown.evidence).toContain('target.modelVersion.urlField');
    const unversioned = await judgeOne(
      { type: 'modelVersion' },
      { load: { all: win('all', { modelVersions: { none: 2400 } }) } },
    );
    expect(unversioned.verdict).toBe('INCONCLUSIVE');
  });
});

describe('promql SLO', () => {
  const slo: SloInput = {
    type: 'promql',
    url: 'http://prometheus:9090',
    query: 'sum(rate(scorer_fallback_total[30s]))',
    max: 0.5,
    window: 'fault',
  };
  /** A Prometheus whose every range query answers one series valued f(t) at each step. */
  function fakeProm(
    f: (tS: number) => number | null,
    opts: { fail?: Error; series?: number } = {},
  ): { ctx: PrometheusContext; calls: { kind: string; query: string; start?: number; end: number }[] } {
    const calls: { kind: string; query: string; start?: number; end: number }[] = [];
    const series = (ts: number[]): PromSeries[] =>
      Array.from({ length: opts.series ?? 1 }, (_, i): PromSeries => ({
        metric: opts.series ? { pod: `p${i}` } : {},
        values: ts.flatMap((t) => {
          const v = f(t);
          return v === null ? [] : [[t, v] as [number, number]];
        }),
      }));
    const querier: PromQuerier = {
      log: [],
      range: (_p, _c, query, startMs, endMs, stepS) => {
        calls.push({ kind: 'range', query, start: startMs, end: endMs });
        if (opts.fail) return Promise.reject(opts.fail);
        const ts: number[] = [];
        for (let t = startMs / 1000; t <= endMs / 1000 + 1e-9; t += stepS) ts.push(t);
        return Promise.resolve(series(ts));
      },
      instant: (_p, _c, query, atMs) => {
        calls.push({ kind: 'instant', query, end: atMs });
        if (opts.fail) return Promise.reject(opts.fail);
        return Promise.resolve(series([atMs / 1000]));
      },
    };
    return {
      ctx: { querier, stepS: 5, connection: (url) => ({ url: url ?? 'http://default:9090' }) },
      calls,
    };
  }

  it('range-queries the window’s exact bounds and judges the reduced value', async () => {
    const { ctx, calls } = fakeProm((t) => (t - T0 / 1000 < 100 ? 0.1 : 0.3));
    const pass = await judgeOne(slo, { prometheus: ctx });
    expect(pass).toMatchObject({ id: 'promql-sum-rate-scorer-fallback-total-30s-fault', verdict: 'PASS' });
    expect(pass.measured).toBe(0.3);
    expect(pass.threshold).toBe('max over time ≤ 0.5');
    expect(pass.evidence).toContain('max of 19 samples over the fault window');
    expect(calls).toEqual([{ kind: 'range', query: slo.query, start: T0 + 60_000, end: T0 + 150_000 }]);
    const avg = await judgeOne({ ...slo, reduce: 'avg', max: 0.15 }, { prometheus: ctx });
    expect(avg.verdict).toBe('FAIL');
    const min = await judgeOne({ ...slo, reduce: 'min', max: 0.15 }, { prometheus: ctx });
    expect(min).toMatchObject({ verdict: 'PASS', measured: 0.1 });
  });

  it('evaluates an instant query at the window’s end, with $window as the window’s length', async () => {
    const { ctx, calls } = fakeProm(() => 7);
    const r = await judgeOne(
      { ...slo, query: 'sum(increase(errors_total[$window]))', instant: true, max: 10 },
      { prometheus: ctx },
    );
    expect(r).toMatchObject({ verdict: 'PASS', measured: 7 });
    expect(calls).toEqual([
      { kind: 'instant', query: 'sum(increase(errors_total[90s]))', end: T0 + 150_000 },
    ]);
  });

  it('checks min and max together', async () => {
    const { ctx } = fakeProm(() => 0.12);
    const r = await judgeOne({ ...slo, min: 0.2 }, { prometheus: ctx });
    expect(r).toMatchObject({ verdict: 'FAIL', threshold: 'max over time ≥ 0.2 ≤ 0.5' });
  });

  it('is INCONCLUSIVE, with the reason, when Prometheus cannot show the window', async () => {
    const judge = async (prom: ReturnType<typeof fakeProm>) => judgeOne(slo, { prometheus: prom.ctx });
    expect((await judgeOne(slo, { prometheus: null })).evidence).toBe('no Prometheus client available');
    const down = await judge(
      fakeProm(() => 1, {
        fail: new PrometheusError('unreachable', 'Prometheus at http://p did not answer: ECONNREFUSED'),
      }),
    );
    expect(down).toMatchObject({
      verdict: 'INCONCLUSIVE',
      evidence: 'Prometheus not answering: Prometheus at http://p did not answer: ECONNREFUSED',
    });
    const refused = await judge(
      fakeProm(() => 1, { fail: new PrometheusError('query', 'Prometheus 400 bad_data: parse error') }),
    );
    expect(refused.evidence).toBe('Prometheus refused the query: Prometheus 400 bad_data: parse error');
    expect((await judge(fakeProm(() => null))).evidence).toMatch(/^empty result: no series/);
    // Values for the first 30 s of the 90 s window only: too few samples.
    const few = await judge(fakeProm((t) => (t - T0 / 1000 < 90 ? 0.1 : null)));
    expect(few).toMatchObject({ verdict: 'INCONCLUSIVE' });
    expect(few.evidence).toMatch(/^too few samples: 6 of 19 steps/);
    // 20 s without a value in the middle: a scrape gap, though 15 of 19 steps have one.
    const gap = await judge(fakeProm((t) => (t - T0 / 1000 > 95 && t - T0 / 1000 < 115 ? null : 0.1)));
    expect(gap.evidence).toMatch(/^a scrape gap: no value for 15s after/);
    const many = await judge(fakeProm(() => 1, { series: 2 }));
    expect(many.evidence).toMatch(/^2 series for .*; aggregate them/);
  });
});

describe('judgeSlos: ids', () => {
  it('gives every SLO a unique id, even when suffixes collide with real ids', async () => {
    const plan = makePlan({
      slos: [
        { type: 'promql', url: 'http://prometheus:9090', query: 'up', min: 1 },
        { type: 'promql', url: 'http://prometheus:9090', query: 'up', min: 1 },
        { type: 'promql', url: 'http://prometheus:9090', query: 'up + 2', min: 1 },
        { type: 'latency', max: '250ms' },
        { type: 'latency', max: '300ms' },
      ],
    });
    const prometheus: PrometheusContext = {
      stepS: 5,
      connection: (url) => ({ url: url ?? '' }),
      querier: {
        log: [],
        range: () => Promise.resolve([{ metric: {}, values: [[T0 / 1000, 1]] }]),
        instant: () => Promise.resolve([{ metric: {}, values: [[T0 / 1000, 1]] }]),
      },
    };
    const results = await judgeSlos(plan, observations({ prometheus }));
    const ids = results.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([
      'promql-up-all',
      'promql-up-all-2',
      'promql-up-2-all',
      'latency-p95-all',
      'latency-p95-all-2',
    ]);
  });

  it('judges the six shipped scenario shapes without throwing', async () => {
    const plan = makePlan({
      slos: [
        { type: 'latency', max: '250ms' },
        { type: 'errorRate', max: '2%' },
        { type: 'errorRate', max: '1%', window: 'fault' },
        { type: 'availability', maxGap: '2s' },
        { type: 'recovery', within: '60s' },
        { type: 'minReadyReplicas', min: 2, window: 'fault' },
      ],
    });
    const results = await judgeSlos(plan, observations());
    expect(results.map((r) => r.verdict)).toEqual(['PASS', 'PASS', 'PASS', 'PASS', 'PASS', 'PASS']);
  });
});

describe('overallVerdict', () => {
  const slo = (id: string, verdict: SloResult['verdict']): SloResult => ({
    id,
    kind: 'latency',
    window: 'all',
    verdict,
    measured: verdict === 'INCONCLUSIVE' ? null : 1,
    threshold: '≤ 250ms',
    evidence: `${id} evidence`,
  });

  it('PASS only when every SLO passed and every fault was confirmed', () => {
    expect(overallVerdict([slo('a', 'PASS'), slo('b', 'PASS')], [confirmedKill()])).toEqual({
      verdict: 'PASS',
      reasons: [],
    });
  });

  it('FAIL beats INCONCLUSIVE, and the reasons name both', () => {
    const r = overallVerdict(
      [slo('a', 'PASS'), slo('b', 'INCONCLUSIVE'), slo('c', 'FAIL')],
      [confirmedKill()],
    );
    expect(r.verdict).toBe('FAIL');
    expect(r.reasons).toEqual(['c: c evidence', 'b: b evidence']);
  });

  it('INCONCLUSIVE beats PASS', () => {
    const r = overallVerdict([slo('a', 'PASS'), slo('b', 'INCONCLUSIVE')], [confirmedKill()]);
    expect(r).toEqual({ verdict: 'INCONCLUSIVE', reasons: ['b: b evidence'] });
  });

  it('a fault that was not confirmed makes the run INCONCLUSIVE, even with every SLO passing', () => {
    const fault: FaultRecord = {
      ...confirmedKill(),
      confirmed: false,
      injectedAt: null,
      targets: [],
      description: 'deleted nothing',
      notes: ['round 1: the selector matched no running pod (0 matching)'],
    };
    const r = overallVerdict([slo('a', 'PASS')], [fault]);
    expect(r.verdict).toBe('INCONCLUSIVE');
    expect(r.reasons).toEqual([
      'fault pod-kill not confirmed as applied: deleted nothing; round 1: the selector matched no running pod (0 matching)',
    ]);
  });

  it('a scenario without faults can PASS', () => {
    expect(overallVerdict([slo('a', 'PASS')], []).verdict).toBe('PASS');
  });
});
