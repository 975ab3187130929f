/**
 * Incremental reader of k6's `--out json` NDJSON. Memory stays constant in the number of requests: latencies go
 * into HDR histograms, everything else into counters; only per-second arrays grow, bounded by run length and capped.
 * Lines are read by ndjson-scan.ts, kept in accumulators.ts, and reported as summary.ts describes.
 */
import { quantileMs, round3, secondHistogram, WindowAcc } from './accumulators.js';
import { K6TimeParser, MALFORMED, Metric, PointScanner } from './ndjson-scan.js';
import { summarizeWindow, type LoadSummary, type WindowSummary } from './summary.js';
import { REORDER_S, SecondTimeline } from './timeline.js';
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
  /**
   * The load's clock zero, epoch ms, when it is known before the first point: the common start of several
   * runners. Every point is then placed relative to it, and onLoadStart is not called.
   */
  loadStartMs?: number;
  /**
   * Cut windows on each point's timestamp (relative to the load start) instead of the window tag k6 gave it:
   * runners each tag by their own clock, the merged verdict needs one clock.
   */
  windowByTime?: boolean;
  /** A timeline shared with other ingests (one per runner): see timeline.ts. */
  timeline?: SecondTimeline;
  /**
   * The longest look-back `recent()` is asked for, in seconds: per-second histograms are kept that long (at
   * least REORDER_S), so a sliding-window p95 merges exact histograms rather than per-second p95s.
   */
  recentSeconds?: number;
}

/** The load of the last few complete seconds: what a stop condition reads. */
export interface RecentLoad {
  /** Complete seconds covered: fewer than asked for early in the run. */
  seconds: number;
  requests: number;
  failed: number;
  p95Ms: number | null;
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
  private readonly windowByTime: boolean;

  private t0 = NaN;
  private lastMs = -Infinity;
  private firstStartMs = Infinity;
  private readonly accs = new Map<string, WindowAcc>();
  private readonly all: WindowAcc;

  readonly timeline: SecondTimeline;
  private readonly liveHist = secondHistogram();
  private readonly recentHist = secondHistogram();

  private lines = 0;
  private parsed = 0;
  private malformed = 0;
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
    // Two more than the look-back: the second before now is incomplete and is never read.
    this.timeline =
      opts.timeline ??
      new SecondTimeline(this.cap, Math.max(REORDER_S, Math.ceil(opts.recentSeconds ?? 0) + 2));
    this.windowByTime = opts.windowByTime ?? false;
    if (opts.loadStartMs !== undefined) this.t0 = opts.loadStartMs;
  }

  /** Requests and failed requests counted so far (all windows). */
  get counts(): { requests: number; failed: number } {
    return { requests: this.all.requests, failed: this.all.failed };
  }

  /** Epoch ms at which this stream's first request started (a runner's start, for its skew); null before. */
  get firstRequestMs(): number | null {
    return Number.isFinite(this.firstStartMs) ? this.firstStartMs : null;
  }

  /** Epoch ms of the latest point read; null before the first. */
  get lastPointMs(): number | null {
    return Number.isFinite(this.lastMs) ? this.lastMs : null;
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
    else if (kind === Metric.Trace) this.exemplar(ms, value, tags);
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
    if (!this.windowByTime && typeof tag === 'string' && tag !== '') {
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
    if (ms - valueMs < this.firstStartMs) this.firstStartMs = ms - valueMs;
    const off = this.offset(ms);
    const sec = off < 0 ? 0 : Math.floor(off);
    const us = valueMs > 0 ? Math.round(valueMs * 1000) : 0;
    const status = typeof tags.status === 'string' ? tags.status : 'none';
    const payload = typeof tags.payload === 'string' ? tags.payload : 'none';
    const errorCode = typeof tags.error_code === 'string' ? tags.error_code : '';
    this.all.request(us, status, payload, off, errorCode);
    this.accFor(tags.window, off)?.request(us, status, payload, off, errorCode);
    this.timeline.request(sec, us);
  }

  private failed(ms: number, value: number, tags: Record<string, unknown>): void {
    if (Number.isNaN(this.t0)) this.setT0(ms);
    const off = this.offset(ms);
    const sec = off < 0 ? 0 : Math.floor(off);
    const acc = this.accFor(tags.window, off);
    if (value !== 0) {
      this.all.failed++;
      if (acc) acc.failed++;
      this.timeline.error(sec);
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

  /** A request k6 picked as a trace exemplar (k6/harness.ts): slow for its VU and window, or failed. */
  private exemplar(ms: number, valueMs: number, tags: Record<string, unknown>): void {
    if (Number.isNaN(this.t0) || typeof tags.trace_id !== 'string') return;
    const off = this.offset(ms);
    const e = {
      traceId: tags.trace_id,
      cause: tags.cause === 'failed' ? ('failed' as const) : ('slow' as const),
      ms: valueMs,
      status: typeof tags.status === 'string' ? tags.status : 'none',
      offsetS: round3(off),
    };
    this.all.exemplars.add(e);
    this.accFor(tags.window, off)?.exemplars.add(e);
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
    const tl = this.timeline;
    for (let s = from; s < to; s++) {
      if (s < tl.reqs.data.length) n += tl.reqs.data[s]!;
      const h = tl.open.get(s);
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

  /**
   * Requests, failures and p95 of the `seconds` complete seconds before `nowMs` (or fewer, early in the run).
   * null before the first request.
   */
  recent(seconds: number, nowMs: number = Date.now()): RecentLoad | null {
    if (Number.isNaN(this.t0)) return null;
    const tl = this.timeline;
    const elapsedS = Math.max(0, (nowMs - this.t0) / 1000);
    // As for live(): k6 writes about once a second, so the second before now is not complete yet.
    const to = Math.max(0, Math.floor(elapsedS) - 1);
    // Seconds whose histograms are gone (past the look-back this ingest was built for) are not counted.
    const from = Math.min(to, Math.max(0, to - Math.floor(seconds), tl.finalizedBelow));
    let requests = 0;
    let failed = 0;
    const merged = this.recentHist;
    merged.reset();
    for (let s = from; s < to; s++) {
      if (s < tl.reqs.data.length) requests += tl.reqs.data[s]!;
      if (s < tl.errs.data.length) failed += tl.errs.data[s]!;
      const h = tl.open.get(s);
      if (h) merged.add(h);
    }
    return {
      seconds: to - from,
      requests,
      failed,
      p95Ms:
        merged.totalCount > 0
          ? quantileMs(merged, 0.95, merged.getValueAtPercentile(0), merged.maxValue)
          : null,
    };
  }

  /** A snapshot; ingesting can continue afterwards. */
  summary(): LoadSummary {
    return this.summaryOf([this]);
  }

  /**
   * The summary of several ingests of one load (one per runner) as if one ingest had read every stream: window
   * accumulators merge exactly (accumulators.ts), the timeline is the one they share, and counters add.
   */
  static merged(parts: readonly K6Ingest[]): LoadSummary {
    const first = parts[0];
    if (!first) throw new Error('no ingest to merge');
    return first.summaryOf(parts);
  }

  private summaryOf(parts: readonly K6Ingest[]): LoadSummary {
    let accs = this.accs;
    let all = this.all;
    let t0 = this.t0;
    let lastMs = this.lastMs;
    let lines = this.lines;
    let parsed = this.parsed;
    let malformed = this.malformed;
    if (parts.length > 1 || parts[0] !== this) {
      if (parts.some((p) => p.timeline !== this.timeline))
        throw new Error('merged ingests must share a timeline');
      accs = new Map();
      for (const w of this.configured) accs.set(w.name, new WindowAcc(w.name, this.cap, this.scoreRange));
      all = new WindowAcc('all', this.cap, this.scoreRange);
      t0 = NaN;
      lastMs = -Infinity;
      lines = parsed = malformed = 0;
      for (const p of parts) {
        for (const acc of p.accs.values()) {
          let into = accs.get(acc.name);
          if (!into) {
            into = new WindowAcc(acc.name, this.cap, this.scoreRange);
            accs.set(acc.name, into);
          }
          into.merge(acc);
        }
        all.merge(p.all);
        if (!(p.t0 >= t0)) t0 = p.t0;
        if (p.lastMs > lastMs) lastMs = p.lastMs;
        lines += p.lines;
        parsed += p.parsed;
        malformed += p.malformed;
      }
    }
    const started = !Number.isNaN(t0);
    const lastS = started && lastMs > t0 ? (lastMs - t0) / 1000 : 0;
    const windows: WindowSummary[] = [];
    const n = this.configured.length;
    this.configured.forEach((w, i) => {
      const acc = accs.get(w.name)!;
      // Time after the last window is tagged with it (k6's graceful stop), so it stretches to the last point.
      const end = i === n - 1 ? Math.max(w.endS, lastS) : w.endS;
      windows.push(summarizeWindow(acc, w.startS, end, Math.min(end, lastS)));
    });
    for (const acc of accs.values()) {
      if (this.configured.some((w) => w.name === acc.name)) continue;
      const a = Number.isFinite(acc.firstOffsetS) ? Math.max(0, acc.firstOffsetS) : 0;
      const b = Number.isFinite(acc.lastOffsetS) ? acc.lastOffsetS : a;
      windows.push(summarizeWindow(acc, a, b, b));
    }
    windows.push(summarizeWindow(all, 0, lastS, lastS));
    return {
      loadStartMs: started ? t0 : null,
      lastPointMs: started && Number.isFinite(lastMs) ? lastMs : null,
      durationS: round3(lastS),
      windows,
      timeline: this.timeline.points(),
      counters: {
        lines,
        parsedPoints: parsed,
        malformedLines: malformed,
        lateTimelineSamples: this.timeline.late,
        timelineTruncated: this.timeline.truncated,
      },
    };
  }
}

/** Feeds a whole NDJSON text or buffer at once: for tests and re-reading a stored raw file. */
export function ingestAll(input: Uint8Array | string, opts: IngestOptions = {}): LoadSummary {
  const ingest = new K6Ingest(opts);
  ingest.write(input);
  ingest.end();
  return ingest.summary();
}
