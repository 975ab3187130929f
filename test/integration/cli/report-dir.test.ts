/**
 * `chaos run` with a report directory that cannot take the reports: read-only, or a full disk (real tmpfs
 * mounts; root is needed to mount, as CI runs). Refused before any cluster call, exit 3 naming the directory and
 * the system's reason, and no ledger started. What happens when it fills up mid-run (the faults reverted at
 * once, exit 3) is in test/unit/run/orchestrator.test.ts, over the same kind of mount.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findK6 } from '../../../src/load/k6.js';
import { chaos, ensureBuilt, ROOT, STACK_FRAME } from './helpers.js';

let dir: string;
const mounts: string[] = [];

function tmpfs(name: string, options: string): string {
  const mnt = path.join(dir, name);
  execFileSync('mkdir', ['-p', mnt]);
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', mnt]);
  mounts.push(mnt);
  return mnt;
}

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'chaos-cli-report-dir-'));
});
afterAll(() => {
  for (const m of mounts.reverse()) execFileSync('umount', [m]);
  rmSync(dir, { recursive: true, force: true });
});

describe('chaos run: a report directory that cannot take the reports', () => {
  // The kubeconfig points nowhere: had chaos looked for the cluster first, the message would say so instead.
  const env = () => ({
    KUBECONFIG: path.join(dir, 'no-such-kubeconfig'),
    K6_BIN: findK6(),
    XDG_STATE_HOME: path.join(dir, 'state'),
  });
  const podKill = path.join(ROOT, 'scenarios/pod-kill.yaml');

  it('read-only: exit 3 naming the directory and EROFS, before any cluster call', () => {
    const reportDir = tmpfs('ro', 'ro,size=64k');
    const run = chaos(['run', podKill, '--report-dir', reportDir], { env: env() });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`cannot write the reports to ${reportDir}: EROFS`);
    expect(run.stderr).toMatch(/nothing was done to the cluster/);
    expect(run.stderr).not.toMatch(STACK_FRAME);
    expect(existsSync(path.join(dir, 'state'))).toBe(false);
  });

  it('full: exit 3 naming the directory and ENOSPC, and no probe file left behind', () => {
    const full = tmpfs('full', 'size=64k');
    try {
      writeFileSync(path.join(full, 'filler'), Buffer.alloc(128 * 1024, 'x'));
    } catch {
      // ENOSPC: the disk is full now
    }
    const run = chaos(['run', podKill, '--report-dir', full], { env: env() });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`cannot write the reports to ${full}: ENOSPC`);
    expect(run.stderr).not.toMatch(STACK_FRAME);
    expect(readdirSync(full)).toEqual(['filler']);
  });
});
