/** Container restarts of the pods under test during the run, at most a number. */
import { defineSlo, inconclusive, verdictOf } from './judge.js';

export const restarts = defineSlo({
  kind: 'restarts',
  needs: ['pods'],
  heading: (slo) => ({ id: 'restarts', window: 'all', threshold: `≤ ${slo.max}` }),
  judge(slo, { obs }) {
    if (obs.pods.pods.size === 0) return inconclusive('no pod under test was observed');
    const restarted = obs.pods.restartsDuringRun();
    const total = restarted.reduce((a, r) => a + r.restarts, 0);
    return {
      verdict: verdictOf(total <= slo.max),
      measured: total,
      evidence:
        total === 0
          ? 'no container restarted during the run'
          : restarted.map((r) => `${r.pod} restarted ${r.restarts}×`).join('; '),
    };
  },
});
