/** Pods (new ones after the fault, or any) reach a container state, optionally with a line in their log. */
import { defineSlo, inconclusive, verdictOf } from './judge.js';

export const podState = defineSlo({
  kind: 'podState',
  needs: ['faults', 'pods', 'previousLogs'],
  heading: (slo) => ({
    id: `pod-state-${slo.reason.toLowerCase()}`,
    window: 'all',
    threshold: `${slo.pods} pods reach ${slo.reason}`,
  }),
  judge(slo, { obs }) {
    const fault = obs.faults.find((f) => f.confirmed && f.injectedAt);
    if (slo.pods === 'new' && !fault) return inconclusive('no confirmed fault: no "new" pods to judge');
    const pods =
      slo.pods === 'new'
        ? obs.pods.podsCreatedAfter(Date.parse(fault!.injectedAt!))
        : [...obs.pods.pods.values()];
    if (pods.length === 0 && slo.pods === 'any') return inconclusive('no pod under test was observed');
    if (pods.length === 0)
      return { verdict: 'FAIL', measured: 0, evidence: 'no pod was created after the fault' };
    const hit = pods.filter((p) => p.waitingReasons.has(slo.reason) || p.terminatedReasons.has(slo.reason));
    let evidence = `${hit.length} of ${pods.length} ${slo.pods} pod(s) reached ${slo.reason}: ${hit.map((p) => p.name).join(', ') || 'none'}`;
    let ok = hit.length > 0;
    if (slo.logContains) {
      const withLine = hit.filter((p) => obs.previousLogs[p.name]?.includes(slo.logContains!));
      ok = ok && withLine.length > 0;
      const sample = withLine[0] ? firstLineWith(obs.previousLogs[withLine[0].name]!, slo.logContains) : null;
      evidence += `; previous log contains "${slo.logContains}" in ${withLine.length} pod(s)${sample ? `: ${sample}` : ''}`;
    }
    return { verdict: verdictOf(ok), measured: hit.length, evidence };
  },
});

function firstLineWith(text: string, needle: string): string | null {
  const line = text.split('\n').find((l) => l.includes(needle));
  return line ? line.slice(0, 300) : null;
}
