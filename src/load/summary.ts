/**
 * What an ingest reports: per-window summaries, the per-second timeline and counters; and their mapping to the
 * result document's windows and timeline.
 */
import type { TimelinePoint, WindowName, WindowStats } from '../verdict/result.js';
import { quantileMs, round3, type Gap, type WindowAcc } from './accumulators.js';
import type { AnswersSummary } from './answers.js';
import type { ExemplarsSummary } from './exemplars.js';

export type { Gap } from './accumulators.js';

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
  /** Exact (from the sum of latencies), unlike the percentiles, which are at the histogram's precision. */
  meanMs: number | null;
  p50Ms: number | null;
  p90Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  minMs: number | null;
  maxMs: number | null;
  statusCounts: Record<string, number>;
  /** Requests without any response (status 0), by k6 error_code. */
  connectionErrors: Record<string, number>;
  /** k6's dropped_iterations in the window (placed by time: k6 tags them with the scenario only). */
  dropped: number;
  /** payload tag ("normal" | "oversize") → status → count */
  statusByPayload: Record<string, Record<string, number>>;
  modelVersions: Record<string, number>;
  /** Longest stretch inside the window without a success (edges count); exact for gaps >= 1 s. */
  longestGap: Gap | null;
  /** The model's answers captured from the responses (target.response). */
  answers: AnswersSummary;
  /** Trace ids of the window's slowest and first failed requests, when the load carried trace context. */
  exemplars: ExemplarsSummary;
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

/** One window's summary. */
export function summarizeWindow(
  acc: WindowAcc,
  startS: number,
  endS: number,
  effectiveEndS: number,
): WindowSummary {
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
    meanMs: has ? round3(acc.sumUs / acc.requests / 1000) : null,
    p50Ms: q(0.5),
    p90Ms: q(0.9),
    p95Ms: q(0.95),
    p99Ms: q(0.99),
    minMs: has ? acc.minUs / 1000 : null,
    maxMs: has ? acc.maxUs / 1000 : null,
    statusCounts: acc.status.toRecord(),
    connectionErrors: acc.noResponse.toRecord(),
    dropped: acc.dropped,
    statusByPayload: byPayload,
    modelVersions: acc.versions.toRecord(),
    longestGap: acc.longestGap(startS, effectiveEndS),
    answers: acc.answers.summary(),
    exemplars: acc.exemplars.summary(),
  };
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
