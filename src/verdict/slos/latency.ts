/** A latency percentile of one window at or under a limit. */
import { defineSlo, inconclusive, round, verdictOf } from './judge.js';

export const latency = defineSlo({
  kind: 'latency',
  needs: ['load'],
  exemplars: 'slow',
  heading: (slo) => ({
    id: `latency-p${slo.percentile}-${slo.window}`,
    window: slo.window,
    threshold: `≤ ${slo.max.text}`,
  }),
  judge(slo, { obs }) {
    const w = obs.load[slo.window];
    const value = w?.[`p${slo.percentile}Ms`];
    if (!w || w.requests === 0 || value === null || value === undefined)
      return inconclusive(`no requests measured in the ${slo.window} window`);
    return {
      verdict: verdictOf(value <= slo.max.ms),
      measured: round(value),
      evidence: `p${slo.percentile} = ${round(value)} ms over ${w.requests} requests (p50 ${fmt(w.p50Ms)} ms, p99 ${fmt(w.p99Ms)} ms, max ${fmt(w.maxMs)} ms)`,
    };
  },
});

function fmt(n: number | null): string {
  return n === null ? '–' : String(round(n));
}
