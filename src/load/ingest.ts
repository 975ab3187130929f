/**
 * Incremental reader of k6's `--out json` NDJSON. Memory stays constant in the number of requests: latencies go
 * into HDR histograms, everything else into counters; only per-second arrays grow, bounded by run length and capped.
 */
import { build } from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';
import type { TimelinePoint, WindowName, WindowStats } from '../verdict/result.js';
import type { WindowSpec } from './windows.js';

export interface IngestOptions {
  /** The windows k6/score.ts was given; they fix each window's time range (otherwise observed from tags). */
  windows?: readonly WindowSpec[];
  /** Cap of the per-second arrays; points later than this still count in the windows. Default 24 h. */
  maxTimelineSeconds?: number;
  /** Called once, with the epoch ms at which the first request started. */
  onLoadStart?: (epochMs: number) => void;
}

export interface Gap {
  /** seconds since load start */
  startS: number;
  endS: number;
  seconds: number;
}

export interface WindowSummary {
  window: string;
  startOffsetS: number;
  endOffsetS: number;
  requests: number;
  failed: number;
  /** Normal-payload requests k6 did not mark failed: the responses the availability gap is measured between. */
  successes: number;
  errorRate: number;
  rps: number;
  p50Ms: number | null;
  p90Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  minMs: number | null;
  maxMs: number | null;
  statusCounts: Record<string, number>;
  /** k6's dropped_iterations in the window (placed by time: k6 tags them with the scenario only). */
  dropped: number;
  /** payload tag ("normal" | "oversize") → status → count */
  statusByPayload: Record<string, Record<string, number>>;
  modelVersions: Record<string, number>;
  /** Longest stretch inside the window without a success (edges count); exact for gaps >= 1 s. */
  longestGap: Gap | null;
}

export interface TimelineSecond {
  t: number;
  requests: number;
  errors: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

export interface LoadSummary {
  /** Epoch ms at which the first request started: k6's test-run clock zero, which the window tags use. */
  loadStartMs: number | null;
  lastPointMs: number | null;
  durationS: number;
  /** Configured windows in run order, then any other tagged window, then 'all'. */
  windows: WindowSummary[];
  timeline: TimelineSecond[];
  counters: {
    lines: number;
    parsedPoints: number;
    malformedLines: number;
    /** Latencies that arrived after their second's percentiles were fixed; still counted everywhere else. */
    lateTimelineSamples: number;
    timelineTruncated: boolean;
  };
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

const HDR_HIGHEST_US = 120_000_000;
// Seconds a per-second histogram stays open for stragglers: k6 stamps a request at its end and flushes every
// ~200 ms, so lines arrive almost in order; 10 s is ample while keeping at most ~11 small histograms alive.
const REORDER_S = 10;
// The live line's look-back: short enough to show a stall within seconds, long enough to smooth one slow flush.
const LIVE_SECONDS = 5;
const INITIAL_SECONDS = 1024;
const MAX_TAIL_CHARS = 4 * 1024 * 1024;

function windowHistogram(): Histogram {
  return build({
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HDR_HIGHEST_US,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });
}

// Two significant digits (1 %) is plenty for a chart and makes each per-second histogram ~11 KB.
function secondHistogram(): Histogram {
  return build({
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HDR_HIGHEST_US,
    numberOfSignificantValueDigits: 2,
    useWebAssembly: false,
  });
}

/**
 * Percentile as k6 computes it (linear interpolation between the neighbouring order statistics at q·(n−1)), so
 * results agree with k6's own summary to within the histogram's resolution rather than differing by a rank.
 */
export function quantileMs(h: Histogram, q: number, minUs: number, maxUs: number): number | null {
  const n = h.totalCount;
  if (n === 0) return null;
  const pos = q * (n - 1);
  const lo = Math.floor(pos);
  const frac = pos - lo;
  const a = rankValue(h, lo + 1, n, minUs, maxUs);
  const v = frac === 0 || lo + 2 > n ? a : a + (rankValue(h, lo + 2, n, minUs, maxUs) - a) * frac;
  return v / 1000;
}

function rankValue(h: Histogram, rank: number, n: number, minUs: number, maxUs: number): number {
  if (rank <= 1) return minUs;
  if (rank >= n) return maxUs;
  // getValueAtPercentile rounds the count up, so 100·r/n lands exactly on rank r; its bucket's upper edge can
  // overshoot the true extremes, hence the clamp.
  const v = h.getValueAtPercentile((100 * rank) / n);
  return v < minUs ? minUs : v > maxUs ? maxUs : v;
}

// Tag values come from the server (model_version) or a custom script; a server echoing a request id as its
// "version" must not make memory grow per request, so distinct keys are capped and the rest pooled.
const MAX_KEYS = 200;
const MAX_EXTRA_WINDOWS = 16;
export const OTHER_KEY = '(other)';

class Counts {
  readonly map = new Map<string, number>();
  add(key: string, n: number): void {
    const cur = this.map.get(key);
    if (cur !== undefined) this.map.set(key, cur + n);
    else if (this.map.size < MAX_KEYS) this.map.set(key, n);
    else this.map.set(OTHER_KEY, (this.map.get(OTHER_KEY) ?? 0) + n);
  }
  toRecord(): Record<string, number> {
    return Object.fromEntries([...this.map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
}

/** Grows by doubling up to the cap; NaN marks "no data". */
class SecondsF64 {
  data: Float64Array;
  constructor(private readonly cap: number) {
    this.data = new Float64Array(Math.min(INITIAL_SECONDS, cap)).fill(NaN);
  }
  ensure(sec: number): boolean {
    if (sec < this.data.length) return true;
    if (sec >= this.cap) return false;
    let len = this.data.length;
    while (len <= sec) len *= 2;
    const next = new Float64Array(Math.min(len, this.cap)).fill(NaN);
    next.set(this.data);
    this.data = next;
    return true;
  }
}

class SecondsU32 {
  data: Uint32Array;
  constructor(private readonly cap: number) {
    this.data = new Uint32Array(Math.min(INITIAL_SECONDS, cap));
  }
  ensure(sec: number): boolean {
    if (sec < this.data.length) return true;
    if (sec >= this.cap) return false;
    let len = this.data.length;
    while (len <= sec) len *= 2;
    const next = new Uint32Array(Math.min(len, this.cap));
    next.set(this.data);
    this.data = next;
    return true;
  }
}

class WindowAcc {
  requests = 0;
  failed = 0;
  successes = 0;
  dropped = 0;
  minUs = Infinity;
  maxUs = -Infinity;
  firstOffsetS = Infinity;
  lastOffsetS = -Infinity;
  readonly hist = windowHistogram();
  readonly status = new Counts();
  readonly byPayload = new Map<string, Counts>();
  readonly versions = new Counts();
  // First and last success per second: the longest gap across seconds is exact from these alone, without
  // keeping every success timestamp, and no matter in which order the lines arrive.
  readonly okFirst: SecondsF64;
  readonly okLast: SecondsF64;
  okMinSec = Infinity;
  okMaxSec = -Infinity;

  constructor(
    readonly name: string,
    cap: number,
  ) {
    this.okFirst = new SecondsF64(cap);
    this.okLast = new SecondsF64(cap);
  }

  request(us: number, status: string, payload: string, offsetS: number): void {
    this.requests++;
    this.hist.recordValue(us);
    if (us < this.minUs) this.minUs = us;
    if (us > this.maxUs) this.maxUs = us;
    this.status.add(status, 1);
    const key = this.byPayload.has(payload) || this.byPayload.size < MAX_KEYS ? payload : OTHER_KEY;
    let p = this.byPayload.get(key);
    if (!p) {
      p = new Counts();
      this.byPayload.set(key, p);
    }
    p.add(status, 1);
    this.seen(offsetS);
  }

  seen(offsetS: number): void {
    if (offsetS < this.firstOffsetS) this.firstOffsetS = offsetS;
    if (offsetS > this.lastOffsetS) this.lastOffsetS = offsetS;
  }

  success(offsetS: number, sec: number): void {
    this.successes++;
    if (!this.okFirst.ensure(sec) || !this.okLast.ensure(sec)) return;
    const f = this.okFirst.data[sec]!;
    if (!(f <= offsetS)) this.okFirst.data[sec] = offsetS;
    const l = this.okLast.data[sec]!;
    if (!(l >= offsetS)) this.okLast.data[sec] = offsetS;
    if (sec < this.okMinSec) this.okMinSec = sec;
    if (sec > this.okMaxSec) this.okMaxSec = sec;
  }

  longestGap(a: number, b: number): Gap | null {
    if (!(b > a)) return null;
    let prev = a;
    let best: Gap = { startS: a, endS: a, seconds: 0 };
    const from = Math.max(0, Math.min(Math.floor(a), this.okMinSec));
    const to = Math.min(this.okFirst.data.length - 1, Math.max(Math.ceil(b), this.okMaxSec));
    for (let s = from; s <= to && prev < b; s++) {
      const f = this.okFirst.data[s]!;
      if (Number.isNaN(f)) continue;
      const end = Math.min(f, b);
      if (end - prev > best.seconds) best = { startS: prev, endS: end, seconds: end - prev };
      const l = this.okLast.data[s]!;
      if (l > prev) prev = l;
    }
    if (b - prev > best.seconds) best = { startS: prev, endS: b, seconds: b - prev };
    return { startS: round3(best.startS), endS: round3(best.endS), seconds: round3(best.seconds) };
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

interface K6Line {
  type?: unknown;
  metric?: unknown;
  data?: { time?: unknown; value?: unknown; tags?: Record<string, unknown> | null };
}

// Which of the needed metrics a line carries.
const K_NONE = 0;
const K_DURATION = 1;
const K_FAILED = 2;
const K_VERSION = 3;
const K_DROPPED = 4;

// Length of each kind's `name"` in a line: where the fast parser picks up after it.
const METRIC_NAME_LENGTH = [0, 18, 16, 20, 19];

// Char codes used by the pre-JSON.parse filter.
const C_BRACE = 123;
const C_H = 104;
const C_C = 99;
const C_D = 100;
const C_F = 102;
const B_METRIC = Buffer.from('{"metric":"');
const B_TYPE_METRIC = Buffer.from('{"type":"Metric"');
const B_DURATION = Buffer.from('http_req_duration"');
const B_FAILED = Buffer.from('http_req_failed"');
const B_VERSION = Buffer.from('chaos_model_version"');
const B_DROPPED = Buffer.from('dropped_iterations"');

function bytesAt(buf: Buffer, at: number, what: Buffer): boolean {
  if (at + what.length > buf.length) return false;
  for (let i = 0; i < what.length; i++) if (buf[at + i] !== what[i]) return false;
  return true;
}

export class K6Ingest {
  private pending: Buffer | null = null;
  private readonly cap: number;
  private readonly configured: { name: string; startS: number; endS: number }[];
  private readonly onLoadStart: ((epochMs: number) => void) | undefined;

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

  private droppedBeforeStart = 0;
  private lines = 0;
  private parsed = 0;
  private malformed = 0;
  private late = 0;

  // Parsing "2026-01-02T03:04:05.123456789Z" with Date.parse per line is costly; the part up to the second
  // changes once a second, so its epoch is cached and only the fraction is parsed by hand.
  private timePrefix = '';
  private timeZone = '';
  private timeBase = 0;

  constructor(opts: IngestOptions = {}) {
    this.cap = Math.max(1, Math.floor(opts.maxTimelineSeconds ?? 86_400));
    this.onLoadStart = opts.onLoadStart;
    let acc = 0;
    this.configured = (opts.windows ?? []).map((w) => {
      const r = { name: w.name, startS: acc, endS: acc + w.seconds };
      acc += w.seconds;
      return r;
    });
    for (const w of this.configured) this.accs.set(w.name, new WindowAcc(w.name, this.cap));
    this.all = new WindowAcc('all', this.cap);
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
    if (buf[s] !== C_BRACE) {
      if (buf.toString('utf8', s, e).trim() !== '') this.malformed++;
      return;
    }
    // k6 1.x writes points as {"metric":"<name>","type":"Point",...}: the name is at a fixed offset, so the
    // ~11 of 14 lines per request this module does not need are dismissed on their bytes.
    let kind = K_NONE;
    if (bytesAt(buf, s, B_METRIC)) {
      const n = s + 11;
      const c0 = buf[n];
      if (c0 === C_H) {
        const c9 = buf[n + 9];
        if (c9 === C_D && bytesAt(buf, n, B_DURATION)) kind = K_DURATION;
        else if (c9 === C_F && bytesAt(buf, n, B_FAILED)) kind = K_FAILED;
        else return;
      } else if (c0 === C_C && bytesAt(buf, n, B_VERSION)) kind = K_VERSION;
      else if (c0 === C_D && bytesAt(buf, n, B_DROPPED)) kind = K_DROPPED;
      else return;
    } else if (bytesAt(buf, s, B_TYPE_METRIC)) {
      return;
    }
    const text = buf.toString('utf8', s, e);
    let time: unknown;
    let value: unknown;
    let tags: Record<string, unknown>;
    if (kind !== K_NONE && this.fastPoint(text, 11 + METRIC_NAME_LENGTH[kind]!)) {
      time = this.fTime;
      value = this.fValue;
      tags = this.fTags;
    } else {
      let doc: K6Line;
      try {
        doc = JSON.parse(text) as K6Line;
      } catch {
        this.malformed++;
        return;
      }
      if (kind === K_NONE) {
        // Another field order (older or newer k6): classify from the parsed object instead.
        if (doc.type !== 'Point') return;
        if (doc.metric === 'http_req_duration') kind = K_DURATION;
        else if (doc.metric === 'http_req_failed') kind = K_FAILED;
        else if (doc.metric === 'chaos_model_version') kind = K_VERSION;
        else if (doc.metric === 'dropped_iterations') kind = K_DROPPED;
        else return;
      }
      time = doc.data?.time;
      value = doc.data?.value;
      tags = doc.data?.tags ?? {};
    }
    if (typeof time !== 'string' || typeof value !== 'number') {
      this.malformed++;
      return;
    }
    const ms = this.parseTime(time);
    if (Number.isNaN(ms)) {
      this.malformed++;
      return;
    }
    this.parsed++;
    if (kind === K_DURATION) this.duration(ms, value, tags);
    else if (kind === K_FAILED) this.failed(ms, value, tags);
    else if (kind === K_VERSION) this.version(ms, value, tags);
    else this.dropped(ms, value, tags);
  }

  // Results of fastPoint; fTags is reused for every line (its values are only read synchronously).
  private fTime = '';
  private fValue = 0;
  private readonly fTags: Record<string, unknown> = {};

  /**
   * k6 1.x's exact layout {"metric":"m","type":"Point","data":{"time":"t","value":v,"tags":{"k":"v",...}}}
   * read without JSON.parse; anything else (escapes, another order, null tags) returns false for JSON.parse.
   */
  private fastPoint(t: string, at: number): boolean {
    if (!t.startsWith(',"type":"Point","data":{"time":"', at)) return false;
    const i = at + 32;
    if (t.indexOf('\\', i) >= 0) return false;
    const te = t.indexOf('"', i);
    if (te < 0 || !t.startsWith(',"value":', te + 1)) return false;
    const vs = te + 10;
    const ve = t.indexOf(',', vs);
    if (ve <= vs || !t.startsWith('"tags":{', ve + 1)) return false;
    const v = Number(t.slice(vs, ve));
    if (Number.isNaN(v)) return false;
    const tags = this.fTags;
    tags.status = tags.payload = tags.window = tags.model_version = undefined;
    let k = ve + 9;
    if (t.charCodeAt(k) !== 125) {
      for (;;) {
        if (t.charCodeAt(k) !== 34) return false;
        const ke = t.indexOf('"', k + 1);
        if (ke < 0 || t.charCodeAt(ke + 1) !== 58) return false;
        const key = t.slice(k + 1, ke);
        k = ke + 2;
        let val: string | undefined;
        if (t.charCodeAt(k) === 34) {
          const ve2 = t.indexOf('"', k + 1);
          if (ve2 < 0) return false;
          val = t.slice(k + 1, ve2);
          k = ve2 + 1;
        } else {
          // A non-string tag value (k6 writes none): skip it.
          while (k < t.length && t.charCodeAt(k) !== 44 && t.charCodeAt(k) !== 125) k++;
        }
        if (key === 'status' || key === 'payload' || key === 'window' || key === 'model_version')
          tags[key] = val;
        const c = t.charCodeAt(k);
        if (c === 44) k++;
        else if (c === 125) break;
        else return false;
      }
    }
    if (!t.startsWith('}}}', k)) return false;
    this.fTime = t.slice(i, te);
    this.fValue = v;
    return true;
  }

  private parseTime(t: string): number {
    // RFC 3339 with optional fraction and a zone: YYYY-MM-DDTHH:MM:SS[.fffffffff](Z|±hh:mm)
    if (t.length < 20) return Date.parse(t);
    let i = 19;
    let frac = 0;
    if (t.charCodeAt(19) === 46) {
      i = 20;
      let scale = 100;
      for (; i < t.length; i++) {
        const c = t.charCodeAt(i) - 48;
        if (c < 0 || c > 9) break;
        if (scale >= 1e-6) {
          frac += c * scale;
          scale /= 10;
        }
      }
    }
    const cached =
      this.timePrefix !== '' &&
      t.startsWith(this.timePrefix) &&
      t.length - i === this.timeZone.length &&
      t.endsWith(this.timeZone);
    if (!cached) {
      const prefix = t.slice(0, 19);
      const zone = t.slice(i);
      const base = Date.parse(prefix + zone);
      if (Number.isNaN(base)) return NaN;
      this.timePrefix = prefix;
      this.timeZone = zone;
      this.timeBase = base;
    }
    return this.timeBase + frac;
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
        acc = new WindowAcc(tag, this.cap);
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
    this.all.request(us, status, payload, off);
    this.accFor(tags.window, off)?.request(us, status, payload, off);
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
    // An arrival k6 could not start: no request ever went out, so it does not start the load's clock.
    if (Number.isNaN(this.t0)) {
      this.droppedBeforeStart += value;
      return;
    }
    const off = this.offset(ms);
    this.all.dropped += value;
    const acc = this.accFor(tags.window, off);
    if (acc) acc.dropped += value;
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
      windows.push(this.windowSummary(acc, w.startS, end, Math.min(end, lastS)));
    });
    for (const acc of this.accs.values()) {
      if (this.configured.some((w) => w.name === acc.name)) continue;
      const a = Number.isFinite(acc.firstOffsetS) ? Math.max(0, acc.firstOffsetS) : 0;
      const b = Number.isFinite(acc.lastOffsetS) ? acc.lastOffsetS : a;
      windows.push(this.windowSummary(acc, a, b, b));
    }
    windows.push(this.windowSummary(this.all, 0, lastS, lastS));
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

  private firstConfigured(): WindowAcc | undefined {
    const first = this.configured[0];
    return first ? this.accs.get(first.name) : undefined;
  }

  private windowSummary(acc: WindowAcc, startS: number, endS: number, effectiveEndS: number): WindowSummary {
    const has = acc.requests > 0;
    const q = (p: number): number | null =>
      has ? round3(quantileMs(acc.hist, p, acc.minUs, acc.maxUs)!) : null;
    const span = effectiveEndS - startS;
    const byPayload: Record<string, Record<string, number>> = {};
    for (const [k, v] of [...acc.byPayload.entries()].sort(([a], [b]) => (a < b ? -1 : 1)))
      byPayload[k] = v.toRecord();
    return {
      window: acc.name,
      startOffsetS: round3(startS),
      endOffsetS: round3(endS),
      requests: acc.requests,
      failed: acc.failed,
      successes: acc.successes,
      errorRate: acc.requests > 0 ? acc.failed / acc.requests : 0,
      rps: span > 0 ? acc.requests / span : 0,
      p50Ms: q(0.5),
      p90Ms: q(0.9),
      p95Ms: q(0.95),
      p99Ms: q(0.99),
      minMs: has ? acc.minUs / 1000 : null,
      maxMs: has ? acc.maxUs / 1000 : null,
      statusCounts: acc.status.toRecord(),
      dropped:
        acc.dropped + (acc.name === 'all' || acc === this.firstConfigured() ? this.droppedBeforeStart : 0),
      statusByPayload: byPayload,
      modelVersions: acc.versions.toRecord(),
      longestGap: acc.longestGap(startS, effectiveEndS),
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

const WINDOW_NAMES: readonly WindowName[] = ['baseline', 'fault', 'recovery', 'all'];

function isWindowName(name: string): name is WindowName {
  return (WINDOW_NAMES as readonly string[]).includes(name);
}

/** The result document's windows; windows named outside WindowName are left out. */
export function toWindowStats(summary: LoadSummary): WindowStats[] {
  const out: WindowStats[] = [];
  for (const w of summary.windows) {
    if (!isWindowName(w.window)) continue;
    out.push({
      window: w.window,
      startOffsetS: w.startOffsetS,
      endOffsetS: w.endOffsetS,
      requests: w.requests,
      failed: w.failed,
      errorRate: w.errorRate,
      rps: w.rps,
      p50Ms: w.p50Ms,
      p90Ms: w.p90Ms,
      p95Ms: w.p95Ms,
      p99Ms: w.p99Ms,
      maxMs: w.maxMs,
      statusCounts: w.statusCounts,
    });
  }
  return out;
}

/** The result document's timeline; readyPods is the orchestrator's to fill. */
export function toTimeline(summary: LoadSummary): TimelinePoint[] {
  return summary.timeline.map((p) => ({ ...p, readyPods: null }));
}

/** Feeds a whole NDJSON text or buffer at once: for tests and re-reading a stored raw file. */
export function ingestAll(input: Uint8Array | string, opts: IngestOptions = {}): LoadSummary {
  const ingest = new K6Ingest(opts);
  ingest.write(input);
  ingest.end();
  return ingest.summary();
}
