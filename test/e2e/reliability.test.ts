/**
 * The harness against the faults that hit the harness itself, on the testbed: a second run on a namespace one
 * already holds (the run lease), a holder killed with SIGKILL and recovered, and a stop condition that ends a
 * pod kill early on the broken `no-readiness` stack.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/verdict/result.js';
import {
  applyStack,
  chaos,
  editedScenario,
  env,
  explain,
  NS,
  repo,
  resetStack,
  runScenario,
  snapshot,
} from './helpers.js';

const STATE = await mkdtemp(path.join(os.tmpdir(), 'chaos-e2e-reliability-state-'));
// Every run here shares one ledger directory, as runs from one host do, and none of the other tests' ledgers.
const stateEnv = { CHAOS_STATE_DIR: STATE };

async function leaseHolder(): Promise<string | null> {
  const r = await execa(
    'kubectl',
    [
      '--context',
      'kind-chaos',
      '-n',
      NS,
      'get',
      'lease',
      'chaos-run',
      '-o',
      'jsonpath={.spec.holderIdentity}',
    ],
    { env, reject: false },
  );
  if (r.exitCode !== 0) {
    if (/NotFound/.test(r.stderr)) return null;
    throw new Error(r.stderr);
  }
  return r.stdout;
}

describe('one run per namespace, and a stop condition', () => {
  beforeAll(async () => {
    await resetStack();
  });
  afterAll(async () => {
    await resetStack();
  });

  it('a second run on the same namespace exits 3 naming the first; after SIGKILL of the holder and chaos recover, a new run starts', async () => {
    const reportDir = await mkdtemp(path.join(os.tmpdir(), 'chaos-e2e-holder-'));
    const holder = execa(
      'node',
      [
        path.join(repo, 'bin/chaos.js'),
        'run',
        'scenarios/pod-kill.yaml',
        '--time-scale',
        '0.25',
        '--seed',
        '42',
        '--report-dir',
        reportDir,
      ],
      { env: { ...env, ...stateEnv }, cwd: repo, reject: false, all: true },
    );
    let output = '';
    holder.all.on('data', (d: Buffer) => (output += d.toString()));
    const deadline = Date.now() + 60_000;
    let runId: string | undefined;
    while (!(runId = /run (\S+) holds lease ml-serving\/chaos-run/.exec(output)?.[1])) {
      if (Date.now() > deadline || holder.exitCode !== null)
        throw new Error(`holder never took the lease:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    try {
      expect(await leaseHolder()).toBe(runId);
      const t = Date.now();
      const second = await chaos(['run', 'scenarios/pod-kill.yaml', '--time-scale', '0.25'], {
        env: stateEnv,
      });
      expect(second.exitCode, explain(second)).toBe(3);
      expect(second.stderr).toContain(
        `namespace ml-serving is in use by run ${runId} on ${os.hostname()} (pid ${holder.pid})`,
      );
      expect(second.stderr).toMatch(/since 20\d\d-\d\d-\d\dT[\d:.]+Z/);
      expect(second.stderr).not.toMatch(/\n\s+at /);
      expect(Date.now() - t).toBeLessThan(15_000);
      // Let the holder get its fault in, then kill it where it stands: nothing reverts, nothing releases.
      while (!/fault pod-kill: deleted/.test(output)) {
        if (holder.exitCode !== null) throw new Error(`holder ended early:\n${output}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      holder.kill('SIGKILL');
      await holder;
    }
    expect(await leaseHolder()).toBe(runId);

    const recovered = await chaos(['recover'], { env: stateEnv });
    expect(recovered.exitCode, explain(recovered)).toBe(0);
    expect(recovered.stderr).toContain(`${runId}: lease ml-serving/chaos-run released`);
    expect(await leaseHolder()).toBeNull();
  });

  it('a stopWhen on the no-readiness stack stops the pod kill early: FAIL naming the condition, reaction time measured', async () => {
    // The new run after the recovery above: it takes the lease and runs.
    await applyStack('no-readiness');
    const before = await snapshot();
    const { file } = await editedScenario('pod-kill', (yaml) =>
      yaml.replace(
        '  allowedContexts: [kind-chaos]',
        '  allowedContexts: [kind-chaos]\n  stopWhen:\n    - { type: errorRate, above: 2%, over: 3s }',
      ),
    );
    const run = await runScenario(file, 0.25, [], { env: stateEnv });
    expect(run.exitCode, explain(run)).toBe(1);
    const result = JSON.parse(await readFile(path.join(run.reportDir, 'result.json'), 'utf8')) as RunResult;
    expect(result.verdict).toBe('FAIL');
    const stop = result.stoppedBy!;
    expect(stop.condition).toBe('errorRate > 2% over 3s');
    expect(stop.measured).toMatch(/^\d+\.\d% \(\d+ of \d+ requests in 3s\)$/);
    expect(stop.reactionMs).not.toBeNull();
    // The bound: ≤ 2 s from the condition holding to the revert starting.
    expect(stop.revertStartMs!).toBeLessThanOrEqual(2000);
    expect(result.reasons.some((r) => r.startsWith('stopped by errorRate > 2% over 3s'))).toBe(true);
    // Stopped early: the second kill (40 s × 0.25 = 10 s after the first) never came.
    const kill = result.faults[0]!;
    expect(kill.targets).toHaveLength(1);
    expect(kill.injections ?? [kill.injectedAt]).toHaveLength(1);
    // The load ran on to the end of its windows.
    expect(result.windows.find((w) => w.window === 'recovery')?.requests ?? 0).toBeGreaterThan(0);
    expect(run.stderr).toMatch(
      /stopped by errorRate > 2% over 3s at t\+[\d.]+s: .*faults reverted in \d+\.\d\d s/,
    );
    const summary = await readFile(path.join(run.reportDir, 'summary.md'), 'utf8');
    expect(summary).toContain('stopped by errorRate > 2% over 3s');
    expect(await leaseHolder()).toBeNull();
    expect(await snapshot()).toEqual(before);
    console.log(
      `stop: ${stop.condition} at t=${stop.t}s, measured ${stop.measured}; revert started +${stop.revertStartMs} ms, faults reverted +${stop.reactionMs} ms`,
    );
  });
});
