/** The share of failed requests in one window under a limit. */
import type { SloSpec } from '../../scenario/schema.js';
import { formatPercent } from '../../scenario/units.js';
import { defineSlo, inconclusive, verdictOf } from './judge.js';

export const errorRate = defineSlo({
  kind: 'errorRate',
  needs: ['load'],
  exemplars: 'failed',
  heading: (slo) => ({ id: `error-rate-${slo.window}`, window: slo.window, threshold: `< ${slo.max.text}` }),
  judge(slo, { obs }) {
    const w = obs.load[slo.window];
    if (!w || w.requests === 0) return inconclusive(`no requests measured in the ${slo.window} window`);
    const max = slo.max.ratio;
    // "< 2 %" on integer counts: failed < max × requests, with a tolerance for the binary rounding of the
    // percentage (1.1 / 100 = 0.011000000000000001) so a rate exactly at the limit always fails.
    const ok = max === 0 ? w.failed === 0 : w.failed < max * w.requests * (1 - 1e-9);
    const statuses = Object.entries(w.statusCounts)
      .filter(([s]) => !s.startsWith('2'))
      .map(([s, n]) => `${s === '0' ? 'no response' : s}×${n}`)
      .join(', ');
    return {
      verdict: verdictOf(ok),
      measured: formatPercent(w.errorRate, 3),
      evidence: `${w.failed} of ${w.requests} requests failed (${formatPercent(w.errorRate, 3)})${statuses ? `; non-2xx: ${statuses}` : ''}`,
    };
  },
});

/**
 * The success ratio an error budget is kept against: 1 − the whole-run error-rate limit, or null when the
 * scenario sets none.
 */
export function budgetTarget(slos: readonly SloSpec[]): number | null {
  const slo = slos.find((x) => x.type === 'errorRate' && x.window === 'all');
  return slo?.type === 'errorRate' ? 1 - slo.max.ratio : null;
}
