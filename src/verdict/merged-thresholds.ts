/** load.thresholds judged once on the merged load of several runners (see scenario/threshold-expr.ts). */
import type { LoadSummary, WindowSummary } from '../load/summary.js';
import { holds, parseMergedThreshold, type MergedThreshold } from '../scenario/threshold-expr.js';
import type { ThresholdResult } from './result.js';

export function judgeMergedThresholds(
  thresholds: Record<string, string[]> | undefined,
  summary: LoadSummary,
  windows: readonly string[],
): ThresholdResult[] {
  const out: ThresholdResult[] = [];
  for (const [metric, expressions] of Object.entries(thresholds ?? {}))
    for (const expression of expressions) {
      const t = parseMergedThreshold(metric, expression, windows);
      // Validation refused these; a result without a measure would be a PASS on nothing.
      if ('problem' in t) {
        out.push({ metric, expression, ok: false });
        continue;
      }
      const measured = measure(
        t,
        summary.windows.find((w) => w.window === t.window),
      );
      out.push({ metric, expression, ok: measured !== null && holds(measured, t.op, t.value) });
    }
  return out;
}

/** The statistic in k6's units (ms, a 0–1 rate, a count, requests/s); null when the window saw no request. */
export function measure(t: MergedThreshold, w: WindowSummary | undefined): number | null {
  if (!w || w.requests === 0) return null;
  switch (t.stat) {
    case 'p50':
      return w.p50Ms;
    case 'p90':
      return w.p90Ms;
    case 'p95':
      return w.p95Ms;
    case 'p99':
      return w.p99Ms;
    case 'avg':
      return w.meanMs;
    case 'min':
      return w.minMs;
    case 'max':
      return w.maxMs;
    case 'count':
      return w.requests;
    case 'rate':
      return t.base === 'http_req_failed' ? w.errorRate : w.rps;
  }
}
