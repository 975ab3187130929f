/**
 * What `chaos recover` does once connected: replays the undo of every open ledger entry a dead run left
 * behind, newest first, and closes each ledger it fully undid. Idempotent.
 */
import { readFile } from 'node:fs/promises';
import type { Kube } from '../adapters/kube.js';
import type { Output } from '../adapters/output.js';
import { EnvironmentError } from '../errors.js';
import { Ledger, readLedgers, replayLedger } from '../ledger/ledger.js';
import { LEASE_UNDO, undoEntry } from './lease.js';

export interface RecoverOptions {
  /** Only this run (default: every unrecovered run whose process is gone). */
  run?: string;
  /** The API server kube talks to: a ledger from another cluster is not undone here. */
  server: string;
  env?: NodeJS.ProcessEnv;
  /** Whether a run's process still lives; default: signal 0 to its pid. */
  isAlive?: (pid: number) => boolean;
}

export async function recoverRuns(kube: Kube, opts: RecoverOptions, out: Output): Promise<void> {
  const { server, env = process.env, isAlive = processIsAlive } = opts;
  const ledgers = (await readLedgers(env)).filter((l) =>
    // A run still alive reverts its own faults; undoing them under its feet would race it.
    opts.run ? l.runId === opts.run : l.open.length > 0 && !(l.pid && isAlive(l.pid)),
  );
  if (opts.run && ledgers.length === 0) throw new EnvironmentError(`no ledger for run ${opts.run}`);
  let undone = 0;
  let failed = 0;
  for (const l of ledgers) {
    let failedHere = 0;
    if (l.cluster && l.cluster !== server) {
      out.info(`skip ${l.runId}: it ran against ${l.cluster}, not ${server} (use --context)`);
      continue;
    }
    const state = replayLedger(l.file, await readFile(l.file, 'utf8'));
    if (state.open.length === 0) {
      out.info(`${l.runId}: nothing to undo`);
    }
    const ledger = await Ledger.create(l.file);
    // Newest first, as the run itself would have.
    for (const intent of [...state.open].reverse()) {
      // The lease is the oldest entry, so it comes last: kept while a fault of its run is still in place.
      if (intent.undo.fault === LEASE_UNDO && failedHere > 0) {
        out.info(`${l.runId}: lease kept: a fault of this run could not be undone`);
        continue;
      }
      try {
        const what = await undoEntry(kube, intent.undo);
        await ledger.reverted(intent.id, 'recover');
        out.info(`${l.runId}: ${what}`);
        undone++;
      } catch (error) {
        failed++;
        failedHere++;
        out.info(`${l.runId}: FAILED to undo "${intent.description}": ${(error as Error).message}`);
      }
    }
    await ledger.close(failedHere === 0 ? 'recovered' : undefined);
  }
  out.info(`recover: ${undone} undone, ${failed} failed, ${ledgers.length} run(s) examined`);
  if (failed > 0)
    throw new EnvironmentError(`${failed} undo action(s) failed; fix the cause and run chaos recover again`);
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
