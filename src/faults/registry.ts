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
