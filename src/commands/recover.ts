/** `chaos recover`: replays the undo of every open ledger entry a dead run left behind. Idempotent. */
import { readFile } from 'node:fs/promises';
import { Kube } from '../adapters/kube.js';
import type { Output } from '../adapters/output.js';
import { EnvironmentError } from '../errors.js';
import { Ledger, readLedgers, replayLedger } from '../ledger/ledger.js';
import { runUndo } from '../ledger/undo.js';

export async function recoverCommand(opts: { run?: string; context?: string }, out: Output): Promise<void> {
  const kube = Kube.connect({ context: opts.context });
  await kube.ping();
  const server = kube.config.getCurrentCluster()?.server ?? '';
  const ledgers = (await readLedgers()).filter((l) =>
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
      try {
        const what = await runUndo(kube, intent.undo);
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

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
