import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TraceBackendError, type Span, type TraceBackend } from '../../../src/adapters/jaeger.js';
import type { Exemplar } from '../../../src/load/exemplars.js';
import type { WindowSummary } from '../../../src/load/summary.js';
import { traceEvidence, tracesSetup } from '../../../src/run/traces.js';
import type { SloResult } from '../../../src/verdict/result.js';
import { EnvironmentError } from '../../../src/errors.js';
import type { Scenario } from '../../../src/scenario/schema.js';

const LOAD_START = 1_767_268_800_000;
const id = (n: number) => n.toString(16).padStart(32, '0');
const ex = (n: number, cause: Exemplar['cause'], ms = 300): Exemplar => ({
  traceId: id(n),
  cause,
  ms,
  status: cause === 'failed' ? '503' : '200',
  offsetS: 70 + n,
});

function spansOf(startMs: number): Span[] {
  const s = (spanId: string, parentId: string | null, operation: string, from: number, ms: number): Span => ({
    spanId,
    parentId,
    service: 'fraud-scorer',
    operation,
    startUs: (LOAD_START + startMs + from) * 1000,
    durationUs: ms * 1000,
    error: false,
    errorMessage: null,
    attributes: {},
  });
  return [s('a', null, 'POST /score', 0, 306), s('b', 'a', 'feature-store lookup', 2, 302)];
}

/** A backend holding the given trace ids (by number); `down` makes it answer nothing. */
function backend(
  held: number[],
  opts: { down?: boolean; startMs?: number } = {},
): TraceBackend & { asked: string[] } {
  const asked: string[] = [];
  return {
    url: 'http://127.0.0.1:30686',
    asked,
    trace(traceId, within) {
      asked.push(traceId);
      if (opts.down)
        return Promise.reject(
          new TraceBackendError('the trace backend at http://127.0.0.1:30686 did not answer: ECONNREFUSED'),
        );
      const n = parseInt(traceId, 16);
      if (!held.includes(n)) return Promise.resolve(null);
      // As the Jaeger adapter does: only spans starting within the range asked for.
      const spans = spansOf(opts.startMs ?? 70_000).filter(
        (x) => !within || (x.startUs >= within[0] * 1000 && x.startUs <= within[1] * 1000),
      );
      return Promise.resolve(spans.length > 0 ? { spans, raw: { data: [{ traceID: traceId }] } } : null);
    },
  };
}

const slo = (over: Partial<SloResult>): SloResult => ({
  id: 'latency-p95-fault',
  kind: 'latency',
  window: 'fault',
  verdict: 'FAIL',
  measured: 336,
  threshold: '≤ 250 ms',
  evidence: 'p95 = 336 ms over 2400 requests',
  ...over,
});

function window(name: string, slowest: Exemplar[], failed: Exemplar[] = []): WindowSummary {
  return { window: name, exemplars: { slowest, failed } } as unknown as WindowSummary;
}

describe('traceEvidence', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(path.join(tmpdir(), 'chaos-traces-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const run = (b: TraceBackend, slos: SloResult[], windows: WindowSummary[], perSlo = 2) =>
    traceEvidence({
      backend: b,
      perSlo,
      slos,
      windows,
      loadStartMs: LOAD_START,
      reportDir: dir,
    });

  it('explains a failing latency SLO with its window’s slowest traces, and keeps each trace as a file', async () => {
    const b = backend([1, 2, 3]);
    const got = await run(b, [slo({})], [window('fault', [ex(1, 'slow'), ex(2, 'slow'), ex(3, 'slow')])]);
    const s = got.slos[0]!;
    expect(s.verdict).toBe('FAIL');
    expect(s.traces!.exemplars.map((e) => e.traceId)).toEqual([id(1), id(2)]);
    expect(s.evidence).toBe(
      `p95 = 336 ms over 2400 requests; where the time went (2 slowest traced requests): fraud-scorer › feature-store lookup 302 ms of 306 ms (99 %); traces ${id(1)}, ${id(2)}`,
    );
    expect(got.files).toEqual([`triage/trace-${id(1)}.json`, `triage/trace-${id(2)}.json`]);
    expect(JSON.parse(await readFile(path.join(dir, got.files[0]!), 'utf8'))).toEqual({
      data: [{ traceID: id(1) }],
    });
    expect(got.record).toEqual({
      url: 'http://127.0.0.1:30686',
      slos: 1,
      fetched: 2,
      missing: 0,
      problem: null,
    });
  });

  it('takes the next exemplar for a trace the backend lacks, and says which it lacked', async () => {
    const got = await run(
      backend([2, 3]),
      [slo({})],
      [window('fault', [ex(1, 'slow'), ex(2, 'slow'), ex(3, 'slow')])],
    );
    expect(got.slos[0]!.traces).toMatchObject({ missing: [id(1)], problem: null });
    expect(got.slos[0]!.traces!.exemplars.map((e) => e.traceId)).toEqual([id(2), id(3)]);
  });

  it('shows an error SLO its failed requests, and leaves passing SLOs and kinds without a cause alone', async () => {
    const slos = [
      slo({ id: 'error-rate-fault', kind: 'errorRate', evidence: '120 of 2400 failed' }),
      slo({ id: 'latency-p95-all', window: 'all', verdict: 'PASS' }),
      slo({ id: 'restarts', kind: 'restarts', window: 'all', verdict: 'FAIL', evidence: '2 restarts' }),
    ];
    const b = backend([5]);
    const got = await run(b, slos, [
      window('fault', [ex(1, 'slow')], [ex(5, 'failed')]),
      window('all', [ex(1, 'slow')]),
    ]);
    expect(got.slos[0]!.traces).toMatchObject({
      cause: 'failed',
      exemplars: [{ traceId: id(5), status: '503' }],
    });
    expect(got.slos[1]).toEqual(slos[1]);
    expect(got.slos[2]).toEqual(slos[2]);
    expect(b.asked).toEqual([id(5)]);
  });

  it('notes a backend that does not answer without changing any verdict, and asks it once', async () => {
    const slos = [
      slo({}),
      slo({ id: 'error-rate-fault', kind: 'errorRate', evidence: '120 of 2400 failed' }),
    ];
    const b = backend([], { down: true });
    const got = await run(b, slos, [window('fault', [ex(1, 'slow')], [ex(2, 'failed')])]);
    const problem =
      'exemplars could not be fetched: the trace backend at http://127.0.0.1:30686 did not answer: ECONNREFUSED';
    expect(got.slos.map((s) => [s.verdict, s.measured, s.traces!.problem])).toEqual([
      ['FAIL', 336, problem],
      ['FAIL', 336, problem],
    ]);
    expect(got.slos[0]!.evidence).toBe(`p95 = 336 ms over 2400 requests; traces: ${problem}`);
    expect(got.record.problem).toBe(problem);
    expect(b.asked).toHaveLength(1);
    expect(got.files).toEqual([]);
  });

  it('says so when the window has no traced request', async () => {
    const got = await run(backend([]), [slo({})], [window('fault', [])]);
    expect(got.slos[0]!.traces!.problem).toBe('no traced request in the fault window');
  });

  it('leaves out spans of another run that used the same seed (same trace ids, another time)', async () => {
    const got = await run(
      backend([1], { startMs: -3_600_000 }),
      [slo({})],
      [window('fault', [ex(1, 'slow')])],
    );
    expect(got.slos[0]!.traces).toMatchObject({ exemplars: [], missing: [id(1)] });
  });

  it('asks for a trace no sooner than 10 s after its request ended: spans come in batches', async () => {
    // The request ended at t = 71 s; the verdict is ready at 73 s.
    let t = LOAD_START + 73_000;
    const asked: number[] = [];
    const b: TraceBackend = {
      url: 'http://jaeger',
      trace: (traceId) => {
        asked.push(t);
        return Promise.resolve({ spans: spansOf(70_700), raw: { traceId } });
      },
    };
    const got = await traceEvidence({
      backend: b,
      perSlo: 1,
      slos: [slo({})],
      windows: [window('fault', [ex(1, 'slow')])],
      loadStartMs: LOAD_START,
      reportDir: dir,
      now: () => t,
      sleep: (ms) => {
        t += ms;
        return Promise.resolve();
      },
    });
    expect(asked).toEqual([LOAD_START + 81_000]);
    expect(got.slos[0]!.traces!.exemplars).toHaveLength(1);
  });

  it('passes over a trace whose spans cover too little of the request: its entry spans are missing', async () => {
    // Only the feature store's 2 ms made it for a request k6 measured at 5 s.
    const partial: TraceBackend = {
      url: 'http://jaeger',
      trace: (traceId) =>
        Promise.resolve({
          spans: spansOf(70_000)
            .slice(1)
            .map((x) => ({ ...x, parentId: null, durationUs: 2000 })),
          raw: { traceId },
        }),
    };
    const got = await run(partial, [slo({})], [window('fault', [ex(1, 'slow', 5000)])]);
    expect(got.slos[0]!.traces).toMatchObject({ exemplars: [], missing: [id(1)] });
  });
});

describe('tracesSetup', () => {
  const scenario = (traces: unknown) => ({ target: { traces } }) as unknown as Scenario;
  it('needs the token it names', () => {
    expect(() =>
      tracesSetup(scenario({ url: 'http://j', bearerTokenEnv: 'JAEGER_TOKEN', exemplars: 3 }), {}),
    ).toThrow(
      new EnvironmentError('JAEGER_TOKEN (target.traces.bearerTokenEnv) is not set in the environment'),
    );
    const s = tracesSetup(scenario({ url: 'http://j', bearerTokenEnv: 'JAEGER_TOKEN', exemplars: 3 }), {
      JAEGER_TOKEN: 't0k',
    });
    expect(s).toMatchObject({ exemplars: 3, secrets: ['t0k'] });
    expect(tracesSetup(scenario(undefined), {})).toBeNull();
  });
});
