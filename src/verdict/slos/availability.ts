/** The longest stretch of one window without a successful response, at or under a limit. */
import { defineSlo, inconclusive, round, verdictOf } from './judge.js';

export const availability = defineSlo({
  kind: 'availability',
  needs: ['load'],
  exemplars: 'failed',
  absenceIsBreach: true,
  heading: (slo) => ({
    id: `availability-${slo.window}`,
    window: slo.window,
    threshold: `gap ≤ ${slo.maxGap.text}`,
  }),
  judge(slo, { obs }) {
    const w = obs.load[slo.window];
    if (!w || w.requests === 0 || w.longestGapS === null)
      return inconclusive(`no successful response measured in the ${slo.window} window`);
    return {
      verdict: verdictOf(w.longestGapS * 1000 <= slo.maxGap.ms),
      measured: round(w.longestGapS),
      evidence: `longest stretch without a successful response: ${round(w.longestGapS)} s`,
    };
  },
});
