/**
 * Incremental reader of k6's `--out json` NDJSON. Memory stays constant in the number of requests: latencies go
 * into HDR histograms, everything else into counters; only per-second arrays grow, bounded by run length and capped.
 * Lines are read by ndjson-scan.ts, kept in accumulators.ts, and reported as summary.ts describes.
 */
import type { Histogram } from 'hdr-histogram-js';
import { quantileMs, round3, secondHistogram, SecondsF64, SecondsU32, WindowAcc } from './accumulators.js';
import { K6TimeParser, MALFORMED, Metric, PointScanner } from './ndjson-scan.js';
import { summarizeWindow, type LoadSummary, type TimelineSecond, type WindowSummary } from './summary.js';
import type { WindowSpec } from './windows.js';

export interface IngestOptions {
  /** The windows k6/score.ts was given; they fix each window's time range (otherwise observed from tags). */
  windows?: readonly WindowSpec[];
  /** Cap of the per-second arrays; points later than this still count in the windows. Default 24 h. */
  maxTimelineSeconds?: number;
  /** Called once, with the epoch ms at which the first request started. */
  onLoadStart?: (epochMs: number) => void;
  /** Reads every line with JSON.parse instead of the fast path: the reference it is tested against. */
  jsonOnly?: boolean;
  /** The range the score histogram's cells divide (target.response.scoreRange). Default [0, 1]. */
  scoreRange?: readonly [number, number];
}

export interface LiveStats {
  elapsedS: number;
  requests: number;
  failed: number;
  errorRate: number;
  /** Requests per second over the last (up to) 5 complete seconds before now. */
  rps: number;
  /** p95 of the requests that ended in those seconds; null when none did. */
  p95Ms: number | null;
  /** Seconds since the last request ended (by the clock given to live()); 0 while requests keep coming. */
  idleS: number;
}

// Seconds a per-second histogram stays open for stragglers: k6 stamps a request at its end and flushes every
// ~200 ms, so lines arrive almost in order; 10 s is ample while keeping at most ~11 small histograms alive.
const REORDER_S = 10;
// The live line's look-back: short enough to show a stall within seconds, long enough to smooth one slow flush.
const LIVE_SECONDS = 5;
const MAX_TAIL_CHARS = 4 * 1024 * 1024;
// Windows a custom script names beyond the configured ones: capped like any tag value.
const MAX_EXTRA_WINDOWS = 16;

export class K6Ingest {
  private pending: Buffer | null = null;
  private readonly cap: number;
  private readonly configured: { name: string; startS: number; endS: number }[];
  private readonly onLoadStart: ((epochMs: number) => void) | undefined;
  private readonly scoreRange: readonly [number, number];

  private t0 = NaN;
  private lastMs = -Infinity;
  private readonly accs = new Map<string, WindowAcc>();
  private readonly all: WindowAcc;

  private readonly reqs: SecondsU32;
  private readonly errs: SecondsU32;
  private readonly p50: SecondsF64;
  private readonly p95: SecondsF64;
  private readonly p99: SecondsF64;
  private maxSec = -1;
  private readonly open = new Map<number, Histogram>();
  private readonly pool: Histogram[] = [];
  private readonly liveHist = secondHistogram();
  private finalizedBelow = 0;
  private timelineTruncated = false;

  private lines = 0;
  private parsed = 0;
  private malformed = 0;
  private late = 0;
  private readonly scanner: PointScanner;
  private readonly clock = new K6TimeParser();

  constructor(opts: IngestOptions = {}) {
    this.cap = Math.max(1, Math.floor(opts.maxTimelineSeconds ?? 86_400));
    this.onLoadStart = opts.onLoadStart;
    this.scoreRange = opts.scoreRange ?? [0, 1];
    this.scanner = new PointScanner({ jsonOnly: opts.jsonOnly ?? false });
    let acc = 0;
    this.configured = (opts.windows ?? []).map((w) => {
      const r = { name: w.name, startS: acc, endS: acc + w.seconds };
      acc += w.seconds;
      return r;
    });
    for (const w of this.configured) this.accs.set(w.name, new WindowAcc(w.name, this.cap, this.scoreRange));
    this.all = new WindowAcc('all', this.cap, this.scoreRange);
    this.reqs = new SecondsU32(this.cap);
    this.errs = new SecondsU32(this.cap);
    this.p50 = new SecondsF64(this.cap);
    this.p95 = new SecondsF64(this.cap);
    this.p99 = new SecondsF64(this.cap);
  }

  get loadStartMs(): number | null {
    return Number.isNaN(this.t0) ? null : this.t0;
  }

  /** Feeds raw bytes (or text) as k6 wrote them; a line may be split anywhere, even inside a UTF-8 sequence. */
  write(chunk: Uint8Array | string): void {
    // Lines are split on bytes (0x0a never occurs inside a UTF-8 sequence) and only the few lines that are
    // needed are decoded to strings: most of k6's output is never turned into JS strings at all.
    const buf =
      typeof chunk === 'string'
        ? Buffer.from(chunk, 'utf8')
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let pos = 0;
    if (this.pending !== null) {
      const nl = buf.indexOf(10);
      if (nl < 0) {
        this.keep(Buffer.concat([this.pending, buf]));
        return;
      }
      const joined = Buffer.concat([this.pending, buf.subarray(0, nl)]);
      this.pending = null;
      this.line(joined, 0, joined.length);
      pos = nl + 1;
    }
    for (;;) {
      const nl = buf.indexOf(10, pos);
      if (nl < 0) break;
      this.line(buf, pos, nl);
      pos = nl + 1;
    }
    // Copied: the caller may reuse its buffer.
    if (pos < buf.length) this.keep(Buffer.from(buf.subarray(pos)));
  }

  private keep(rest: Buffer): void {
    if (rest.length > MAX_TAIL_CHARS) {
      // No k6 line is this long: the input is not k6 NDJSON; drop it rather than grow without bound.
      this.malformed++;
      this.pending = null;
    } else this.pending = rest;
  }

  /** Flushes a final line without a trailing newline. */
  end(): void {
    const rest = this.pending;
    this.pending = null;
    if (rest !== null && rest.length > 0) this.line(rest, 0, rest.length);
  }

  private line(buf: Buffer, s: number, e: number): void {
    if (e > s && buf[e - 1] === 13) e--;
    if (e <= s) return;
    this.lines++;
    const scanner = this.scanner;
    const kind = scanner.scan(buf, s, e);
    if (kind === Metric.None) return;
    if (kind === MALFORMED) {
      this.malformed++;
      return;
    }
    const ms = this.clock.parse(scanner.time);
    if (Number.isNaN(ms)) {
      this.malformed++;
      return;
    }
    this.parsed++;
    const { value, tags } = scanner;
    if (kind === Metric.Duration) this.duration(ms, value, tags);
    else if (kind === Metric.Failed) this.failed(ms, value, tags);
    else if (kind === Metric.Version) this.version(ms, value, tags);
    else if (kind === Metric.Dropped) this.dropped(ms, value, tags);
    else if (kind === Metric.Missing) this.missingAnswer(ms, value, tags);
    else this.answer(ms, kind === Metric.Score ? value : null, tags);
  }

  private setT0(ms: number): void {
    this.t0 = ms;
    this.onLoadStart?.(ms);
  }

  private offset(ms: number): number {
    if (ms > this.lastMs) this.lastMs = ms;
    return (ms - this.t0) / 1000;
  }

  private accFor(tag: unknown, offsetS: number): WindowAcc | undefined {
    if (typeof tag === 'string' && tag !== '') {
      let acc = this.accs.get(tag);
      if (!acc) {
        if (tag === 'all' || this.accs.size >= this.configured.length + MAX_EXTRA_WINDOWS) return undefined;
        acc = new WindowAcc(tag, this.cap, this.scoreRange);
        this.accs.set(tag, acc);
      }
      return acc;
    }
    // Untagged points (a custom script) fall into a configured window by time.
    const n = this.configured.length;
    if (n === 0) return undefined;
    for (let i = 0; i < n; i++) {
      const w = this.configured[i]!;
      if (offsetS < w.endS) return this.accs.get(w.name);
    }
    return this.accs.get(this.configured[n - 1]!.name);
  }

  private duration(ms: number, valueMs: number, tags: Record<string, unknown>): void {
    if (Number.isNaN(this.t0)) this.setT0(ms - valueMs);
    const off = this.offset(ms);
    const sec = off < 0 ? 0 : Math.floor(off);
    const us = valueMs > 0 ? Math.round(valueMs * 1000) : 0;
    const status = typeof tags.status === 'string' ? tags.status : 'none';
    const payload = typeof tags.payload === 'string' ? tags.payload : 'none';
    const errorCode = typeof tags.error_code === 'string' ? tags.error_code : '';
    this.all.request(us, status, payload, off, errorCode);
    this.accFor(tags.window, off)?.request(us, status, payload, off, errorCode);
    if (!this.reqs.ensure(sec)) {
      this.timelineTruncated = true;
      return;
    }
    this.reqs.data[sec]!++;
    if (sec > this.maxSec) this.maxSec = sec;
    this.secondLatency(sec, us);
  }

  private failed(ms: number, value: number, tags: Record<string, unknown>): void {
    if (Number.isNaN(this.t0)) this.setT0(ms);
    const off = this.offset(ms);
    const sec = off < 0 ? 0 : Math.floor(off);
    const acc = this.accFor(tags.window, off);
    if (value !== 0) {
      this.all.failed++;
      if (acc) acc.failed++;
      if (this.errs.ensure(sec)) this.errs.data[sec]!++;
      else this.timelineTruncated = true;
    } else if (tags.payload !== 'oversize') {
      // An expected 413 proves the gateway answers, not that the model serves: it does not close a gap.
      this.all.success(off, sec);
      acc?.success(off, sec);
    }
  }

  private version(ms: number, value: number, tags: Record<string, unknown>): void {
    if (Number.isNaN(this.t0)) this.setT0(ms);
    const off = this.offset(ms);
    const v = typeof tags.model_version === 'string' ? tags.model_version : 'none';
    this.all.versions.add(v, value);
    const acc = this.accFor(tags.window, off);
    if (acc) {
      acc.versions.add(v, value);
      acc.seen(off);
    }
  }

  private dropped(ms: number, value: number, tags: Record<string, unknown>): void {
    // An arrival k6 could not start sent no request, so it does not start the load's clock: one before the
    // first request belongs to the first window.
    const off = Number.isNaN(this.t0) ? 0 : this.offset(ms);
    this.all.dropped += value;
    const acc = this.accFor(tags.window, off);
    if (acc) acc.dropped += value;
  }

  /**
   * One prediction: a score point (with its class when captured) or, without a score path, a class point. The
   * first of a response carries its model version in place of a chaos_model_version point (k6/score.ts).
   */
  private answer(ms: number, score: number | null, tags: Record<string, unknown>): void {
    if (Number.isNaN(this.t0)) this.setT0(ms);
    const off = this.offset(ms);
    const cls = typeof tags.class === 'string' ? tags.class : null;
    const golden = typeof tags.golden === 'string' && tags.golden !== '' ? tags.golden : null;
    const version = typeof tags.model_version === 'string' ? tags.model_version : null;
    this.all.answers.answer(score, cls, golden);
    if (version !== null) this.all.versions.add(version, 1);
    const acc = this.accFor(tags.window, off);
    if (acc) {
      acc.answers.answer(score, cls, golden);
      if (version !== null) acc.versions.add(version, 1);
      acc.seen(off);
    }
  }

  private missingAnswer(ms: number, value: number, tags: Record<string, unknown>): void {
    if (Number.isNaN(this.t0)) this.setT0(ms);
    const off = this.offset(ms);
    const reason = typeof tags.reason === 'string' ? tags.reason : 'unknown';
    const version = typeof tags.model_version === 'string' ? tags.model_version : null;
    this.all.answers.missed(reason, value);
    if (version !== null) this.all.versions.add(version, 1);
    const acc = this.accFor(tags.window, off);
    acc?.answers.missed(reason, value);
    if (version !== null) acc?.versions.add(version, 1);
  }

  private secondLatency(sec: number, us: number): void {
    if (sec < this.finalizedBelow) {
      this.late++;
      return;
    }
    let h = this.open.get(sec);
    if (!h) {
      h = this.pool.pop() ?? secondHistogram();
      this.open.set(sec, h);
    }
    h.recordValue(us);
    const limit = sec - REORDER_S;
    if (limit > this.finalizedBelow) this.finalizeBelow(limit);
  }

  private finalizeBelow(limit: number): void {
    for (const [s, h] of this.open) {
      if (s >= limit) continue;
      this.fixSecond(s, h);
      h.reset();
      this.pool.push(h);
      this.open.delete(s);
    }
    this.finalizedBelow = limit;
  }

  private fixSecond(s: number, h: Histogram): void {
    if (!this.p50.ensure(s) || !this.p95.ensure(s) || !this.p99.ensure(s)) return;
    const min = h.getValueAtPercentile(0);
    this.p50.data[s] = quantileMs(h, 0.5, min, h.maxValue) ?? NaN;
    this.p95.data[s] = quantileMs(h, 0.95, min, h.maxValue) ?? NaN;
    this.p99.data[s] = quantileMs(h, 0.99, min, h.maxValue) ?? NaN;
  }

  /**
   * Progress as of `nowMs` (wall clock): the rate and p95 of the last few complete seconds before now, so a
   * load that stopped shows 0 req/s and how long it has been quiet, not the last figure it had.
   */
  live(nowMs: number = Date.now()): LiveStats {
    const { requests, failed } = this.all;
    if (Number.isNaN(this.t0))
      return { elapsedS: 0, requests, failed, errorRate: 0, rps: 0, p95Ms: null, idleS: 0 };
    const elapsedS = Math.max(0, (nowMs - this.t0) / 1000);
    // k6 writes its NDJSON about once a second, so the second before now is not complete yet.
    const to = Math.max(0, Math.floor(elapsedS) - 1);
    const from = Math.max(0, to - LIVE_SECONDS);
    let n = 0;
    const merged = this.liveHist;
    merged.reset();
    for (let s = from; s < to; s++) {
      if (s < this.reqs.data.length) n += this.reqs.data[s]!;
      const h = this.open.get(s);
      if (h) merged.add(h);
    }
    const secs = to - from;
    const idleMs = nowMs - this.lastMs;
    return {
      elapsedS: round3(elapsedS),
      requests,
      failed,
      errorRate: requests > 0 ? failed / requests : 0,
      rps: secs > 0 ? n / secs : 0,
      p95Ms:
        merged.totalCount > 0
          ? quantileMs(merged, 0.95, merged.getValueAtPercentile(0), merged.maxValue)
          : null,
      idleS: Number.isFinite(idleMs) && idleMs >= 2000 ? Math.floor(idleMs / 1000) : 0,
    };
  }

  /** A snapshot; ingesting can continue afterwards. */
  summary(): LoadSummary {
    const started = !Number.isNaN(this.t0);
    const lastS = started && this.lastMs > this.t0 ? (this.lastMs - this.t0) / 1000 : 0;
    const windows: WindowSummary[] = [];
    const n = this.configured.length;
    this.configured.forEach((w, i) => {
      const acc = this.accs.get(w.name)!;
      // Time after the last window is tagged with it (k6's graceful stop), so it stretches to the last point.
      const end = i === n - 1 ? Math.max(w.endS, lastS) : w.endS;
      windows.push(summarizeWindow(acc, w.startS, end, Math.min(end, lastS)));
    });
    for (const acc of this.accs.values()) {
      if (this.configured.some((w) => w.name === acc.name)) continue;
      const a = Number.isFinite(acc.firstOffsetS) ? Math.max(0, acc.firstOffsetS) : 0;
      const b = Number.isFinite(acc.lastOffsetS) ? acc.lastOffsetS : a;
      windows.push(summarizeWindow(acc, a, b, b));
    }
    windows.push(summarizeWindow(this.all, 0, lastS, lastS));
    return {
      loadStartMs: started ? this.t0 : null,
      lastPointMs: started && Number.isFinite(this.lastMs) ? this.lastMs : null,
      durationS: round3(lastS),
      windows,
      timeline: this.timeline(),
      counters: {
        lines: this.lines,
        parsedPoints: this.parsed,
        malformedLines: this.malformed,
        lateTimelineSamples: this.late,
        timelineTruncated: this.timelineTruncated,
      },
    };
  }

  private timeline(): TimelineSecond[] {
    const out: TimelineSecond[] = [];
    const last = Math.min(this.maxSec, this.reqs.data.length - 1);
    const num = (x: number | undefined): number | null =>
      x === undefined || Number.isNaN(x) ? null : round3(x);
    for (let s = 0; s <= last; s++) {
      let p50 = this.p50.data[s];
      let p95 = this.p95.data[s];
      let p99 = this.p99.data[s];
      const h = this.open.get(s);
      if (h && h.totalCount > 0) {
        const min = h.getValueAtPercentile(0);
        p50 = quantileMs(h, 0.5, min, h.maxValue) ?? NaN;
        p95 = quantileMs(h, 0.95, min, h.maxValue) ?? NaN;
        p99 = quantileMs(h, 0.99, min, h.maxValue) ?? NaN;
      }
      out.push({
        t: s,
        requests: this.reqs.data[s]!,
        errors: s < this.errs.data.length ? this.errs.data[s]! : 0,
        p50Ms: num(p50),
        p95Ms: num(p95),
        p99Ms: num(p99),
      });
    }
    return out;
  }
}

/** Feeds a whole NDJSON text or buffer at once: for tests and re-reading a stored raw file. */
export function ingestAll(input: Uint8Array | string, opts: IngestOptions = {}): LoadSummary {
  const ingest = new K6Ingest(opts);
  ingest.write(input);
  ingest.end();
  return ingest.summary();
}
