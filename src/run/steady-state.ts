/** Steady-state checks: the system must be healthy before an experiment means anything, and again after. */
import type { HttpProbe } from '../adapters/http.js';
import type { Kube } from '../adapters/kube.js';
import type { Plan } from '../plan/plan.js';
import { readyUrl } from '../scenario/protocol.js';

export interface SteadyStateResult {
  ok: boolean;
  lines: string[];
  failures: string[];
}

export async function checkSteadyState(
  plan: Plan,
  kube: Kube,
  http: HttpProbe,
  when: 'before' | 'after',
): Promise<SteadyStateResult> {
  const s = plan.scenario;
  const lines: string[] = [];
  const failures: string[] = [];
  const check = (ok: boolean, line: string) => {
    lines.push(`${ok ? 'ok' : 'FAILED'}: ${line}`);
    if (!ok) failures.push(line);
  };
  for (const c of s.steadyState) {
    try {
      switch (c.type) {
        case 'readyReplicas': {
          const d = await kube.readDeployment(plan.namespace, s.target.deployment ?? '');
          const ready = d.status?.readyReplicas ?? 0;
          check(
            ready >= c.min,
            `deployment ${s.target.deployment} has ${ready} Ready replica(s) (want ≥ ${c.min})`,
          );
          break;
        }
        case 'endpoints': {
          const addrs = await kube.readyEndpoints(plan.namespace, s.target.service ?? '');
          check(
            addrs.length >= c.min,
            `service ${s.target.service} has ${addrs.length} ready endpoint(s) (want ≥ ${c.min})`,
          );
          break;
        }
        case 'http': {
          const url = c.url ?? readyUrl(s.target);
          const got = await http.status(url);
          check(got === c.status, `GET ${url} → ${got ?? 'no answer'} (want ${c.status})`);
          break;
        }
      }
    } catch (error) {
      check(false, `${c.type} check could not run ${when} the experiment: ${(error as Error).message}`);
    }
  }
  return { ok: failures.length === 0, lines, failures };
}
