/** Requests per second in one window at or over a floor. */
import { defineSlo, inconclusive, round, verdictOf } from './judge.js';

export const throughput = defineSlo({
  kind: 'throughput',
  needs: ['load'],
  absenceIsBreach: true,
  heading: (slo) => ({ id: `throughput-${slo.window}`, window: slo.window, threshold: `≥ ${slo.min} req/s` }),
  judge(slo, { obs }) {
    const w = obs.load[slo.window];
    if (!w) return inconclusive(`no load measured in the ${slo.window} window`);
    // Zero requests says nothing about the endpoint: the load generator may not have sent any.
    if (w.requests === 0) return inconclusive(`no requests measured in the ${slo.window} window`);
    return {
      verdict: verdictOf(w.rps >= slo.min),
      measured: round(w.rps),
      evidence: `${w.requests} requests, ${round(w.rps)} req/s`,
    };
  },
});
