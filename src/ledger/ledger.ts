/**
 * The run ledger: an append-only JSON-lines file, one per run, fsynced record by record. A mutation's undo is
 * written BEFORE the mutation is made, so a run killed at any instant leaves enough behind for
 * `chaos recover` to put the cluster back.
 */
import { mkdir, open, readdir, readFile, type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * What undoes one mutation, as the fault that made it wrote it down. Opaque here: the ledger keeps it and
 * hands it back, and only that fault's plugin reads its data. `v` versions the fault's own format, so a
 * ledger written by an older chaos can still be undone by a newer one.
 */
export interface UndoRecord {
  /** The fault type whose plugin undoes it. */
  fault: string;
  v: number;
  /** Set when the mutation needs no undo (the platform repairs it itself): why. Such entries never stay open. */
  nothing?: string;
  [data: string]: unknown;
}

export type LedgerRecord =
  | {
      kind: 'start';
      at: string;
      runId: string;
      cluster: string;
      context: string;
      scenario: string;
      pid: number;
    }
  | { kind: 'intent'; at: string; id: number; fault: string; description: string; undo: UndoRecord }
  | { kind: 'applied'; at: string; id: number }
  | { kind: 'reverted'; at: string; id: number; by: 'run' | 'recover' }
  /** The API server refused the mutation: it never happened, so there is nothing to undo. */
  | { kind: 'failed'; at: string; id: number; error: string }
  | { kind: 'end'; at: string; outcome: string };

export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return (
    env.CHAOS_STATE_DIR ??
    path.join(env.XDG_STATE_HOME ?? path.join(os.homedir(), '.local', 'state'), 'chaos')
  );
}

export function ledgerPath(runId: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(stateDir(env), 'runs', `${runId}.jsonl`);
}

export class Ledger {
  private nextId = 1;
  private constructor(
    readonly file: string,
    private readonly handle: FileHandle,
  ) {}

  static async create(file: string): Promise<Ledger> {
    await mkdir(path.dirname(file), { recursive: true });
    const handle = await open(file, 'a+');
    const { size } = await handle.stat();
    if (size > 0) {
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      // `chaos recover` appends to the ledger of a run that may have died mid-write: a record glued to that
      // torn line would be lost with it, and its entry would stay open.
      if (last[0] !== 0x0a) await handle.appendFile('\n');
    }
    return new Ledger(file, handle);
  }

  async append(record: LedgerRecord): Promise<void> {
    await this.handle.appendFile(JSON.stringify(record) + '\n');
    await this.handle.datasync();
  }

  /** Records what will undo a mutation; call before making it. Returns the id to mark applied/reverted. */
  async intend(fault: string, description: string, undo: UndoRecord): Promise<number> {
    const id = this.nextId++;
    await this.append({ kind: 'intent', at: new Date().toISOString(), id, fault, description, undo });
    return id;
  }

  async applied(id: number): Promise<void> {
    await this.append({ kind: 'applied', at: new Date().toISOString(), id });
  }

  async reverted(id: number, by: 'run' | 'recover' = 'run'): Promise<void> {
    await this.append({ kind: 'reverted', at: new Date().toISOString(), id, by });
  }

  async failed(id: number, error: string): Promise<void> {
    await this.append({ kind: 'failed', at: new Date().toISOString(), id, error });
  }

  async close(outcome?: string): Promise<void> {
    if (outcome) await this.append({ kind: 'end', at: new Date().toISOString(), outcome });
    await this.handle.close();
  }
}

export interface LedgerState {
  file: string;
  runId: string;
  cluster: string;
  context: string;
  scenario: string;
  /** The run's process id (on the host that ran it): a live run's ledger is not for `chaos recover` to touch. */
  pid: number | null;
  ended: boolean;
  /** Intents not yet reverted, oldest first: intents whose mutation may or may not have happened included. */
  open: Extract<LedgerRecord, { kind: 'intent' }>[];
}

export function replayLedger(file: string, text: string): LedgerState {
  const state: LedgerState = {
    file,
    runId: path.basename(file, '.jsonl'),
    cluster: '',
    context: '',
    scenario: '',
    pid: null,
    ended: false,
    open: [],
  };
  const intents = new Map<number, Extract<LedgerRecord, { kind: 'intent' }>>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let record: LedgerRecord;
    try {
      record = JSON.parse(line) as LedgerRecord;
    } catch {
      // A torn last line from a crash mid-write: everything before it is intact.
      continue;
    }
    // Whatever else a damaged file holds is skipped too, rather than failing `chaos recover` on it.
    if (typeof record !== 'object' || record === null) continue;
    if (record.kind === 'start')
      Object.assign(state, {
        runId: record.runId,
        cluster: record.cluster,
        context: record.context,
        scenario: record.scenario,
        pid: typeof record.pid === 'number' ? record.pid : null,
      });
    else if (record.kind === 'intent') {
      const undo = upgradeUndo(record);
      if (undo) intents.set(record.id, { ...record, undo });
    } else if (record.kind === 'reverted' || record.kind === 'failed') intents.delete(record.id);
    else if (record.kind === 'end') state.ended = true;
  }
  state.open = [...intents.values()].filter((i) => i.undo.nothing === undefined);
  return state;
}

/**
 * The one migration of undo records. Before they were versioned, an intent's undo was `{ kind, ...data }`
 * with one kind per fault, the fault named by the intent, and kind "none" for nothing to undo. Version 1 is
 * the same data under the fault's name, so an unversioned record maps to it field for field. Anything else
 * that is not a record is skipped, like any other damage.
 */
function upgradeUndo(intent: Extract<LedgerRecord, { kind: 'intent' }>): UndoRecord | null {
  const undo = intent.undo as unknown;
  if (typeof undo !== 'object' || undo === null) return null;
  const raw = undo as Record<string, unknown>;
  if ('v' in raw)
    return typeof raw.fault === 'string' && typeof raw.v === 'number' ? (raw as UndoRecord) : null;
  const { kind, ...data } = raw;
  if (typeof kind !== 'string' || typeof intent.fault !== 'string') return null;
  if (kind === 'none')
    return { fault: intent.fault, v: 1, nothing: typeof data.reason === 'string' ? data.reason : kind };
  return { ...data, fault: intent.fault, v: 1 };
}

export async function readLedgers(env: NodeJS.ProcessEnv = process.env): Promise<LedgerState[]> {
  const dir = path.join(stateDir(env), 'runs');
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.jsonl')).sort();
  } catch {
    return [];
  }
  return Promise.all(
    names.map(async (n) => replayLedger(path.join(dir, n), await readFile(path.join(dir, n), 'utf8'))),
  );
}
