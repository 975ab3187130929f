import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { STOP_AGENT } from '../../../src/faults/latency-agent.js';
import { replayLedger } from '../../../src/ledger/ledger.js';
import { recoverRuns } from '../../../src/run/recover.js';
import { FakeKube, makeDeployment, makeNode, podKey } from '../../fakes/kube.js';
import { tempDir } from '../../fakes/scenario.js';
import { recordingOutput } from '../cli/output.js';

vi.mock('node:timers/promises', async (real) =>
  (await import('../../fakes/clock.js')).instantTimers(await real()),
);

const tmp = tempDir('chaos-recover-');
afterAll(() => tmp.cleanup());

/**
 * A ledger exactly as chaos 0.1.0 wrote it, before undo records were versioned: a run of all four cluster
 * faults killed mid-fault window (no end record, a torn last line), on https://127.0.0.1:6443.
 */
const RUN = '20261123T153200-crashed-run-5f3a9c';
const FIXTURE = path.resolve('test/fixtures/ledger', `${RUN}.jsonl`);
const SERVER = 'https://127.0.0.1:6443';
const AGENT = 'chaos-latency-5f3a9c-mwtfc974';

/** The cluster as that run left it: worker-1 cordoned, v404 rolled out, an agent delaying two pods. */
async function crashedCluster(): Promise<{ kube: FakeKube; template: object }> {
  const kube = new FakeKube();
  kube.addNode(makeNode('worker-1', true));
  kube.addNode(makeNode('worker-3'));
  const deployment = makeDeployment({
    name: 'fraud-scorer',
    env: [{ name: 'MODEL_VERSION', value: 'v3' }],
  });
  const template = structuredClone(deployment.spec!.template);
  deployment.spec!.template.spec!.containers[0]!.env = [{ name: 'MODEL_VERSION', value: 'v404' }];
  kube.addDeployment(deployment);
  kube.addPods(
    { name: 'fraud-scorer-a', node: 'worker-3' },
    { name: 'feature-store-0', labels: { app: 'feature-store' }, node: 'worker-3' },
    { name: 'feature-store-1', labels: { app: 'feature-store' }, node: 'worker-3' },
  );
  for (const pod of ['feature-store-0', 'feature-store-1'])
    await kube.addEphemeralContainer('ml-serving', pod, {
      name: AGENT,
      image: 'chaos-testbed/netem:bookworm',
      command: ['sh', '-c', 'agent'],
    });
  return { kube, template };
}

function stateWithFixture(name: string): { env: NodeJS.ProcessEnv; ledger: string } {
  const dir = path.join(tmp.dir, name);
  mkdirSync(path.join(dir, 'runs'), { recursive: true });
  const ledger = path.join(dir, 'runs', `${RUN}.jsonl`);
  copyFileSync(FIXTURE, ledger);
  return { env: { CHAOS_STATE_DIR: dir }, ledger };
}

describe('chaos recover, on a ledger written before undo records were versioned', () => {
  it('the fixture holds every undo kind of that format, unversioned', () => {
    const undos = readFileSync(FIXTURE, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"kind":"intent"'))
      .map((l) => (JSON.parse(l) as { undo: { kind: string; v?: number } }).undo);
    expect(undos.map((u) => u.kind)).toEqual([
      'none',
      'uncordon',
      'restoreDeployment',
      'stopLatencyAgent',
      'stopLatencyAgent',
    ]);
    expect(undos.every((u) => u.v === undefined)).toBe(true);
  });

  it('undoes everything in it, newest first, and closes the ledger', async () => {
    const { kube, template } = await crashedCluster();
    expect(kube.delayed).toEqual(
      new Set([podKey('ml-serving', 'feature-store-0'), podKey('ml-serving', 'feature-store-1')]),
    );
    const { env, ledger } = stateWithFixture('all');
    const out = recordingOutput();
    const alive = vi.fn(() => false);

    await recoverRuns(kube.asKube(), { server: SERVER, env, isAlive: alive }, out);

    // The dead run's process was asked about before anything was undone.
    expect(alive).toHaveBeenCalledWith(48213);
    expect(kube.nodes.get('worker-1')?.spec?.unschedulable).toBe(false);
    expect(kube.deployments.get('ml-serving/fraud-scorer')!.spec!.template).toEqual(template);
    expect(kube.delayed.size).toBe(0);
    expect(kube.callsTo('exec')).toEqual([
      ['ml-serving', 'feature-store-1', AGENT, ['sh', '-c', STOP_AGENT]],
      ['ml-serving', 'feature-store-0', AGENT, ['sh', '-c', STOP_AGENT]],
    ]);
    expect(kube.callsTo('deletePod')).toEqual([]);
    expect(out.err).toEqual([
      `${RUN}: stopped the latency agent in ml-serving/feature-store-1`,
      `${RUN}: stopped the latency agent in ml-serving/feature-store-0`,
      `${RUN}: restored the pod template of deployment ml-serving/fraud-scorer`,
      `${RUN}: uncordoned node worker-1`,
      'recover: 4 undone, 0 failed, 1 run(s) examined',
    ]);
    const after = replayLedger(ledger, readFileSync(ledger, 'utf8'));
    expect(after.open).toEqual([]);
    expect(after.ended).toBe(true);
    // What recover appended is whole JSON, the torn line it found left as it was.
    const lines = readFileSync(ledger, 'utf8').split('\n');
    expect(lines[11]).toBe('{"kind":"reverted","at":"2026-11-23T15:33:');
    const appended = lines.slice(12).filter(Boolean);
    expect(appended.map((l) => JSON.parse(l) as { kind: string; id?: number; by?: string })).toEqual([
      expect.objectContaining({ kind: 'reverted', id: 5, by: 'recover' }),
      expect.objectContaining({ kind: 'reverted', id: 4, by: 'recover' }),
      expect.objectContaining({ kind: 'reverted', id: 3, by: 'recover' }),
      expect.objectContaining({ kind: 'reverted', id: 2, by: 'recover' }),
      expect.objectContaining({ kind: 'end', outcome: 'recovered' }),
    ]);

    // Idempotent: nothing is left for a second recover to examine.
    const again = recordingOutput();
    await recoverRuns(kube.asKube(), { server: SERVER, env, isAlive: alive }, again);
    expect(again.err).toEqual(['recover: 0 undone, 0 failed, 0 run(s) examined']);
  });

  it('leaves the ledger of a run that still lives alone', async () => {
    const { kube } = await crashedCluster();
    const { env, ledger } = stateWithFixture('alive');
    const before = readFileSync(ledger, 'utf8');
    const out = recordingOutput();
    await recoverRuns(kube.asKube(), { server: SERVER, env, isAlive: () => true }, out);
    expect(out.err).toEqual(['recover: 0 undone, 0 failed, 0 run(s) examined']);
    expect(kube.nodes.get('worker-1')?.spec?.unschedulable).toBe(true);
    expect(readFileSync(ledger, 'utf8')).toBe(before);
  });

  it('skips a ledger from another cluster, even when asked for by run id', async () => {
    const { kube } = await crashedCluster();
    const { env } = stateWithFixture('other');
    const out = recordingOutput();
    await recoverRuns(kube.asKube(), { run: RUN, server: 'https://10.0.0.1:6443', env }, out);
    expect(out.err).toEqual([
      `skip ${RUN}: it ran against ${SERVER}, not https://10.0.0.1:6443 (use --context)`,
      'recover: 0 undone, 0 failed, 1 run(s) examined',
    ]);
    expect(kube.nodes.get('worker-1')?.spec?.unschedulable).toBe(true);
  });
});
