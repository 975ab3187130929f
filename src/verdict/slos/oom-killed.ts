/** Containers of the pods under test OOMKilled during the run, at most a number. */
import { defineSlo, inconclusive, verdictOf } from './judge.js';

export const oomKilled = defineSlo({
  kind: 'oomKilled',
  needs: ['pods'],
  heading: (slo) => ({ id: 'oom-killed', window: 'all', threshold: `≤ ${slo.max}` }),
  judge(slo, { obs }) {
    if (obs.pods.pods.size === 0) return inconclusive('no pod under test was observed');
    const killed = obs.pods.oomKilled();
    return {
      verdict: verdictOf(killed.length <= slo.max),
      measured: killed.length,
      evidence: killed.length === 0 ? 'no container was OOMKilled' : `OOMKilled: ${killed.join(', ')}`,
    };
  },
});
