import { readFileSync } from 'node:fs';
import { PatchStrategy, type V1Container } from '@kubernetes/client-node';
import { describe, expect, it, vi } from 'vitest';
import { modelVersion } from '../../../src/faults/model-version.js';
import { replayLedger } from '../../../src/ledger/ledger.js';
import { runUndo } from '../../../src/faults/registry.js';
import { clock } from '../../fakes/clock.js';
import { apiError, FakeKube, makeDeployment } from '../../fakes/kube.js';
import { faultContext, faultOf, makePlan, faultTestHooks } from '../../fakes/scenario.js';

vi.mock('node:timers/promises', async (real) =>
  (await import('../../fakes/clock.js')).instantTimers(await real()),
);

const { tmp, contexts, T } = faultTestHooks({
  prefix: 'chaos-model-version-',
  at: '2026-11-23T15:31:00.000Z',
});

const KEY = 'ml-serving/fraud-scorer';

async function roll(kube: FakeKube, fault: { version?: string; env?: string; container?: string } = {}) {
  const plan = makePlan({ faults: [{ type: 'model-version', version: 'v404', ...fault }] });
  const ctx = await faultContext(kube, plan, tmp.dir);
  contexts.push(ctx);
  const injection = await modelVersion.inject(faultOf(plan, 'model-version'), ctx);
  const patches = kube.callsTo('patchDeployment').map((a) => a[2]);
  return { ...injection, ctx, patches };
}

const envOf = (kube: FakeKube, container = 0) =>
  kube.deployments.get(KEY)!.spec!.template.spec!.containers[container]!.env;

describe('model-version: the JSON patch', () => {
  it('replaces an env entry that reads its value from elsewhere (valueFrom) with a literal value', async () => {
    const kube = new FakeKube();
    kube.addDeployment(
      makeDeployment({
        name: 'fraud-scorer',
        env: [
          { name: 'LOG_LEVEL', value: 'info' },
          { name: 'MODEL_VERSION', valueFrom: { configMapKeyRef: { name: 'fraud-scorer', key: 'model' } } },
        ],
      }),
    );
    const { record, patches } = await roll(kube);
    expect(patches).toEqual([
      [
        {
          op: 'replace',
          path: '/spec/template/spec/containers/0/env/1',
          value: { name: 'MODEL_VERSION', value: 'v404' },
        },
      ],
    ]);
    expect(kube.callsTo('patchDeployment')[0]![3]).toBe(PatchStrategy.JsonPatch);
    expect(envOf(kube)).toEqual([
      { name: 'LOG_LEVEL', value: 'info' },
      { name: 'MODEL_VERSION', value: 'v404' },
    ]);
    expect(record).toMatchObject({
      type: 'model-version',
      confirmed: true,
      injectedAt: new Date(T).toISOString(),
      targets: ['deployment/ml-serving/fraud-scorer'],
      description: 'set MODEL_VERSION=v404 on deployment ml-serving/fraud-scorer',
    });
  });

  it('adds the env list to a container that has none', async () => {
    const kube = new FakeKube();
    kube.addDeployment(makeDeployment({ name: 'fraud-scorer' }));
    const { patches } = await roll(kube);
    expect(patches).toEqual([
      [
        {
          op: 'add',
          path: '/spec/template/spec/containers/0/env',
          value: [{ name: 'MODEL_VERSION', value: 'v404' }],
        },
      ],
    ]);
    expect(envOf(kube)).toEqual([{ name: 'MODEL_VERSION', value: 'v404' }]);
  });

  it('appends to an env list without the variable', async () => {
    const kube = new FakeKube();
    kube.addDeployment(makeDeployment({ name: 'fraud-scorer', env: [{ name: 'LOG_LEVEL', value: 'info' }] }));
    const { patches } = await roll(kube, { env: 'SCORER_MODEL' });
    expect(patches).toEqual([
      [
        {
          op: 'add',
          path: '/spec/template/spec/containers/0/env/-',
          value: { name: 'SCORER_MODEL', value: 'v404' },
        },
      ],
    ]);
    expect(envOf(kube)).toEqual([
      { name: 'LOG_LEVEL', value: 'info' },
      { name: 'SCORER_MODEL', value: 'v404' },
    ]);
  });

  it('patches the container the fault names', async () => {
    const containers: V1Container[] = [
      { name: 'istio-proxy', image: 'istio/proxyv2', env: [{ name: 'MODEL_VERSION', value: 'unrelated' }] },
      { name: 'scorer', image: 'fraud-scorer:1.0', env: [{ name: 'MODEL_VERSION', value: 'v3' }] },
    ];
    const kube = new FakeKube();
    kube.addDeployment(makeDeployment({ name: 'fraud-scorer', containers }));
    const { patches } = await roll(kube, { container: 'scorer' });
    expect(patches[0]).toEqual([
      {
        op: 'replace',
        path: '/spec/template/spec/containers/1/env/0',
        value: { name: 'MODEL_VERSION', value: 'v404' },
      },
    ]);
    expect(envOf(kube, 0)).toEqual([{ name: 'MODEL_VERSION', value: 'unrelated' }]);
  });

  it('a container that does not exist: not confirmed, nothing written', async () => {
    const kube = new FakeKube();
    kube.addDeployment(makeDeployment({ name: 'fraud-scorer' }));
    const { record, mutations } = await roll(kube, { container: 'model-server' });
    expect(record.confirmed).toBe(false);
    expect(record.notes).toEqual(['no container model-server in deployment fraud-scorer']);
    expect(mutations).toEqual([]);
    expect(kube.writes).toBe(0);
  });
});

describe('model-version: undo and confirmation', () => {
  it('writes the whole template to the ledger before patching, and the undo restores it exactly', async () => {
    const kube = new FakeKube();
    const original = makeDeployment({
      name: 'fraud-scorer',
      env: [
        { name: 'MODEL_VERSION', valueFrom: { configMapKeyRef: { name: 'fraud-scorer', key: 'model' } } },
      ],
    });
    original.spec!.template.metadata!.annotations = {
      'kubectl.kubernetes.io/restartedAt': '2026-11-20T09:00:00Z',
    };
    kube.addDeployment(structuredClone(original));
    kube.fail('patchDeployment', () => {
      // At the moment of the patch, a crash would leave this undo behind.
      const state = replayLedger(
        contexts.at(-1)!.ledger.file,
        readFileSync(contexts.at(-1)!.ledger.file, 'utf8'),
      );
      expect(state.open.map((i) => i.undo)).toEqual([
        {
          fault: 'model-version',
          v: 1,
          namespace: 'ml-serving',
          name: 'fraud-scorer',
          template: original.spec!.template,
        },
      ]);
      return undefined;
    });
    const { mutations } = await roll(kube);
    expect(kube.callsTo('patchDeployment')).toHaveLength(1);
    expect(mutations).toHaveLength(1);
    const undo = mutations[0]!.undo;
    expect(undo).toEqual({
      fault: 'model-version',
      v: 1,
      namespace: 'ml-serving',
      name: 'fraud-scorer',
      template: original.spec!.template,
    });
    kube.heal('patchDeployment');
    await runUndo(kube.asKube(), undo);
    expect(kube.deployments.get(KEY)!.spec!.template).toEqual(original.spec!.template);
  });

  it('dates the fault from when the patch was sent: a pod the watch sees before the answer is a new pod', async () => {
    const kube = new FakeKube();
    kube.addDeployment(makeDeployment({ name: 'fraud-scorer' }));
    // The API server takes 300 ms to answer; the controller's new pod exists (and is seen) before that.
    kube.fail('patchDeployment', () => {
      vi.setSystemTime(Date.now() + 300);
      return undefined;
    });
    const { record } = await roll(kube);
    expect(record.confirmed).toBe(true);
    expect(record.injectedAt).toBe(new Date(T).toISOString());
  });

  it('a refused patch: not confirmed, the refusal noted, no mutation, no open ledger entry', async () => {
    const kube = new FakeKube();
    kube.addDeployment(makeDeployment({ name: 'fraud-scorer' }));
    kube.fail(
      'patchDeployment',
      apiError(
        403,
        'deployments.apps "fraud-scorer" is forbidden: User "ci" cannot patch resource "deployments"',
      ),
    );
    const { record, mutations, ctx } = await roll(kube);
    expect(record.confirmed).toBe(false);
    expect(record.injectedAt).toBeNull();
    expect(record.notes).toEqual([
      'patch refused (403): deployments.apps "fraud-scorer" is forbidden: User "ci" cannot patch resource "deployments"',
    ]);
    expect(mutations).toEqual([]);
    expect(replayLedger(ctx.ledger.file, readFileSync(ctx.ledger.file, 'utf8')).open).toEqual([]);
  });

  it('a deployment that cannot be read: not confirmed, never a throw', async () => {
    const kube = new FakeKube();
    const { record, mutations } = await roll(kube);
    expect(record.confirmed).toBe(false);
    expect(record.notes[0]).toBe(
      'cannot read deployment ml-serving/fraud-scorer: deployments.apps "fraud-scorer" not found',
    );
    expect(mutations).toEqual([]);
  });

  it('a rollout that never starts: not confirmed after 30 s, and the patch is still handed back to revert', async () => {
    const kube = new FakeKube();
    kube.deploymentController = 'stuck';
    kube.addDeployment(makeDeployment({ name: 'fraud-scorer' }));
    const { record, mutations } = await roll(kube);
    expect(record.confirmed).toBe(false);
    expect(record.notes).toContain('the rollout did not start a pod from the new template within 30s');
    expect(Date.now() - T).toBeGreaterThanOrEqual(30_000);
    expect(clock.sleeps.every((ms) => ms === 500)).toBe(true);
    expect(mutations.map((m) => m.undo.fault)).toEqual(['model-version']);
  });

  it('a read that fails while waiting for the rollout does not throw away the mutation', async () => {
    const kube = new FakeKube();
    kube.addDeployment(makeDeployment({ name: 'fraud-scorer' }));
    let reads = 0;
    kube.fail('readDeployment', () =>
      ++reads === 2 ? new Error('etcdserver: request timed out') : undefined,
    );
    const { record, mutations } = await roll(kube);
    expect(mutations).toHaveLength(1);
    expect(record.notes).toContain('reading the rollout: etcdserver: request timed out');
    expect(record.confirmed).toBe(true);
  });

  it('preview says what it would set and writes nothing', async () => {
    const kube = new FakeKube();
    const plan = makePlan({ faults: [{ type: 'model-version', version: 'v404' }] });
    const ctx = await faultContext(kube, plan, tmp.dir);
    contexts.push(ctx);
    expect(await modelVersion.preview(faultOf(plan, 'model-version'), ctx)).toEqual([
      'would set MODEL_VERSION=v404 on deployment ml-serving/fraud-scorer',
    ]);
    expect(kube.writes).toBe(0);
  });
});
