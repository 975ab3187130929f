import { describe, expect, it } from 'vitest';
import type { RecentLoad } from '../../../src/load/ingest.js';
import {
  checkStopConditions,
  describeStopCondition,
  type StopReadings,
} from '../../../src/observe/stop-conditions.js';
import type { ScenarioInput, StopCondition } from '../../../src/scenario/schema.js';
import { makeScenario } from '../../fakes/scenario.js';

type StopInput = NonNullable<NonNullable<ScenarioInput['safety']>['stopWhen']>;

function conditions(stopWhen: StopInput): StopCondition[] {
  return makeScenario({ safety: { stopWhen } }).safety.stopWhen!;
}

/** Readings from a per-second series: second i has reqs[i] requests, errs[i] failures and p95 p95[i]. */
function readings(o: {
  reqs?: number[];
  errs?: number[];
  p95?: (number | null)[];
  ready?: number | null;
  promql?: number | null | Error;
}): StopReadings & { asked: number[] } {
  const asked: number[] = [];
  const reqs = o.reqs ?? [];
  return {
    asked,
    recent(seconds: number): RecentLoad | null {
      asked.push(seconds);
      if (reqs.length === 0) return null;
      const from = Math.max(0, reqs.length - seconds);
      const slice = (a: number[] | undefined) => (a ?? []).slice(from).reduce((x, y) => x + y, 0);
      const p95s = (o.p95 ?? []).slice(from).filter((x): x is number => x !== null);
      return {
        seconds: reqs.length - from,
        requests: slice(reqs),
        failed: slice(o.errs),
        // The fake's stand-in for a merged histogram: the worst second.
        p95Ms: p95s.length > 0 ? Math.max(...p95s) : null,
      };
    },
    readyPods: () => (o.ready === undefined ? 3 : o.ready),
    promql: (url, query) => {
      void url;
      void query;
      return o.promql instanceof Error
        ? Promise.reject(o.promql)
        : Promise.resolve(o.promql === undefined ? null : o.promql);
    },
  };
}

const secs = (n: number, v: number) => Array.from({ length: n }, () => v);

describe('stop conditions', () => {
  it('read as the author wrote them', () => {
    expect(
      conditions([
        { type: 'errorRate', above: '5%', over: '10s' },
        { type: 'p95', above: '500ms', over: '10s' },
        { type: 'readyReplicas', below: 2 },
        { type: 'promql', url: 'http://prom:9090', query: 'up{job="scorer"} == 0', above: 0 },
      ]).map(describeStopCondition),
    ).toEqual([
      'errorRate > 5% over 10s',
      'p95 > 500ms over 10s',
      'readyReplicas < 2',
      'promql up{job="scorer"} == 0 > 0',
    ]);
  });

  it('errorRate: holds over a full window above the threshold, not at it, and says what it measured', async () => {
    const c = conditions([{ type: 'errorRate', above: '5%', over: '10s' }]);
    // 10 s of 40 req/s: 20 failures are exactly 5 %: not above it.
    expect(await checkStopConditions(c, readings({ reqs: secs(10, 40), errs: secs(10, 2) }))).toBeNull();
    const r = readings({ reqs: secs(10, 40), errs: [...secs(9, 2), 3] });
    expect(await checkStopConditions(c, r)).toEqual({
      condition: 'errorRate > 5% over 10s',
      measured: '5.3% (21 of 400 requests in 10s)',
    });
    expect(r.asked).toEqual([10]);
  });

  it('errorRate: a window not yet full, or without requests, stops nothing', async () => {
    const c = conditions([{ type: 'errorRate', above: '5%', over: '10s' }]);
    // Every request of the first 4 s failed: a half-filled window must not stop the run on them.
    expect(await checkStopConditions(c, readings({ reqs: secs(4, 40), errs: secs(4, 40) }))).toBeNull();
    expect(await checkStopConditions(c, readings({ reqs: secs(10, 0), errs: secs(10, 0) }))).toBeNull();
    expect(await checkStopConditions(c, readings({}))).toBeNull();
  });

  it('the window slides: failures older than the look-back no longer count', async () => {
    const c = conditions([{ type: 'errorRate', above: '5%', over: '5s' }]);
    const burst = [...secs(5, 40), ...secs(5, 40)];
    const burstErrs = [...secs(5, 20), ...secs(5, 0)];
    expect(await checkStopConditions(c, readings({ reqs: burst, errs: burstErrs }))).toBeNull();
    expect(
      await checkStopConditions(c, readings({ reqs: burst.slice(0, 7), errs: burstErrs.slice(0, 7) })),
    ).toMatchObject({ measured: '30.0% (60 of 200 requests in 5s)' });
  });

  it('p95: above the threshold over a full window', async () => {
    const c = conditions([{ type: 'p95', above: '500ms', over: '10s' }]);
    expect(await checkStopConditions(c, readings({ reqs: secs(10, 40), p95: secs(10, 500) }))).toBeNull();
    expect(
      await checkStopConditions(c, readings({ reqs: secs(10, 40), p95: [...secs(9, 20), 812.4] })),
    ).toEqual({ condition: 'p95 > 500ms over 10s', measured: '812.4 ms (400 requests in 10s)' });
    expect(await checkStopConditions(c, readings({ reqs: secs(9, 40), p95: secs(9, 900) }))).toBeNull();
  });

  it('readyReplicas: below the floor, never before the pod watch has reported', async () => {
    const c = conditions([{ type: 'readyReplicas', below: 2 }]);
    expect(await checkStopConditions(c, readings({ ready: 2 }))).toBeNull();
    expect(await checkStopConditions(c, readings({ ready: null }))).toBeNull();
    expect(await checkStopConditions(c, readings({ ready: 1 }))).toEqual({
      condition: 'readyReplicas < 2',
      measured: '1 Ready',
    });
  });

  it('promql: above the value; an unreachable Prometheus or an empty answer stops nothing', async () => {
    const c = conditions([{ type: 'promql', url: 'http://prom:9090', query: 'x', above: 0.5 }]);
    expect(await checkStopConditions(c, readings({ promql: 0.7 }))).toMatchObject({ measured: '0.7' });
    expect(await checkStopConditions(c, readings({ promql: 0.5 }))).toBeNull();
    expect(await checkStopConditions(c, readings({ promql: null }))).toBeNull();
    expect(await checkStopConditions(c, readings({ promql: new Error('ECONNREFUSED') }))).toBeNull();
  });

  it('the first condition that holds is the one named', async () => {
    const c = conditions([
      { type: 'p95', above: '1s', over: '5s' },
      { type: 'readyReplicas', below: 3 },
      { type: 'errorRate', above: '1%', over: '5s' },
    ]);
    expect(
      await checkStopConditions(
        c,
        readings({ reqs: secs(5, 10), errs: secs(5, 5), p95: secs(5, 5), ready: 2 }),
      ),
    ).toMatchObject({ condition: 'readyReplicas < 3' });
  });
});
