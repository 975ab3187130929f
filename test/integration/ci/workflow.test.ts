/**
 * The GitHub Actions example (examples/ci/github-actions.yml) as GitHub would take it: actionlint, with
 * shellcheck on every run: script, and the three things the README promises of it. Both linters are installed by
 * scripts/install-system-deps.sh; either missing is a failure, not a skip (actionlint alone silently skips the
 * scripts when it finds no shellcheck, so shellcheck is handed to it by path).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const WORKFLOW = path.join(ROOT, 'examples/ci/github-actions.yml');

function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  return null;
}

/** ACTIONLINT_BIN, PATH, or where `go install` puts it (GOBIN, else GOPATH/bin). */
function findActionlint(): string {
  if (process.env.ACTIONLINT_BIN) return process.env.ACTIONLINT_BIN;
  const found = onPath('actionlint');
  if (found) return found;
  const go = spawnSync('go', ['env', 'GOBIN', 'GOPATH'], { encoding: 'utf8' });
  if (go.status === 0) {
    const [gobin, gopath] = go.stdout.split('\n');
    for (const dir of [gobin, gopath ? path.join(gopath.split(path.delimiter)[0]!, 'bin') : '']) {
      if (dir && existsSync(path.join(dir, 'actionlint'))) return path.join(dir, 'actionlint');
    }
  }
  throw new Error(
    'actionlint not found (ACTIONLINT_BIN, PATH, $(go env GOPATH)/bin): run scripts/install-system-deps.sh',
  );
}

function findShellcheck(): string {
  const found = process.env.SHELLCHECK_BIN ?? onPath('shellcheck');
  if (!found)
    throw new Error('shellcheck not found: run scripts/install-system-deps.sh (apt-get install shellcheck)');
  return found;
}

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, string>;
}
interface Job {
  permissions?: Record<string, string>;
  strategy?: { 'max-parallel'?: number; matrix?: { scenario?: string[] } };
  steps: Step[];
}

describe('the GitHub Actions example', () => {
  it('passes actionlint with shellcheck', () => {
    const r = spawnSync(findActionlint(), ['-shellcheck', findShellcheck(), '-no-color', WORKFLOW], {
      encoding: 'utf8',
    });
    expect(r.error).toBeUndefined();
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  });

  it('actionlint and shellcheck can say no: a script with an unquoted expansion fails', () => {
    const bad = readFileSync(WORKFLOW, 'utf8').replace(
      'mkdir -p .chaos-budget',
      'mkdir -p .chaos-budget\n          cd $RUNNER_TEMP',
    );
    const r = spawnSync(findActionlint(), ['-shellcheck', findShellcheck(), '-no-color', '-'], {
      input: bad,
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/SC2086/);
  });

  const job = (parse(readFileSync(WORKFLOW, 'utf8')) as { jobs: Record<string, Job> }).jobs.chaos!;

  it('grants the JUnit reporter checks: write', () => {
    expect(job.permissions).toMatchObject({ checks: 'write', contents: 'read' });
    expect(job.steps.some((s) => s.uses?.startsWith('mikepenz/action-junit-report@'))).toBe(true);
  });

  it('shares one budget file across the matrix: one job at a time, each restoring the last one saved', () => {
    expect(job.strategy?.['max-parallel']).toBe(1);
    const restore = job.steps.findIndex((s) => s.uses?.startsWith('actions/cache/restore@'));
    const run = job.steps.findIndex((s) => s.run?.includes('--budget .chaos-budget/budget.json'));
    const save = job.steps.findIndex((s) => s.uses?.startsWith('actions/cache/save@'));
    expect(restore).toBeGreaterThanOrEqual(0);
    expect(run).toBeGreaterThan(restore);
    expect(save).toBeGreaterThan(run);
    const r = job.steps[restore]!.with!;
    const s = job.steps[save]!.with!;
    expect(r.path).toBe('.chaos-budget');
    expect(s.path).toBe('.chaos-budget');
    // Saved under a key of its own, restored by the prefix every job of this run shares.
    expect(s.key).toBe(r.key);
    expect(r.key!.startsWith(r['restore-keys']!)).toBe(true);
    expect(r['restore-keys']).not.toContain('matrix');
    expect(job.steps[save]!.if).toMatch(/always\(\)/);
  });
});
