/** The Ready replica count never below a floor during one window. */
import { defineSlo, inconclusive, verdictOf, windowSpan } from './judge.js';

export const minReadyReplicas = defineSlo({
  kind: 'minReadyReplicas',
  needs: ['pods', 'loadStartMs'],
  heading: (slo) => ({
    id: `min-ready-replicas-${slo.window}`,
    window: slo.window,
    threshold: `≥ ${slo.min}`,
  }),
  judge(slo, { plan, obs }) {
    const span = windowSpan(plan, obs.loadStartMs, slo.window);
    if (!span) return inconclusive('load never started');
    const min = obs.pods.minReadyBetween(span[0], span[1]);
    if (min === null) return inconclusive('no pod readiness observed');
    const dips = obs.pods.readyTimeline
      .filter((s) => s.at >= span[0] && s.at <= span[1] && s.ready < slo.min)
      .map((s) => `${new Date(s.at).toISOString()} → ${s.ready}`);
    return {
      verdict: verdictOf(min >= slo.min),
      measured: min,
      evidence: `lowest Ready replica count in the ${slo.window} window: ${min}${dips.length ? `; below ${slo.min} at ${dips.slice(0, 5).join(', ')}` : ''}`,
    };
  },
});
