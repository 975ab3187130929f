import { afterAll, describe, expect, it } from 'vitest';
import { emptyRecord, isReady, isTerminating } from '../../../src/faults/fault.js';
import { kubectl } from '../../../src/faults/kubectl.js';
import { latency } from '../../../src/faults/latency.js';
import { modelVersion } from '../../../src/faults/model-version.js';
import { nodeDrain } from '../../../src/faults/node-drain.js';
import { oversizeBatch } from '../../../src/faults/oversize-batch.js';
import { podKill } from '../../../src/faults/pod-kill.js';
import { faultPlugin } from '../../../src/faults/registry.js';
import { FAULT_TYPES } from '../../../src/scenario/schema.js';
import { FakeKube, makePod } from '../../fakes/kube.js';
import { faultContext, faultOf, makePlan, tempDir } from '../../fakes/scenario.js';

const tmp = tempDir('chaos-fault-');
afterAll(() => tmp.cleanup());

describe('the fault registry', () => {
  it('has a plugin for every fault type the schema accepts, of that type', () => {
    const plan = makePlan({
      faults: [
        { type: 'pod-kill', count: 1 },
        { type: 'node-drain' },
        { type: 'latency', selector: { app: 'feature-store' }, delay: '300ms' },
        { type: 'model-version', version: 'v404' },
        { type: 'oversize-batch' },
        {
          type: 'kubectl',
          inject: ['scale', 'deployment/feature-store', '--replicas=0'],
          undo: ['get', 'pods'],
        },
      ],
      safety: { allowedNamespaces: ['ml-serving'], allowKubectl: true },
    });
    expect(plan.scenario.faults.map((f) => f.type).sort()).toEqual([...FAULT_TYPES].sort());
    for (const f of plan.scenario.faults) expect(faultPlugin(f).type).toBe(f.type);
    expect(
      [podKill, nodeDrain, latency, modelVersion, oversizeBatch, kubectl].map((p) => p.type).sort(),
    ).toEqual([...FAULT_TYPES].sort());
  });
});

describe('oversize-batch', () => {
  it('is a load shape: confirmed without touching the cluster, the verdict checks the responses', async () => {
    const kube = new FakeKube();
    const plan = makePlan({ faults: [{ type: 'oversize-batch', rows: 5000, every: 20 }] });
    const ctx = await faultContext(kube, plan, tmp.dir);
    const { record, mutations } = await oversizeBatch.inject(faultOf(plan, 'oversize-batch'), ctx);
    expect(record).toMatchObject({
      type: 'oversize-batch',
      confirmed: true,
      description: 'k6 sends a 5000-row batch every 20 iterations',
    });
    expect(record.injectedAt).not.toBeNull();
    expect(mutations).toEqual([]);
    expect(kube.calls).toEqual([]);
    expect(await oversizeBatch.preview(faultOf(plan, 'oversize-batch'), ctx)).toEqual([
      'k6 would send a 5000-row batch every 20 iterations',
    ]);
    await ctx.ledger.close();
  });
});

describe('fault helpers', () => {
  it('emptyRecord starts unconfirmed: a fault must prove it happened', () => {
    expect(emptyRecord('pod-kill')).toEqual({
      type: 'pod-kill',
      description: '',
      injectedAt: null,
      revertedAt: null,
      confirmed: false,
      targets: [],
      notes: [],
    });
  });

  it('isReady reads the Ready condition, isTerminating the deletion timestamp', () => {
    expect(isReady(makePod({ name: 'a' }))).toBe(true);
    expect(isReady(makePod({ name: 'a', ready: false }))).toBe(false);
    expect(isReady({})).toBe(false);
    expect(isTerminating(makePod({ name: 'a', terminating: true }))).toBe(true);
    expect(isTerminating(makePod({ name: 'a' }))).toBe(false);
  });
});
