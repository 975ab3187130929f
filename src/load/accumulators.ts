/**
 * What the ingest keeps per window and per second: HDR histograms for latencies, capped counters for tag values,
 * and per-second arrays that grow by doubling up to a cap. Memory is constant in the number of requests.
 */
import { build } from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';
import { AnswersAcc } from './answers.js';
import { Counts, MAX_KEYS, OTHER_KEY } from './counts.js';
import { ExemplarPool } from './exemplars.js';

/** A stretch without a success, in seconds since load start. */
export interface Gap {
  /** seconds since load start */
  startS: number;
  endS: number;
  seconds: number;
}

const HDR_HIGHEST_US = 120_000_000;
const INITIAL_SECONDS = 1024;

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
export function secondHistogram(): Histogram {
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

/** Grows by doubling up to the cap; NaN marks "no data". */
export class SecondsF64 {
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

export class SecondsU32 {
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

export class WindowAcc {
  requests = 0;
  failed = 0;
  successes = 0;
  dropped = 0;
  minUs = Infinity;
  maxUs = -Infinity;
  // Integer microseconds: the sum stays exact (below 2^53) for any run this tool can make, so the mean is too.
  sumUs = 0;
  firstOffsetS = Infinity;
  lastOffsetS = -Infinity;
  readonly hist = windowHistogram();
  readonly status = new Counts();
  /** Requests without any response (status 0), by k6's error_code: what no server could have counted. */
  readonly noResponse = new Counts();
  readonly byPayload = new Map<string, Counts>();
  readonly versions = new Counts();
  // First and last success per second: the longest gap across seconds is exact from these alone, without
  // keeping every success timestamp, and no matter in which order the lines arrive.
  readonly okFirst: SecondsF64;
  readonly okLast: SecondsF64;
  okMinSec = Infinity;
  okMaxSec = -Infinity;
  readonly answers: AnswersAcc;
  readonly exemplars = new ExemplarPool();

  constructor(
    readonly name: string,
    cap: number,
    scoreRange: readonly [number, number] = [0, 1],
  ) {
    this.okFirst = new SecondsF64(cap);
    this.okLast = new SecondsF64(cap);
    this.answers = new AnswersAcc(scoreRange[0], scoreRange[1]);
  }

  request(us: number, status: string, payload: string, offsetS: number, errorCode = ''): void {
    this.requests++;
    if (status === '0') this.noResponse.add(errorCode || 'none', 1);
    this.hist.recordValue(us);
    this.sumUs += us;
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

  /**
   * Adds another accumulator of the same window (another runner's, on the same clock). Everything adds or takes
   * its min/max, and HDR histograms merge bucket by bucket, so the result is the accumulator the union of both
   * streams would have built: the same counts, extremes, percentiles and gaps.
   */
  merge(other: WindowAcc): void {
    this.requests += other.requests;
    this.failed += other.failed;
    this.successes += other.successes;
    this.dropped += other.dropped;
    this.sumUs += other.sumUs;
    if (other.minUs < this.minUs) this.minUs = other.minUs;
    if (other.maxUs > this.maxUs) this.maxUs = other.maxUs;
    if (other.firstOffsetS < this.firstOffsetS) this.firstOffsetS = other.firstOffsetS;
    if (other.lastOffsetS > this.lastOffsetS) this.lastOffsetS = other.lastOffsetS;
    if (other.requests > 0) this.hist.add(other.hist);
    this.status.merge(other.status);
    this.noResponse.merge(other.noResponse);
    for (const [k, c] of other.byPayload) {
      const key = this.byPayload.has(k) || this.byPayload.size < MAX_KEYS ? k : OTHER_KEY;
      let p = this.byPayload.get(key);
      if (!p) {
        p = new Counts();
        this.byPayload.set(key, p);
      }
      p.merge(c);
    }
    this.versions.merge(other.versions);
    for (let sec = other.okMinSec; sec <= other.okMaxSec; sec++) {
      const f = other.okFirst.data[sec];
      const l = other.okLast.data[sec];
      if (f === undefined || l === undefined || Number.isNaN(f)) continue;
      if (!this.okFirst.ensure(sec) || !this.okLast.ensure(sec)) break;
      const mf = this.okFirst.data[sec]!;
      if (!(mf <= f)) this.okFirst.data[sec] = f;
      const ml = this.okLast.data[sec]!;
      if (!(ml >= l)) this.okLast.data[sec] = l;
      if (sec < this.okMinSec) this.okMinSec = sec;
      if (sec > this.okMaxSec) this.okMaxSec = sec;
    }
    this.answers.merge(other.answers);
    this.exemplars.merge(other.exemplars);
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

export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
