/**
 * A kubectl fault on the real testbed (scenarios/feature-store-down.yaml: scale the feature store to 0 under
 * load, undo to the replica count read before): PASS on the healthy stack, FAIL without the breaker, the
 * feature store back at its count after each; kill -9 after the inject, then `chaos recover`; `--dry-run`
 * with zero writes in the audit log; and the suite scheduled as a CronJob, running kubectl from the harness
 * image with exactly the Role its `rbac:` states (checked against the audit log).
 *
 * The scheduled test uses the harness image the testbed built (`chaos.local/chaos:<version>`, with kubectl);
 * CHAOS_E2E_HARNESS_IMAGE names another one, for a testbed whose image came from another checkout.
 */
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyStack,
  auditEventsSince,
  chaos,
  deleteSchedule,
  env,
  explain,
  failedCases,
  kubectl,
  kubectlJson,
  NS,
  repo,
  resetStack,
  runScenario,
  runScheduledJob,
  serviceAccountUse,
  snapshot,
  faultLedgerKinds,
} from './helpers.js';

const SCENARIO = 'scenarios/feature-store-down.yaml';
/** 15 s baseline, 30 s with the feature store gone, 15 s recovery: the breaker's verdict holds at this size. */
const TIME_SCALE = 0.5;

async function featureStoreReplicas(): Promise<{ spec: number; ready: number }> {
  const d = await kubectlJson<{ spec: { replicas: number }; status: { readyReplicas?: number } }>(
    '-n',
    NS,
    'get',
    'deploy',
    'feature-store',
  );
  return { spec: d.spec.replicas, ready: d.status.readyReplicas ?? 0 };
}

async function featureStoreReady(): Promise<void> {
  await kubectl('-n', NS, 'rollout', 'status', 'deploy/feature-store', '--timeout=180s');
}

interface KubectlResult {
  faults: {
    confirmed: boolean;
    commands?: { step: string; exitCode: number | null; output: string; args: string[] }[];
  }[];
  events: { kind: string; message: string }[];
}

/** Write requests (create/update/patch/delete) from a human user in the audit log since `since`. */
async function writesSince(since: Date): Promise<string[]> {
  return (await auditEventsSince(since))
    .filter((e) => e.stage === 'ResponseComplete')
    .filter((e) => ['create', 'update', 'patch', 'delete', 'deletecollection'].includes(e.verb))
    .filter((e) => !e.user.username.startsWith('system:'))
    .map((e) => `${e.verb} ${e.requestURI}`);
}

describe('feature-store-down: a kubectl fault', () => {
  beforeAll(async () => {
    await resetStack();
  });
  afterAll(async () => {
    await resetStack();
  });

  it('PASSes on the healthy stack: the breaker holds, the feature store is back at its replica count', async () => {
    const before = await snapshot();
    const replicas = await featureStoreReplicas();
    expect(replicas.spec).toBe(2);
    const run = await runScenario(SCENARIO, TIME_SCALE);
    expect(run.exitCode, explain(run)).toBe(0);
    expect(run.result?.verdict).toBe('PASS');
    expect(failedCases(run.junit)).toEqual([]);
    const result = run.result as unknown as KubectlResult;
    const fault = result.faults[0]!;
    expect(fault.confirmed).toBe(true);
    // Each command with its output, as run: the harness's context and namespace ahead of the fault's own.
    expect(fault.commands!.map((c) => [c.step, c.exitCode])).toEqual([
      ['capture', 0],
      ['inject', 0],
      ['confirm', 0],
    ]);
    expect(fault.commands![0]!.output).toBe('2');
    expect(fault.commands![1]!.args.slice(0, 4)).toEqual(['--context', 'kind-chaos', '--namespace', NS]);
    expect(fault.commands![1]!.output).toMatch(/deployment.apps\/feature-store scaled/);
    expect(result.events.filter((e) => e.kind === 'revert').map((e) => e.message)).toEqual([
      'kubectl scale deployment/feature-store --replicas=2 in ml-serving: deployment.apps/feature-store scaled',
    ]);
    await featureStoreReady();
    expect(await featureStoreReplicas()).toEqual(replicas);
    expect(await snapshot()).toEqual(before);
  });

  it('FAILs on the no-breaker variant, naming error-rate-fault, and puts the feature store back', async () => {
    await applyStack('no-breaker');
    const broken = await snapshot();
    const run = await runScenario(SCENARIO, TIME_SCALE);
    expect(run.exitCode, explain(run)).toBe(1);
    expect(run.result?.verdict).toBe('FAIL');
    expect(failedCases(run.junit), explain(run)).toContain('error-rate-fault');
    await featureStoreReady();
    expect((await featureStoreReplicas()).spec).toBe(2);
    expect(await snapshot()).toEqual(broken);
    await resetStack();
  });

  it('kill -9 after the inject, then chaos recover: the feature store is back at its replica count', async () => {
    await resetStack();
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'chaos-state-'));
    const reportDir = await mkdtemp(path.join(os.tmpdir(), 'chaos-crash-'));
    const child = execa(
      'node',
      [
        path.join(repo, 'bin/chaos.js'),
        'run',
        path.join(repo, SCENARIO),
        '--time-scale',
        '0.2',
        '--report-dir',
        reportDir,
      ],
      { env: { ...env, CHAOS_STATE_DIR: stateDir }, reject: false, cwd: repo, all: true },
    );
    // The ledger says the inject ran (its undo was journaled before it): then kill.
    const deadline = Date.now() + 120_000;
    while (!(await ledgerKinds(stateDir)).includes('applied')) {
      if (Date.now() > deadline) throw new Error('the run never applied its fault');
      await sleep(50);
    }
    child.kill('SIGKILL');
    const killed = await child;
    await killOrphanK6(reportDir);
    expect(killed.signal).toBe('SIGKILL');
    expect((await featureStoreReplicas()).spec).toBe(0);

    const recover = await chaos(['recover'], { env: { CHAOS_STATE_DIR: stateDir } });
    expect(recover.exitCode, recover.stderr).toBe(0);
    expect(recover.stderr).toMatch(
      /kubectl scale deployment\/feature-store --replicas=2 in ml-serving: deployment.apps\/feature-store scaled/,
    );
    // The fault's undo, then the run lease the killed run still held.
    expect(recover.stderr).toMatch(/lease ml-serving\/chaos-run released/);
    expect(recover.stderr).toMatch(/2 undone, 0 failed/);
    const again = await chaos(['recover'], { env: { CHAOS_STATE_DIR: stateDir } });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/0 undone, 0 failed/);
    await featureStoreReady();
    expect(await featureStoreReplicas()).toEqual({ spec: 2, ready: 2 });
  });

  it('--dry-run prints every command and runs none: zero writes in the audit log', async () => {
    await resetStack();
    const since = new Date();
    const run = await chaos(['run', '--dry-run', SCENARIO]);
    expect(run.exitCode, run.stderr).toBe(0);
    const out = run.stdout + run.stderr;
    expect(out).toContain('would run kubectl scale deployment/feature-store --replicas=0');
    expect(out).toContain('would undo with kubectl scale deployment/feature-store --replicas={{captured}}');
    expect(out).toMatch(/writes made: 0/);
    expect(await writesSince(since)).toEqual([]);
  });
});

describe('chaos schedule: a suite with a kubectl fault as a CronJob', () => {
  const NAME = 'chaos-e2e-kubectl';
  const since = new Date();

  beforeAll(async () => {
    await resetStack();
  });
  afterAll(async () => {
    await deleteSchedule(NAME);
    await resetStack();
  });

  it('runs kubectl in the pod with exactly the rbac: the suite states: PASS, nothing denied, nothing unused', async () => {
    const image = process.env.CHAOS_E2E_HARNESS_IMAGE;
    const applied = await chaos([
      'schedule',
      path.join(repo, 'gamedays/feature-store-down.yaml'),
      '--cron',
      '0 0 1 1 *',
      '--name',
      NAME,
      '--time-scale',
      String(TIME_SCALE),
      '--target-origin',
      'http://fraud-scorer.ml-serving.svc',
      ...(image ? ['--image', image] : []),
      '--apply',
    ]);
    expect(applied.exitCode, explain(applied)).toBe(0);
    const { exitCode, logs } = await runScheduledJob(NAME, `${NAME}-run`, 10 * 60_000);
    expect(exitCode, logs.slice(-4000)).toBe(0);
    expect(logs).toMatch(/chaos gameday PASS: feature-store-down/);
    await featureStoreReady();
    expect((await featureStoreReplicas()).spec).toBe(2);

    const { denied, used, granted } = await serviceAccountUse(NAME, since);
    expect(denied).toEqual([]);
    // The kubectl fault's own writes came from the pod, as that ServiceAccount.
    expect(used).toContain('apps/deployments/scale:patch');
    expect(granted).toContain('apps/deployments/scale:patch');
    expect(granted.filter((x) => !used.has(x))).toEqual([]);
  });
});

/** The ledger's record kinds, the run lease's left out (see faultLedgerKinds). */
const ledgerKinds = faultLedgerKinds;

/** k6 children of a SIGKILLed harness are orphans we started: find them by their unique report dir. */
async function killOrphanK6(reportDir: string): Promise<void> {
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes('k6') && cmd.includes(reportDir)) process.kill(Number(pid), 'SIGKILL');
  }
}
