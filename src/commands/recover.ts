/** `chaos recover`: replays the undo of every open ledger entry a dead run left behind. Idempotent. */
import { Kube } from '../adapters/kube.js';
import type { Output } from '../adapters/output.js';
import { recoverRuns } from '../run/recover.js';

export interface RecoverCliOptions {
  run?: string;
  context?: string;
}

export async function recoverCommand(opts: RecoverCliOptions, out: Output): Promise<void> {
  const kube = Kube.connect({ context: opts.context });
  await kube.ping();
  const server = kube.config.getCurrentCluster()?.server ?? '';
  await recoverRuns(kube, { run: opts.run, server }, out);
}
