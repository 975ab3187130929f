/**
 * The per-second timeline an ingest keeps: requests, errors and p50/p95/p99 per second. Several ingests (one per
 * load runner) may share one, so the merged timeline's per-second percentiles come from one histogram per second
 * fed by every runner, which is exact, rather than from per-runner percentiles, which cannot be combined.
 */
import type { Histogram } from 'hdr-histogram-js';
import { quantileMs, round3, secondHistogram, SecondsF64, SecondsU32 } from './accumulators.js';
import type { TimelineSecond } from './summary.js';

// Seconds a per-second histogram stays open for stragglers: k6 stamps a request at its end and flushes every
// ~200 ms, so lines arrive almost in order; 10 s is ample while keeping at most ~11 small histograms alive.
// Runners' streams arrive with their own lags, so a shared timeline is given a longer reorder span.
export const REORDER_S = 10;

export class SecondTimeline {
  readonly reqs: SecondsU32;
  readonly errs: SecondsU32;
  private readonly p50: SecondsF64;
  private readonly p95: SecondsF64;
  private readonly p99: SecondsF64;
  maxSec = -1;
  readonly open = new Map<number, Histogram>();
  private readonly pool: Histogram[] = [];
  /** Seconds below this have been folded into p50/p95/p99 and their histograms freed. */
  finalizedBelow = 0;
  truncated = false;
  late = 0;

  constructor(
    readonly cap: number,
    private readonly reorderS: number = REORDER_S,
  ) {
    this.reqs = new SecondsU32(cap);
    this.errs = new SecondsU32(cap);
    this.p50 = new SecondsF64(cap);
    this.p95 = new SecondsF64(cap);
    this.p99 = new SecondsF64(cap);
  }

  request(sec: number, us: number): void {
    if (!this.reqs.ensure(sec)) {
      this.truncated = true;
      return;
    }
    this.reqs.data[sec]!++;
    if (sec > this.maxSec) this.maxSec = sec;
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
    const limit = sec - this.reorderS;
    if (limit > this.finalizedBelow) this.finalizeBelow(limit);
  }

  error(sec: number): void {
    if (this.errs.ensure(sec)) this.errs.data[sec]!++;
    else this.truncated = true;
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

  points(): TimelineSecond[] {
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
