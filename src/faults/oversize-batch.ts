/**
 * Oversize batches are a load shape, not a cluster mutation: k6 mixes them into the traffic. Whether they
 * were really sent is confirmed from the load results by the verdict, not here.
 */
import type { FaultSpec } from '../scenario/schema.js';
import { emptyRecord, type FaultPlugin } from './fault.js';

type OversizeSpec = Extract<FaultSpec, { type: 'oversize-batch' }>;

export const oversizeBatch: FaultPlugin<OversizeSpec> = {
  type: 'oversize-batch',
  preview: (spec) =>
    Promise.resolve([`k6 would send a ${spec.rows}-row batch every ${spec.every} iterations`]),
  inject: (spec) => {
    const record = emptyRecord('oversize-batch');
    record.injectedAt = new Date().toISOString();
    record.confirmed = true;
    record.nothingToRevert = 'the oversize batches end with the load';
    record.description = `k6 sends a ${spec.rows}-row batch every ${spec.every} iterations`;
    record.notes.push('confirmed by the verdict from the responses to oversize requests');
    return Promise.resolve({ record, mutations: [] });
  },
  // Never journals a mutation: k6 stops sending the batches when the load ends.
  undo: (record) => Promise.resolve(`nothing to undo (${record.nothing ?? 'oversize batches are load'})`),
};
