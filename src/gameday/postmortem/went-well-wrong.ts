import { formatMeasured } from '../../report/format.js';
import type { FaultRecord } from '../../verdict/result.js';
import type { GameDayResult } from '../result.js';
import type { Run } from './breach.js';
import { repeatsCheck, skipReason, skipped } from './helpers.js';

export function deriveWentWell(runs: readonly Run[]): string[] {
  return runs.flatMap(wentWell);
}

export function deriveWentWrong(g: GameDayResult, runs: readonly Run[]): string[] {
  return [...runs.flatMap(wentWrong), ...skipped(g).map((s) => `${s.name} was skipped: ${skipReason(s)}`)];
}

/**
 * A fault that leaves nothing behind to undo says so in its record (`nothingToRevert`); results written before
 * records said it are read by kind.
 */
const ONE_SHOT_BEFORE_RECORDS_SAID_SO = new Set(['pod-kill', 'oversize-batch']);

function leavesNothingToRevert(f: FaultRecord): boolean {
  return f.nothingToRevert !== undefined || ONE_SHOT_BEFORE_RECORDS_SAID_SO.has(f.type);
}

function wentWell(run: Run): string[] {
  const checks = run.result.slos
    .filter((s) => s.verdict === 'PASS')
    .map((s) => `${run.name}: ${s.id} held at ${formatMeasured(s)} (objective ${s.threshold})`);
  const faults = run.result.faults.flatMap((f) => {
    if (!f.confirmed || f.injectedAt === null || revertFailed(run, f)) return [];
    if (f.revertedAt !== null)
      return [
        `${run.name}: the ${f.type} fault was injected at ${f.injectedAt} and reverted cleanly at ${f.revertedAt}`,
      ];
    return leavesNothingToRevert(f)
      ? [
          `${run.name}: the ${f.type} fault was applied at ${f.injectedAt} as planned (it leaves nothing to revert)`,
        ]
      : [];
  });
  return [...checks, ...faults];
}

function wentWrong(run: Run): string[] {
  const r = run.result;
  const checks = r.slos.flatMap((s) => {
    if (s.verdict === 'FAIL')
      return [
        `${run.name}: ${s.id} missed its objective at ${formatMeasured(s)} against ${s.threshold}: ${s.evidence}`,
      ];
    if (s.verdict === 'INCONCLUSIVE') return [`${run.name}: ${s.id} could not be judged: ${s.evidence}`];
    return [];
  });
  const faults = r.faults.flatMap((f) => {
    if (!f.confirmed)
      return [`${run.name}: the ${f.type} fault was not confirmed as applied: ${f.description}`];
    if (f.injectedAt !== null && f.revertedAt === null && !leavesNothingToRevert(f) && !revertFailed(run, f))
      return [`${run.name}: the ${f.type} fault was applied at ${f.injectedAt} and never reverted`];
    return [];
  });
  const reverts = run.revertFailures.map((e) => `${run.name}: ${e.message} (at ${e.at})`);
  // Reasons that repeat a failed check's evidence or a revert failure are already listed above.
  const reasons = r.reasons
    .filter((reason) => !/^REVERT FAILED/.test(reason) && !repeatsCheck(r, reason))
    .filter((reason) => !r.faults.some((f) => !f.confirmed && reason.includes(f.description)))
    .map((reason) => `${run.name}: ${reason}`);
  return [...checks, ...faults, ...reverts, ...reasons];
}

/** Revert failures name the undo's object ("ml-serving/feature-store-abc"), not the fault record. */
function revertFailed(run: Run, fault: FaultRecord): boolean {
  const names = [fault.type, ...fault.targets.map((t) => t.split('/').slice(-2).join('/'))];
  return run.revertFailures.some((e) => names.some((n) => e.message.includes(n)));
}
