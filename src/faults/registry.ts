import type { Kube } from '../adapters/kube.js';
import type { Plan, PlannedFault } from '../plan/plan.js';
import type { FaultSpec } from '../scenario/schema.js';
import type { FaultPlugin } from './fault.js';
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
};

export function faultPlugin<S extends FaultSpec>(spec: S): FaultPlugin<S> {
  return plugins[spec.type] as unknown as FaultPlugin<S>;
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
