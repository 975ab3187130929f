/**
 * Trace exemplars of one window: the trace ids of its slowest requests and of its first failed ones, in memory
 * bounded by a few entries whatever the request count. k6 sends only candidates (`chaos_trace` points,
 * k6/harness.ts), a few per VU and window; the pool keeps the window's best of them, and pools of several
 * runners merge into what one stream would have kept.
 */

export type ExemplarCause = 'slow' | 'failed';

export interface Exemplar {
  traceId: string;
  cause: ExemplarCause;
  /** The request's duration. */
  ms: number;
  /** HTTP status; "0" when no response came. */
  status: string;
  /** Seconds after the load's start at which the request ended. */
  offsetS: number;
}

export interface ExemplarsSummary {
  /** Slowest first. */
  slowest: Exemplar[];
  /** In the order they ended: the first failures of a window say the most about its onset. */
  failed: Exemplar[];
}

/** How many of each cause a window keeps: more than a report shows, so a trace the backend lacks has stand-ins. */
export const EXEMPLARS_PER_CAUSE = 8;

const TRACE_ID = /^[0-9a-f]{32}$/;

export class ExemplarPool {
  private readonly slowest: Exemplar[] = [];
  private readonly failed: Exemplar[] = [];

  add(e: Exemplar): void {
    if (!TRACE_ID.test(e.traceId)) return;
    if (e.cause === 'failed') insertBounded(this.failed, e, (a, b) => a.offsetS - b.offsetS);
    else insertBounded(this.slowest, e, (a, b) => b.ms - a.ms);
  }

  merge(other: ExemplarPool): void {
    for (const e of other.slowest) this.add(e);
    for (const e of other.failed) this.add(e);
  }

  summary(): ExemplarsSummary {
    return { slowest: [...this.slowest], failed: [...this.failed] };
  }
}

/** Keeps `list` sorted by `order` and at most EXEMPLARS_PER_CAUSE long; a trace already held is not added twice. */
function insertBounded(list: Exemplar[], e: Exemplar, order: (a: Exemplar, b: Exemplar) => number): void {
  if (list.some((x) => x.traceId === e.traceId)) return;
  if (list.length === EXEMPLARS_PER_CAUSE && order(e, list[list.length - 1]!) >= 0) return;
  let i = list.length;
  while (i > 0 && order(e, list[i - 1]!) < 0) i--;
  list.splice(i, 0, e);
  if (list.length > EXEMPLARS_PER_CAUSE) list.pop();
}
