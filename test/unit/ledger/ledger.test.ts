import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { mutate } from '../../../src/faults/fault.js';
import {
  Ledger,
  ledgerPath,
  readLedgers,
  replayLedger,
  stateDir,
  type LedgerRecord,
  type UndoRecord,
} from '../../../src/ledger/ledger.js';
import { apiError, FakeKube } from '../../fakes/kube.js';
import { faultContext, makePlan, tempDir } from '../../fakes/scenario.js';

const tmp = tempDir('chaos-ledger-');
afterAll(() => tmp.cleanup());
afterEach(() => vi.restoreAllMocks());

let n = 0;
const file = () => path.join(tmp.dir, 'runs', `run-${++n}.jsonl`);
const lines = (f: string) =>
  readFileSync(f, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as LedgerRecord);

const uncordon: UndoRecord = { fault: 'node-drain', v: 1, node: 'worker-2' };
const restore: UndoRecord = {
  fault: 'model-version',
  v: 1,
  namespace: 'ml-serving',
  name: 'fraud-scorer',
  template: { spec: {} },
};

describe('Ledger', () => {
  it('appends one JSON record per line and numbers intents from 1', async () => {
    const f = file();
    const ledger = await Ledger.create(f);
    await ledger.append({
      kind: 'start',
      at: 'now',
      runId: 'r1',
      cluster: 'https://127.0.0.1:6443',
      context: 'kind-chaos',
      scenario: 's.yaml',
      pid: 1,
    });
    expect(await ledger.intend('node-drain', 'cordon node worker-2', uncordon)).toBe(1);
    expect(await ledger.intend('model-version', 'set MODEL_VERSION=v404', restore)).toBe(2);
    await ledger.applied(1);
    await ledger.reverted(1);
    await ledger.close('PASS');
    expect(lines(f).map((r) => r.kind)).toEqual(['start', 'intent', 'intent', 'applied', 'reverted', 'end']);
    expect(lines(f)[1]).toMatchObject({ kind: 'intent', id: 1, fault: 'node-drain', undo: uncordon });
    expect(lines(f)[4]).toMatchObject({ kind: 'reverted', id: 1, by: 'run' });
  });

  it('appends after a torn last line on a line of its own, so the torn line takes no record with it', async () => {
    const f = file();
    mkdirSync(path.dirname(f), { recursive: true });
    writeFileSync(
      f,
      JSON.stringify({
        kind: 'intent',
        at: 'x',
        id: 1,
        fault: 'node-drain',
        description: 'd',
        undo: uncordon,
      }) + '\n{"kind":"reverted","at":"2026-',
    );
    const ledger = await Ledger.create(f);
    await ledger.reverted(1, 'recover');
    await ledger.close('recovered');
    const text = readFileSync(f, 'utf8');
    expect(text.split('\n').slice(1)).toEqual([
      '{"kind":"reverted","at":"2026-',
      expect.stringMatching(/^\{"kind":"reverted",.*"id":1,"by":"recover"\}$/),
      expect.stringMatching(/^\{"kind":"end",.*"outcome":"recovered"\}$/),
      '',
    ]);
    expect(replayLedger(f, text)).toMatchObject({ open: [], ended: true });
    // A whole last line gets no blank line after it.
    const again = await Ledger.create(f);
    await again.close('recovered');
    expect(readFileSync(f, 'utf8')).not.toContain('\n\n');
  });

  it('syncs every record to disk before append returns', async () => {
    const f = file();
    const ledger = await Ledger.create(f);
    const proto = Object.getPrototypeOf(await open(f, 'r')) as { datasync: () => Promise<void> };
    const sync = vi.spyOn(proto, 'datasync');
    await ledger.intend('node-drain', 'cordon node worker-2', uncordon);
    await ledger.applied(1);
    expect(sync).toHaveBeenCalledTimes(2);
    await ledger.close();
  });
});

describe('mutate: the undo is on disk before the mutation', () => {
  it('writes and syncs the intent before act() runs, and marks it applied after', async () => {
    const kube = new FakeKube();
    const ctx = await faultContext(kube, makePlan(), tmp.dir);
    const order: string[] = [];
    const proto = Object.getPrototypeOf(await open(ctx.ledger.file, 'r')) as {
      datasync: () => Promise<void>;
    };
    const real = proto.datasync;
    vi.spyOn(proto, 'datasync').mockImplementation(function (this: unknown) {
      order.push('sync');
      return real.call(this);
    });
    const m = await mutate(ctx, 'node-drain', 'cordon node worker-2', uncordon, () => {
      order.push('act');
      // What a crash right now would leave behind: the intent, already complete on disk.
      const onDisk = lines(ctx.ledger.file);
      expect(onDisk).toHaveLength(1);
      expect(onDisk[0]).toMatchObject({
        kind: 'intent',
        id: 1,
        fault: 'node-drain',
        description: 'cordon node worker-2',
        undo: uncordon,
      });
      expect(replayLedger(ctx.ledger.file, readFileSync(ctx.ledger.file, 'utf8')).open).toHaveLength(1);
      return Promise.resolve();
    });
    expect(order).toEqual(['sync', 'act', 'sync']);
    expect(m).toEqual({ ledgerId: 1, undo: uncordon, description: 'cordon node worker-2' });
    expect(lines(ctx.ledger.file).map((r) => r.kind)).toEqual(['intent', 'applied']);
    await ctx.ledger.close();
  });

  it('closes the entry when the API server refuses the mutation: nothing happened, nothing to undo', async () => {
    const kube = new FakeKube();
    const ctx = await faultContext(kube, makePlan(), tmp.dir);
    const refused = apiError(403, 'nodes "worker-2" is forbidden: User "ci" cannot patch resource "nodes"');
    await expect(
      mutate(ctx, 'node-drain', 'cordon node worker-2', uncordon, () => Promise.reject(refused)),
    ).rejects.toBe(refused);
    const state = replayLedger(ctx.ledger.file, readFileSync(ctx.ledger.file, 'utf8'));
    expect(state.open).toEqual([]);
    expect(lines(ctx.ledger.file).at(-1)).toMatchObject({ kind: 'failed', id: 1 });
    await ctx.ledger.close();
  });

  it('keeps the entry open when the outcome is unknown (timeout, 5xx): the mutation may have happened', async () => {
    const kube = new FakeKube();
    const ctx = await faultContext(kube, makePlan(), tmp.dir);
    await expect(
      mutate(ctx, 'model-version', 'patch', restore, () => Promise.reject(new Error('socket hang up'))),
    ).rejects.toThrow();
    await expect(
      mutate(ctx, 'model-version', 'patch', restore, () => Promise.reject(apiError(504, 'timeout'))),
    ).rejects.toThrow();
    const state = replayLedger(ctx.ledger.file, readFileSync(ctx.ledger.file, 'utf8'));
    expect(state.open.map((i) => i.id)).toEqual([1, 2]);
    await ctx.ledger.close();
  });
});

describe('replayLedger', () => {
  const rec = (r: LedgerRecord) => JSON.stringify(r);
  const start = rec({
    kind: 'start',
    at: '2026-11-23T15:29:40Z',
    runId: '20261123T152940-node-drain-abc123',
    cluster: 'https://127.0.0.1:40123',
    context: 'kind-chaos',
    scenario: 'scenarios/node-drain.yaml',
    pid: 4242,
  });
  const intent = (id: number, undo: UndoRecord) =>
    rec({
      kind: 'intent',
      at: '2026-11-23T15:31:05Z',
      id,
      fault: undo.fault,
      description: `mutation ${id}`,
      undo,
    });

  it('reads the run identity from the start record', () => {
    const s = replayLedger('/state/runs/x.jsonl', start + '\n');
    expect(s).toMatchObject({
      runId: '20261123T152940-node-drain-abc123',
      cluster: 'https://127.0.0.1:40123',
      context: 'kind-chaos',
      scenario: 'scenarios/node-drain.yaml',
      ended: false,
      open: [],
    });
  });

  it('keeps the pid of the run, so a live run can be told from a dead one', () => {
    expect(replayLedger('f.jsonl', start).pid).toBe(4242);
    expect(replayLedger('f.jsonl', '').pid).toBeNull();
  });

  it('skips lines that parse but are not records, instead of failing recover on them', () => {
    const s = replayLedger(
      'f.jsonl',
      [start, 'null', '42', '"x"', '{"kind":"intent","id":9}', intent(1, uncordon)].join('\n'),
    );
    expect(s.open.map((i) => i.id)).toEqual([1]);
  });

  it('falls back to the file name for the run id', () => {
    expect(replayLedger('/state/runs/20261123-x.jsonl', '').runId).toBe('20261123-x');
  });

  it('keeps intents open until reverted, oldest first, and ignores those with nothing to undo', () => {
    const text = [
      start,
      intent(1, { fault: 'pod-kill', v: 1, nothing: 'the ReplicaSet replaces a deleted pod' }),
      intent(2, uncordon),
      rec({ kind: 'applied', at: 'x', id: 2 }),
      intent(3, restore),
      intent(4, {
        fault: 'latency',
        v: 1,
        namespace: 'ml-serving',
        pod: 'feature-store-0',
        container: 'chaos-latency-a',
        expiresAt: 'x',
      }),
      rec({ kind: 'reverted', at: 'x', id: 3, by: 'run' }),
    ].join('\n');
    const s = replayLedger('f.jsonl', text);
    expect(s.open.map((i) => i.id)).toEqual([2, 4]);
    expect(s.ended).toBe(false);
  });

  it('hands undo records back as written, whatever their version: reading them is the fault’s business', () => {
    const v2 = { fault: 'node-drain', v: 2, nodes: ['worker-1', 'worker-2'], note: { any: 'data' } };
    const s = replayLedger('f.jsonl', [start, intent(1, v2), intent(2, uncordon)].join('\n'));
    expect(s.open.map((i) => i.undo)).toEqual([v2, uncordon]);
  });

  it('skips a versioned undo that names no fault, like any other damage', () => {
    const text = [
      start,
      JSON.stringify({
        kind: 'intent',
        at: 'x',
        id: 1,
        fault: 'node-drain',
        description: 'd',
        undo: { v: 1 },
      }),
    ];
    expect(replayLedger('f.jsonl', text.join('\n')).open).toEqual([]);
  });

  it('reads an unversioned undo (ledgers written before v1) as version 1 of the intent’s fault', () => {
    // Written as chaos 0.1.0 wrote them, so typed as what they were, not as today's records.
    const legacy = (id: number, fault: string, undo: unknown) =>
      JSON.stringify({ kind: 'intent', at: 'x', id, fault, description: `mutation ${id}`, undo });
    const template = { spec: { containers: [{ name: 'scorer' }] } };
    const text = [
      start,
      legacy(1, 'pod-kill', { kind: 'none', reason: 'the ReplicaSet replaces a deleted pod' }),
      legacy(2, 'node-drain', { kind: 'uncordon', node: 'worker-2' }),
      legacy(3, 'model-version', {
        kind: 'restoreDeployment',
        namespace: 'ml-serving',
        name: 'fraud-scorer',
        template,
      }),
      legacy(4, 'latency', {
        kind: 'stopLatencyAgent',
        namespace: 'ml-serving',
        pod: 'feature-store-0',
        container: 'chaos-latency-a',
        expiresAt: '2026-11-23T15:33:30.000Z',
      }),
      legacy(5, 'node-drain', { node: 'worker-3' }),
      legacy(6, 'latency', 'stopLatencyAgent'),
    ].join('\n');
    expect(replayLedger('f.jsonl', text).open.map((i) => [i.id, i.undo])).toEqual([
      [2, { fault: 'node-drain', v: 1, node: 'worker-2' }],
      [3, { fault: 'model-version', v: 1, namespace: 'ml-serving', name: 'fraud-scorer', template }],
      [
        4,
        {
          fault: 'latency',
          v: 1,
          namespace: 'ml-serving',
          pod: 'feature-store-0',
          container: 'chaos-latency-a',
          expiresAt: '2026-11-23T15:33:30.000Z',
        },
      ],
    ]);
  });

  it('survives a torn last line from a crash mid-write', () => {
    const full = [start, intent(1, uncordon), intent(2, restore)].join('\n');
    const torn = full + '\n' + intent(3, uncordon).slice(0, 37);
    const s = replayLedger('f.jsonl', torn);
    expect(s.open.map((i) => i.id)).toEqual([1, 2]);
  });

  it('marks the run ended at an end record, open entries included (a revert that failed)', () => {
    const s = replayLedger(
      'f.jsonl',
      [start, intent(1, uncordon), rec({ kind: 'end', at: 'x', outcome: 'INCONCLUSIVE' })].join('\n') + '\n',
    );
    expect(s.ended).toBe(true);
    expect(s.open.map((i) => i.id)).toEqual([1]);
  });

  it('closes entries the API server refused', () => {
    const s = replayLedger(
      'f.jsonl',
      [start, intent(1, uncordon), rec({ kind: 'failed', at: 'x', id: 1, error: '403' })].join('\n'),
    );
    expect(s.open).toEqual([]);
  });

  it('tolerates CRLF line endings and blank lines', () => {
    const s = replayLedger('f.jsonl', [start, '', intent(1, uncordon), ''].join('\r\n'));
    expect(s.open.map((i) => i.id)).toEqual([1]);
  });
});

describe('state directory and readLedgers', () => {
  it('puts ledgers under CHAOS_STATE_DIR, else XDG_STATE_HOME/chaos', () => {
    expect(stateDir({ CHAOS_STATE_DIR: '/var/lib/chaos' })).toBe('/var/lib/chaos');
    expect(stateDir({ XDG_STATE_HOME: '/home/ci/.state' })).toBe('/home/ci/.state/chaos');
    expect(ledgerPath('r1', { CHAOS_STATE_DIR: '/s' })).toBe('/s/runs/r1.jsonl');
  });

  it('reads every ledger in the state dir, sorted by name', async () => {
    const dir = path.join(tmp.dir, 'state');
    mkdirSync(path.join(dir, 'runs'), { recursive: true });
    writeFileSync(
      path.join(dir, 'runs', 'b.jsonl'),
      JSON.stringify({ kind: 'end', at: 'x', outcome: 'PASS' }) + '\n',
    );
    writeFileSync(path.join(dir, 'runs', 'a.jsonl'), '');
    writeFileSync(path.join(dir, 'runs', 'notes.txt'), 'not a ledger');
    const all = await readLedgers({ CHAOS_STATE_DIR: dir });
    expect(all.map((l) => [l.runId, l.ended])).toEqual([
      ['a', false],
      ['b', true],
    ]);
  });

  it('finds nothing, without error, when there is no state dir yet', async () => {
    expect(await readLedgers({ CHAOS_STATE_DIR: path.join(tmp.dir, 'nope') })).toEqual([]);
  });
});
