import { describe, expect, it } from 'vitest';
import { OTHER_KEY } from '../../../src/load/counts.js';
import { K6Ingest, ingestAll } from '../../../src/load/ingest.js';
import {
  toTimeline,
  toWindowStats,
  type LoadSummary,
  type WindowSummary,
} from '../../../src/load/summary.js';
import { formatWindows, parseWindows } from '../../../src/load/windows.js';
import { InvalidInputError } from '../../../src/errors.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const WINDOWS = [
  { name: 'baseline', seconds: 10 },
  { name: 'fault', seconds: 10 },
  { name: 'recovery', seconds: 10 },
];

/** k6 1.8 style timestamp: RFC 3339 in UTC with nanoseconds. */
function ts(offsetS: number): string {
  return new Date(T0 + offsetS * 1000).toISOString().replace('Z', '000000Z');
}

function point(metric: string, offsetS: number, value: number, tags: Record<string, string>): string {
  return JSON.stringify({ metric, type: 'Point', data: { time: ts(offsetS), value, tags } });
}

function metricDecl(name: string, type: string): string {
  return JSON.stringify({
    type: 'Metric',
    data: { name, type, contains: 'default', thresholds: [], submetrics: null },
    metric: name,
  });
}

interface Req {
  /** when the response ended, seconds after T0 */
  at: number;
  ms?: number;
  status?: number;
  window?: string | null;
  payload?: 'normal' | 'oversize';
  failed?: boolean;
  version?: string;
  /** k6's error_code tag (e.g. 1202 connection refused) */
  errorCode?: number;
}

/** The lines k6 writes for one iteration of k6/score.ts. */
function request(r: Req): string[] {
  const status = String(r.status ?? 200);
  const payload = r.payload ?? 'normal';
  const failed = r.failed ?? !(status.startsWith('2') || status.startsWith('3'));
  const tags: Record<string, string> = {
    expected_response: String(!failed),
    method: 'POST',
    payload,
    scenario: 'score',
    status,
  };
  if (r.window !== null) tags.window = r.window ?? 'baseline';
  if (r.errorCode !== undefined) tags.error_code = String(r.errorCode);
  const vtags: Record<string, string> = { model_version: r.version ?? 'none', scenario: 'score' };
  if (r.window !== null) vtags.window = r.window ?? 'baseline';
  const ms = r.ms ?? 10;
  return [
    point('http_reqs', r.at, 1, tags),
    point('http_req_duration', r.at, ms, tags),
    point('http_req_blocked', r.at, 0.01, tags),
    point('http_req_waiting', r.at, ms - 0.1, tags),
    point('http_req_failed', r.at, failed ? 1 : 0, tags),
    point('chaos_model_version', r.at, 1, vtags),
    point('iterations', r.at, 1, { scenario: 'score' }),
    point('iteration_duration', r.at, ms + 0.5, { scenario: 'score' }),
  ];
}

function ndjson(reqs: Req[], extra: string[] = []): string {
  const lines = [metricDecl('http_reqs', 'counter'), metricDecl('http_req_duration', 'trend'), ...extra];
  for (const r of reqs) lines.push(...request(r));
  return lines.join('\n') + '\n';
}

function win(s: LoadSummary, name: string): WindowSummary {
  const w = s.windows.find((x) => x.window === name);
  if (!w) throw new Error(`no window ${name}`);
  return w;
}

/** One request every 100 ms for 30 s; `fault` window returns 503 for 50 % of requests. */
function standardRun(): Req[] {
  const reqs: Req[] = [];
  for (let i = 0; i < 300; i++) {
    const at = 0.05 + i * 0.1;
    const window = at < 10 ? 'baseline' : at < 20 ? 'fault' : 'recovery';
    const fail = window === 'fault' && i % 2 === 0;
    reqs.push({
      at,
      ms: 5 + (i % 10),
      window,
      status: fail ? 503 : 200,
      version: fail ? 'none' : i < 200 ? 'v1' : 'v2',
    });
  }
  return reqs;
}

describe('K6Ingest windows', () => {
  it('assigns requests to windows by tag and aggregates all', () => {
    const s = ingestAll(ndjson(standardRun()), { windows: WINDOWS });
    expect(s.windows.map((w) => w.window)).toEqual(['baseline', 'fault', 'recovery', 'all']);
    const baseline = win(s, 'baseline');
    const fault = win(s, 'fault');
    const recovery = win(s, 'recovery');
    const all = win(s, 'all');
    expect([baseline.requests, fault.requests, recovery.requests, all.requests]).toEqual([
      100, 100, 100, 300,
    ]);
    expect(baseline.failed).toBe(0);
    expect(fault.failed).toBe(50);
    expect(fault.errorRate).toBeCloseTo(0.5);
    expect(all.errorRate).toBeCloseTo(50 / 300);
    expect(fault.statusCounts).toEqual({ '200': 50, '503': 50 });
    expect(all.statusCounts).toEqual({ '200': 250, '503': 50 });
    expect(baseline.modelVersions).toEqual({ v1: 100 });
    expect(recovery.modelVersions).toEqual({ v2: 100 });
    expect(fault.modelVersions).toEqual({ none: 50, v1: 50 });
    expect([baseline.startOffsetS, baseline.endOffsetS, fault.startOffsetS, fault.endOffsetS]).toEqual([
      0, 10, 10, 20,
    ]);
    expect(baseline.rps).toBeCloseTo(10, 5);
  });

  it('measures offsets from the first request start and reports it once', () => {
    const starts: number[] = [];
    const ingest = new K6Ingest({ windows: WINDOWS, onLoadStart: (ms) => starts.push(ms) });
    ingest.write(ndjson([{ at: 1, ms: 250 }, { at: 2 }]));
    ingest.end();
    expect(starts).toHaveLength(1);
    expect(starts[0]).toBeCloseTo(T0 + 750, 3);
    expect(ingest.loadStartMs).toBeCloseTo(T0 + 750, 3);
    expect(ingest.summary().durationS).toBeCloseTo(1.25, 3);
  });

  it('puts untagged points into configured windows by time and the tail into the last window', () => {
    const reqs: Req[] = [0.5, 5, 12, 25, 33].map((at) => ({ at, window: null }));
    const s = ingestAll(ndjson(reqs), { windows: WINDOWS });
    // offsets are from the first request's start (0.5 s - 10 ms)
    expect(win(s, 'baseline').requests).toBe(2);
    expect(win(s, 'fault').requests).toBe(1);
    expect(win(s, 'recovery').requests).toBe(2);
    expect(win(s, 'recovery').endOffsetS).toBeCloseTo(32.51, 2);
    expect(win(s, 'recovery').modelVersions).toEqual({ none: 2 });
  });

  it('keeps windows the script tagged but the harness did not configure', () => {
    const s = ingestAll(
      ndjson([
        { at: 1, window: 'soak' },
        { at: 3, window: 'soak' },
      ]),
      { windows: WINDOWS },
    );
    const soak = win(s, 'soak');
    expect(soak.requests).toBe(2);
    expect(soak.endOffsetS - soak.startOffsetS).toBeCloseTo(2, 3);
    expect(toWindowStats(s).map((w) => w.window)).toEqual(['baseline', 'fault', 'recovery', 'all']);
  });
});

describe('K6Ingest chunking', () => {
  it('gives identical results however the stream is split, including inside UTF-8 sequences', () => {
    const reqs = standardRun().map((r, i) => ({
      ...r,
      version: i % 3 === 0 ? 'modèle-β' : (r.version ?? 'none'),
    }));
    const bytes = Buffer.from(ndjson(reqs), 'utf8');
    const whole = ingestAll(bytes, { windows: WINDOWS });
    expect(whole.windows.at(-1)?.modelVersions['modèle-β']).toBe(100);
    let seed = 7;
    for (const maxChunk of [1, 2, 3, 17, 256, 4096]) {
      const ingest = new K6Ingest({ windows: WINDOWS });
      for (let pos = 0; pos < bytes.length;) {
        seed = (seed * 48271) % 2147483647;
        const n = 1 + (seed % maxChunk);
        ingest.write(bytes.subarray(pos, pos + n));
        pos += n;
      }
      ingest.end();
      expect(ingest.summary()).toEqual(whole);
    }
  });

  it('accepts a last line without newline, CRLF line ends and string chunks', () => {
    const text = ndjson([{ at: 1 }, { at: 2, status: 500 }])
      .trimEnd()
      .replace(/\n/g, '\r\n');
    const ingest = new K6Ingest();
    ingest.write(text.slice(0, 100));
    ingest.write(text.slice(100));
    const before = ingest.summary().counters.lines;
    ingest.end();
    expect(ingest.summary().counters.lines).toBe(before + 1);
    const all = ingest.summary().windows.at(-1)!;
    expect([all.requests, all.failed]).toEqual([2, 1]);
    expect(ingest.summary().counters.malformedLines).toBe(0);
  });

  it('counts malformed lines without throwing and parses other field orders', () => {
    const reordered = JSON.stringify({
      type: 'Point',
      data: { time: ts(2), value: 42, tags: { status: '200', window: 'baseline', payload: 'normal' } },
      metric: 'http_req_duration',
    });
    const text = [
      'garbage',
      '{"metric":"http_req_duration","type":"Point","data":{',
      '',
      reordered,
      ...request({ at: 1 }),
    ].join('\n');
    const s = ingestAll(text, { windows: WINDOWS });
    expect(s.counters.malformedLines).toBe(2);
    expect(win(s, 'baseline').requests).toBe(2);
    expect(win(s, 'baseline').maxMs).toBe(42);
  });

  it('handles k6 timestamps with a zone offset and without a fraction', () => {
    const tags = { status: '200', window: 'baseline', payload: 'normal' };
    const lines = [
      JSON.stringify({
        metric: 'http_req_duration',
        type: 'Point',
        data: { time: '2026-01-01T12:00:00Z', value: 0, tags },
      }),
      JSON.stringify({
        metric: 'http_req_duration',
        type: 'Point',
        data: { time: '2026-01-01T14:00:03.5+02:00', value: 1, tags },
      }),
    ];
    const s = ingestAll(lines.join('\n'));
    expect(s.durationS).toBeCloseTo(3.5, 6);
  });
});

describe('K6Ingest statuses and payloads', () => {
  it('counts expected 413s of oversize batches as statuses, not failures', () => {
    const reqs: Req[] = [];
    for (let i = 0; i < 20; i++) {
      const oversize = i % 5 === 4;
      reqs.push({
        at: 1 + i * 0.1,
        payload: oversize ? 'oversize' : 'normal',
        status: oversize ? 413 : 200,
        failed: false,
      });
    }
    reqs.push({ at: 3.5, payload: 'oversize', status: 200, failed: true });
    const s = ingestAll(ndjson(reqs), { windows: WINDOWS });
    const b = win(s, 'baseline');
    expect(b.requests).toBe(21);
    expect(b.failed).toBe(1);
    expect(b.successes).toBe(16);
    expect(b.statusCounts).toEqual({ '200': 17, '413': 4 });
    expect(b.statusByPayload).toEqual({ normal: { '200': 16 }, oversize: { '200': 1, '413': 4 } });
  });
});

describe('K6Ingest bounds', () => {
  it('pools tag values beyond a cap so a server echoing ids cannot grow memory per request', () => {
    const reqs: Req[] = [];
    for (let i = 0; i < 300; i++)
      reqs.push({ at: 1 + i * 0.01, version: `req-${i}`, window: i < 150 ? 'baseline' : `w${i}` });
    const s = ingestAll(ndjson(reqs), { windows: WINDOWS });
    const versions = win(s, 'all').modelVersions;
    expect(Object.keys(versions)).toHaveLength(201);
    expect(versions[OTHER_KEY]).toBe(100);
    expect(s.windows).toHaveLength(3 + 16 + 1);
    expect(win(s, 'all').requests).toBe(300);
  });
});

describe('K6Ingest availability gaps', () => {
  it('finds the longest stretch without a success, clipped to each window', () => {
    const reqs: Req[] = [];
    // successes every 0.25 s, except an outage from 8 s to 14.5 s (failures keep coming) and a lone 413 in it
    for (let at = 0.25; at < 30; at += 0.25) {
      const down = at > 8 && at < 14.5;
      reqs.push({
        at,
        window: at < 10 ? 'baseline' : at < 20 ? 'fault' : 'recovery',
        status: down ? 503 : 200,
      });
    }
    reqs.push({ at: 11, window: 'fault', payload: 'oversize', status: 413, failed: false });
    const s = ingestAll(ndjson(reqs), { windows: WINDOWS });
    const t0 = 0.25 - 0.01;
    const all = win(s, 'all').longestGap!;
    expect(all.startS).toBeCloseTo(8 - t0, 3);
    expect(all.endS).toBeCloseTo(14.5 - t0, 3);
    expect(all.seconds).toBeCloseTo(6.5, 3);
    expect(win(s, 'baseline').longestGap!.seconds).toBeCloseTo(10 - (8 - t0), 3);
    expect(win(s, 'fault').longestGap!.seconds).toBeCloseTo(14.5 - t0 - 10, 3);
    expect(win(s, 'recovery').longestGap!.seconds).toBeLessThan(0.5);
  });

  it('counts a window without any success as one gap of its whole length', () => {
    const reqs: Req[] = [{ at: 0.01, ms: 10 }];
    for (let at = 10.5; at < 20; at += 1) reqs.push({ at, window: 'fault', status: 0 });
    reqs.push({ at: 25, window: 'recovery' });
    const s = ingestAll(ndjson(reqs), { windows: WINDOWS });
    expect(win(s, 'fault').longestGap).toEqual({ startS: 10, endS: 20, seconds: 10 });
    expect(win(s, 'fault').statusCounts).toEqual({ '0': 10 });
    expect(win(s, 'all').longestGap!.seconds).toBeCloseTo(24.99, 3);
  });

  it('counts requests without a response by k6 error code, per window', () => {
    const reqs: Req[] = [{ at: 0.5 }];
    for (let at = 10.5; at < 14; at += 1) reqs.push({ at, window: 'fault', status: 0, errorCode: 1202 });
    reqs.push(
      { at: 15, window: 'fault', status: 0, errorCode: 1210 },
      { at: 16, window: 'fault', status: 503 },
    );
    const s = ingestAll(ndjson(reqs), { windows: WINDOWS });
    expect(win(s, 'fault').connectionErrors).toEqual({ '1202': 4, '1210': 1 });
    expect(win(s, 'baseline').connectionErrors).toEqual({});
    expect(win(s, 'all').connectionErrors).toEqual({ '1202': 4, '1210': 1 });
  });

  it('is independent of line order', () => {
    const reqs = standardRun();
    const a = ingestAll(ndjson(reqs), { windows: WINDOWS });
    const shuffled = [reqs[0]!, ...reqs.slice(1).reverse()];
    const b = ingestAll(ndjson(shuffled), { windows: WINDOWS });
    for (const name of ['baseline', 'fault', 'recovery', 'all']) {
      expect(win(b, name).longestGap).toEqual(win(a, name).longestGap);
      expect(win(b, name).requests).toBe(win(a, name).requests);
    }
  });
});

describe('K6Ingest latency', () => {
  it('interpolates percentiles like k6 does', () => {
    const reqs: Req[] = [];
    for (let i = 1; i <= 100; i++) reqs.push({ at: 1 + i * 0.01, ms: i });
    const b = win(ingestAll(ndjson(reqs), { windows: WINDOWS }), 'baseline');
    // k6: sorted[q·(n−1)] with linear interpolation
    expect(b.p50Ms).toBeCloseTo(50.5, 1);
    expect(b.p90Ms).toBeCloseTo(90.1, 1);
    expect(b.p95Ms).toBeCloseTo(95.05, 1);
    expect(b.p99Ms).toBeCloseTo(99.01, 1);
    expect(b.maxMs).toBe(100);
    expect(b.minMs).toBe(1);
  });

  it('builds a per-second timeline with requests, errors and percentiles', () => {
    const s = ingestAll(ndjson(standardRun()), { windows: WINDOWS });
    expect(s.timeline).toHaveLength(30);
    expect(s.timeline.reduce((n, p) => n + p.requests, 0)).toBe(300);
    expect(s.timeline.reduce((n, p) => n + p.errors, 0)).toBe(50);
    const p = s.timeline[3]!;
    expect(p.t).toBe(3);
    expect(p.requests).toBe(10);
    expect(p.p50Ms).toBeGreaterThanOrEqual(5);
    expect(p.p99Ms).toBeLessThanOrEqual(14.2);
    const tl = toTimeline(s);
    expect(tl[0]).toMatchObject({ t: 0, readyPods: null });
    expect(s.timeline[15]!.errors).toBe(5);
  });

  it('still counts latencies that arrive after their second was closed', () => {
    const early = request({ at: 1, ms: 7 });
    const lines = [...request({ at: 0.5 }), ...request({ at: 30 }), ...early];
    const s = ingestAll(lines.join('\n'));
    expect(s.counters.lateTimelineSamples).toBe(1);
    expect(s.timeline[0]!.requests).toBe(2);
    expect(win(s, 'all').requests).toBe(3);
  });

  it('caps the timeline but not the windows', () => {
    const s = ingestAll(ndjson([{ at: 1 }, { at: 5 }, { at: 50 }]), { maxTimelineSeconds: 10 });
    expect(s.counters.timelineTruncated).toBe(true);
    expect(s.timeline).toHaveLength(5);
    expect(win(s, 'all').requests).toBe(3);
  });

  it('reports live progress over the last seconds before now', () => {
    const ingest = new K6Ingest({ windows: WINDOWS });
    expect(ingest.live()).toMatchObject({ requests: 0, rps: 0, p95Ms: null, idleS: 0 });
    ingest.write(ndjson(standardRun().slice(0, 120)));
    const t0 = ingest.summary().loadStartMs!;
    const live = ingest.live(t0 + 12_500);
    expect(live.requests).toBe(120);
    expect(live.rps).toBeCloseTo(10, 5);
    expect(live.failed).toBe(10);
    expect(live.p95Ms).toBeGreaterThan(10);
    expect(live.idleS).toBe(0);
  });

  it('says the load stopped instead of repeating its last figures', () => {
    const ingest = new K6Ingest({ windows: WINDOWS });
    ingest.write(ndjson(standardRun().slice(0, 120)));
    const last = T0 + 11.95 * 1000;
    const live = ingest.live(last + 7_000);
    expect(live.idleS).toBe(7);
    expect(live.rps).toBe(0);
    expect(live.p95Ms).toBeNull();
    expect(live.requests).toBe(120);
  });
});

describe('recent(): the sliding window stop conditions read', () => {
  /** 10 req/s for 40 s: 10 ms, then from second 20 on, 300 ms with one request in four failing. */
  function degrading(): Req[] {
    const reqs: Req[] = [];
    for (let i = 0; i < 400; i++) {
      const at = i / 10 + 0.05;
      const bad = at >= 20;
      reqs.push({ at, ms: bad ? 300 : 10, status: bad && i % 4 === 0 ? 503 : 200, window: 'fault' });
    }
    return reqs;
  }

  it('counts the complete seconds before now, and merges their latencies exactly, beyond the reorder span', () => {
    const ingest = new K6Ingest({ windows: WINDOWS, recentSeconds: 30 });
    expect(ingest.recent(5)).toBeNull();
    ingest.write(ndjson(degrading()));
    const t0 = ingest.summary().loadStartMs!;
    // At 20.5 s: seconds 14–18 complete (19 is not: k6 may still be writing it). All fast, no failure.
    expect(ingest.recent(5, t0 + 20_500)).toMatchObject({ seconds: 5, requests: 50, failed: 0 });
    expect(ingest.recent(5, t0 + 20_500)!.p95Ms).toBeLessThan(11);
    // At 30.5 s: seconds 24–28, all slow and a quarter failing.
    const bad = ingest.recent(5, t0 + 30_500)!;
    expect(bad).toMatchObject({ seconds: 5, requests: 50, failed: 13 });
    expect(bad.p95Ms).toBeGreaterThan(290);
    // A 30 s look-back from 39.5 s spans 8–37: 12 fast seconds, 18 slow ones; the p95 is the slow one, merged.
    const wide = ingest.recent(30, t0 + 39_500)!;
    expect(wide).toMatchObject({ seconds: 30, requests: 300 });
    expect(wide.p95Ms).toBeGreaterThan(290);
    // Early in the run the window is short: the caller sees how many seconds it holds.
    const early = new K6Ingest({ windows: WINDOWS });
    early.write(ndjson(degrading().slice(0, 45)));
    expect(early.recent(10, t0 + 4_200)).toMatchObject({ seconds: 3, requests: 30 });
  });
});

describe('dropped iterations', () => {
  const dropped = (at: number, n = 1) => point('dropped_iterations', at, n, { scenario: 'score' });

  it('are counted in the window of their time, and not before the load started', () => {
    const reqs = standardRun();
    const s = ingestAll(ndjson(reqs, []) + [dropped(12), dropped(15, 2), dropped(25)].join('\n') + '\n', {
      windows: WINDOWS,
    });
    expect(win(s, 'baseline').dropped).toBe(0);
    expect(win(s, 'fault').dropped).toBe(3);
    expect(win(s, 'recovery').dropped).toBe(1);
    expect(win(s, 'all').dropped).toBe(4);
  });

  it("before any request are the first window's", () => {
    const s = ingestAll(`${dropped(0.01, 5)}\n` + ndjson([{ at: 1 }]), { windows: WINDOWS });
    expect(win(s, 'baseline').dropped).toBe(5);
    expect(win(s, 'all').dropped).toBe(5);
    expect(win(s, 'all').requests).toBe(1);
  });
});

describe('result conversion', () => {
  it('maps to WindowStats', () => {
    const ws = toWindowStats(ingestAll(ndjson(standardRun()), { windows: WINDOWS }));
    expect(ws).toHaveLength(4);
    expect(Object.keys(ws[0]!).sort()).toEqual(
      [
        'endOffsetS',
        'errorRate',
        'failed',
        'maxMs',
        'p50Ms',
        'p90Ms',
        'p95Ms',
        'p99Ms',
        'requests',
        'rps',
        'startOffsetS',
        'statusCounts',
        'window',
      ].sort(),
    );
  });

  it('gives empty windows null latencies', () => {
    const s = ingestAll('', { windows: WINDOWS });
    expect(s.loadStartMs).toBeNull();
    expect(win(s, 'fault')).toMatchObject({
      requests: 0,
      p95Ms: null,
      maxMs: null,
      errorRate: 0,
      longestGap: null,
    });
    expect(s.timeline).toEqual([]);
  });
});

describe('windows spec', () => {
  it('round-trips', () => {
    expect(parseWindows('baseline:30, fault:60,recovery:30.5')).toEqual([
      { name: 'baseline', seconds: 30 },
      { name: 'fault', seconds: 60 },
      { name: 'recovery', seconds: 30.5 },
    ]);
    expect(formatWindows(WINDOWS)).toBe('baseline:10,fault:10,recovery:10');
  });

  it('rejects bad specs with every problem listed', () => {
    expect(() => parseWindows('baseline:0,all:3,x')).toThrow(InvalidInputError);
    try {
      parseWindows('baseline:0,all:3,x,baseline:2');
    } catch (e) {
      expect((e as InvalidInputError).lines).toHaveLength(4);
    }
  });
});

describe('K6Ingest: the model’s answers', () => {
  const answer = (at: number, window: string, score: number | null, tags: Record<string, string> = {}) =>
    score === null
      ? point('chaos_prediction_class', at, 1, { window, ...tags })
      : point('chaos_prediction_score', at, score, { window, ...tags });

  it('keeps scores on the grid, classes, golden rows and missing answers per window', () => {
    const lines = [
      ...request({ at: 1, window: 'baseline' }),
      answer(1, 'baseline', 0.12, { class: 'legit', golden: '3' }),
      answer(1.5, 'baseline', 0.12, { class: 'legit', golden: '3' }),
      answer(2, 'baseline', 0.91, { class: 'fraud' }),
      answer(12, 'fault', null, { class: 'fraud', golden: '3' }),
      point('chaos_prediction_missing', 13, 1, { window: 'fault', reason: 'path_not_found' }),
    ];
    const s = ingestAll(lines.join('\n'), { windows: WINDOWS });
    const base = s.windows.find((w) => w.window === 'baseline')!.answers;
    const fault = s.windows.find((w) => w.window === 'fault')!.answers;
    const all = s.windows.find((w) => w.window === 'all')!.answers;
    expect(base).toMatchObject({
      answers: 3,
      scored: 3,
      classes: { fraud: 1, legit: 2 },
      golden: { '3': { '0.12|legit': 2 } },
      missing: {},
    });
    expect(base.scoreCells[120]).toBe(2);
    expect(base.scoreCells[910]).toBe(1);
    expect(fault).toMatchObject({
      answers: 1,
      scored: 0,
      golden: { '3': { '|fraud': 1 } },
      missing: { path_not_found: 1 },
    });
    expect(all.answers).toBe(4);
  });

  it('puts an untagged answer (a custom script) in the window its time falls in', () => {
    const lines = [...request({ at: 1, window: null }), point('chaos_prediction_score', 25, 0.5, {})];
    const s = ingestAll(lines.join('\n'), { windows: WINDOWS });
    expect(s.windows.find((w) => w.window === 'recovery')!.answers.answers).toBe(1);
  });

  it('divides the configured score range', () => {
    const lines = [...request({ at: 1 }), answer(1, 'baseline', 75, {})];
    const s = ingestAll(lines.join('\n'), { windows: WINDOWS, scoreRange: [50, 100] });
    expect(s.windows[0]!.answers.scoreCells[500]).toBe(1);
  });
});

describe('K6Ingest: trace exemplars', () => {
  const id = (n: number) => n.toString(16).padStart(32, 'a');
  const trace = (
    at: number,
    ms: number,
    window: string,
    cause: 'slow' | 'failed',
    n: number,
    status = '200',
  ) => point('chaos_trace', at, ms, { window, trace_id: id(n), cause, status });

  it('keeps the slowest and the first failed traced requests of each window, bounded', () => {
    const lines = [...request({ at: 1 })];
    // 20 slow candidates in the fault window: only the 8 slowest stay, slowest first.
    for (let i = 0; i < 20; i++) lines.push(trace(11 + i * 0.1, 100 + i, 'fault', 'slow', i));
    for (let i = 0; i < 12; i++) lines.push(trace(12 + i * 0.1, 5, 'fault', 'failed', 100 + i, '503'));
    lines.push(trace(2, 40, 'baseline', 'slow', 200));
    const s = ingestAll(lines.join('\n'), { windows: WINDOWS });
    const fault = s.windows.find((w) => w.window === 'fault')!.exemplars;
    expect(fault.slowest.map((e) => e.ms)).toEqual([119, 118, 117, 116, 115, 114, 113, 112]);
    expect(fault.failed.map((e) => e.traceId)).toEqual([100, 101, 102, 103, 104, 105, 106, 107].map(id));
    // Offsets count from the first request's start (t=1 s less its duration).
    expect(fault.failed[0]).toMatchObject({ status: '503', cause: 'failed', offsetS: 11.01 });
    expect(s.windows.find((w) => w.window === 'baseline')!.exemplars.slowest.map((e) => e.traceId)).toEqual([
      id(200),
    ]);
    expect(s.windows.find((w) => w.window === 'all')!.exemplars.slowest[0]!.ms).toBe(119);
  });

  it('ignores a trace id that is not 32 hex digits', () => {
    const lines = [
      ...request({ at: 1 }),
      point('chaos_trace', 2, 50, { window: 'baseline', trace_id: 'x', cause: 'slow' }),
    ];
    expect(ingestAll(lines.join('\n'), { windows: WINDOWS }).windows[0]!.exemplars.slowest).toEqual([]);
  });
});
