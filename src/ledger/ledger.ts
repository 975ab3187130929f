/**
 * The run ledger: an append-only JSON-lines file, one per run, fsynced record by record. A mutation's undo is
 * written BEFORE the mutation is made, so a run killed at any instant leaves enough behind for
 * `chaos recover` to put the cluster back.
 */
import { mkdir, open, readdir, readFile, type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { UndoAction } from './undo.js';

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
  | { kind: 'intent'; at: string; id: number; fault: string; description: string; undo: UndoAction }
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
    return new Ledger(file, await open(file, 'a'));
  }

  async append(record: LedgerRecord): Promise<void> {
    await this.handle.appendFile(JSON.stringify(record) + '\n');
    await this.handle.datasync();
  }

  /** Records what will undo a mutation; call before making it. Returns the id to mark applied/reverted. */
  async intend(fault: string, description: string, undo: UndoAction): Promise<number> {
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
    else if (record.kind === 'intent' && typeof record.undo?.kind === 'string')
      intents.set(record.id, record);
    else if (record.kind === 'reverted' || record.kind === 'failed') intents.delete(record.id);
    else if (record.kind === 'end') state.ended = true;
  }
  state.open = [...intents.values()].filter((i) => i.undo.kind !== 'none');
  return state;
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
