import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Ledger, replayLedger } from '../../../src/ledger/ledger.js';
import {
  acquireLease,
  holderOf,
  isFree,
  LEASE_DURATION_S,
  LEASE_NAME,
  LeaseHeld,
  releaseLease,
} from '../../../src/run/lease.js';
import { recoverRuns } from '../../../src/run/recover.js';
import { apiError, FakeKube, podKey } from '../../fakes/kube.js';
import { tempDir } from '../../fakes/scenario.js';
import { recordingOutput } from '../cli/output.js';

const tmp = tempDir('chaos-lease-');
afterAll(() => tmp.cleanup());

const NS = 'ml-serving';
const T0 = Date.parse('2026-12-02T14:00:00Z');
let n = 0;

async function newLedger(runId: string): Promise<Ledger> {
  const ledger = await Ledger.create(path.join(tmp.dir, `state-${n++}`, 'runs', `${runId}.jsonl`));
  await ledger.append({
    kind: 'start',
    at: new Date(T0).toISOString(),
    runId,
    cluster: 'https://127.0.0.1:6443',
    context: 'kind-chaos',
    scenario: 'pod-kill.yaml',
    pid: 999_999_999,
  });
  return ledger;
}

const open = (ledger: Ledger) => replayLedger(ledger.file, readFileSync(ledger.file, 'utf8')).open;

describe('the run lease', () => {
  it('is taken on a free namespace: journaled before the create, holder run id, host, pid and time', async () => {
    const kube = new FakeKube();
    const ledger = await newLedger('run-a');
    const held = await acquireLease(kube.asKube(), ledger, {
      namespace: NS,
      runId: 'run-a',
      host: 'ci-runner-7',
      pid: 4242,
      now: () => T0,
    });
    const lease = kube.leases.get(podKey(NS, LEASE_NAME))!;
    expect(holderOf(lease)).toEqual({
      runId: 'run-a',
      host: 'ci-runner-7',
      pid: 4242,
      since: '2026-12-02T14:00:00.000Z',
      renewedAt: '2026-12-02T14:00:00.000Z',
      durationS: LEASE_DURATION_S,
    });
    // MicroTime: six fractional digits, as the API server parses it.
    expect(lease.spec!.acquireTime as unknown as string).toBe('2026-12-02T14:00:00.000000Z');
    expect(open(ledger).map((i) => [i.id, i.undo])).toEqual([
      [held.ledgerId, { fault: 'run-lease', v: 1, namespace: NS, name: LEASE_NAME, runId: 'run-a' }],
    ]);
    // The intent is in the ledger before the create reached the cluster.
    const lines = readFileSync(ledger.file, 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { kind: string }).kind)).toEqual([
      'start',
      'intent',
      'applied',
    ]);
    await ledger.close();
  });

  it('a second run on the same namespace is refused (exit 3) naming the holder, and writes nothing', async () => {
    const kube = new FakeKube();
    await acquireLease(kube.asKube(), await newLedger('run-a'), {
      namespace: NS,
      runId: 'run-a',
      host: 'laptop',
      pid: 1,
      now: () => T0,
    });
    const writes = kube.writes;
    const second = await newLedger('run-b');
    const refused = acquireLease(kube.asKube(), second, {
      namespace: NS,
      runId: 'run-b',
      now: () => T0 + 20_000,
    });
    await expect(refused).rejects.toBeInstanceOf(LeaseHeld);
    await expect(refused).rejects.toMatchObject({
      exitCode: 3,
      message:
        'namespace ml-serving is in use by run run-a on laptop (pid 1) since 2026-12-02T14:00:00.000Z, renewed 20 s ago (lease ml-serving/chaos-run)',
    });
    await expect(refused).rejects.toHaveProperty(
      'hint',
      expect.stringContaining('chaos recover --run run-a'),
    );
    expect(kube.writes).toBe(writes);
    expect(open(second)).toEqual([]);
  });

  it('a lease not renewed within its duration is free: a dead holder does not block the namespace for ever', async () => {
    const kube = new FakeKube();
    await acquireLease(kube.asKube(), await newLedger('dead'), {
      namespace: NS,
      runId: 'dead',
      now: () => T0,
    });
    const lease = kube.leases.get(podKey(NS, LEASE_NAME))!;
    expect(isFree(lease, T0 + LEASE_DURATION_S * 1000 - 1)).toBe(false);
    expect(isFree(lease, T0 + LEASE_DURATION_S * 1000)).toBe(true);
    const later = T0 + LEASE_DURATION_S * 1000 + 1;
    await acquireLease(kube.asKube(), await newLedger('next'), {
      namespace: NS,
      runId: 'next',
      now: () => later,
    });
    const taken = kube.leases.get(podKey(NS, LEASE_NAME))!;
    expect(holderOf(taken)?.runId).toBe('next');
    expect(taken.spec?.leaseTransitions).toBe(1);
    // Taken over by an update on the version read, not by a delete and a create.
    expect(kube.callsTo('replaceLease')).toHaveLength(1);
    expect(kube.callsTo('deleteLease')).toHaveLength(0);
  });

  it('renewal keeps it ours; a renewal that finds another holder says who', async () => {
    const kube = new FakeKube();
    let now = T0;
    const held = await acquireLease(kube.asKube(), await newLedger('run-a'), {
      namespace: NS,
      runId: 'run-a',
      now: () => now,
    });
    now += 15_000;
    expect(await held.renew()).toEqual({ ok: true });
    const lease = kube.leases.get(podKey(NS, LEASE_NAME))!;
    expect(holderOf(lease)?.renewedAt).toBe('2026-12-02T14:00:15.000Z');
    expect(isFree(lease, T0 + LEASE_DURATION_S * 1000 + 1)).toBe(false);
    // Expired (say, a long outage) and taken by another run: the renewal must not steal it back.
    now += LEASE_DURATION_S * 1000 + 1;
    await acquireLease(kube.asKube(), await newLedger('run-b'), {
      namespace: NS,
      runId: 'run-b',
      host: 'h2',
      now: () => now,
    });
    const r = await held.renew();
    expect(r.ok).toBe(false);
    expect(!r.ok && r.lost).toMatch(/^run run-b on h2/);
    expect(holderOf(kube.leases.get(podKey(NS, LEASE_NAME))!)?.runId).toBe('run-b');
  });

  it('two runs racing for a free lease: the create that loses (409) is refused naming the winner', async () => {
    const kube = new FakeKube();
    // The winner's create lands between the loser's read and its create.
    kube.fail('createLease', () => {
      kube.heal('createLease');
      kube.leases.set(podKey(NS, LEASE_NAME), {
        metadata: { name: LEASE_NAME, namespace: NS, resourceVersion: '7', annotations: {} },
        spec: {
          holderIdentity: 'winner',
          leaseDurationSeconds: 60,
          renewTime: new Date(T0),
          acquireTime: new Date(T0),
        },
      });
      return apiError(409, 'leases.coordination.k8s.io "chaos-run" already exists');
    });
    const ledger = await newLedger('loser');
    await expect(
      acquireLease(kube.asKube(), ledger, { namespace: NS, runId: 'loser', now: () => T0 }),
    ).rejects.toThrow(/in use by run winner/);
    expect(open(ledger)).toEqual([]);
  });

  it('a 403 on the lease is an environment error naming the verbs to grant', async () => {
    const kube = new FakeKube();
    kube.fail('createLease', apiError(403, 'leases is forbidden'));
    await expect(
      acquireLease(kube.asKube(), await newLedger('ro'), { namespace: NS, runId: 'ro', now: () => T0 }),
    ).rejects.toMatchObject({
      exitCode: 3,
      hint: 'grant get, create, update and delete on leases (coordination.k8s.io) in the target namespace',
    });
  });

  it("release deletes the run's own lease, never another run's, and is idempotent", async () => {
    const kube = new FakeKube();
    const undo = { fault: 'run-lease', v: 1, namespace: NS, name: LEASE_NAME, runId: 'run-a' };
    await acquireLease(kube.asKube(), await newLedger('run-b'), {
      namespace: NS,
      runId: 'run-b',
      now: () => T0,
    });
    expect(await releaseLease(kube.asKube(), undo)).toMatch(/left alone: held by run run-b/);
    expect(kube.leases.size).toBe(1);
    expect(await releaseLease(kube.asKube(), { ...undo, runId: 'run-b' })).toBe(
      'lease ml-serving/chaos-run released',
    );
    expect(kube.leases.size).toBe(0);
    expect(await releaseLease(kube.asKube(), undo)).toMatch(/already gone/);
  });

  it('chaos recover releases a dead run’s lease after reverting its faults, and keeps it if a revert failed', async () => {
    for (const podKillUndoFails of [false, true]) {
      const kube = new FakeKube();

      const ledger = await newLedger('killed');
      await acquireLease(kube.asKube(), ledger, { namespace: NS, runId: 'killed', now: () => T0 });
      // A fault entry after it, as a run killed mid-fault leaves: its undo fails when asked to.
      await ledger.intend('node-drain', 'cordon worker-1', { fault: 'node-drain', v: 1, node: 'worker-1' });
      await ledger.close();
      if (podKillUndoFails) kube.fail('setUnschedulable', apiError(403, 'nodes is forbidden'));
      else kube.addNode({ metadata: { name: 'worker-1' }, spec: { unschedulable: true } });
      const out = recordingOutput();
      const env = { CHAOS_STATE_DIR: path.dirname(path.dirname(ledger.file)) };
      const recovering = recoverRuns(kube.asKube(), { server: 'https://127.0.0.1:6443', env }, out);
      if (podKillUndoFails) {
        await expect(recovering).rejects.toThrow(/1 undo action\(s\) failed/);
        expect(kube.leases.size).toBe(1);
        expect(out.err.join('\n')).toMatch(/lease kept/);
      } else {
        await recovering;
        expect(kube.leases.size).toBe(0);
        const lines = out.err;
        const released = lines.findIndex((l) => /lease ml-serving\/chaos-run released/.test(l));
        const uncordoned = lines.findIndex((l) => /worker-1/.test(l));
        expect(uncordoned).toBeGreaterThanOrEqual(0);
        expect(released).toBeGreaterThan(uncordoned);
      }
    }
  });
});
