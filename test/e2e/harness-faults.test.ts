/**
 * The harness's own parts failing on the testbed: k6 killed (SIGKILL, as the OOM killer does) in the middle of
 * a real fault. The run stops waiting, injects nothing more, reverts at once, and reports the windows it missed
 * as INCONCLUSIVE (exit 4) with k6's death as the reason; the cluster is as before and the ledger is closed.
 * (A full or read-only report directory: test/integration/cli/report-dir.test.ts and
 * test/unit/run/orchestrator.test.ts, on real tmpfs mounts.)
 */
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayLedger } from '../../src/ledger/ledger.js';
import type { RunResult } from '../../src/verdict/result.js';
import { chaos, env, faultLedgerKinds, repo, resetStack, snapshot } from './helpers.js';

interface LedgerLine {
  kind: string;
  at: string;
  outcome?: string;
}

async function ledgerLines(stateDir: string): Promise<LedgerLine[]> {
  const dir = path.join(stateDir, 'runs');
  const lines: LedgerLine[] = [];
  for (const n of await readdir(dir).catch(() => [] as string[])) {
    for (const line of (await readFile(path.join(dir, n), 'utf8')).split('\n'))
      if (line.trim()) lines.push(JSON.parse(line) as LedgerLine);
  }
  return lines;
}

/** The k6 this run started: its command line names the run's own report directory. */
async function k6Pid(reportDir: string): Promise<number | null> {
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (/(^|\/)k6\0/.test(cmd) && cmd.includes(reportDir)) return Number(pid);
  }
  return null;
}

async function killK6Once(stateDir: string, reportDir: string, fault: string): Promise<number> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    // A fault's applied record: the run lease's comes first, before k6 even starts.
    if ((await faultLedgerKinds(stateDir)).includes('applied')) {
      const pid = await k6Pid(reportDir);
      if (pid === null) throw new Error('the run has no k6 process');
      process.kill(pid, 'SIGKILL');
      return Date.now();
    }
    await sleep(50);
  }
  throw new Error(`no ${fault} applied within 120 s`);
}

describe('k6 killed mid-fault', () => {
  beforeAll(async () => {
    await resetStack();
  });
  afterAll(async () => {
    await resetStack();
  });

  const cases = [
    // Two rounds 10 s apart at this scale: k6 dies after the first, so the second must never come.
    { scenario: 'pod-kill', timeScale: 0.25, fault: 'pod-kill' },
    // The drain's revert (uncordon) must come at once, not when the fault window would have ended.
    { scenario: 'node-drain', timeScale: 0.2, fault: 'node-drain' },
  ];

  for (const { scenario, timeScale, fault } of cases) {
    it(`${scenario}: reverted at once, no further injection, INCONCLUSIVE (exit 4) with the reason, cluster as before`, async () => {
      await resetStack();
      const before = await snapshot();
      const stateDir = await mkdtemp(path.join(os.tmpdir(), 'chaos-state-'));
      const reportDir = await mkdtemp(path.join(os.tmpdir(), `chaos-e2e-k6-killed-${scenario}-`));
      const started = Date.now();
      const child = execa(
        'node',
        [
          path.join(repo, 'bin/chaos.js'),
          'run',
          path.join(repo, `scenarios/${scenario}.yaml`),
          '--time-scale',
          String(timeScale),
          '--seed',
          '7',
          '--report-dir',
          reportDir,
        ],
        { env: { ...env, CHAOS_STATE_DIR: stateDir }, reject: false, cwd: repo },
      );
      const killedAt = await killK6Once(stateDir, reportDir, fault);
      const run = await child;
      const ended = Date.now();

      expect(run.exitCode, run.stderr.split('\n').slice(-30).join('\n')).toBe(4);
      const result = JSON.parse(await readFile(path.join(reportDir, 'result.json'), 'utf8')) as RunResult;
      expect(result.verdict).toBe('INCONCLUSIVE');
      expect(result.reasons).toContainEqual(expect.stringMatching(/^k6: k6 was killed by SIGKILL/));
      // The windows it missed are named, and nothing judged on them passed.
      expect(result.reasons.some((r) => /recovery window/.test(r))).toBe(true);
      expect(result.slos.filter((s) => s.window !== 'baseline').every((s) => s.verdict !== 'PASS')).toBe(
        true,
      );
      const junit = await readFile(path.join(reportDir, 'junit.xml'), 'utf8');
      expect(junit).toMatch(/<error message="[^"]*" type="INCONCLUSIVE"/);

      // Reverted first: the run's next step after k6's death is the revert, well before the window's end.
      const cut = result.events.find((e) => e.message.includes('before the fault window ended'));
      expect(cut?.message).toMatch(
        /^k6 ended \d\d:\d\d into the load, before the fault window ended: reverting/,
      );
      const injections = result.events.filter((e) => e.kind === 'fault');
      expect(injections).toHaveLength(1);
      const cutAt = Date.parse(cut!.at);
      expect(cutAt - killedAt).toBeLessThan(2_000);
      if (fault === 'node-drain') {
        const revert = result.events.find((e) => e.kind === 'revert');
        expect(revert?.message).toMatch(/^uncordoned node /);
        expect(Date.parse(revert!.at) - killedAt).toBeLessThan(5_000);
      } else {
        // One pod deleted, not two (the pod list itself is no witness: the HPA may scale down meanwhile).
        expect(result.faults[0]?.targets).toHaveLength(1);
        expect(result.events.filter((e) => /^fault pod-kill: deleted /.test(e.message))).toHaveLength(1);
      }

      // The ledger: nothing left open, closed with the verdict; recover finds nothing to do.
      const ledger = await ledgerLines(stateDir);
      const [file] = await readdir(path.join(stateDir, 'runs'));
      const text = await readFile(path.join(stateDir, 'runs', file!), 'utf8');
      expect(replayLedger(file!, text).open).toEqual([]);
      expect(ledger.at(-1)).toMatchObject({ kind: 'end', outcome: 'INCONCLUSIVE' });
      const recover = await chaos(['recover'], { env: { CHAOS_STATE_DIR: stateDir } });
      expect(recover.exitCode, recover.stderr).toBe(0);
      expect(await snapshot()).toEqual(before);
      console.log(
        `${scenario}: k6 killed ${((killedAt - started) / 1000).toFixed(1)} s after start; revert began ${cutAt - killedAt} ms later; run ended ${((ended - killedAt) / 1000).toFixed(1)} s after the kill`,
      );
    });
  }
});
