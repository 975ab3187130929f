import { readFileSync } from 'node:fs';
import { PatchStrategy } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ReadOnlyViolation } from '../../../src/adapters/kube.js';
import { modelVersion } from '../../../src/faults/model-version.js';
import { nodeDrain } from '../../../src/faults/node-drain.js';
import type { LatencyUndo } from '../../../src/faults/latency.js';
import { STOP_AGENT } from '../../../src/faults/latency-agent.js';
import { runUndo } from '../../../src/faults/registry.js';
import { replayLedger, type UndoRecord } from '../../../src/ledger/ledger.js';
import { clock } from '../../fakes/clock.js';
import { apiError, FakeKube, makeDeployment, makeNode, podKey } from '../../fakes/kube.js';
import { faultContext, faultOf, makePlan, tempDir } from '../../fakes/scenario.js';

vi.mock('node:timers/promises', async (real) =>
  (await import('../../fakes/clock.js')).instantTimers(await real()),
);

const tmp = tempDir('chaos-undo-');
afterAll(() => tmp.cleanup());

const agent = (pod = 'feature-store-0', container = 'chaos-latency-a1b2c3-m3x9'): LatencyUndo => ({
  fault: 'latency',
  v: 1,
  namespace: 'ml-serving',
  pod,
  container,
  expiresAt: '2026-11-23T15:33:05.000Z',
});

const uncordon = (node: string): UndoRecord => ({ fault: 'node-drain', v: 1, node });

describe('runUndo: each undo record goes to the fault that wrote it', () => {
  it('a pod-kill has nothing to undo and touches nothing', async () => {
    const kube = new FakeKube();
    expect(
      await runUndo(kube.asKube(), {
        fault: 'pod-kill',
        v: 1,
        nothing: 'the ReplicaSet replaces a deleted pod',
      }),
    ).toBe('nothing to undo (the ReplicaSet replaces a deleted pod)');
    expect(kube.calls).toEqual([]);
  });

  it('a fault type this chaos does not know is an error, so the entry stays open', async () => {
    const kube = new FakeKube();
    await expect(runUndo(kube.asKube(), { fault: 'disk-fill', v: 1, path: '/data' })).rejects.toThrow(
      'no fault type "disk-fill" in this chaos to undo it',
    );
    await expect(runUndo(kube.asKube(), { fault: 'constructor', v: 1 })).rejects.toThrow(
      'no fault type "constructor" in this chaos to undo it',
    );
    expect(kube.calls).toEqual([]);
  });

  it('uncordons, and a second run is a no-op that still succeeds', async () => {
    const kube = new FakeKube();
    kube.addNode(makeNode('worker-2', true));
    expect(await runUndo(kube.asKube(), uncordon('worker-2'))).toBe('uncordoned node worker-2');
    expect(kube.nodes.get('worker-2')?.spec?.unschedulable).toBe(false);
    expect(await runUndo(kube.asKube(), uncordon('worker-2'))).toBe('uncordoned node worker-2');
    expect(kube.nodes.get('worker-2')?.spec?.unschedulable).toBe(false);
  });

  it('a node that no longer exists is already undone (404)', async () => {
    const kube = new FakeKube();
    expect(await runUndo(kube.asKube(), uncordon('worker-9'))).toBe('node worker-9 no longer exists');
  });

  it('other errors propagate so the entry stays open for `chaos recover`', async () => {
    const kube = new FakeKube();
    kube.addNode(makeNode('worker-2', true));
    kube.fail('setUnschedulable', apiError(403, 'nodes "worker-2" is forbidden'));
    await expect(runUndo(kube.asKube(), uncordon('worker-2'))).rejects.toThrow(/forbidden/);
    const readOnly = new FakeKube(true);
    await expect(runUndo(readOnly.asKube(), uncordon('worker-2'))).rejects.toBeInstanceOf(ReadOnlyViolation);
  });

  it('restores the whole pod template with a JSON patch, removing env the fault added', async () => {
    const kube = new FakeKube();
    const before = makeDeployment({ name: 'fraud-scorer', env: [{ name: 'LOG_LEVEL', value: 'info' }] });
    kube.addDeployment(before);
    kube.deployments
      .get('ml-serving/fraud-scorer')!
      .spec!.template.spec!.containers[0]!.env!.push({ name: 'MODEL_VERSION', value: 'v404' });
    const undo: UndoRecord = {
      fault: 'model-version',
      v: 1,
      namespace: 'ml-serving',
      name: 'fraud-scorer',
      template: before.spec!.template,
    };
    expect(await runUndo(kube.asKube(), undo)).toBe(
      'restored the pod template of deployment ml-serving/fraud-scorer',
    );
    const [, , patch, strategy] = kube.callsTo('patchDeployment')[0]!;
    expect(strategy).toBe(PatchStrategy.JsonPatch);
    expect(patch).toEqual([{ op: 'replace', path: '/spec/template', value: before.spec!.template }]);
    expect(kube.deployments.get('ml-serving/fraud-scorer')!.spec!.template).toEqual(before.spec!.template);
    // Idempotent: the same template again.
    await runUndo(kube.asKube(), undo);
    expect(kube.deployments.get('ml-serving/fraud-scorer')!.spec!.template).toEqual(before.spec!.template);
  });

  it('a deleted deployment is already undone (404)', async () => {
    const kube = new FakeKube();
    const undo: UndoRecord = {
      fault: 'model-version',
      v: 1,
      namespace: 'ml-serving',
      name: 'fraud-scorer',
      template: {},
    };
    expect(await runUndo(kube.asKube(), undo)).toBe('deployment ml-serving/fraud-scorer no longer exists');
  });

  describe('latency: stopping the agent', () => {
    const T = Date.parse('2026-11-23T15:33:00.000Z');
    beforeEach(() => {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(T);
      clock.reset();
    });
    afterEach(() => vi.useRealTimers());

    function withAgent(): FakeKube {
      const kube = new FakeKube();
      kube.addPods({ name: 'feature-store-0', labels: { app: 'feature-store' } });
      return kube;
    }
    const inject = (kube: FakeKube) =>
      kube.addEphemeralContainer('ml-serving', 'feature-store-0', {
        name: 'chaos-latency-a1b2c3-m3x9',
        image: 'netem',
        command: ['sh', '-c', 'agent'],
      });

    it('stops a running agent, whose trap removes the delay', async () => {
      const kube = withAgent();
      await inject(kube);
      expect(kube.delayed.has(podKey('ml-serving', 'feature-store-0'))).toBe(true);
      expect(await runUndo(kube.asKube(), agent())).toBe(
        'stopped the latency agent in ml-serving/feature-store-0',
      );
      expect(kube.delayed.size).toBe(0);
      expect(kube.callsTo('exec')).toEqual([
        ['ml-serving', 'feature-store-0', 'chaos-latency-a1b2c3-m3x9', ['sh', '-c', STOP_AGENT]],
      ]);
    });

    it('is idempotent: a second stop finds the agent ended and calls it done', async () => {
      const kube = withAgent();
      await inject(kube);
      await runUndo(kube.asKube(), agent());
      expect(await runUndo(kube.asKube(), agent())).toBe(
        'latency agent in ml-serving/feature-store-0 already ended (Completed)',
      );
      expect(kube.callsTo('exec')).toHaveLength(1);
    });

    it('an agent whose TTL already expired is already undone', async () => {
      const kube = withAgent();
      await inject(kube);
      kube.expireAgent('ml-serving', 'feature-store-0', 'chaos-latency-a1b2c3-m3x9');
      expect(await runUndo(kube.asKube(), agent())).toMatch(/already ended/);
      expect(kube.callsTo('exec')).toEqual([]);
    });

    it('a pod that is gone took its agent with it (404)', async () => {
      const kube = new FakeKube();
      expect(await runUndo(kube.asKube(), agent('feature-store-7'))).toBe(
        'pod ml-serving/feature-store-7 is gone, and its latency agent with it',
      );
    });

    it('an agent that was never added (the API refused it) needs nothing', async () => {
      const kube = withAgent();
      expect(await runUndo(kube.asKube(), agent())).toBe(
        'latency agent chaos-latency-a1b2c3-m3x9 was never added to ml-serving/feature-store-0',
      );
    });

    it('waits for an agent that is still starting, then stops it: it must not apply its delay afterwards', async () => {
      const kube = withAgent();
      kube.ephemeralState = 'waiting';
      await inject(kube);
      clock.onSleep = () => {
        if (clock.sleeps.length === 3)
          kube.startAgent('ml-serving', 'feature-store-0', 'chaos-latency-a1b2c3-m3x9');
      };
      expect(await runUndo(kube.asKube(), agent())).toBe(
        'stopped the latency agent in ml-serving/feature-store-0',
      );
      expect(clock.sleeps).toEqual([1000, 1000, 1000]);
      expect(kube.delayed.size).toBe(0);
    });

    it('gives up, with an error that keeps the entry open, on an agent that neither runs nor ends', async () => {
      const kube = withAgent();
      kube.ephemeralState = 'waiting';
      await inject(kube);
      await expect(runUndo(kube.asKube(), agent())).rejects.toThrow(
        'latency agent in ml-serving/feature-store-0 neither ran nor ended within 60s',
      );
      expect(Date.now() - T).toBeGreaterThan(60_000);
      expect(Date.now() - T).toBeLessThan(62_000);
    });

    it('a kill that fails inside a running agent is an error, not "already gone"', async () => {
      const kube = withAgent();
      await inject(kube);
      // How the exec API reports any non-zero exit; the agent is still delaying traffic.
      kube.execHandler = () =>
        new Error(
          "sh -c kill failed: command terminated with non-zero exit code: error executing command [sh -c kill -TERM 4711], exit code 1 sh: can't kill pid 4711: Operation not permitted",
        );
      await expect(runUndo(kube.asKube(), agent())).rejects.toThrow(/Operation not permitted/);
    });

    it('an agent that expires on its own while we signal it is already undone, not a failed revert', async () => {
      const kube = withAgent();
      await inject(kube);
      // Seen in CI: the TTL ran out as the revert began; the exec into the exiting container failed, and
      // the kubelet reported the container terminated a moment later.
      kube.execHandler = () => {
        clock.onSleep = () => {
          if (clock.sleeps.length === 2)
            kube.expireAgent('ml-serving', 'feature-store-0', 'chaos-latency-a1b2c3-m3x9');
        };
        return new Error(
          'OCI runtime exec failed: exec failed: unable to start container process: error executing setns process: exit status 1: unknown',
        );
      };
      expect(await runUndo(kube.asKube(), agent())).toBe(
        'latency agent in ml-serving/feature-store-0 already ended (Completed)',
      );
    });

    it('a refused exec or read propagates', async () => {
      const kube = withAgent();
      await inject(kube);
      kube.fail(
        'exec',
        apiError(403, 'pods "feature-store-0" is forbidden: cannot create resource "pods/exec"'),
      );
      await expect(runUndo(kube.asKube(), agent())).rejects.toThrow(/forbidden/);
      kube.fail('readPod', apiError(403, 'pods "feature-store-0" is forbidden: cannot get resource "pods"'));
      await expect(runUndo(kube.asKube(), agent())).rejects.toThrow(/cannot get resource/);
    });
  });
});

describe('a crashed run, recovered from its ledger', () => {
  it('replays the open entries newest first and puts the cluster back', async () => {
    const kube = new FakeKube();
    kube.addPods(
      { name: 'fraud-scorer-a', node: 'worker-1' },
      { name: 'fraud-scorer-b', node: 'worker-2' },
      { name: 'fraud-scorer-c', node: 'worker-2' },
    );
    const original = makeDeployment({ name: 'fraud-scorer', env: [{ name: 'MODEL_VERSION', value: 'v3' }] });
    kube.addDeployment(original);
    const plan = makePlan({
      faults: [
        { type: 'node-drain', at: '5s', evictionTimeout: '1s', backoff: '10ms' },
        { type: 'model-version', version: 'v404' },
      ],
    });
    const ctx = await faultContext(kube, plan, tmp.dir);
    await nodeDrain.inject(faultOf(plan, 'node-drain'), ctx);
    await modelVersion.inject(faultOf(plan, 'model-version'), ctx);
    // The process dies here: no revert, no end record.
    expect(kube.nodes.get('worker-2')?.spec?.unschedulable).toBe(true);
    expect(kube.deployments.get('ml-serving/fraud-scorer')!.spec!.template.spec!.containers[0]!.env).toEqual([
      { name: 'MODEL_VERSION', value: 'v404' },
    ]);

    const state = replayLedger(ctx.ledger.file, readFileSync(ctx.ledger.file, 'utf8'));
    expect(state.open.map((i) => i.undo.fault)).toEqual(['node-drain', 'model-version']);
    for (const intent of [...state.open].reverse()) {
      await runUndo(kube.asKube(), intent.undo);
      await ctx.ledger.reverted(intent.id, 'recover');
    }
    expect(kube.nodes.get('worker-2')?.spec?.unschedulable).toBe(false);
    expect(kube.deployments.get('ml-serving/fraud-scorer')!.spec!.template).toEqual(original.spec!.template);
    expect(replayLedger(ctx.ledger.file, readFileSync(ctx.ledger.file, 'utf8')).open).toEqual([]);
    await ctx.ledger.close('recovered');
  });
});
