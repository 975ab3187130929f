/**
 * The real k6 against a real node:http server on 127.0.0.1. Each k6 run is a few seconds at 50 req/s.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findK6, runK6 } from '../../../src/load/k6.js';
import type { RunK6Options } from '../../../src/load/k6.js';
import { ingestAll } from '../../../src/load/ingest.js';
import type { LoadSummary, WindowSummary } from '../../../src/load/summary.js';

// No skip when k6 is missing: a green suite that never ran k6 would hide exactly what it exists to catch.
// `npm run testbed:up` (or testbed/build-tools.sh k6) builds it.
const k6 = findK6();

const BODY_LIMIT = 16 * 1024;

interface Behaviour {
  /** Every Nth normal request answers 500. */
  failEvery: number;
  /** Normal requests answer 503 while this many seconds since the first request: [from, to). */
  outage: [number, number] | null;
}

/** Scoring stand-in: 413 above BODY_LIMIT, a smooth latency spread with a slow tail, injectable errors. */
class FakeModel {
  behaviour: Behaviour = { failEvery: 0, outage: null };
  private server: Server | undefined;
  private firstAt = 0;
  private n = 0;
  private seed = 42;
  url = '';
  authHeaders = new Set<string>();
  /** The first few normal bodies, to check what the script sends. */
  bodies: string[] = [];
  /** Every request's traceparent header. */
  traceparents: string[] = [];

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/score`;
  }

  reset(b: Behaviour): void {
    this.behaviour = b;
    this.firstAt = 0;
    this.n = 0;
    this.authHeaders.clear();
    this.bodies = [];
    this.traceparents = [];
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private random(): number {
    this.seed = (Math.imul(this.seed, 1103515245) + 12345) >>> 0;
    return this.seed / 4294967296;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    let size = 0;
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= BODY_LIMIT) parts.push(c);
    });
    req.on('end', () => {
      const now = Date.now();
      if (this.firstAt === 0) this.firstAt = now;
      this.authHeaders.add(req.headers.authorization ?? '');
      if (typeof req.headers.traceparent === 'string') this.traceparents.push(req.headers.traceparent);
      if (size > BODY_LIMIT) {
        res.writeHead(413).end();
        return;
      }
      if (this.bodies.length < 5) this.bodies.push(Buffer.concat(parts).toString('utf8'));
      const i = ++this.n;
      const { failEvery, outage } = this.behaviour;
      const sinceS = (now - this.firstAt) / 1000;
      const status =
        outage && sinceS >= outage[0] && sinceS < outage[1]
          ? 503
          : failEvery > 0 && i % failEvery === 0
            ? 500
            : 200;
      // 90 % fast (2-12 ms), 10 % slow (60-140 ms): p95 and p99 fall inside the slow spread, not on an edge.
      const delay = this.random() < 0.1 ? 60 + this.random() * 80 : 2 + this.random() * 10;
      setTimeout(() => {
        res.writeHead(status, {
          'Content-Type': 'application/json',
          'X-Model-Version': status === 200 ? 'fraud-v3' : 'x',
        });
        res.end('{"score":0.5}');
      }, delay);
    });
  }
}

function win(s: LoadSummary, name: string): WindowSummary {
  const w = s.windows.find((x) => x.window === name);
  if (!w) throw new Error(`no window ${name}`);
  return w;
}

function within(actual: number | null | undefined, expected: number | undefined, rel: number): void {
  expect(actual).toBeTypeOf('number');
  expect(expected).toBeTypeOf('number');
  expect(Math.abs(actual! - expected!) / expected!).toBeLessThanOrEqual(rel);
}

describe('runK6 with the real k6', () => {
  const model = new FakeModel();
  const dirs: string[] = [];
  const outDir = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'chaos-k6-it-'));
    dirs.push(d);
    return d;
  };
  const base = (): Omit<RunK6Options, 'windows' | 'outDir'> => ({
    targetUrl: model.url,
    k6Bin: k6,
    scenario: {
      executor: 'constant-arrival-rate',
      rate: 50,
      timeUnit: '1s',
      preAllocatedVUs: 20,
      maxVUs: 40,
    },
    oversizeEvery: 10,
    oversizeRows: 1000,
    endpointKey: 'test-secret-key',
  });

  beforeAll(() => model.start());
  afterAll(async () => {
    await model.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('matches k6 end-of-test summary and counts 413s of oversize batches as expected', async () => {
    model.reset({ failEvery: 10, outage: null });
    const dir = outDir();
    let startedCb: Date | undefined;
    const run = runK6({
      ...base(),
      windows: [{ name: 'baseline', seconds: 5 }],
      outDir: dir,
      onLoadStart: (d) => (startedCb = d),
    });
    const started = await run.loadStarted;
    expect(started).toBeInstanceOf(Date);
    expect(Math.abs(started!.getTime() - Date.now())).toBeLessThan(5_000);
    const r = await run.result;
    expect(startedCb).toEqual(started);
    expect(r).toMatchObject({
      exitCode: 0,
      failure: null,
      isCanceled: false,
      timedOut: false,
      thresholdsCrossed: false,
    });

    const all = win(r.summary, 'all');
    const k = r.k6Summary!.metrics;
    expect(all.requests).toBe(k.http_reqs!.count);
    expect(all.requests).toBeGreaterThanOrEqual(240);
    expect(all.failed).toBe(k.http_req_failed!.passes);
    within(all.errorRate, k.http_req_failed!.value, 0.01);
    within(all.p95Ms, k.http_req_duration!['p(95)'], 0.01);
    within(all.p99Ms, k.http_req_duration!['p(99)'], 0.01);
    within(all.p90Ms, k.http_req_duration!['p(90)'], 0.01);
    within(all.p50Ms, k.http_req_duration!.med, 0.01);
    within(all.maxMs, k.http_req_duration!.max, 0.001);

    // (c) every oversize batch got its 413, and none of them counts as failed
    const oversize = all.statusByPayload.oversize!;
    expect(Object.keys(oversize)).toEqual(['413']);
    expect(oversize['413']).toBe(Math.floor(all.requests / 10));
    const normal = all.statusByPayload.normal!;
    expect(all.failed).toBe(normal['500']);
    expect(all.statusCounts['413']).toBe(oversize['413']);
    expect(all.modelVersions['fraud-v3']).toBe(normal['200']);
    expect(all.successes).toBe(normal['200']);
    expect(all.errorRate).toBeGreaterThan(0.06);
    expect(all.errorRate).toBeLessThan(0.12);

    // the secret went by environment: sent to the server, absent from argv
    expect([...model.authHeaders]).toEqual(['Bearer test-secret-key']);
    expect(r.command.join(' ')).not.toContain('test-secret-key');

    // what was tailed live equals a re-read of the raw file k6 left on disk
    const again = ingestAll(readFileSync(r.files.raw), { windows: [{ name: 'baseline', seconds: 5 }] });
    expect(again).toEqual(r.summary);
    expect(r.summary.timeline.length).toBeGreaterThanOrEqual(5);
    expect(r.summary.timeline.slice(0, 5).every((p) => p.requests >= 40 && p.p95Ms !== null)).toBe(true);
  });

  it('tags windows by time: an outage in the fault window shows only there; its failed requests are traced', async () => {
    model.reset({ failEvery: 0, outage: [2, 4] });
    const windows = [
      { name: 'baseline', seconds: 2 },
      { name: 'fault', seconds: 2 },
      { name: 'recovery', seconds: 2 },
    ];
    const run = runK6({
      ...base(),
      windows,
      outDir: outDir(),
      thresholds: { http_req_failed: ['rate<0.01'] },
      traceIdPrefix: 'fedcba9876543210',
    });
    const r = await run.result;
    // k6 exit 99: thresholds crossed is a measurement, not a harness failure
    expect(r).toMatchObject({ exitCode: 99, thresholdsCrossed: true, failure: null });
    const baseline = win(r.summary, 'baseline');
    const fault = win(r.summary, 'fault');
    const recovery = win(r.summary, 'recovery');
    for (const w of [baseline, fault, recovery]) {
      expect(w.requests).toBeGreaterThanOrEqual(90);
      expect(w.requests).toBeLessThanOrEqual(110);
    }
    // a request or two may straddle a boundary: k6's clock and the server's differ by milliseconds
    expect(baseline.errorRate).toBeLessThan(0.03);
    expect(fault.errorRate).toBeGreaterThan(0.85);
    expect(recovery.errorRate).toBeLessThan(0.03);
    expect(fault.statusByPayload.normal!['503']).toBeGreaterThan(80);
    expect(fault.longestGap!.seconds).toBeGreaterThan(1.8);
    expect(baseline.longestGap!.seconds).toBeLessThan(0.5);
    expect(win(r.summary, 'all').longestGap!.seconds).toBeGreaterThan(1.8);
    expect(fault.modelVersions.x).toBeGreaterThan(80);
    // Trace context on every request, oversize batches included; the exemplars are requests that were sent.
    expect(model.traceparents).toHaveLength(win(r.summary, 'all').requests);
    const sent = new Set(model.traceparents.map((tp) => tp.slice(3, 35)));
    expect(sent.size).toBe(model.traceparents.length);
    expect(fault.exemplars.failed.length).toBeGreaterThan(0);
    for (const e of fault.exemplars.failed) expect([sent.has(e.traceId), e.status]).toEqual([true, '503']);
    // An oversize batch's expected 413 is not a failure; the baseline's slowest are the fake's slow tail.
    expect(baseline.exemplars.failed.every((e) => e.status !== '413')).toBe(true);
    expect(baseline.exemplars.slowest[0]!.ms).toBeGreaterThanOrEqual(60);
  });

  it('reports each threshold k6 judged: one that must hold and one that must be crossed', async () => {
    model.reset({ failEvery: 0, outage: null });
    const r = await runK6({
      ...base(),
      windows: [{ name: 'baseline', seconds: 2 }],
      outDir: outDir(),
      thresholds: {
        http_req_duration: ['p(95)<100000', 'p(95)<0.0001'],
        'http_req_failed{window:baseline}': ['rate<0.5'],
      },
    }).result;
    expect(r).toMatchObject({ exitCode: 99, thresholdsCrossed: true, failure: null });
    expect(r.thresholds).toEqual([
      { metric: 'http_req_duration', expression: 'p(95)<0.0001', ok: false },
      { metric: 'http_req_duration', expression: 'p(95)<100000', ok: true },
      { metric: 'http_req_failed{window:baseline}', expression: 'rate<0.5', ok: true },
    ]);
  });

  it('stops k6 promptly when cancelled', async () => {
    model.reset({ failEvery: 0, outage: null });
    const ac = new AbortController();
    const run = runK6({
      ...base(),
      windows: [{ name: 'baseline', seconds: 60 }],
      outDir: outDir(),
      signal: ac.signal,
    });
    await run.loadStarted;
    await new Promise((r) => setTimeout(r, 1_000));
    expect(run.live.requests).toBeGreaterThan(20);
    const t = Date.now();
    ac.abort();
    const r = await run.result;
    expect(Date.now() - t).toBeLessThan(5_000);
    expect(r.isCanceled).toBe(true);
    expect(r.failure).toBe('cancelled');
    const all = win(r.summary, 'all');
    expect(all.requests).toBeGreaterThan(20);
    expect(r.summary.durationS).toBeLessThan(10);
    expect(() => process.kill(run.pid!, 0)).toThrow();
  });

  it('sends payload-file rows, generated rows, and runs VU executors', async () => {
    model.reset({ failEvery: 0, outage: null });
    const dir = outDir();
    const payloadFile = join(dir, 'payload.json');
    writeFileSync(
      payloadFile,
      JSON.stringify({
        features: [
          [1, 2, 3],
          [4.5, -6, 7],
        ],
      }),
    );
    const fromFile = await runK6({
      ...base(),
      windows: [{ name: 'baseline', seconds: 1 }],
      outDir: dir,
      payloadFile,
      oversizeEvery: 0,
      scenario: { executor: 'ramping-vus', startVUs: 1, stages: [{ duration: '1s', target: 2 }] },
    }).result;
    expect(fromFile.failure).toBeNull();
    expect(win(fromFile.summary, 'all').requests).toBeGreaterThan(10);
    expect(JSON.parse(model.bodies[0]!)).toEqual({
      features: [
        [1, 2, 3],
        [4.5, -6, 7],
      ],
    });

    model.reset({ failEvery: 0, outage: null });
    const generated = await runK6({
      ...base(),
      windows: [{ name: 'baseline', seconds: 1 }],
      outDir: outDir(),
      features: 4,
      rows: 3,
      oversizeEvery: 0,
      scenario: { executor: 'constant-vus', vus: 1 },
    }).result;
    expect(generated.failure).toBeNull();
    // constant-vus without a duration runs for the windows' length
    expect(generated.summary.durationS).toBeGreaterThan(0.8);
    expect(generated.summary.durationS).toBeLessThan(1.5);
    const rows = (JSON.parse(model.bodies[0]!) as { features: number[][] }).features;
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.length === 4 && r.every((x) => Number.isFinite(x)))).toBe(true);
    expect(new Set(model.bodies).size).toBeGreaterThan(1);
  });

  it('reports a script error with k6 exit code and stderr', async () => {
    const r = await runK6({
      ...base(),
      windows: [{ name: 'baseline', seconds: 1 }],
      outDir: outDir(),
      scenario: { executor: 'shared-iterations' },
    }).result;
    expect(r.exitCode).toBe(107);
    expect(r.failure).toMatch(/code 107 \(script exception\).*executor must be one of/);
    expect(r.summary.loadStartMs).toBeNull();
  });
});
