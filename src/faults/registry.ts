import { RUNNERS_UNDO, undoRunners } from '../runners/pool.js';
import type { Kube } from '../adapters/kube.js';
import type { UndoRecord } from '../ledger/ledger.js';
import type { Plan, PlannedFault } from '../plan/plan.js';
import type { FaultSpec } from '../scenario/schema.js';
import type { FaultPlugin } from './fault.js';
import { kubectl } from './kubectl.js';
import { latency } from './latency.js';
import { modelVersion } from './model-version.js';
import { nodeDrain } from './node-drain.js';
import { oversizeBatch } from './oversize-batch.js';
import { podKill } from './pod-kill.js';

const plugins = {
  'pod-kill': podKill,
  'node-drain': nodeDrain,
  latency,
  'model-version': modelVersion,
  'oversize-batch': oversizeBatch,
  kubectl,
};

export function faultPlugin<S extends FaultSpec>(spec: S): FaultPlugin<S> {
  return plugins[spec.type] as unknown as FaultPlugin<S>;
}

/**
 * Undoes one journalled mutation with the plugin of the fault that made it: the one place that turns an
 * undo record from a ledger into a fault's code. A fault this chaos does not know (a ledger from a newer
 * one) is an error, so its entry stays open.
 */
export function runUndo(kube: Kube, undo: UndoRecord): Promise<string> {
  // Not a fault but undone like one: the load runners a run (or a dead harness) left in the cluster.
  if (undo.fault === RUNNERS_UNDO) return undoRunners(undo, kube);
  if (!Object.hasOwn(plugins, undo.fault))
    return Promise.reject(new Error(`no fault type "${undo.fault}" in this chaos to undo it`));
  return (plugins[undo.fault as keyof typeof plugins] as FaultPlugin).undo(undo, kube);
}

/** What every fault of a plan would touch right now, read-only: for `chaos plan` and `--dry-run`. */
export async function previewFaults(
  plan: Plan,
  kube: Kube,
  random: () => number,
): Promise<{ fault: PlannedFault; lines: string[] }[]> {
  const previews = [];
  for (const fault of plan.faults) {
    const lines = await faultPlugin(fault.spec).preview(fault.spec, {
      kube,
      plan,
      runId: 'preview',
      namespace: plan.namespace,
      random,
      log: () => undefined,
      signal: new AbortController().signal,
    });
    previews.push({ fault, lines });
  }
  return previews;
}
