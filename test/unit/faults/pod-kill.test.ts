import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { podKill } from '../../../src/faults/pod-kill.js';
import { replayLedger } from '../../../src/ledger/ledger.js';
import type { ScenarioInput } from '../../../src/scenario/schema.js';
import { clock } from '../../fakes/clock.js';
import { apiError, FakeKube } from '../../fakes/kube.js';
import { faultContext, faultOf, makePlan, faultTestHooks } from '../../fakes/scenario.js';

vi.mock('node:timers/promises', async (real) =>
  (await import('../../fakes/clock.js')).instantTimers(await real()),
);

const { tmp, contexts, T } = faultTestHooks({ prefix: 'chaos-pod-kill-', at: '2026-11-23T15:31:05.000Z' });

function cluster(n: number, extra: Parameters<FakeKube['addPods']> = []): FakeKube {
  const kube = new FakeKube();
  for (let i = 0; i < n; i++) kube.addPods({ name: `fraud-scorer-7d4b9f-${'abcdefghij'[i]}${i}` });
  kube.addPods(...extra);
  return kube;
}

async function kill(
  kube: FakeKube,
  patch: Partial<ScenarioInput> = {},
  opts: { seed?: number; timeScale?: number; windowEndMs?: number } = {},
) {
  const plan = makePlan(patch, { seed: opts.seed ?? 42, timeScale: opts.timeScale ?? 1 });
  const ctx = await faultContext(kube, plan, tmp.dir);
  contexts.push(ctx);
  const injection = await podKill.inject(faultOf(plan, 'pod-kill'), {
    ...ctx,
    windowEndMs: opts.windowEndMs,
  });
  return { ...injection, ctx, plan };
}

/** The ReplicaSet, roughly: `sleeps` sleeps after a delete, a Ready replacement for each deleted pod. */
function replaceAfter(kube: FakeKube, sleeps: number): void {
  let pending: number[] = [];
  let made = 0;
  clock.onSleep = () => {
    const gone = kube.callsTo('deletePod').length;
    while (pending.length + made < gone) pending.push(sleeps);
    pending = pending.map((n) => n - 1);
    for (; pending[0] !== undefined && pending[0] < 0; pending.shift())
      kube.addPods({ name: `fraud-scorer-7d4b9f-new${made++}` });
  };
}

const deleted = (kube: FakeKube) => kube.callsTo('deletePod').map((a) => a[1] as string);

describe('pod-kill: the seeded choice', () => {
  it('picks the same victim for the same seed, whatever order the API lists pods in', async () => {
    const a = cluster(5);
    await kill(a, {}, { seed: 1234 });
    const b = new FakeKube();
    // Same pods, listed in reverse.
    for (const p of [...a.pods.values()].reverse()) b.addPod(structuredClone(p));
    for (const p of b.pods.values()) delete p.metadata!.deletionTimestamp;
    await kill(b, {}, { seed: 1234 });
    expect(deleted(a)).toHaveLength(1);
    expect(deleted(b)).toEqual(deleted(a));
  });

  it('different seeds spread the choice over the pods', async () => {
    const victims = new Set<string>();
    for (let seed = 1; seed <= 30; seed++) {
      const kube = cluster(5);
      await kill(kube, {}, { seed });
      victims.add(deleted(kube)[0]!);
    }
    expect(victims.size).toBeGreaterThanOrEqual(4);
  });

  it('never picks a pod that is already terminating, nor one outside the selector', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const kube = cluster(0, [
        { name: 'fraud-scorer-live' },
        { name: 'fraud-scorer-going', terminating: true },
        { name: 'feature-store-0', labels: { app: 'feature-store' } },
        { name: 'fraud-scorer-canary', namespace: 'ml-canary' },
      ]);
      await kill(kube, {}, { seed });
      expect(deleted(kube)).toEqual(['fraud-scorer-live']);
    }
  });
});

describe('pod-kill: how many', () => {
  it('kills count pods and records each with its undo ("none": the ReplicaSet replaces it)', async () => {
    const kube = cluster(4);
    const { record, mutations, ctx } = await kill(kube, { faults: [{ type: 'pod-kill', count: 2 }] });
    expect(deleted(kube)).toHaveLength(2);
    expect(record).toMatchObject({
      type: 'pod-kill',
      confirmed: true,
      injectedAt: new Date(T).toISOString(),
    });
    expect(record.targets).toEqual(deleted(kube).map((n) => `ml-serving/${n}`));
    expect(record.description).toBe(`deleted 2 pod(s): ${record.targets.join(', ')}`);
    expect(mutations.map((m) => m.undo)).toEqual([
      { fault: 'pod-kill', v: 1, nothing: 'the ReplicaSet replaces a deleted pod' },
      { fault: 'pod-kill', v: 1, nothing: 'the ReplicaSet replaces a deleted pod' },
    ]);
    const ledger = readFileSync(ctx.ledger.file, 'utf8');
    expect(ledger.match(/"kind":"intent"/g)).toHaveLength(2);
    expect(replayLedger(ctx.ledger.file, ledger).open).toEqual([]);
  });

  it('kills a percentage, rounded up', async () => {
    const kube = cluster(5);
    await kill(kube, { faults: [{ type: 'pod-kill', percent: '50%' }] });
    expect(deleted(kube)).toHaveLength(3);
  });

  it('safety.maxPods caps a percentage', async () => {
    const kube = cluster(6);
    await kill(kube, { faults: [{ type: 'pod-kill', percent: '100%' }], safety: { maxPods: 2 } });
    expect(deleted(kube)).toHaveLength(2);
  });

  it('safety.maxPercent caps the count, rounding down', async () => {
    const kube = cluster(6);
    await kill(kube, { faults: [{ type: 'pod-kill', count: 5 }], safety: { maxPercent: '34%' } });
    // 34 % of 6 = 2.04 → 2
    expect(deleted(kube)).toHaveLength(2);
  });

  it('a cap that rounds down to no pod kills nothing: not confirmed', async () => {
    const kube = cluster(2);
    const { record } = await kill(kube, {
      faults: [{ type: 'pod-kill', count: 1 }],
      safety: { maxPercent: '40%' },
    });
    expect(deleted(kube)).toEqual([]);
    expect(record.confirmed).toBe(false);
    expect(kube.writes).toBe(0);
  });

  it('passes the grace period to the delete', async () => {
    const kube = cluster(3);
    const { record } = await kill(kube, { faults: [{ type: 'pod-kill', count: 1, gracePeriod: '0s' }] });
    expect(kube.callsTo('deletePod')[0]![2]).toBe(0);
    expect(record.description).toMatch(/with grace 0s$/);
  });
});

describe('pod-kill: nothing to kill or not allowed', () => {
  it('zero matching pods: not confirmed, a note, no throw, no write', async () => {
    const kube = cluster(0, [{ name: 'feature-store-0', labels: { app: 'feature-store' } }]);
    const { record, mutations } = await kill(kube);
    expect(record).toMatchObject({
      confirmed: false,
      injectedAt: null,
      targets: [],
      description: 'deleted nothing',
    });
    expect(record.notes).toEqual(['round 1: the selector matched no running pod (0 matching)']);
    expect(mutations).toEqual([]);
    expect(kube.writes).toBe(0);
  });

  it('a refused delete (403): not confirmed, the refusal in the notes, the ledger entry closed', async () => {
    const kube = cluster(3);
    kube.fail(
      'deletePod',
      apiError(403, 'pods "fraud-scorer-7d4b9f-a0" is forbidden: User "ci" cannot delete resource "pods"'),
    );
    const { record, mutations, ctx } = await kill(kube);
    expect(record.confirmed).toBe(false);
    expect(record.notes).toHaveLength(1);
    expect(record.notes[0]).toMatch(
      /^delete fraud-scorer-7d4b9f-\w+ refused \(403\): pods ".*" is forbidden/,
    );
    expect(mutations).toEqual([]);
    expect(replayLedger(ctx.ledger.file, readFileSync(ctx.ledger.file, 'utf8')).open).toEqual([]);
  });

  it('a failing list: not confirmed, never a throw', async () => {
    const kube = cluster(3);
    kube.fail('listPods', new Error('connect ECONNREFUSED 127.0.0.1:6443'));
    const { record } = await kill(kube);
    expect(record.confirmed).toBe(false);
    expect(record.notes[0]).toContain('ECONNREFUSED');
  });
});

describe('pod-kill: timing', () => {
  it('dates the fault before the delete call, so a fast replacement is never older than the fault', async () => {
    const kube = cluster(3);
    kube.fail('deletePod', () => {
      vi.setSystemTime(Date.now() + 800); // a slow API answer
      return undefined;
    });
    const { record } = await kill(kube);
    expect(record.injectedAt).toBe(new Date(T).toISOString());
  });

  it('repeats at the scaled interval, re-choosing among the pods there are then', async () => {
    const kube = cluster(3);
    replaceAfter(kube, 0);
    const { record } = await kill(
      kube,
      { faults: [{ type: 'pod-kill', count: 1, repeat: 3, interval: '20s' }] },
      { timeScale: 0.5 },
    );
    expect(clock.sleeps).toEqual([10_000, 10_000]);
    expect(deleted(kube)).toHaveLength(3);
    expect(record.targets).toHaveLength(3);
    // Every round is an injection of its own, for the charts' markers.
    expect(record.injections).toEqual([T, T + 10_000, T + 20_000].map((t) => new Date(t).toISOString()));
    expect(record.injectedAt).toBe(record.injections![0]);
  });

  it("a repeat waits for the last round's replacement to be Ready, and says how long", async () => {
    const kube = cluster(3);
    replaceAfter(kube, 3);
    const { record } = await kill(
      kube,
      { faults: [{ type: 'pod-kill', count: 1, repeat: 2, interval: '20s' }] },
      { timeScale: 0.5 },
    );
    // The interval, then a read each second until three pods are Ready again.
    expect(clock.sleeps).toEqual([10_000, 1000, 1000, 1000]);
    expect(deleted(kube)).toHaveLength(2);
    expect(record.notes).toEqual(['round 2 waited 3.0s for 3 Ready target pods']);
    expect(record.injections).toEqual([T, T + 13_000].map((t) => new Date(t).toISOString()));
  });

  it('a replacement that never becomes Ready: the next round is not run, and the notes say why', async () => {
    const kube = cluster(3);
    const { record } = await kill(
      kube,
      { faults: [{ type: 'pod-kill', count: 1, repeat: 3, interval: '20s' }] },
      { timeScale: 0.5, windowEndMs: T + 30_000 },
    );
    expect(deleted(kube)).toHaveLength(1);
    expect(record.confirmed).toBe(true);
    expect(record.notes).toEqual(['round 2 not run: 2/3 target pods Ready when the fault window ended']);
    // The wait stops at the window's end, not one poll after it.
    expect(Date.now()).toBeLessThanOrEqual(T + 30_000);
  });

  it('waitReady: false kills at the interval whatever is Ready', async () => {
    const kube = cluster(3);
    await kill(
      kube,
      { faults: [{ type: 'pod-kill', count: 1, repeat: 3, interval: '20s', waitReady: false }] },
      { timeScale: 0.5 },
    );
    expect(clock.sleeps).toEqual([10_000, 10_000]);
    expect(deleted(kube)).toHaveLength(3);
  });

  it('says why there is nothing to revert; one round records no list of injections', async () => {
    const { record } = await kill(cluster(3), {
      faults: [{ type: 'pod-kill', count: 2 }],
    });
    expect(record.nothingToRevert).toBe('pods are replaced by their controller');
    expect(record.targets).toHaveLength(2);
    expect(record.injections).toBeUndefined();
  });

  it('an interrupt during the interval stops the repeats: no kill after it', async () => {
    const kube = cluster(3);
    const abort = new AbortController();
    clock.onSleep = () => abort.abort();
    const plan = makePlan({ faults: [{ type: 'pod-kill', count: 1, repeat: 3, interval: '20s' }] });
    const ctx = await faultContext(kube, plan, tmp.dir, { abort });
    contexts.push(ctx);
    const { record } = await podKill.inject(faultOf(plan, 'pod-kill'), ctx);
    expect(deleted(kube)).toHaveLength(1);
    expect(record.confirmed).toBe(true);
  });
});

describe('pod-kill: preview', () => {
  it('names the pods it would delete and writes nothing', async () => {
    const kube = cluster(3);
    const plan = makePlan({}, { seed: 7 });
    const ctx = await faultContext(kube, plan, tmp.dir);
    contexts.push(ctx);
    const lines = await podKill.preview(faultOf(plan, 'pod-kill'), ctx);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^would delete pod ml-serving\/fraud-scorer-7d4b9f-\w+ \(1 of 3 matching\)$/);
    expect(kube.writes).toBe(0);
  });
});
