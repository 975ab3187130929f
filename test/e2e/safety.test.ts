/**
 * Never leave a fault behind, and never write when told not to: kill -9 mid-injection then `chaos recover`,
 * SIGINT mid-fault, a latency agent that outlives a dead harness, --dry-run and refused runs proven against
 * the API server's audit log, and a planted secret that must not appear anywhere.
 */
import { mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/run/random.js';
import {
  auditEventsSince,
  auditLog,
  chaos,
  editedScenario,
  env,
  kubectl,
  kubectlJson,
  NS,
  repo,
  resetStack,
  snapshot,
  type PodJson,
  faultLedgerKinds,
} from './helpers.js';

async function freshStateDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'chaos-state-'));
}

/** The ledger's record kinds, the run lease's left out (see faultLedgerKinds). */
const ledgerKinds = faultLedgerKinds;

function startRun(file: string, stateDir: string, reportDir: string, extra: string[] = []): ResultPromise {
  return execa(
    'node',
    [
      path.join(repo, 'bin/chaos.js'),
      'run',
      path.join(repo, file),
      // Only the moment of injection matters here: the shortest baseline gets there soonest.
      '--time-scale',
      '0.05',
      '--seed',
      '5',
      '--report-dir',
      reportDir,
      ...extra,
    ],
    {
      env: { ...env, CHAOS_STATE_DIR: stateDir },
      reject: false,
      cwd: repo,
    },
  );
}

async function waitForLedger(
  stateDir: string,
  kind: 'intent' | 'applied',
  timeoutMs = 120_000,
): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if ((await ledgerKinds(stateDir)).includes(kind)) return;
    await sleep(50);
  }
  throw new Error(`no "${kind}" record in the ledger after ${timeoutMs / 1000}s`);
}

/** k6 children of a SIGKILLed harness are orphans we started: find them by their unique report dir. */
async function killOrphanK6(reportDir: string): Promise<void> {
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes('k6') && cmd.includes(reportDir)) process.kill(Number(pid), 'SIGKILL');
  }
}

async function settle(): Promise<void> {
  await kubectl('-n', NS, 'rollout', 'status', 'deploy/fraud-scorer', '--timeout=180s');
  await kubectl('-n', NS, 'rollout', 'status', 'deploy/feature-store', '--timeout=180s');
}

describe('crash safety', () => {
  beforeAll(async () => {
    await resetStack();
  });
  afterAll(async () => {
    await resetStack();
  });

  const faults = [
    { scenario: 'scenarios/node-drain.yaml', type: 'node-drain' },
    { scenario: 'scenarios/feature-store-latency.yaml', type: 'latency' },
    { scenario: 'scenarios/missing-model-artifact.yaml', type: 'model-version' },
    { scenario: 'scenarios/pod-kill.yaml', type: 'pod-kill' },
  ];
  const random = seededRandom(20261123);

  for (const { scenario, type } of faults) {
    it(`kill -9 during ${type} injection, then chaos recover: the cluster is as before (3 points)`, async () => {
      // Three seeded points: as soon as the undo is recorded (mutation maybe in flight), as soon as it is
      // applied, and a random moment later in the fault.
      const points = [
        { after: 'intent' as const, delayMs: 0 },
        { after: 'applied' as const, delayMs: 0 },
        { after: 'applied' as const, delayMs: Math.round(random() * 3000) },
      ];
      for (const point of points) {
        await resetStack();
        const before = await snapshot();
        const stateDir = await freshStateDir();
        const reportDir = await mkdtemp(path.join(os.tmpdir(), 'chaos-crash-'));
        const child = startRun(scenario, stateDir, reportDir);
        await waitForLedger(stateDir, point.after);
        await sleep(point.delayMs);
        child.kill('SIGKILL');
        await child;
        await killOrphanK6(reportDir);

        const recover = await chaos(['recover'], { env: { CHAOS_STATE_DIR: stateDir } });
        expect(recover.exitCode, recover.stderr).toBe(0);
        // Idempotent: a second recover finds nothing left to do and still succeeds.
        const again = await chaos(['recover'], { env: { CHAOS_STATE_DIR: stateDir } });
        expect(again.exitCode, again.stderr).toBe(0);
        expect(again.stderr).toMatch(/0 undone, 0 failed/);

        await settle();
        expect(await snapshot(), `${type} killed after ${point.after}+${point.delayMs}ms`).toEqual(before);
      }
    });
  }

  it('refuses to start while a dead run is unrecovered (exit 3), naming the run and the command', async () => {
    await resetStack();
    const stateDir = await freshStateDir();
    const reportDir = await mkdtemp(path.join(os.tmpdir(), 'chaos-crash-'));
    const child = startRun('scenarios/node-drain.yaml', stateDir, reportDir);
    await waitForLedger(stateDir, 'applied');
    child.kill('SIGKILL');
    await child;
    await killOrphanK6(reportDir);
    const refused = await chaos(['run', 'scenarios/pod-kill.yaml', '--time-scale', '0.1'], {
      env: { CHAOS_STATE_DIR: stateDir },
    });
    expect(refused.exitCode, refused.stderr).toBe(3);
    expect(refused.stderr).toMatch(/unrecovered/);
    expect(refused.stderr).toMatch(/chaos recover --run \S+node-drain/);
    const recover = await chaos(['recover'], { env: { CHAOS_STATE_DIR: stateDir } });
    expect(recover.exitCode, recover.stderr).toBe(0);
  });

  it('a latency agent removes its own delay when the harness dies and nobody recovers', async () => {
    await resetStack();
    const stateDir = await freshStateDir();
    const reportDir = await mkdtemp(path.join(os.tmpdir(), 'chaos-crash-'));
    // time scale 0.1: the agent's TTL is the 12 s fault window.
    const child = execa(
      'node',
      [
        path.join(repo, 'bin/chaos.js'),
        'run',
        path.join(repo, 'scenarios/feature-store-latency.yaml'),
        '--time-scale',
        '0.1',
        '--report-dir',
        reportDir,
      ],
      {
        env: { ...env, CHAOS_STATE_DIR: stateDir },
        reject: false,
        cwd: repo,
      },
    );
    await waitForLedger(stateDir, 'applied');
    const killedAt = Date.now();
    child.kill('SIGKILL');
    await child;
    await killOrphanK6(reportDir);
    const ttlMs = 12_000;
    // This run's agents only: the pods carry the stopped agents of earlier tests too.
    const ours = await agentNames(stateDir);
    expect(ours.length).toBeGreaterThan(0);
    let agents: { pod: string; running: boolean }[] = [];
    while (Date.now() - killedAt < ttlMs + 5_000) {
      const pods = await kubectlJson<{ items: PodJson[] }>(
        '-n',
        NS,
        'get',
        'pods',
        '-l',
        'app=feature-store',
      );
      agents = pods.items.flatMap((p) =>
        (p.status.ephemeralContainerStatuses ?? [])
          .filter((e) => ours.includes(e.name))
          .map((e) => ({
            pod: `${p.metadata.name}/${e.name}`,
            // Still starting counts as not done: only a terminated agent has removed its rule.
            running: !e.state.terminated,
          })),
      );
      if (agents.length > 0 && agents.every((a) => !a.running)) break;
      await sleep(500);
    }
    expect(agents.length).toBeGreaterThan(0);
    expect(agents.filter((a) => a.running)).toEqual([]);
    expect(Date.now() - killedAt).toBeLessThan(ttlMs + 5_000);
    // The agent says why it stopped: its own TTL, not a revert.
    for (const a of agents) {
      const [pod, container] = a.pod.split('/');
      const log = await kubectl('-n', NS, 'logs', pod!, '-c', container!);
      expect(log).toMatch(/chaos-agent expired/);
    }
    await chaos(['recover'], { env: { CHAOS_STATE_DIR: stateDir } });
  });

  it('SIGINT mid-fault: reverted, reports written, exit 130 within 15 s', async () => {
    await resetStack();
    const stateDir = await freshStateDir();
    const reportDir = await mkdtemp(path.join(os.tmpdir(), 'chaos-sigint-'));
    const child = startRun('scenarios/node-drain.yaml', stateDir, reportDir);
    await waitForLedger(stateDir, 'applied');
    const sentAt = Date.now();
    child.kill('SIGINT');
    // A second Ctrl-C while reverting must not abort the revert.
    setTimeout(() => child.kill('SIGINT'), 300);
    const result = await child;
    expect(Date.now() - sentAt).toBeLessThan(15_000);
    expect(result.exitCode, String(result.stderr)).toBe(130);
    const written = JSON.parse(await readFile(path.join(reportDir, 'result.json'), 'utf8')) as {
      exitCode: number;
      reasons: string[];
    };
    expect(written.exitCode).toBe(130);
    expect(written.reasons.join(' ')).toMatch(/interrupted/);
    // The namespace is free again: the next run (the audit-log test below) must not find it held.
    expect(await kubectl('-n', NS, 'get', 'lease', 'chaos-run', '--ignore-not-found', '-o', 'name')).toBe('');
    const nodes = await kubectlJson<{ items: { spec: { unschedulable?: boolean } }[] }>('get', 'nodes');
    expect(nodes.items.filter((n) => n.spec.unschedulable)).toEqual([]);
  });
});

describe('zero writes when told not to', () => {
  /** Write requests (create/update/patch/delete) from a human user in the audit log since `since`. */
  async function writesSince(since: Date): Promise<string[]> {
    return (await auditEventsSince(since))
      .filter((e) => e.stage === 'ResponseComplete')
      .filter((e) => ['create', 'update', 'patch', 'delete', 'deletecollection'].includes(e.verb))
      .filter((e) => !e.user.username.startsWith('system:'))
      .map((e) => `${e.verb} ${e.requestURI}`);
  }

  beforeAll(async () => {
    await resetStack();
    expect((await stat(auditLog)).size, `audit log at ${auditLog}`).toBeGreaterThan(0);
  });

  it('the audit log does record chaos writes (so an empty diff below means something)', async () => {
    const since = new Date();
    const run = await chaos([
      'run',
      'scenarios/pod-kill.yaml',
      '--time-scale',
      '0.1',
      '--report-dir',
      await mkdtemp(path.join(os.tmpdir(), 'chaos-audit-')),
    ]);
    expect([0, 1]).toContain(run.exitCode);
    expect(
      (await writesSince(since)).some((w) => w.startsWith(`delete /api/v1/namespaces/${NS}/pods/`)),
    ).toBe(true);
    await resetStack();
  });

  for (const [name, args, code] of [
    [
      '--dry-run of every scenario',
      [
        'run',
        '--dry-run',
        'scenarios/pod-kill.yaml',
        'scenarios/node-drain.yaml',
        'scenarios/feature-store-latency.yaml',
        'scenarios/missing-model-artifact.yaml',
      ],
      0,
    ],
    ['a protected namespace', ['run', 'scenarios/pod-kill.yaml', '--namespace', 'kube-system'], 2],
    [
      'a namespace the scenario does not allow',
      ['run', 'scenarios/pod-kill.yaml', '--namespace', 'default'],
      2,
    ],
    [
      'a context not in allowedContexts without --yes and without a TTY',
      ['run', 'scenarios/pod-kill.yaml', '--context', 'kind-chaos-alias'],
      2,
    ],
  ] as const) {
    it(`${name}: exit ${code}, zero write calls in the audit log`, async () => {
      if (name.startsWith('a context')) {
        // A second name for the same cluster, so the refusal is about the name, not reachability.
        await execa(
          'kubectl',
          ['config', 'set-context', 'kind-chaos-alias', '--cluster=kind-chaos', '--user=kind-chaos'],
          { env },
        );
      }
      const since = new Date();
      const run = await chaos([...args]);
      expect(run.exitCode, run.stderr).toBe(code);
      expect(await writesSince(since)).toEqual([]);
    });
  }
});

describe('secrets', () => {
  it('a planted ENDPOINT_KEY never appears in reports, ledger, stdout or stderr', async () => {
    await resetStack();
    const secret = `s3cr3t-${Date.now()}-planted`;
    const { dir, file } = await editedScenario('pod-kill', (y) =>
      y.replace(
        '  newConnectionPerRequest: true\n',
        '  newConnectionPerRequest: true\n  secretEnv: [ENDPOINT_KEY]\n',
      ),
    );
    const stateDir = await freshStateDir();
    const reportDir = path.join(dir, 'report');
    const run = await chaos(['run', file, '--time-scale', '0.1', '--report-dir', reportDir, '--json'], {
      env: { ENDPOINT_KEY: secret, CHAOS_STATE_DIR: stateDir },
    });
    expect([0, 1, 4]).toContain(run.exitCode);
    expect(run.stdout + run.stderr).not.toContain(secret);
    const files = await listFiles(reportDir);
    files.push(...(await listFiles(stateDir)));
    expect(files.length).toBeGreaterThan(4);
    for (const f of files) expect(await readFile(f, 'utf8'), f).not.toContain(secret);
  });
});

/** The latency agents a run asked for, from its ledger. */
async function agentNames(stateDir: string): Promise<string[]> {
  const dir = path.join(stateDir, 'runs');
  const names: string[] = [];
  for (const n of await readdir(dir)) {
    for (const line of (await readFile(path.join(dir, n), 'utf8')).split('\n')) {
      if (!line.trim()) continue;
      const record = JSON.parse(line) as { kind: string; undo?: { fault: string; container?: string } };
      if (record.kind === 'intent' && record.undo?.fault === 'latency' && record.undo.container) {
        names.push(record.undo.container);
      }
    }
  }
  return [...new Set(names)];
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(p)));
    else out.push(p);
  }
  return out;
}
