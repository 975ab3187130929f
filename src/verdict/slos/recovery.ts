/** After a pod-removing fault, all replicas Ready again (the removed ones replaced) within a limit. */
import { formatDuration } from '../../scenario/units.js';
import { defineSlo, inconclusive, round, verdictOf } from './judge.js';

const POD_FAULTS = new Set(['pod-kill', 'node-drain']);

export const recovery = defineSlo({
  kind: 'recovery',
  needs: ['faults', 'pods', 'desiredReplicas'],
  heading: (slo) => ({ id: 'recovery-time', window: 'all', threshold: `≤ ${slo.within.text}` }),
  judge(slo, { plan, obs }) {
    const fault = obs.faults.find((f) => f.confirmed && POD_FAULTS.has(f.type) && f.injectedAt);
    if (!fault) return inconclusive('no confirmed pod-removing fault to recover from');
    const desired = slo.readyReplicas ?? obs.desiredReplicas;
    if (!desired) return inconclusive('desired replica count unknown');
    const since = Date.parse(fault.injectedAt!);
    // Only pods under test count: a drain also evicts bystanders (other apps) that this SLO does not judge.
    // A victim that was itself a replacement (a repeated kill can pick one) needs no extra new pod.
    const replaced = fault.targets.filter((t) => {
      const [ns, name] = t.replace(/^pod\//, '').split('/');
      const pod = name === undefined ? undefined : obs.pods.pods.get(name);
      return ns === plan.namespace && pod !== undefined && pod.createdAt < since;
    }).length;
    const at = obs.pods.recoveredAt(since, desired, replaced);
    if (at === null) {
      return {
        verdict: 'FAIL',
        measured: null,
        evidence: `${desired} Ready replicas (${replaced} of them new) never observed after the ${fault.type} at ${fault.injectedAt}; ready now: ${obs.pods.readyCount()}`,
      };
    }
    const took = at - since;
    return {
      verdict: verdictOf(took <= slo.within.ms),
      measured: round(took / 1000),
      evidence: `${fault.type} at ${fault.injectedAt}; ${desired} replicas Ready again (${replaced} replaced) at ${new Date(at).toISOString()}: ${formatDuration(took)}`,
    };
  },
});
