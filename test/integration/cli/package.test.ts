/**
 * The package as users install it: `npm pack`, `npm install <tarball>` in an empty directory, then the
 * installed `chaos`. `cluster status` must find the testbed script in the package. Only status runs here,
 * with a `docker` on PATH that answers nothing, so no engine or cluster is ever contacted.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from './helpers.js';

let dir: string;
let installed: string;

function npm(args: string[], cwd: string): string {
  const r = spawnSync('npm', args, { cwd, encoding: 'utf8', timeout: 240_000 });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed (${r.status}):\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'chaos-package-'));
  // dist/ is built above; --ignore-scripts keeps `prepare` from building it again.
  npm(['pack', '--ignore-scripts', '--pack-destination', dir, '--silent'], ROOT);
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack wrote no tarball into ${dir}`);
  installed = path.join(dir, 'app');
  mkdirSync(installed);
  npm(
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', path.join(dir, tarball)],
    installed,
  );
}, 300_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the installed package', () => {
  it('ships the testbed script, and `chaos cluster status` runs it and prints the status', () => {
    const pkg = path.join(installed, 'node_modules', 'chaos');
    expect(existsSync(path.join(pkg, 'testbed', 'testbed.sh'))).toBe(true);
    expect(existsSync(path.join(pkg, 'testbed', 'versions.env'))).toBe(true);

    const stub = path.join(dir, 'stub');
    mkdirSync(stub);
    // A docker that answers nothing: status reports that and stops before kind or kubectl.
    writeFileSync(path.join(stub, 'docker'), '#!/bin/sh\nexit 1\n');
    chmodSync(path.join(stub, 'docker'), 0o755);
    const run = spawnSync(path.join(installed, 'node_modules', '.bin', 'chaos'), ['cluster', 'status'], {
      cwd: installed,
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        ...process.env,
        PATH: `${stub}${path.delimiter}${process.env.PATH ?? ''}`,
        CHAOS_TESTBED_CACHE: path.join(dir, 'cache'),
        NO_COLOR: '1',
      },
    });
    expect(run.stderr.split('\n').filter(Boolean)).toEqual([
      `chaos cluster status: ${path.join(pkg, 'testbed', 'testbed.sh')}`,
      '[testbed] engine: no daemon answers',
    ]);
    expect(run.status).toBe(1);
  });

  it('--version is the version it was packed with', () => {
    const run = spawnSync(path.join(installed, 'node_modules', '.bin', 'chaos'), ['--version'], {
      encoding: 'utf8',
    });
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect([run.status, run.stdout.trim()]).toEqual([0, pkg.version]);
  });
});
