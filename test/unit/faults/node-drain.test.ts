import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { nodeDrain } from '../../../src/faults/node-drain.js';
import { replayLedger } from '../../../src/ledger/ledger.js';
import type { ScenarioInput } from '../../../src/scenario/schema.js';
import { apiError, FakeKube, makeNode, makePod } from '../../fakes/kube.js';
import { faultContext, faultOf, makePlan, faultTestHooks } from '../../fakes/scenario.js';

// Backoff waits run on the fake clock; file I/O (the ledger) stays real.
const { tmp, contexts, T } = faultTestHooks({
  prefix: 'chaos-node-drain-',
  at: '2026-11-23T15:31:05.000Z',
  fake: ['setTimeout', 'clearTimeout'],
});

/**
 * Lets the code run until the promise settles, jumping the fake clock to the next timer whenever the code
 * waits on one; while it waits on real I/O (the ledger file) the clock stands still.
 */
async function drive<T>(p: Promise<T>): Promise<T> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; !settled && i < 100_000; i++) {
    if (vi.getTimerCount() > 0) await vi.advanceTimersToNextTimerAsync();
    else await new Promise((r) => setImmediate(r));
  }
  return p;
}

/** Three scorer replicas, two on worker-2; a DaemonSet pod, a mirror pod and a bystander there too. */
function cluster(): FakeKube {
  const kube = new FakeKube();
  kube.addPods(
    { name: 'fraud-scorer-a', node: 'worker-1' },
    { name: 'fraud-scorer-b', node: 'worker-2' },
    { name: 'fraud-scorer-c', node: 'worker-2' },
    {
      name: 'kindnet-x7k2p',
      namespace: 'kube-system',
      labels: { app: 'kindnet' },
      node: 'worker-2',
      owner: 'DaemonSet',
    },
    {
      name: 'etcd-worker-2',
      namespace: 'kube-system',
      labels: { component: 'etcd' },
      node: 'worker-2',
      mirror: true,
    },
    { name: 'feature-store-0', labels: { app: 'feature-store' }, node: 'worker-2', owner: 'StatefulSet' },
    {
      name: 'batch-job-z',
      namespace: 'jobs',
      labels: { job: 'z' },
      node: 'worker-2',
      phase: 'Succeeded',
      ready: false,
    },
  );
  return kube;
}

async function drain(
  kube: FakeKube,
  fault: { node?: string; evictionTimeout?: string; backoff?: string } = {},
) {
  const faults: ScenarioInput['faults'] = [
    { type: 'node-drain', at: '5s', evictionTimeout: '10s', backoff: '2s', ...fault },
  ];
  const plan = makePlan({ faults });
  const ctx = await faultContext(kube, plan, tmp.dir);
  contexts.push(ctx);
  const injection = await drive(nodeDrain.inject(faultOf(plan, 'node-drain'), ctx));
  return { ...injection, ctx };
}

const evicted = (kube: FakeKube) =>
  kube.callsTo('evictPod').map((a) => `${a[0] as string}/${a[1] as string}`);

describe('node-drain: which node, which pods', () => {
  it('cordons the node with most target pods, then evicts all but DaemonSet, mirror and finished pods', async () => {
    const kube = cluster();
    const { record, mutations, ctx } = await drain(kube);
    expect(kube.nodes.get('worker-2')?.spec?.unschedulable).toBe(true);
    expect(kube.nodes.get('worker-1')?.spec?.unschedulable).toBeFalsy();
    expect(new Set(evicted(kube))).toEqual(
      new Set(['ml-serving/fraud-scorer-b', 'ml-serving/fraud-scorer-c', 'ml-serving/feature-store-0']),
    );
    expect(record.notes).toContain('skipped 2 DaemonSet/mirror pod(s)');
    expect(record.confirmed).toBe(true);
    expect(record.injectedAt).toBe(new Date(T).toISOString());
    expect(record.targets[0]).toBe('node/worker-2');
    expect(record.targets.slice(1).sort()).toEqual([
      'pod/ml-serving/feature-store-0',
      'pod/ml-serving/fraud-scorer-b',
      'pod/ml-serving/fraud-scorer-c',
    ]);
    expect(record.description).toBe(
      'cordoned worker-2; evicted 3/3 pod(s) (2 under test); 0 eviction(s) blocked by a PDB (0 of pods under test)',
    );
    // The cordon is the one mutation to undo, and its undo was written before it.
    expect(mutations.map((m) => m.undo)).toEqual([{ fault: 'node-drain', v: 1, node: 'worker-2' }]);
    expect(
      replayLedger(ctx.ledger.file, readFileSync(ctx.ledger.file, 'utf8')).open.map((i) => i.undo),
    ).toEqual([{ fault: 'node-drain', v: 1, node: 'worker-2' }]);
    expect(kube.calls.findIndex((c) => c.method === 'setUnschedulable')).toBeLessThan(
      kube.calls.findIndex((c) => c.method === 'evictPod'),
    );
  });

  it('breaks a tie by node name, so the same cluster state always drains the same node', async () => {
    const kube = new FakeKube();
    kube.addPods({ name: 'fraud-scorer-a', node: 'worker-3' }, { name: 'fraud-scorer-b', node: 'worker-1' });
    await drain(kube);
    expect(evicted(kube)).toEqual(['ml-serving/fraud-scorer-b']);
  });

  it('drains the node the fault names', async () => {
    const kube = cluster();
    await drain(kube, { node: 'worker-1' });
    expect(evicted(kube)).toEqual(['ml-serving/fraud-scorer-a']);
  });

  it('is confirmed only if a pod under test was evicted: bystanders alone do not count', async () => {
    const kube = cluster();
    kube.addPods({
      name: 'grafana-0',
      namespace: 'monitoring',
      labels: { app: 'grafana' },
      node: 'worker-3',
    });
    const { record } = await drain(kube, { node: 'worker-3' });
    expect(evicted(kube)).toEqual(['monitoring/grafana-0']);
    expect(record.confirmed).toBe(false);
    expect(record.description).toContain('(0 under test)');
  });

  it('drains nothing, unconfirmed, when no target pod runs anywhere', async () => {
    const kube = new FakeKube();
    kube.addPods({ name: 'feature-store-0', labels: { app: 'feature-store' } });
    const { record, mutations } = await drain(kube);
    expect(record).toMatchObject({
      confirmed: false,
      description: 'drained nothing: no target pod runs on any node',
    });
    expect(mutations).toEqual([]);
    expect(kube.writes).toBe(0);
  });
});

describe('node-drain: PodDisruptionBudgets', () => {
  it('records every 429, backs off, and evicts once the budget allows', async () => {
    const kube = cluster();
    const attempts: number[] = [];
    kube.fail('evictPod', (args) => {
      if (args[1] === 'fraud-scorer-c') attempts.push(Date.now());
      return undefined;
    });
    kube.addPdb({
      namespace: 'ml-serving',
      selector: { app: 'fraud-scorer' },
      minAvailable: 2,
      // The ReplicaSet's replacement for fraud-scorer-b becomes Ready on worker-1 while -c is blocked.
      onBlocked: (n) => {
        if (n === 2) kube.addPod(makePod({ name: 'fraud-scorer-d', node: 'worker-1' }));
      },
    });
    const { record } = await drain(kube);
    expect(new Set(evicted(kube))).toContain('ml-serving/fraud-scorer-c');
    const blocked = record.notes.filter((n) => n.includes('blocked (429)'));
    expect(blocked).toHaveLength(2);
    expect(blocked[0]).toMatch(
      /^2026-11-23T15:31:05\.000Z eviction of ml-serving\/fraud-scorer-c blocked \(429\): Cannot evict pod as it would violate the pod's disruption budget\.$/,
    );
    // One try, then one per backoff.
    expect(attempts.map((t) => t - T)).toEqual([0, 2000, 4000]);
    expect(record.confirmed).toBe(true);
    expect(record.description).toBe(
      'cordoned worker-2; evicted 3/3 pod(s) (2 under test); 2 eviction(s) blocked by a PDB (2 of pods under test)',
    );
    expect(record.notes.some((n) => n.startsWith('gave up'))).toBe(false);
  });

  it("counts apart the evictions another workload's budget blocked", async () => {
    const kube = cluster();
    kube.addPdb({
      namespace: 'ml-serving',
      selector: { app: 'feature-store' },
      minAvailable: 1,
      onBlocked: (n) => {
        if (n === 1)
          kube.addPod(
            makePod({ name: 'feature-store-1', labels: { app: 'feature-store' }, node: 'worker-1' }),
          );
      },
    });
    const { record } = await drain(kube);
    expect(record.description).toBe(
      'cordoned worker-2; evicted 3/3 pod(s) (2 under test); 1 eviction(s) blocked by a PDB (0 of pods under test)',
    );
  });

  it('gives up on an eviction the budget keeps blocking once the timeout is reached', async () => {
    const kube = cluster();
    kube.addPdb({ namespace: 'ml-serving', selector: { app: 'fraud-scorer' }, minAvailable: 3 });
    const { record } = await drain(kube, { evictionTimeout: '10s', backoff: '2s' });
    const blocked = record.notes.filter((n) => n.includes('blocked (429)'));
    // Tries at 0, 2, 4, 6, 8 and 10 s for each of the two pods; after that the next wait would pass the deadline.
    expect(blocked.filter((n) => n.includes('fraud-scorer-b'))).toHaveLength(6);
    expect(blocked.filter((n) => n.includes('fraud-scorer-c'))).toHaveLength(6);
    expect(record.notes).toContain('gave up evicting ml-serving/fraud-scorer-b after 10s');
    expect(record.notes).toContain('gave up evicting ml-serving/fraud-scorer-c after 10s');
    expect(Date.now() - T).toBe(10_000);
    // The bystander went; no pod under test did: the drain did not test them.
    expect(evicted(kube).filter((p) => p.includes('fraud-scorer'))).toHaveLength(12);
    expect(record.confirmed).toBe(false);
    expect(record.description).toBe(
      'cordoned worker-2; evicted 1/3 pod(s) (0 under test); 12 eviction(s) blocked by a PDB (12 of pods under test)',
    );
  });

  it('stops retrying at once when the run is interrupted', async () => {
    const kube = cluster();
    kube.addPdb({ namespace: 'ml-serving', selector: { app: 'fraud-scorer' }, minAvailable: 3 });
    const plan = makePlan({ faults: [{ type: 'node-drain', evictionTimeout: '120s', backoff: '2s' }] });
    const abort = new AbortController();
    const ctx = await faultContext(kube, plan, tmp.dir, { abort });
    contexts.push(ctx);
    abort.abort();
    const { record } = await drive(nodeDrain.inject(faultOf(plan, 'node-drain'), ctx));
    expect(record.notes.filter((n) => n.includes('blocked (429)'))).toHaveLength(2);
    expect(Date.now() - T).toBeLessThan(2000);
  });
});

describe('node-drain: refusals and pre-existing state', () => {
  it('a refused cordon: nothing evicted, not confirmed, no open ledger entry', async () => {
    const kube = cluster();
    kube.fail(
      'setUnschedulable',
      apiError(403, 'nodes "worker-2" is forbidden: User "ci" cannot patch resource "nodes"'),
    );
    const { record, mutations, ctx } = await drain(kube);
    expect(record).toMatchObject({ confirmed: false, description: 'could not cordon worker-2' });
    expect(record.notes[0]).toMatch(/^cordon worker-2 refused \(403\): nodes "worker-2" is forbidden/);
    expect(mutations).toEqual([]);
    expect(evicted(kube)).toEqual([]);
    expect(replayLedger(ctx.ledger.file, readFileSync(ctx.ledger.file, 'utf8')).open).toEqual([]);
  });

  it('leaves a node that was already cordoned cordoned: no cordon, no uncordon to undo', async () => {
    const kube = cluster();
    kube.addNode(makeNode('worker-2', true));
    const { record, mutations } = await drain(kube);
    expect(kube.callsTo('setUnschedulable')).toEqual([]);
    expect(mutations).toEqual([]);
    expect(record.notes).toContain('node worker-2 was already cordoned; it stays cordoned after the run');
    expect(record.confirmed).toBe(true);
  });

  it('a failing pod list after the cordon: not confirmed, and the cordon is still handed back to revert', async () => {
    const kube = cluster();
    kube.fail('listPodsOnNode', new Error('stream error: connection reset'));
    const { record, mutations } = await drain(kube);
    expect(record.confirmed).toBe(false);
    expect(mutations.map((m) => m.undo)).toEqual([{ fault: 'node-drain', v: 1, node: 'worker-2' }]);
  });

  it('an eviction refused for another reason is noted, not retried', async () => {
    const kube = cluster();
    kube.fail('evictPod', (args) =>
      args[1] === 'feature-store-0' ? apiError(403, 'evictions is forbidden') : undefined,
    );
    const { record } = await drain(kube);
    expect(kube.callsTo('evictPod').filter((a) => a[1] === 'feature-store-0')).toHaveLength(1);
    expect(record.notes).toContain(
      'eviction of ml-serving/feature-store-0 refused (403): evictions is forbidden',
    );
    expect(record.confirmed).toBe(true);
  });

  it('preview names the node and pods and writes nothing', async () => {
    const kube = cluster();
    const plan = makePlan({ faults: [{ type: 'node-drain' }] });
    const ctx = await faultContext(kube, plan, tmp.dir);
    contexts.push(ctx);
    const lines = await nodeDrain.preview(faultOf(plan, 'node-drain'), ctx);
    expect(lines).toEqual([
      'would cordon worker-2 and evict 3 pod(s): ml-serving/fraud-scorer-b, ml-serving/fraud-scorer-c, ml-serving/feature-store-0',
    ]);
    expect(kube.writes).toBe(0);
  });
});
