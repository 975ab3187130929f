/**
 * k6 thresholds in the verdict: k6 judged them itself (exit 99 when one is crossed); a crossed one counts like
 * a failed SLO. They stay out of `slos` in the result, which lists the scenario's own SLOs.
 */
import type { SloResult, ThresholdResult } from './result.js';

/** Each threshold as an SLO-shaped check over the whole run, for overallVerdict. */
export function thresholdChecks(thresholds: readonly ThresholdResult[]): SloResult[] {
  return thresholds.map((t) => ({
    id: `k6 threshold ${t.metric} ${t.expression}`,
    kind: 'k6Threshold',
    window: 'all',
    verdict: t.ok ? 'PASS' : 'FAIL',
    measured: null,
    threshold: t.expression,
    evidence: t.ok ? 'held (k6)' : 'crossed (k6 exit 99)',
  }));
}
