/**
 * The exact merge of several runners' streams (issue #16): whatever way the same requests are split over 2–8
 * runners, the merged windows equal those one ingest of the union computes — counts, errors, extremes, the
 * exact mean, p50/p90/p95/p99 at the histogram's precision and every rate — and both agree with the raw samples.
 * Failing seeds are printed by fast-check; replay with `fc.assert(..., { seed, path })`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { K6Ingest } from '../../../src/load/ingest.js';
import type { LoadSummary, WindowSummary } from '../../../src/load/summary.js';
import { SecondTimeline } from '../../../src/load/timeline.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const WINDOWS = [
  { name: 'baseline', seconds: 4 },
  { name: 'fault', seconds: 4 },
  { name: 'recovery', seconds: 4 },
];

interface Sample {
  /** ms after the common start at which the response ended */
  atMs: number;
  /** latency in µs (what the ingest keeps: k6's ms rounded to µs) */
  us: number;
  status: number;
  /** the window this runner's own clock tagged it with: deliberately wrong sometimes (clock skew) */
  tag: string;
}

function ts(ms: number): string {
  return new Date(T0 + ms).toISOString().replace('Z', '000000Z');
}

function lines(s: Sample): string[] {
  const failed = s.status >= 400 || s.status === 0;
  const tags = { payload: 'normal', status: String(s.status), window: s.tag };
  const at = ts(s.atMs);
  const pt = (metric: string, value: number, t: Record<string, string>): string =>
    JSON.stringify({ metric, type: 'Point', data: { time: at, value, tags: t } });
  return [
    pt('http_reqs', 1, tags),
    pt('http_req_duration', s.us / 1000, tags),
    pt('http_req_failed', failed ? 1 : 0, tags),
    pt('chaos_model_version', 1, { model_version: s.status === 200 ? 'v1' : 'v2', window: s.tag }),
  ];
}

const sample = fc.record({
  atMs: fc.integer({ min: 0, max: 13_000 }),
  // From sub-millisecond to minutes, with a heavy head of typical latencies.
  us: fc.oneof(fc.integer({ min: 1, max: 200_000 }), fc.integer({ min: 1, max: 90_000_000 })),
  status: fc.constantFrom(200, 200, 200, 200, 503, 429, 0),
  tag: fc.constantFrom('baseline', 'fault', 'recovery'),
});

function ingestOf(timeline: SecondTimeline): K6Ingest {
  return new K6Ingest({ windows: WINDOWS, loadStartMs: T0, windowByTime: true, timeline });
}

/** Streams as runners would: each part's lines in its own time order, the parts interleaved by time. */
function feedInterleaved(parts: Sample[][], ingests: K6Ingest[]): void {
  const queues = parts.map((p) => [...p].sort((a, b) => a.atMs - b.atMs));
  const at = queues.map(() => 0);
  for (;;) {
    let best = -1;
    for (let i = 0; i < queues.length; i++) {
      const q = queues[i]!;
      if (at[i]! < q.length && (best < 0 || q[at[i]!]!.atMs < queues[best]![at[best]!]!.atMs)) best = i;
    }
    if (best < 0) break;
    ingests[best]!.write(lines(queues[best]![at[best]!]!).join('\n') + '\n');
    at[best]!++;
  }
  for (const g of ingests) g.end();
}

function win(s: LoadSummary, name: string): WindowSummary {
  const w = s.windows.find((x) => x.window === name);
  if (!w) throw new Error(`no window ${name}`);
  return w;
}

/** The exact order statistic k6 would interpolate, from the raw samples. */
function exactQuantileMs(sorted: number[], q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const a = sorted[lo]!;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)]!;
  return (a + (b - a) * (pos - lo)) / 1000;
}

const splits = fc
  .tuple(fc.array(sample, { minLength: 1, maxLength: 300 }), fc.integer({ min: 2, max: 8 }))
  .chain(([samples, n]) =>
    fc.tuple(
      fc.constant(samples),
      fc.constant(n),
      fc.array(fc.integer({ min: 0, max: n - 1 }), { minLength: samples.length, maxLength: samples.length }),
    ),
  );

describe('merging runners exactly', () => {
  it('equals the union, for any split of the same samples over 2–8 runners (1,000 cases)', () => {
    fc.assert(
      fc.property(splits, ([samples, n, owner]) => {
        const parts: Sample[][] = Array.from({ length: n }, () => []);
        samples.forEach((s, i) => parts[owner[i]!]!.push(s));
        const shared = new SecondTimeline(86_400);
        const ingests = parts.map(() => ingestOf(shared));
        feedInterleaved(parts, ingests);
        const merged = K6Ingest.merged(ingests);
        const union = ingestOf(new SecondTimeline(86_400));
        feedInterleaved([samples], [union]);
        const whole = union.summary();

        expect(merged.windows.map((w) => w.window)).toEqual(whole.windows.map((w) => w.window));
        for (const w of whole.windows) expect(win(merged, w.window)).toEqual(w);
        expect(merged.timeline).toEqual(whole.timeline);
        expect(merged.loadStartMs).toBe(T0);
        expect(merged.durationS).toBe(whole.durationS);

        // Against the raw samples, independently of any histogram: windows cut by timestamp, not by tag.
        const bounds: Record<string, [number, number]> = {
          baseline: [0, 4000],
          fault: [4000, 8000],
          recovery: [8000, Infinity],
          all: [-Infinity, Infinity],
        };
        for (const [name, [a, b]] of Object.entries(bounds)) {
          const inW = samples.filter((s) => s.atMs >= a && s.atMs < b);
          const m = win(merged, name);
          expect(m.requests).toBe(inW.length);
          expect(m.failed).toBe(inW.filter((s) => s.status >= 400 || s.status === 0).length);
          expect(m.errorRate).toBe(inW.length > 0 ? m.failed / inW.length : 0);
          if (inW.length === 0) {
            expect(m.p95Ms).toBeNull();
            continue;
          }
          const us = inW.map((s) => s.us).sort((x, y) => x - y);
          expect(m.minMs).toBe(us[0]! / 1000);
          expect(m.maxMs).toBe(us[us.length - 1]! / 1000);
          expect(m.meanMs).toBe(Math.round((us.reduce((x, y) => x + y, 0) / us.length / 1000) * 1000) / 1000);
          for (const [q, got] of [
            [0.5, m.p50Ms],
            [0.9, m.p90Ms],
            [0.95, m.p95Ms],
            [0.99, m.p99Ms],
          ] as const) {
            const exact = exactQuantileMs(us, q);
            // Three significant digits: a bucket spans at most 1/1024 of its value; round3 adds half a µs.
            expect(Math.abs(got! - exact)).toBeLessThanOrEqual(exact / 1024 + 0.0005 + 1e-9);
          }
        }
      }),
      { numRuns: 1000 },
    );
  }, 120_000);

  it('refuses to merge ingests that keep separate timelines', () => {
    const a = ingestOf(new SecondTimeline(60));
    const b = ingestOf(new SecondTimeline(60));
    expect(() => K6Ingest.merged([a, b])).toThrow(/share a timeline/);
  });
});
