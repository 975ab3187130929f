/** The maths of server-side truth: reducers, window coverage, counters across pods, and reconciliation. */
import { describe, expect, it } from 'vitest';
import {
  counterAt,
  coverageProblem,
  quantileOf,
  reconcile,
  reduceSamples,
  selectorOf,
} from '../../../src/observe/prometheus.js';

describe('reduceSamples', () => {
  const xs = [3, 1, 4, 1, 5];
  it('max, min, avg, last, as the *_over_time functions', () => {
    expect(reduceSamples(xs, 'max')).toBe(5);
    expect(reduceSamples(xs, 'min')).toBe(1);
    expect(reduceSamples(xs, 'avg')).toBeCloseTo(2.8);
    expect(reduceSamples(xs, 'last')).toBe(5);
  });
  it('quantile interpolates between ranks like quantile_over_time', () => {
    // sorted 1 1 3 4 5: rank 0.95·4 = 3.8 → 4 + 0.8·(5 − 4)
    expect(reduceSamples(xs, 'quantile', 0.95)).toBeCloseTo(4.8);
    expect(quantileOf([10], 0.5)).toBe(10);
    expect(quantileOf([1, 2], 0.5)).toBe(1.5);
    expect(quantileOf(xs, 0)).toBe(1);
    expect(quantileOf(xs, 1)).toBe(5);
  });
  it('ignores NaN and has no value for no samples', () => {
    expect(reduceSamples([Number.NaN, 2], 'min')).toBe(2);
    expect(reduceSamples([], 'max')).toBeNull();
  });
});

describe('coverageProblem', () => {
  const steps = (from: number, to: number) =>
    Array.from({ length: (to - from) / 5 + 1 }, (_, i) => from + i * 5);
  it('accepts a full window and one missing step', () => {
    expect(coverageProblem(steps(0, 60), 0, 60, 5)).toBeNull();
    expect(
      coverageProblem(
        steps(0, 60).filter((t) => t !== 30),
        0,
        60,
        5,
      ),
    ).toBeNull();
  });
  it('refuses too few samples and a gap longer than two steps, edges included', () => {
    expect(coverageProblem(steps(0, 25), 0, 60, 5)).toBe(
      'too few samples: 6 of 13 steps (5s) in the window have a value',
    );
    expect(
      coverageProblem(
        steps(0, 120).filter((t) => t < 20 || t > 35),
        0,
        120,
        5,
      ),
    ).toBe('a scrape gap: no value for 20s after 1970-01-01T00:00:15.000Z');
    expect(coverageProblem(steps(15, 120), 0, 120, 5)).toBe(
      'a scrape gap: no value for 15s after 1970-01-01T00:00:00.000Z',
    );
  });
});

describe('counterAt', () => {
  it('interpolates between scrapes and holds after the last one (a killed pod)', () => {
    const at = counterAt(
      [
        [100, 10],
        [105, 20],
        [110, 30],
      ],
      100,
      5,
    );
    expect(at(102.5)).toBe(15);
    expect(at(99)).toBe(10);
    expect(at(200)).toBe(30);
  });
  it('a series born in the range counts from 0 a step before its first sample', () => {
    const at = counterAt(
      [
        [150, 40],
        [155, 50],
      ],
      100,
      5,
    );
    expect(at(140)).toBe(0);
    expect(at(147.5)).toBe(20);
    expect(at(155)).toBe(50);
  });
  it('folds counter resets in', () => {
    const at = counterAt(
      [
        [100, 10],
        [105, 20],
        [110, 5],
        [115, 15],
      ],
      100,
      5,
    );
    expect(at(115) - at(100)).toBe(25);
  });
});

describe('reconcile', () => {
  const opts = { rangeStartS: 0, stepS: 5, statusLabel: 'code', maxUnexplained: 0.01 };
  // Pod a serves 10/s throughout; pod b dies at t=60 (last scrape 55); pod c is born at 65. 503s from a.
  const series = [
    {
      metric: { pod: 'a', code: '200' },
      values: Array.from({ length: 25 }, (_, i) => [i * 5, i * 50] as [number, number]),
    },
    {
      metric: { pod: 'a', code: '503' },
      values: [
        [65, 4],
        [70, 4],
      ] as [number, number][],
    },
    {
      metric: { pod: 'b', code: '200' },
      values: Array.from({ length: 12 }, (_, i) => [i * 5, i * 50] as [number, number]),
    },
    {
      metric: { pod: 'c', code: '200' },
      values: Array.from({ length: 11 }, (_, i) => [65 + i * 5, (i + 1) * 50] as [number, number]),
    },
  ];

  it('counts per window and per code; the gap is explained by connection errors', () => {
    const rows = reconcile(
      series,
      [
        { window: 'baseline', startMs: 0, endMs: 50_000, sent: 1000, connectionErrors: {} },
        {
          window: 'fault',
          startMs: 50_000,
          endMs: 120_000,
          sent: 1450,
          connectionErrors: { 'connection refused': 30 },
        },
        // The same, with its start inside the load: half a scrape of traffic (≈52) is tolerated there.
        {
          window: 'edge',
          startMs: 50_000,
          endMs: 120_000,
          sent: 1350,
          connectionErrors: {},
          interiorEdges: 1,
        },
      ],
      opts,
    );
    expect(rows[0]).toMatchObject({
      window: 'baseline',
      counted: 1000,
      gap: 0,
      unexplained: 0,
      flagged: false,
    });
    // a: 700 + 4 (503), b: 50 (50→55 s), c: 550 (born a step before 65) = 1304... plus none after.
    expect(rows[1]).toMatchObject({
      window: 'fault',
      countedByCode: { '200': 1300, '503': 4 },
      counted: 1304,
      gap: 146,
      connectionErrors: 30,
      unexplained: 116,
      flagged: true,
    });
    expect(rows[1]!.unexplainedShare).toBeCloseTo(116 / 1450);
    // 1 % of 1450 (15), plus pod b's last rate (10/s) over a scrape interval: what it served unseen.
    expect(rows[1]!.tolerance).toBe(65);
    expect(rows[2]).toMatchObject({ unexplained: 46, tolerance: 99, flagged: false });
  });
});

describe('reconcile at the load’s own edges', () => {
  it('takes the scrape on the idle side of the load’s start and end, not an interpolation across it', () => {
    // Idle at 100 until the load starts at 52 s; 10/s until it ends at 78 s: 260 requests.
    const values: [number, number][] = [
      [45, 100],
      [50, 100],
      [55, 130],
      [60, 180],
      [65, 230],
      [70, 280],
      [75, 330],
      [80, 360],
      [85, 360],
    ];
    const [row] = reconcile(
      [{ metric: { code: '200' }, values }],
      [{ window: 'all', startMs: 52_000, endMs: 78_000, sent: 260, connectionErrors: {} }],
      { rangeStartS: 40, stepS: 5, statusLabel: 'code', maxUnexplained: 0.01 },
    );
    // Interpolating would give 348 − 112 = 236.
    expect(row).toMatchObject({ counted: 260, unexplained: 0, flagged: false });
  });
});

describe('selectorOf', () => {
  it('merges the scenario’s matchers with extra ones', () => {
    expect(selectorOf('m', '{}')).toBe('m');
    expect(selectorOf('m', '{a="1"}')).toBe('m{a="1"}');
    expect(selectorOf('m', '{a="1"}', 'code=~"5.."')).toBe('m{a="1",code=~"5.."}');
  });
});

describe('counterAt with the load’s start', () => {
  it('a series born just after the load started counts from the load’s start, not a step before its sample', () => {
    const at = counterAt([[103, 30]], 0, 5, 101);
    expect(at(101)).toBe(0);
    expect(at(102)).toBe(15);
    // Born well after the load started: a step before its first sample, as without an origin.
    const later = counterAt([[150, 40]], 0, 5, 101);
    expect(later(145)).toBe(0);
  });
});
