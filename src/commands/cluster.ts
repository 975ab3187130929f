/** `chaos cluster up|down|status`: the kind testbed, through the same script `npm run testbed:*` uses. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { Output } from '../adapters/output.js';
import { EnvironmentError } from '../errors.js';

const root = path.resolve(fileURLToPath(new URL('../../', import.meta.url)));

/**
 * What `up` builds from besides testbed/ (which the package ships, for status and down): the sample stack's
 * sources, manifests and model, the kind config, and the dev tools that bundle and compile them. An installed
 * package has none of them.
 */
const CHECKOUT_FILES = [
  'kind-config.yaml',
  'deploy/kustomization.yaml',
  'examples/fraud-scorer/src/main.ts',
  'scripts/train-model.ts',
  'package-lock.json',
  'node_modules/.bin/esbuild',
  'node_modules/.bin/tsc',
];

/** The files `chaos cluster up` needs that are missing under `dir` (the package root). */
export function missingForUp(dir: string): string[] {
  return CHECKOUT_FILES.filter((f) => !existsSync(path.join(dir, f)));
}

export async function clusterCommand(
  verb: 'up' | 'down' | 'status',
  out: Output,
  packageRoot = root,
): Promise<number> {
  const script = path.join(packageRoot, 'testbed', 'testbed.sh');
  if (verb === 'up') {
    const missing = missingForUp(packageRoot);
    if (missing.length > 0)
      throw new EnvironmentError(
        `chaos cluster up builds the testbed and its sample stack from a checkout of the chaos repository; ${packageRoot} is not one (no ${missing.join(', ')})`,
        'clone the repository, run `npm ci` there, then `npx chaos cluster up` (status and down work from here)',
      );
  }
  out.info(`chaos cluster ${verb}: ${script}`);
  try {
    const r = await execa('bash', [script, verb], { stdio: 'inherit', reject: false });
    return r.exitCode ?? 1;
  } catch (error) {
    throw new EnvironmentError(`cannot run the testbed script: ${(error as Error).message}`);
  }
}
