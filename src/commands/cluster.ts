/** `chaos cluster up|down|status`: the kind testbed, through the same script `npm run testbed:*` uses. */
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { Output } from '../adapters/output.js';
import { EnvironmentError } from '../errors.js';

const script = fileURLToPath(new URL('../../testbed/testbed.sh', import.meta.url));

export async function clusterCommand(verb: 'up' | 'down' | 'status', out: Output): Promise<number> {
  out.info(`chaos cluster ${verb}: ${script}`);
  try {
    const r = await execa('bash', [script, verb], { stdio: 'inherit', reject: false });
    return r.exitCode ?? 1;
  } catch (error) {
    throw new EnvironmentError(`cannot run the testbed script: ${(error as Error).message}`);
  }
}
