/**
 * Runs the real CLI (`node bin/chaos.js`, which imports dist/) as users do. dist/ is rebuilt first when any
 * source file is newer than its build output, so `npx vitest run --project integration` works on a fresh
 * checkout; `npm run build` beforehand skips that step.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = path.join(ROOT, 'bin', 'chaos.js');

function newestSource(dir: string): { stale: boolean } {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (newestSource(full).stale) return { stale: true };
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      const built = path
        .join(ROOT, 'dist', path.relative(path.join(ROOT, 'src'), full))
        .replace(/\.ts$/, '.js');
      try {
        if (statSync(built).mtimeMs < statSync(full).mtimeMs) return { stale: true };
      } catch {
        return { stale: true };
      }
    }
  }
  return { stale: false };
}

/** Builds dist/ if it is missing or older than src/; one build at a time across test files. */
export function ensureBuilt(): void {
  if (!newestSource(path.join(ROOT, 'src')).stale) return;
  const lock = path.join(ROOT, 'dist', '.build-lock');
  mkdirSync(path.dirname(lock), { recursive: true });
  const deadline = Date.now() + 110_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`could not take ${lock}; remove it if no build is running`);
      spawnSync('sleep', ['0.2']);
    }
  }
  try {
    if (!newestSource(path.join(ROOT, 'src')).stale) return;
    const tsc = spawnSync(
      process.execPath,
      [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
      { cwd: ROOT, encoding: 'utf8' },
    );
    // 2: type errors, but the JavaScript was written (someone else's work in progress elsewhere in src/).
    if (tsc.status === 2)
      console.warn(`tsc reported type errors; testing the emitted build anyway:\n${tsc.stdout}`);
    else if (tsc.status !== 0) throw new Error(`npm run build failed:\n${tsc.stdout}${tsc.stderr}`);
  } finally {
    rmdirSync(lock);
  }
}

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stderr split into lines, without the trailing empty one. */
  lines: string[];
  ms: number;
}

export function chaos(
  args: string[],
  options: {
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    nodeArgs?: string[];
    timeoutMs?: number;
    /** As an ordinary user: when the tests run as root (CI does), the CLI runs as nobody, whom modes bind. */
    unprivileged?: boolean;
  } = {},
): Run {
  const started = performance.now();
  const argv = [...(options.nodeArgs ?? []), BIN, ...args];
  const asNobody = options.unprivileged === true && process.getuid?.() === 0;
  const result: SpawnSyncReturns<string> = spawnSync(
    asNobody ? 'setpriv' : process.execPath,
    asNobody ? ['--reuid=65534', '--regid=65534', '--clear-groups', '--', process.execPath, ...argv] : argv,
    {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, NO_COLOR: '1', CI: 'true', ...options.env },
      encoding: 'utf8',
      timeout: options.timeoutMs ?? 60_000,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  if (result.error) throw result.error;
  return {
    code: result.status,
    signal: result.signal,
    stdout: result.stdout,
    stderr: result.stderr,
    lines: result.stderr.split('\n').filter((l, i, all) => l !== '' || i < all.length - 1),
    ms: performance.now() - started,
  };
}

/** A stack frame line, as Node prints them: never shown to users for input problems. */
export const STACK_FRAME = /^\s+at .+/m;
