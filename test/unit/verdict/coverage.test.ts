import { describe, expect, it } from 'vitest';
import {
  applyCoverage,
  applyCutShort,
  describeShortfall,
  expectedActiveSeconds,
  expectedArrivals,
  measureCoverage,
  REQUIRED_SHARE,
  windowsNeedingLoad,
} from '../../../src/verdict/coverage.js';
import type { SloResult } from '../../../src/verdict/result.js';
import { makePlan } from '../../fakes/scenario.js';

// Windows 60 s / 90 s / 60 s: the base scenario's.
const ALL_SECONDS = Array.from({ length: 210 }, () => 5);

function measured(requests: [number, number, number], dropped: [number, number, number] = [0, 0, 0]) {
  return {
    windows: ['baseline', 'fault', 'recovery'].map((window, i) => ({
      window,
      requests: requests[i]!,
      dropped: dropped[i]!,
    })),
    perSecond: ALL_SECONDS,
  };
}

const SLOS_ALL = [{ type: 'errorRate' as const, max: '2%' }];

describe('expected load, by executor (figures worked out by hand)', () => {
  it('constant-arrival-rate: rate × seconds, nothing past the duration', () => {
    const p = makePlan({ load: { executor: 'constant-arrival-rate', rate: 40 } }).k6.profile;
    expect(expectedArrivals(p, 0, 60)).toBe(2400);
    expect(expectedArrivals(p, 60, 150)).toBe(3600);
    expect(expectedArrivals(p, 150, 210)).toBe(2400);
    expect(expectedArrivals(p, 200, 260)).toBe(400);
  });

  it('ramping-arrival-rate: the area under the ramp, from a start rate of 0', () => {
    const p = makePlan({
      load: {
        executor: 'ramping-arrival-rate',
        stages: [
          { duration: '60s', target: 10 },
          { duration: '90s', target: 10 },
          { duration: '60s', target: 0 },
        ],
      },
    }).k6.profile;
    // 0 → 10/s over 60 s: a triangle of 300; then 10/s for 90 s; then back to 0: 300 again.
    expect(expectedArrivals(p, 0, 60)).toBe(300);
    expect(expectedArrivals(p, 60, 150)).toBe(900);
    expect(expectedArrivals(p, 150, 210)).toBe(300);
    // The first half of the ramp holds a quarter of its triangle.
    expect(expectedArrivals(p, 0, 30)).toBe(75);
  });

  it('constant-vus: every second of the duration owes a request', () => {
    const p = makePlan({ load: { executor: 'constant-vus', vus: 3 } }).k6.profile;
    expect(expectedActiveSeconds(p, 0, 60)).toHaveLength(60);
    expect(expectedActiveSeconds(p, 60, 150)).toEqual(Array.from({ length: 90 }, (_, i) => 60 + i));
  });

  it('ramping-vus: only the seconds in which at least one VU runs', () => {
    const p = makePlan({
      load: {
        executor: 'ramping-vus',
        stages: [
          { duration: '60s', target: 10 },
          { duration: '90s', target: 10 },
          { duration: '60s', target: 0 },
        ],
      },
    }).k6.profile;
    // 0 → 10 VUs over 60 s is t/6 VUs: at least one from t = 6 s, so seconds 6..59 (mid-second ≥ 6).
    expect(expectedActiveSeconds(p, 0, 60)).toEqual(Array.from({ length: 54 }, (_, i) => 6 + i));
    // Back down: 10 − (t − 150)/6 ≥ 1 until t = 204, so seconds 150..203.
    expect(expectedActiveSeconds(p, 150, 210)).toEqual(Array.from({ length: 54 }, (_, i) => 150 + i));
  });
});

describe('which windows need load', () => {
  it('the fault window when there is a fault, and every window an SLO judges', () => {
    expect(windowsNeedingLoad(makePlan())).toEqual(['baseline', 'fault', 'recovery']);
    expect(
      windowsNeedingLoad(makePlan({ slos: [{ type: 'errorRate', max: '1%', window: 'recovery' }] })),
    ).toEqual(['fault', 'recovery']);
    expect(
      windowsNeedingLoad(
        makePlan({
          faults: [],
          slos: [{ type: 'latency', percentile: 95, max: '250ms', window: 'baseline' }],
        }),
      ),
    ).toEqual(['baseline']);
  });
});

describe('measureCoverage', () => {
  it('passes an arrival-rate run that got its rate, within the margin', () => {
    const c = measureCoverage(makePlan({ slos: SLOS_ALL }), measured([2399, 3598, 2401]));
    expect(c.map((x) => x.ok)).toEqual([true, true, true]);
    expect(c[1]).toMatchObject({ window: 'fault', unit: 'requests', expected: 3600, measured: 3598 });
  });

  it('fails a window that got one request (the custom script that ran a single iteration)', () => {
    const c = measureCoverage(makePlan({ slos: SLOS_ALL }), measured([1, 0, 0]));
    expect(c.map((x) => x.ok)).toEqual([false, false, false]);
    expect(describeShortfall(c[1]!)).toBe(
      'load coverage: the fault window got 0 of 3600 expected requests (0.0 %; 0 dropped iterations); at least 90 % is needed to judge it',
    );
  });

  it('counts dropped iterations as missing, at the edge of the required share', () => {
    const just = Math.ceil(3600 * REQUIRED_SHARE);
    const c = measureCoverage(makePlan({ slos: SLOS_ALL }), measured([2400, just - 1, 2400], [0, 361, 0]));
    expect(c[1]).toMatchObject({ ok: false, dropped: 361, measured: just - 1 });
    const ok = measureCoverage(makePlan({ slos: SLOS_ALL }), measured([2400, just, 2400]));
    expect(ok[1]!.ok).toBe(true);
  });

  it('judges VU executors by the seconds with a request', () => {
    const plan = makePlan({ load: { executor: 'constant-vus', vus: 2 }, slos: SLOS_ALL });
    const perSecond = ALL_SECONDS.map((n, s) => (s >= 70 && s < 90 ? 0 : n)); // a 20 s pause in the fault window
    const c = measureCoverage(plan, { windows: measured([1, 1, 1]).windows, perSecond });
    expect(c.map((x) => x.ok)).toEqual([true, false, true]);
    expect(c[1]).toMatchObject({ unit: 'seconds', expected: 90, measured: 70 });
    expect(describeShortfall(c[1]!)).toContain('requests in 70 of its 90 seconds with load planned (77.8 %)');
  });
});

describe('applyCoverage', () => {
  const slo = (kind: string, window: SloResult['window'], verdict: SloResult['verdict']): SloResult => ({
    id: `${kind}-${window}`,
    kind,
    window,
    verdict,
    measured: 1,
    threshold: 'x',
    evidence: 'measured on what was sent',
  });
  const coverage = measureCoverage(makePlan({ slos: SLOS_ALL }), measured([2400, 10, 2400]));

  it('turns a PASS on a missed window (or on all) into INCONCLUSIVE, with the counts', () => {
    const out = applyCoverage(
      [
        slo('errorRate', 'fault', 'PASS'),
        slo('latency', 'all', 'PASS'),
        slo('errorRate', 'baseline', 'PASS'),
      ],
      coverage,
    );
    expect(out.map((s) => s.verdict)).toEqual(['INCONCLUSIVE', 'INCONCLUSIVE', 'PASS']);
    expect(out[0]!.evidence).toContain('fault: 10/3600 requests');
    expect(out[0]!.evidence).toContain('measured on what was sent');
  });

  it('keeps a breach measured on the requests that were sent, but not one that absence alone explains', () => {
    const out = applyCoverage(
      [
        slo('latency', 'fault', 'FAIL'),
        slo('errorRate', 'fault', 'FAIL'),
        slo('availability', 'fault', 'FAIL'),
        slo('throughput', 'fault', 'FAIL'),
      ],
      coverage,
    );
    expect(out.map((s) => s.verdict)).toEqual(['FAIL', 'FAIL', 'INCONCLUSIVE', 'INCONCLUSIVE']);
  });

  it('leaves SLOs that do not come from the load alone', () => {
    const out = applyCoverage([slo('recovery', 'all', 'PASS'), slo('restarts', 'all', 'PASS')], coverage);
    expect(out.map((s) => s.verdict)).toEqual(['PASS', 'PASS']);
  });

  it('changes nothing when every window got its load', () => {
    const full = measureCoverage(makePlan({ slos: SLOS_ALL }), measured([2400, 3600, 2400]));
    const slos = [slo('errorRate', 'fault', 'PASS')];
    expect(applyCoverage(slos, full)).toEqual(slos);
  });
});

describe('applyCutShort', () => {
  const slo = (window: SloResult['window'], verdict: SloResult['verdict']): SloResult => ({
    id: `minReadyReplicas-${window}`,
    kind: 'minReadyReplicas',
    window,
    verdict,
    measured: 2,
    threshold: '>= 2',
    evidence: 'lowest Ready replica count: 2',
  });
  const ends = { baseline: 60_000, fault: 150_000, recovery: 210_000, all: 210_000 };

  it('a PASS (or an unmeasured FAIL) on a window still running when the run was cut short is INCONCLUSIVE; a measured FAIL stands', () => {
    const out = applyCutShort(
      [slo('baseline', 'PASS'), slo('fault', 'PASS'), slo('all', 'PASS'), slo('fault', 'FAIL')],
      ends,
      { atMs: 80_000, reason: 'k6 ended 01:20 into the load' },
    );
    expect(out.map((s) => s.verdict)).toEqual(['PASS', 'INCONCLUSIVE', 'INCONCLUSIVE', 'FAIL']);
    // "Never observed" seconds after the fault is not a breach the run saw.
    const unseen = { ...slo('all', 'FAIL'), measured: null, evidence: '3 Ready replicas never observed' };
    expect(applyCutShort([unseen], ends, { atMs: 80_000, reason: 'k6 ended' })[0]?.verdict).toBe(
      'INCONCLUSIVE',
    );
    expect(out[1]?.evidence).toBe(
      'the run was cut short at t=80.0s (k6 ended 01:20 into the load), before the fault window ended at t=150.0s; as measured: lowest Ready replica count: 2',
    );
  });

  it('changes nothing when the run was not cut short, or only at the very end of a window', () => {
    const slos = [slo('fault', 'PASS'), slo('all', 'PASS')];
    expect(applyCutShort(slos, ends, null)).toEqual(slos);
    expect(applyCutShort(slos, ends, { atMs: 209_000, reason: 'k6 ended' }).map((s) => s.verdict)).toEqual([
      'PASS',
      'PASS',
    ]);
  });
});
