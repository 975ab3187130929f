/** The Ready replica count never below a floor during one window. */
import type { Plan } from '../../plan/plan.js';
import type { WindowName } from '../result.js';
import { defineSlo, inconclusive, verdictOf } from './judge.js';

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

/** A window's absolute span in epoch ms. */
function windowSpan(plan: Plan, loadStartMs: number | null, window: WindowName): [number, number] | null {
  if (loadStartMs === null) return null;
  if (window === 'all') return [loadStartMs, loadStartMs + plan.totalMs];
  const w = plan.windows.find((x) => x.name === window)!;
  return [loadStartMs + w.startMs, loadStartMs + w.endMs];
}
