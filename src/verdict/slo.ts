/**
 * Judging each SLO from measured data. Every judgment carries its evidence; when the data needed is missing
 * the answer is INCONCLUSIVE, never PASS. How each kind judges lives in its module under slos/.
 */
import type { Plan } from '../plan/plan.js';
import type { FaultRecord, SloResult, Verdict } from './result.js';
import { sloJudge } from './slos/index.js';
import type { Observations } from './slos/judge.js';

export type { Observations, WindowEvidence } from './slos/judge.js';
export { budgetTarget } from './slos/error-rate.js';

export async function judgeSlos(plan: Plan, obs: Observations): Promise<SloResult[]> {
  const results: SloResult[] = [];
  const used = new Set<string>();
  for (const slo of plan.scenario.slos) {
    const judge = sloJudge(slo);
    // A judge is handed only the observations it declared: what it reads is what it says it needs.
    const input = { plan, obs: pick(obs, judge.needs) };
    const { id: wanted, window, threshold } = judge.heading(slo, input);
    const { verdict, measured, evidence } = await judge.judge(slo, input);
    // Ids must be unique: they are junit testcase names.
    // A suffixed id may itself be taken ("up" twice, then "up 2"): count on until one is free.
    let id = wanted;
    for (let n = 2; used.has(id); n++) id = `${wanted}-${n}`;
    used.add(id);
    results.push({ id, kind: judge.kind, window, threshold, verdict, measured, evidence });
  }
  return results;
}

function pick<N extends keyof Observations>(obs: Observations, keys: readonly N[]): Pick<Observations, N> {
  const out: Partial<Observations> = {};
  for (const k of keys) if (k in obs) Object.assign(out, { [k]: obs[k] });
  return out as Pick<Observations, N>;
}

/** FAIL beats INCONCLUSIVE beats PASS; a fault that did not happen makes the whole run INCONCLUSIVE. */
export function overallVerdict(
  slos: SloResult[],
  faults: FaultRecord[],
): { verdict: Verdict; reasons: string[] } {
  const reasons: string[] = [];
  for (const f of faults)
    if (!f.confirmed)
      reasons.push(
        `fault ${f.type} not confirmed as applied: ${[f.description, ...f.notes].filter(Boolean).join('; ')}`,
      );
  const failed = slos.filter((s) => s.verdict === 'FAIL');
  const unknown = slos.filter((s) => s.verdict === 'INCONCLUSIVE');
  for (const s of unknown) reasons.push(`${s.id}: ${s.evidence}`);
  if (reasons.length > 0 && faults.some((f) => !f.confirmed)) return { verdict: 'INCONCLUSIVE', reasons };
  if (failed.length > 0)
    return { verdict: 'FAIL', reasons: failed.map((s) => `${s.id}: ${s.evidence}`).concat(reasons) };
  if (unknown.length > 0) return { verdict: 'INCONCLUSIVE', reasons };
  return { verdict: 'PASS', reasons: [] };
}
