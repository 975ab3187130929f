/**
 * The API server going away under a run, on the testbed: kube-apiserver stopped (SIGSTOP inside the control-plane
 * node: it keeps its connections and answers nothing, as a hung or paused server does) for 30 s, once while the
 * four mutating faults are all in place, once right as their revert begins. Each time: the load goes on, the
 * faults are reverted as soon as the server answers again, the run is INCONCLUSIVE (exit 4) with how long contact
 * was lost, the ledger is closed and the cluster is as it was before the run.
 *
 * `docker pause chaos-control-plane` cannot freeze a container on this VM (cgroup v1), hence the signal. A
 * stopped API server breaks every other user of the shared cluster: it is resumed in `finally`, in afterAll, on
 * the process's exit, and by a watchdog started inside the node with the stop, which resumes it after
 * WATCHDOG_S even if this process is killed.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createHash } from 'node:crypto';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayLedger } from '../../src/ledger/ledger.js';
import type { RunResult } from '../../src/verdict/result.js';
import { chaos, env, kubectlJson, NS, repo, resetStack, snapshot, type ClusterSnapshot } from './helpers.js';

const NODE = 'chaos-control-plane';
const SCENARIO = path.join(repo, 'test/fixtures/scenarios/api-outage.yaml');
const TIME_SCALE = 0.25;
const OUTAGE_MS = 30_000;
/**
 * "As soon as it answers again": a read's retry pauses at most 2 s, and the server, just resumed, first serves
 * every kubelet and controller that waited on it.
 */
const REVERT_WITHIN_MS = 8_000;
/** The watchdog inside the node resumes the API server this long after the stop, whatever happens here. */
const WATCHDOG_S = 45;

/** kube-apiserver's pid inside the control-plane node. */
function apiServerPid(): string {
  const r = spawnSync('docker', ['exec', NODE, 'pgrep', '-x', 'kube-apiserver'], { encoding: 'utf8' });
  const pid = r.stdout.trim();
  if (r.status !== 0 || !/^\d+$/.test(pid))
    throw new Error(`no single kube-apiserver in ${NODE}: ${r.stderr}`);
  return pid;
}

const stoppedPids = new Set<string>();

/** SIGCONT to every API server this file stopped: safe to repeat, synchronous so an exit handler can use it. */
function resumeAll(): void {
  for (const pid of stoppedPids) {
    const r = spawnSync('docker', ['exec', NODE, 'kill', '-CONT', pid], { encoding: 'utf8' });
    if (r.status === 0) stoppedPids.delete(pid);
  }
}
process.on('exit', resumeAll);

/**
 * A shell inside the node opened ahead of time, so the stop lands within milliseconds of the moment the test
 * picks (a `docker exec` per stop would add a few hundred).
 */
class Outage {
  private readonly shell: ChildProcessWithoutNullStreams;
  private out = '';
  stoppedAt = 0;
  resumedAt = 0;

  constructor(readonly pid: string) {
    this.shell = spawn('docker', ['exec', '-i', NODE, 'sh'], { stdio: 'pipe' });
    this.shell.stdout.on('data', (d: Buffer) => (this.out += d.toString()));
  }

  async stop(): Promise<void> {
    stoppedPids.add(this.pid);
    this.stoppedAt = Date.now();
    this.shell.stdin.write(
      `kill -STOP ${this.pid} && echo stopped; (sleep ${WATCHDOG_S}; kill -CONT ${this.pid}) >/dev/null 2>&1 &\n`,
    );
    const deadline = Date.now() + 10_000;
    while (!this.out.includes('stopped')) {
      if (Date.now() > deadline) throw new Error(`kill -STOP ${this.pid} did not confirm: ${this.out}`);
      await sleep(5);
    }
  }

  /** Idempotent: the `finally` after the planned resume must not move its time. */
  resume(): void {
    resumeAll();
    this.resumedAt ||= Date.now();
  }

  close(): void {
    this.shell.stdin.end();
    this.shell.kill();
  }
}

/** The API server answers and the controllers it left (they lose their leader lease) run again. */
async function controlPlaneHealthy(): Promise<void> {
  const deadline = Date.now() + 180_000;
  let healthySince: number | null = null;
  let last = '';
  while (Date.now() < deadline) {
    const ready = await execa(
      'kubectl',
      ['--context', 'kind-chaos', 'get', '--raw', '/readyz', '--request-timeout=3s'],
      { env, reject: false },
    );
    let ok = ready.exitCode === 0;
    last = ready.stderr || ready.stdout;
    if (ok) {
      const pods = await kubectlJson<{
        items: { metadata: { name: string }; status: { conditions?: { type: string; status: string }[] } }[];
      }>('-n', 'kube-system', 'get', 'pods', '-l', 'tier=control-plane');
      const notReady = pods.items.filter(
        (p) => !p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      );
      ok = notReady.length === 0 && pods.items.length >= 4;
      last = `not Ready: ${notReady.map((p) => p.metadata.name).join(', ')}`;
    }
    if (ok) {
      healthySince ??= Date.now();
      // Ready for a while, not between two restarts.
      if (Date.now() - healthySince >= 10_000) return;
    } else healthySince = null;
    await sleep(1000);
  }
  throw new Error(`the control plane did not become healthy within 180 s: ${last}`);
}

const hash = (x: unknown) => createHash('sha256').update(JSON.stringify(x)).digest('hex').slice(0, 16);

interface Before extends ClusterSnapshot {
  /** Each Deployment's spec but its replica count (the HPA's to change), image by image. */
  deployments: Record<string, { spec: string; images: string[] }>;
  services: Record<string, string>;
  configMaps: Record<string, string>;
  /** The run lease (`chaos-run`) and any other lease chaos manages in the namespace. */
  chaosLeases: string[];
}

/** What "the cluster is as before" means here: the helpers' snapshot, and every object a fault or the run touches. */
async function clusterState(): Promise<Before> {
  type Obj = { metadata: { name: string; labels?: Record<string, string> } };
  const deploys = await kubectlJson<{
    items: (Obj & { spec: { replicas?: number; template: { spec: { containers: { image: string }[] } } } })[];
  }>('-n', NS, 'get', 'deploy');
  const services = await kubectlJson<{ items: (Obj & { spec: object })[] }>('-n', NS, 'get', 'services');
  const cms = await kubectlJson<{ items: (Obj & { data?: object })[] }>('-n', NS, 'get', 'configmaps');
  const leases = await kubectlJson<{ items: Obj[] }>('-n', NS, 'get', 'leases');
  return {
    ...(await snapshot()),
    deployments: Object.fromEntries(
      deploys.items.map((d) => {
        const { replicas: _replicas, ...spec } = d.spec;
        return [
          d.metadata.name,
          { spec: hash(spec), images: d.spec.template.spec.containers.map((c) => c.image) },
        ];
      }),
    ),
    services: Object.fromEntries(services.items.map((s) => [s.metadata.name, hash(s.spec)])),
    configMaps: Object.fromEntries(cms.items.map((c) => [c.metadata.name, hash(c.data ?? {})])),
    chaosLeases: leases.items
      .filter(
        (l) =>
          l.metadata.name === 'chaos-run' || l.metadata.labels?.['app.kubernetes.io/managed-by'] === 'chaos',
      )
      .map((l) => l.metadata.name),
  };
}

interface Started {
  child: ReturnType<typeof execa>;
  stderr: () => string;
  stateDir: string;
  reportDir: string;
}

async function startRun(tag: string): Promise<Started> {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), `chaos-e2e-outage-state-${tag}-`));
  const reportDir = await mkdtemp(path.join(os.tmpdir(), `chaos-e2e-outage-${tag}-`));
  const child = execa(
    'node',
    [
      path.join(repo, 'bin/chaos.js'),
      'run',
      SCENARIO,
      '--time-scale',
      String(TIME_SCALE),
      '--seed',
      '42',
      '--report-dir',
      reportDir,
    ],
    { env: { ...env, CHAOS_STATE_DIR: stateDir }, reject: false, cwd: repo },
  );
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return { child, stderr: () => err, stateDir, reportDir };
}

async function waitFor(
  run: Started,
  what: string,
  done: (stderr: string) => boolean,
  ms: number,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done(run.stderr())) {
    if (run.child.exitCode !== null) throw new Error(`the run ended before ${what}:\n${run.stderr()}`);
    if (Date.now() > deadline) throw new Error(`no ${what} within ${ms / 1000} s:\n${run.stderr()}`);
    await sleep(5);
  }
}

/** The per-injection lines of the run (`HH:MM:SS <type>: <description>`), one for each of the four faults. */
const INJECTED = ['model-version', 'node-drain', 'pod-kill', 'latency'];
const allInjected = (stderr: string) =>
  INJECTED.every((type) => new RegExp(`^\\d\\d:\\d\\d:\\d\\d ${type}: `, 'm').test(stderr));

interface Finished {
  exitCode: number;
  stderr: string;
  result: RunResult;
  elapsedS: number;
}

async function finish(run: Started, started: number): Promise<Finished> {
  const r = await run.child;
  const result = JSON.parse(await readFile(path.join(run.reportDir, 'result.json'), 'utf8')) as RunResult;
  return {
    exitCode: r.exitCode ?? -1,
    stderr: run.stderr(),
    result,
    elapsedS: (Date.now() - started) / 1000,
  };
}

/**
 * Starts a run, waits for the four faults (and `ready`, if given), stops the API server for OUTAGE_MS and resumes it,
 * and waits for the run to end; the server is resumed and the run interrupted whatever happens on the way. The
 * checks every outage run must pass (checkCommon) are made before it returns.
 */
async function runThroughOutage(
  pid: string,
  tag: string,
  ready?: (run: Started) => Promise<void>,
): Promise<{ outage: Outage; started: number; done: Finished }> {
  const outage = new Outage(pid);
  const started = Date.now();
  const run = await startRun(tag);
  let done: Finished;
  try {
    await waitFor(run, 'the four faults in place', allInjected, 150_000);
    await ready?.(run);
    await outage.stop();
    await sleep(OUTAGE_MS - (Date.now() - outage.stoppedAt));
    outage.resume();
    done = await finish(run, started);
  } finally {
    outage.resume();
    outage.close();
    run.child.kill('SIGINT');
  }
  await checkCommon(run, done, outage);
  return { outage, started, done };
}

/** What both runs must show: exit 4, contact lost for about the outage, every fault reverted, ledger closed. */
async function checkCommon(run: Started, done: Finished, outage: Outage): Promise<void> {
  const tail = done.stderr.split('\n').slice(-40).join('\n');
  expect(done.exitCode, tail).toBe(4);
  const r = done.result;
  expect(r.verdict).toBe('INCONCLUSIVE');
  const contact = r.apiContact!;
  // How long contact was lost: the monitor pings every second with a 2 s deadline, so its span is the outage
  // give or take its resolution.
  expect(contact.outages, JSON.stringify(contact)).toHaveLength(1);
  const span = contact.outages[0]!;
  expect(span.to).not.toBeNull();
  expect(contact.lostS).toBeGreaterThanOrEqual(OUTAGE_MS / 1000 - 5);
  expect(contact.lostS).toBeLessThanOrEqual(OUTAGE_MS / 1000 + 8);
  expect(Math.abs(Date.parse(span.from) - outage.stoppedAt)).toBeLessThan(4_000);
  expect(Math.abs(Date.parse(span.to!) - outage.resumedAt)).toBeLessThan(6_000);
  expect(r.reasons).toContainEqual(
    expect.stringMatching(new RegExp(`^lost contact with the API server for ${contact.lostS} s `)),
  );
  expect(done.stderr).toMatch(/lost contact with the API server \(no answer since/);
  expect(done.stderr).toMatch(/the API server answers again after \d+\.\d s/);
  // The four faults were all in and confirmed, and every one is reverted; none failed to.
  expect(r.faults.map((f) => [f.type, f.confirmed])).toEqual(INJECTED.map((t) => [t, true]));
  // A killed pod has nothing to revert (its ReplicaSet replaces it); the three others are undone.
  for (const f of r.faults)
    if (f.type === 'pod-kill') expect(f.nothingToRevert).toBeTruthy();
    else expect(f.revertedAt, `${f.type} reverted`).not.toBeNull();
  expect(r.reasons.filter((x) => /REVERT FAILED/.test(x))).toEqual([]);
  // The load went on through the outage: k6 sent requests in every whole second of it.
  const from = span.t!;
  const quiet = r.timeline.filter(
    (p) => p.t >= Math.ceil(from) && p.t < Math.floor(from + span.seconds) && p.requests === 0,
  );
  expect(quiet.map((p) => p.t)).toEqual([]);
  expect(r.windows.find((w) => w.window === 'recovery')?.requests ?? 0).toBeGreaterThan(0);
  // The ledger: nothing open, closed with the verdict; `chaos recover` has nothing to do.
  const [file] = await readdir(path.join(run.stateDir, 'runs'));
  const text = await readFile(path.join(run.stateDir, 'runs', file!), 'utf8');
  expect(replayLedger(file!, text).open).toEqual([]);
  expect(text.trim().split('\n').at(-1)).toMatch(/"kind":"end".*"outcome":"INCONCLUSIVE"/);
  const recover = await chaos(['recover'], { env: { CHAOS_STATE_DIR: run.stateDir } });
  expect(recover.exitCode, recover.stderr).toBe(0);
}

describe('API server outage (kube-apiserver stopped for 30 s)', () => {
  let pid: string;

  beforeAll(async () => {
    pid = apiServerPid();
    await controlPlaneHealthy();
    await resetStack();
  });
  afterAll(async () => {
    resumeAll();
    await controlPlaneHealthy();
    await resetStack();
  });

  it('while model-version, node-drain, pod-kill and latency are all in place: load goes on, reverted as soon as it answers, INCONCLUSIVE (exit 4), cluster as before', async () => {
    const before = await clusterState();
    const { outage, started, done } = await runThroughOutage(pid, 'faults');
    const r = done.result;
    // Halted on the lost contact, with the revert begun at once; each revert went through within seconds of the
    // resume (none before it: the first, the latency agent's, waited for the server), not at the window's end.
    expect(done.stderr).toContain('lost contact with the API server: nothing more is injected');
    expect(done.stderr).toContain('revert faults (lost contact with the API server); recovery window');
    const reverts = r.events.filter((e) => e.kind === 'revert');
    expect(reverts.map((e) => e.message)).toEqual([
      expect.stringMatching(/^stopped the latency agent in ml-serving\/feature-store-/),
      expect.stringMatching(/^uncordoned node chaos-worker2?$/),
      'restored the pod template of deployment ml-serving/fraud-scorer',
    ]);
    for (const e of reverts) {
      expect(Date.parse(e.at)).toBeGreaterThan(outage.resumedAt - 1_000);
      expect(Date.parse(e.at)).toBeLessThan(outage.resumedAt + REVERT_WITHIN_MS);
    }
    await controlPlaneHealthy();
    expect(await clusterState()).toEqual(before);
    const firstRevert = Math.min(...reverts.map((e) => Date.parse(e.at)));
    console.log(
      `faults in place: outage from +${((outage.stoppedAt - started) / 1000).toFixed(1)} s for ${((outage.resumedAt - outage.stoppedAt) / 1000).toFixed(1)} s; contact lost ${r.apiContact!.lostS} s; first revert ${((firstRevert - outage.resumedAt) / 1000).toFixed(2)} s after the resume; run ${done.elapsedS.toFixed(0)} s`,
    );
  });

  it('as the revert begins: every revert waits for the server and goes through, INCONCLUSIVE (exit 4), cluster as before', async () => {
    await resetStack();
    const before = await clusterState();
    const { outage, done } = await runThroughOutage(pid, 'revert', (run) =>
      waitFor(
        run,
        'the revert phase',
        (s) => /^\d\d:\d\d:\d\d revert faults; recovery window$/m.test(s),
        120_000,
      ),
    );
    const r = done.result;
    const phase = r.events.find((e) => e.message === 'revert faults; recovery window')!;
    // The stop follows the phase's line on stderr, within the same millisecond at times.
    expect(Date.parse(phase.at)).toBeLessThanOrEqual(outage.stoppedAt);
    // The first revert (the latency agent's: an exec, then the wait for its exit) met the stopped server and went
    // through once it answered; the two after it too.
    const reverts = r.events.filter((e) => e.kind === 'revert');
    expect(reverts).toHaveLength(3);
    // The agent may have removed its own delay at its TTL while the server was away (CI, 2026-12-04): either way
    // the revert reached it only once the server answered.
    expect(reverts[0]!.message).toMatch(
      /^(stopped the latency agent in|latency agent in) ml-serving\/feature-store-\S+( already ended|$)/,
    );
    const waited = reverts.filter((e) => Date.parse(e.at) > outage.resumedAt - 1_000);
    expect(waited.length, JSON.stringify(reverts)).toBeGreaterThanOrEqual(1);
    expect(waited[0]).toBe(reverts[0]);
    for (const e of reverts) expect(Date.parse(e.at)).toBeLessThan(outage.resumedAt + REVERT_WITHIN_MS);
    await controlPlaneHealthy();
    expect(await clusterState()).toEqual(before);
    console.log(
      `revert: outage ${outage.stoppedAt - Date.parse(phase.at)} ms after the revert phase began, for ${((outage.resumedAt - outage.stoppedAt) / 1000).toFixed(1)} s; contact lost ${r.apiContact!.lostS} s; reverts done ${reverts.map((e) => ((Date.parse(e.at) - outage.resumedAt) / 1000).toFixed(2)).join(', ')} s after the resume; run ${done.elapsedS.toFixed(0)} s`,
    );
  });
});
