import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { windowAt } from '../../../src/plan/plan.js';
import { parseDurationMs } from '../../../src/scenario/units.js';
import { makePlan } from '../../fakes/scenario.js';

const stageSum = (stages: unknown): number =>
  (stages as { duration: string }[]).reduce((a, s) => a + parseDurationMs(s.duration), 0);

describe('buildPlan: windows and faults on one timeline', () => {
  it('places the windows back to back from load start, with the fault offset inside the fault window', () => {
    const plan = makePlan();
    expect(plan.windows).toEqual([
      { name: 'baseline', startMs: 0, endMs: 60_000 },
      { name: 'fault', startMs: 60_000, endMs: 150_000 },
      { name: 'recovery', startMs: 150_000, endMs: 210_000 },
    ]);
    expect(plan.totalMs).toBe(210_000);
    expect(plan.faults).toHaveLength(1);
    expect(plan.faults[0]).toMatchObject({ index: 0, atMs: 65_000, revertAtMs: 150_000 });
    expect(plan.k6.windows).toEqual([
      { name: 'baseline', seconds: 60 },
      { name: 'fault', seconds: 90 },
      { name: 'recovery', seconds: 60 },
    ]);
    expect(plan.namespace).toBe('ml-serving');
    expect(plan.seed).toBe(42);
  });

  it('scales windows and fault offsets by --time-scale', () => {
    const plan = makePlan({}, { timeScale: 0.1 });
    expect(plan.windows.map((w) => [w.startMs, w.endMs])).toEqual([
      [0, 6000],
      [6000, 15_000],
      [15_000, 21_000],
    ]);
    expect(plan.faults[0]!.atMs).toBe(6000 + 500);
    expect(plan.faults[0]!.revertAtMs).toBe(15_000);
    expect(plan.k6.scenario.duration).toBe('21s');
    expect(plan.timeScale).toBe(0.1);
  });

  it('rounds scaled windows to whole seconds, never below one second', () => {
    const plan = makePlan(
      { windows: { baseline: '45s', fault: '4s', recovery: '14s' }, faults: [] },
      { timeScale: 0.1 },
    );
    // 4.5 s → 5 s, 0.4 s → 1 s (the minimum), 1.4 s → 1 s
    expect(plan.k6.windows.map((w) => w.seconds)).toEqual([5, 1, 1]);
    expect(plan.totalMs).toBe(7000);
  });

  it('keeps a scaled fault inside its window even when rounding shrinks the window under it', () => {
    const plan = makePlan(
      {
        windows: { baseline: '60s', fault: '14s', recovery: '60s' },
        faults: [{ type: 'pod-kill', at: '13s', count: 1 }],
      },
      { timeScale: 0.1 },
    );
    const fault = plan.windows[1]!;
    expect(fault).toEqual({ name: 'fault', startMs: 6000, endMs: 7000 });
    expect(plan.faults[0]!.atMs).toBeGreaterThanOrEqual(fault.startMs);
    expect(plan.faults[0]!.atMs).toBeLessThan(fault.endMs);
    expect(windowAt(plan, plan.faults[0]!.atMs)).toBe('fault');
  });

  it('orders several faults by index and reverts them all at the end of the fault window', () => {
    const plan = makePlan({
      faults: [
        { type: 'pod-kill', at: '30s', count: 1 },
        { type: 'oversize-batch', at: '0s' },
      ],
    });
    expect(plan.faults.map((f) => [f.index, f.spec.type, f.atMs, f.revertAtMs])).toEqual([
      [0, 'pod-kill', 90_000, 150_000],
      [1, 'oversize-batch', 60_000, 150_000],
    ]);
  });

  it('plans every round of a repeated fault at its scaled interval', () => {
    const plan = makePlan({ faults: [{ type: 'pod-kill', count: 1, at: '5s', repeat: 3, interval: '20s' }] });
    expect(plan.faults[0]!.injectAtMs).toEqual([65_000, 85_000, 105_000]);
    const scaled = makePlan(
      { faults: [{ type: 'pod-kill', count: 1, at: '5s', repeat: 2, interval: '40s' }] },
      { timeScale: 0.25 },
    );
    expect(scaled.faults[0]!.injectAtMs).toEqual([scaled.faults[0]!.atMs, scaled.faults[0]!.atMs + 10_000]);
    expect(makePlan().faults[0]!.injectAtMs).toEqual([65_000]);
  });

  it('takes --namespace over the scenario namespace', () => {
    expect(makePlan({}, { namespace: 'ml-serving-canary' }).namespace).toBe('ml-serving-canary');
  });

  it('windowAt maps an offset to its window, and anything past the end to recovery', () => {
    const plan = makePlan();
    expect(windowAt(plan, 0)).toBe('baseline');
    expect(windowAt(plan, 59_999)).toBe('baseline');
    expect(windowAt(plan, 60_000)).toBe('fault');
    expect(windowAt(plan, 149_999)).toBe('fault');
    expect(windowAt(plan, 150_000)).toBe('recovery');
    expect(windowAt(plan, 10_000_000)).toBe('recovery');
  });
});

describe('buildPlan: the k6 scenario per executor', () => {
  it('constant-arrival-rate: rate per second for the whole run, VUs sized from the rate', () => {
    const plan = makePlan({ load: { executor: 'constant-arrival-rate', rate: 40 } });
    expect(plan.k6.scenario).toEqual({
      executor: 'constant-arrival-rate',
      rate: 40,
      timeUnit: '1s',
      duration: '210s',
      preAllocatedVUs: 20,
      maxVUs: 80,
      gracefulStop: '5s',
    });
  });

  it('constant-arrival-rate: explicit vus and maxVUs win; small rates still get 10 VUs and 50 max', () => {
    expect(
      makePlan({ load: { executor: 'constant-arrival-rate', rate: 40, vus: 7, maxVUs: 9 } }).k6.scenario,
    ).toMatchObject({
      preAllocatedVUs: 7,
      maxVUs: 9,
    });
    expect(makePlan({ load: { executor: 'constant-arrival-rate', rate: 2 } }).k6.scenario).toMatchObject({
      preAllocatedVUs: 10,
      maxVUs: 50,
    });
  });

  it('ramping-arrival-rate: starts from zero and follows the stages', () => {
    const plan = makePlan({
      load: {
        executor: 'ramping-arrival-rate',
        maxVUs: 200,
        stages: [
          { duration: '2m', target: 50 },
          { duration: '5m', target: 200 },
          { duration: '2m', target: 0 },
        ],
      },
      windows: { baseline: '2m', fault: '5m', recovery: '2m' },
      faults: [],
      slos: [{ type: 'errorRate', max: '2%' }],
    });
    expect(plan.k6.scenario).toEqual({
      executor: 'ramping-arrival-rate',
      startRate: 0,
      timeUnit: '1s',
      preAllocatedVUs: 10,
      maxVUs: 200,
      stages: [
        { duration: '120s', target: 50 },
        { duration: '300s', target: 200 },
        { duration: '120s', target: 0 },
      ],
      gracefulStop: '5s',
    });
    expect(plan.k6.scenario).not.toHaveProperty('duration');
  });

  it('constant-vus: a fixed number of VUs for the whole run', () => {
    const plan = makePlan({ load: { executor: 'constant-vus', vus: 12 } });
    expect(plan.k6.scenario).toEqual({
      executor: 'constant-vus',
      vus: 12,
      duration: '210s',
      gracefulStop: '5s',
    });
  });

  it('ramping-vus: starts from zero VUs with a graceful ramp-down', () => {
    const plan = makePlan({
      load: {
        executor: 'ramping-vus',
        stages: [
          { duration: '60s', target: 20 },
          { duration: '150s', target: 20 },
        ],
      },
    });
    expect(plan.k6.scenario).toEqual({
      executor: 'ramping-vus',
      startVUs: 0,
      stages: [
        { duration: '60s', target: 20 },
        { duration: '150s', target: 20 },
      ],
      gracefulRampDown: '5s',
      gracefulStop: '5s',
    });
  });

  it('scales stages with the windows and stretches the last one so they add up to the run', () => {
    const plan = makePlan(
      {
        load: {
          executor: 'ramping-vus',
          stages: [
            { duration: '44s', target: 10 },
            { duration: '44s', target: 20 },
            { duration: '122s', target: 0 },
          ],
        },
      },
      { timeScale: 0.1 },
    );
    // windows 6 + 9 + 6 = 21 s; stages round to 4 + 4 + 12 = 20 s, so the last one gets the missing second.
    expect(plan.totalMs).toBe(21_000);
    expect(plan.k6.scenario.stages).toEqual([
      { duration: '4s', target: 10 },
      { duration: '4s', target: 20 },
      { duration: '13s', target: 0 },
    ]);
  });

  it('shrinks stages that rounded up past the windows, last ones first, none below a second', () => {
    const plan = makePlan(
      {
        windows: { baseline: '10s', fault: '10s', recovery: '10s' },
        faults: [],
        load: {
          executor: 'ramping-vus',
          stages: [
            { duration: '25s', target: 10 },
            { duration: '3s', target: 5 },
            { duration: '2s', target: 0 },
          ],
        },
      },
      { timeScale: 0.1 },
    );
    // Windows 1 + 1 + 1 = 3 s; the stages round to 3 + 1 + 1 = 5 s (2.5 s rounds up, the others to the minimum).
    expect(plan.totalMs).toBe(3000);
    expect(plan.k6.scenario.stages).toEqual([
      { duration: '1s', target: 10 },
      { duration: '1s', target: 5 },
      { duration: '1s', target: 0 },
    ]);
  });

  it('property: whenever it is possible, scaled stages add up exactly to the scaled windows', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 3, maxLength: 3 }),
        fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 8 }),
        fc.constantFrom(1, 0.5, 0.25, 0.1, 0.05, 0.01, 2),
        (win, weights, timeScale) => {
          const total = win[0]! + win[1]! + win[2]!;
          // Split the unscaled total into stages of whole seconds (each ≥ 1 s), as the semantic rule demands.
          const n = Math.min(weights.length, total);
          const w = weights.slice(0, n);
          const wsum = w.reduce((a, b) => a + b, 0);
          const secs = w.map((x) => 1 + Math.floor(((total - n) * x) / wsum));
          secs[n - 1]! += total - secs.reduce((a, b) => a + b, 0);
          const plan = makePlan(
            {
              windows: { baseline: `${win[0]}s`, fault: `${win[1]}s`, recovery: `${win[2]}s` },
              faults: [],
              load: {
                executor: 'ramping-arrival-rate',
                stages: secs.map((s, i) => ({ duration: `${s}s`, target: i })),
              },
            },
            { timeScale },
          );
          const stages = plan.k6.scenario.stages as { duration: string }[];
          const ms = stages.map((s) => parseDurationMs(s.duration));
          expect(ms.every((x) => x >= 1000 && Number.isInteger(x / 1000))).toBe(true);
          if (n * 1000 <= plan.totalMs) expect(stageSum(stages)).toBe(plan.totalMs);
          expect(plan.windows[2]!.endMs).toBe(plan.totalMs);
        },
      ),
      { numRuns: 300, seed: 7 },
    );
  });
});

describe('buildPlan: load settings handed to the script', () => {
  it('passes the oversize-batch fault settings to k6', () => {
    const plan = makePlan({
      faults: [{ type: 'oversize-batch', at: '0s', rows: 5000, every: 25, refusedWith: [400, 422] }],
    });
    expect(plan.k6.oversizeRows).toBe(5000);
    expect(plan.k6.oversizeEvery).toBe(25);
    expect(plan.k6.oversizeRefusedWith).toEqual([400, 422]);
  });

  it('uses the schema defaults for an oversize-batch fault that gives none', () => {
    const plan = makePlan({ faults: [{ type: 'oversize-batch' }] });
    expect([plan.k6.oversizeRows, plan.k6.oversizeEvery]).toEqual([1000, 10]);
    // The sample's refusal of a batch too big.
    expect(plan.k6.oversizeRefusedWith).toEqual([413]);
  });

  it('sends no oversize request without an oversize-batch fault', () => {
    const plan = makePlan();
    expect([plan.k6.oversizeRows, plan.k6.oversizeEvery]).toEqual([0, 0]);
  });

  it('passes payload shape, thresholds, extra env, connection reuse and secret names', () => {
    const plan = makePlan({
      load: {
        executor: 'constant-arrival-rate',
        rate: 40,
        payload: { rows: 4, features: 16 },
        thresholds: { http_req_duration: ['p(95)<250'] },
        env: { MODEL_HINT: 'v3' },
        secretEnv: ['ENDPOINT_KEY'],
        newConnectionPerRequest: true,
      },
    });
    expect(plan.k6).toMatchObject({
      rows: 4,
      features: 16,
      thresholds: { http_req_duration: ['p(95)<250'] },
      env: { MODEL_HINT: 'v3', CHAOS_NO_CONNECTION_REUSE: 'true' },
      secretEnv: ['ENDPOINT_KEY'],
    });
    // Only names: a secret value never enters the plan.
    expect(JSON.stringify(plan)).not.toMatch(/ENDPOINT_KEY=/);
  });

  it('reuses connections unless told otherwise', () => {
    expect(makePlan().k6.env).toEqual({});
  });
});
