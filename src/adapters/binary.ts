/** Where the tools the harness runs (k6, kubectl) are found: the same places, in the same order, for each. */
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { EnvironmentError } from '../errors.js';

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface BinarySearch {
  /** The executable's name, e.g. `k6`. */
  name: string;
  /** The variable that names it explicitly, e.g. `K6_BIN`. */
  envVar: string;
  /** What to do when it is nowhere. */
  hint: string;
  /** The message when it is nowhere; given the testbed cache pattern that was searched. */
  notFound: (cachePattern: string) => string;
}

/** `envVar`, then PATH, then the testbed's build cache (newest build first). */
export function findBinary(search: BinarySearch, env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env[search.envVar];
  if (explicit !== undefined && explicit !== '') {
    if (isExecutableFile(explicit)) return resolve(explicit);
    throw new EnvironmentError(`${search.envVar}=${explicit} is not an executable file`, search.hint);
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, search.name);
    if (isExecutableFile(candidate)) return candidate;
  }
  const cache = env.CHAOS_TESTBED_CACHE || join(env.HOME || homedir(), '.cache', 'chaos-testbed');
  let keys: string[] = [];
  try {
    keys = readdirSync(cache);
  } catch {
    // no cache: fall through to the error
  }
  const built = keys
    .map((key) => join(cache, key, 'bin', search.name))
    .filter(isExecutableFile)
    .map((path) => ({ path, mtime: statSync(path).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  if (built[0]) return built[0].path;
  throw new EnvironmentError(search.notFound(join(cache, '*', 'bin', search.name)), search.hint);
}
