/**
 * Driving the real testbed from tests: kubectl and the chaos CLI as subprocesses, exactly as users run them.
 * The testbed must be up (`npm run testbed:up`); nothing here starts or fakes a cluster.
 */
import type { RunResult } from '../../src/verdict/result.js';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export const repo = fileURLToPath(new URL('../..', import.meta.url));
export const NS = 'ml-serving';
/** MLServer's namespace (deploy/mlserver): a model server nobody here wrote, beside the sample stack. */
export const MLSERVER_NS = 'mlserver';

const testbedBin = (await execa('bash', [path.join(repo, 'testbed/testbed.sh'), 'bin'])).stdout.trim();
export const env = { ...process.env, PATH: `${testbedBin}:${process.env.PATH ?? ''}`, CI: 'true' };

export async function kubectl(...args: string[]): Promise<string> {
  const r = await execa('kubectl', ['--context', 'kind-chaos', ...args], { env, reject: false });
  if (r.exitCode !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.exitCode}): ${r.stderr}`);
  return r.stdout;
}

export async function kubectlJson<T>(...args: string[]): Promise<T> {
  return JSON.parse(await kubectl(...args, '-o', 'json')) as T;
}

/** Applies the healthy stack (or a broken variant) and waits for the rollout; a removed PDB is deleted explicitly. */
export async function applyStack(variant: string | null): Promise<void> {
  await kubectl('apply', '-k', path.join(repo, variant ? `deploy/variants/${variant}` : 'deploy'));
  // The variant removes the scorer's budget only; the feature store keeps its own.
  if (variant === 'no-pdb')
    await kubectl('-n', NS, 'delete', 'pdb', 'fraud-scorer-pdb', '--ignore-not-found');
  await kubectl('-n', NS, 'rollout', 'status', 'deploy/fraud-scorer', '--timeout=180s');
  await kubectl('-n', NS, 'rollout', 'status', 'deploy/feature-store', '--timeout=180s');
  // Without a readiness probe a pod counts as Ready while it still loads and warms its model (503s): the
  // rollout is "done" before the stack serves, and the run's baseline would measure the warm-up.
  if (variant === 'no-readiness') await untilScorersServe();
}

/** Every scorer pod's own /readyz answers 200, asked through the API server's pod proxy. */
async function untilScorersServe(timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pods = await scorerPods();
    const answers = await Promise.all(
      pods.map((p) =>
        kubectl('get', '--raw', `/api/v1/namespaces/${NS}/pods/${p.metadata.name}:8080/proxy/readyz`).then(
          () => true,
          () => false,
        ),
      ),
    );
    if (pods.length > 0 && answers.every(Boolean)) return;
    if (Date.now() > deadline) throw new Error(`scorer pods not serving after ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/**
 * Back to the healthy stack with the scorer's and the feature store's pods spread over both workers again: a
 * drain leaves every replica on one node, and the next scenario must not start from that. And back to 3
 * replicas: the HPA scales down over minutes on purpose, so a test that scaled the scorer out would hand the next
 * one 4–6 replicas (and the manifest's `replicas: 3`, applied under a scaled-out HPA, only churns pods until the
 * HPA puts them back). A recreated HPA has no history to hold a scale-out from.
 */
export async function resetStack(): Promise<void> {
  await kubectl('uncordon', 'chaos-worker', 'chaos-worker2');
  if ((await scorerReplicas()) !== 3)
    await kubectl('-n', NS, 'delete', 'hpa', 'fraud-scorer', '--ignore-not-found');
  await applyStack(null);
  const bunched = [];
  for (const app of ['fraud-scorer', 'feature-store'])
    if (!spread(await livePods(NS, app))) bunched.push(`deploy/${app}`);
  if (bunched.length > 0) {
    await kubectl('-n', NS, 'rollout', 'restart', ...bunched);
    await applyStack(null);
  }
}

/**
 * The scorer held at `n` Ready replicas: its HPA's bounds both set to `n`. For tests about something other than
 * the autoscaler, whose scale-out timing on a busy machine would otherwise decide them (load-ramp tests it).
 * resetStack gives the HPA back its manifest.
 */
export async function holdScorers(n: number): Promise<void> {
  const bounds = JSON.stringify({ spec: { minReplicas: n, maxReplicas: n } });
  await kubectl('-n', NS, 'patch', 'hpa', 'fraud-scorer', '--type', 'merge', '-p', bounds);
  // The HPA sets the Deployment's count at its next sync; the rollout status then waits for that many Ready.
  await kubectl(
    '-n',
    NS,
    'wait',
    'deploy/fraud-scorer',
    `--for=jsonpath={.spec.replicas}=${n}`,
    '--timeout=180s',
  );
  await kubectl('-n', NS, 'rollout', 'status', 'deploy/fraud-scorer', '--timeout=180s');
}

/**
 * The sample stack scaled to zero while another stack is under test (its HPA goes idle at zero replicas). The
 * testbed has two cores: a drain that restarts the sample's pods beside the server under test measures both
 * stacks' pod starts (a CI run: MLServer's drain at p95 824 ms while six pods restarted on one worker).
 * Returns what puts it back: the replica counts it had (a later apply leaves a `kubectl scale` alone), then
 * resetStack.
 */
export async function pauseSampleStack(): Promise<() => Promise<void>> {
  const deployments = ['fraud-scorer', 'feature-store'];
  const counts = await Promise.all(
    deployments.map((d) =>
      kubectlJson<{ spec: { replicas: number } }>('-n', NS, 'get', `deploy/${d}`).then(
        (x) => x.spec.replicas,
      ),
    ),
  );
  await kubectl('-n', NS, 'scale', ...deployments.map((d) => `deploy/${d}`), '--replicas=0');
  await kubectl(
    '-n',
    NS,
    'wait',
    'pod',
    '-l',
    `app in (${deployments.join(',')})`,
    '--for=delete',
    '--timeout=120s',
  );
  return async () => {
    for (const [i, d] of deployments.entries())
      await kubectl('-n', NS, 'scale', `deploy/${d}`, `--replicas=${counts[i]}`);
    await resetStack();
  };
}

/** MLServer as deploy/mlserver declares it, rolled out; PDB and all. */
export async function applyMlserver(): Promise<void> {
  await kubectl('apply', '-k', path.join(repo, 'deploy/mlserver'));
  await kubectl('-n', MLSERVER_NS, 'rollout', 'status', 'deploy/mlserver', '--timeout=180s');
}

/** MLServer healthy again with its pods over both workers, as resetStack does for the sample stack. */
export async function resetMlserver(): Promise<void> {
  await kubectl('uncordon', 'chaos-worker', 'chaos-worker2');
  await applyMlserver();
  if (!spread(await mlserverPods())) {
    await kubectl('-n', MLSERVER_NS, 'rollout', 'restart', 'deploy/mlserver');
    await applyMlserver();
  }
}

/** The pods labelled `app=<app>` in a namespace, those being deleted left out. */
async function livePods(namespace: string, app: string): Promise<PodJson[]> {
  const list = await kubectlJson<{ items: PodJson[] }>('-n', namespace, 'get', 'pods', '-l', `app=${app}`);
  return list.items.filter((p) => !p.metadata.deletionTimestamp);
}

/** On more than one node. */
function spread(pods: PodJson[]): boolean {
  return new Set(pods.map((p) => p.spec.nodeName)).size >= 2;
}

export function mlserverPods(): Promise<PodJson[]> {
  return livePods(MLSERVER_NS, 'mlserver');
}

export interface PodJson {
  metadata: { name: string; labels?: Record<string, string>; deletionTimestamp?: string };
  spec: { nodeName?: string; ephemeralContainers?: { name: string }[] };
  status: {
    phase: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { ready: boolean; restartCount: number; state: { waiting?: { reason?: string } } }[];
    ephemeralContainerStatuses?: {
      name: string;
      state: { running?: object; waiting?: object; terminated?: object };
    }[];
  };
}

/** The scorer Deployment's wanted replica count: the HPA's, when it has scaled. */
export async function scorerReplicas(): Promise<number> {
  const d = await kubectlJson<{ spec: { replicas: number } }>('-n', NS, 'get', 'deploy/fraud-scorer');
  return d.spec.replicas;
}

export function scorerPods(): Promise<PodJson[]> {
  return livePods(NS, 'fraud-scorer');
}

export interface ClusterSnapshot {
  unschedulableNodes: string[];
  templateHashes: Record<string, string>;
  runningAgents: string[];
}

/**
 * What "the cluster is as before" means: schedulable nodes, identical templates, no fault agent running (in
 * the sample stack's namespace unless told another).
 */
export async function snapshot(namespace = NS): Promise<ClusterSnapshot> {
  const nodes = await kubectlJson<{
    items: { metadata: { name: string }; spec: { unschedulable?: boolean } }[];
  }>('get', 'nodes');
  const deploys = await kubectlJson<{ items: { metadata: { name: string }; spec: { template: object } }[] }>(
    '-n',
    namespace,
    'get',
    'deploy',
  );
  const pods = await kubectlJson<{ items: PodJson[] }>('-n', namespace, 'get', 'pods');
  return {
    unschedulableNodes: nodes.items.filter((n) => n.spec.unschedulable).map((n) => n.metadata.name),
    templateHashes: Object.fromEntries(
      deploys.items.map((d) => [
        d.metadata.name,
        createHash('sha256').update(JSON.stringify(d.spec.template)).digest('hex'),
      ]),
    ),
    runningAgents: pods.items.flatMap((p) =>
      // A starting agent is about to run: only a terminated one is gone.
      (p.status.ephemeralContainerStatuses ?? [])
        .filter((e) => !e.state.terminated)
        .map((e) => `${p.metadata.name}/${e.name}`),
    ),
  };
}

export interface ChaosRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  reportDir: string;
  junit: string;
  result: Pick<RunResult, 'verdict' | 'slos' | 'faults' | 'windows' | 'reasons'> | null;
}

export async function chaos(
  args: string[],
  opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<ChaosRun> {
  const r = await execa('node', [path.join(repo, 'bin/chaos.js'), ...args], {
    env: { ...env, ...opts.env },
    reject: false,
    timeout: opts.timeoutMs ?? 10 * 60_000,
    cwd: repo,
  });
  return {
    exitCode: r.exitCode ?? -1,
    stdout: r.stdout,
    stderr: r.stderr,
    reportDir: '',
    junit: '',
    result: null,
  };
}

/** Runs a scenario into a fresh report dir and reads back junit.xml and result.json. */
export async function runScenario(
  file: string,
  timeScale: number,
  extra: string[] = [],
  opts: { env?: NodeJS.ProcessEnv } = {},
): Promise<ChaosRun> {
  const reportDir = await mkdtemp(path.join(os.tmpdir(), `chaos-e2e-${path.basename(file, '.yaml')}-`));
  const run = await chaos(
    [
      'run',
      path.resolve(repo, file),
      '--time-scale',
      String(timeScale),
      '--seed',
      '42',
      '--report-dir',
      reportDir,
      ...extra,
    ],
    opts,
  );
  run.reportDir = reportDir;
  run.junit = await readFile(path.join(reportDir, 'junit.xml'), 'utf8').catch(() => '');
  run.result = await readFile(path.join(reportDir, 'result.json'), 'utf8')
    .then((t) => JSON.parse(t) as ChaosRun['result'])
    .catch(() => null);
  return run;
}

/**
 * A run of the healthy stack, made once more when it FAILed on latency alone. The testbed's two cores carry the
 * load, the stack and the cluster, and CPU steal from the VM's neighbours alone has lifted a healthy p95 over
 * 250 ms (a CI run of 2026-12-03: load-ramp, and MLServer's drain). Any other failing SLO (errors, replicas,
 * recovery, answers) is returned as it is, and a second latency FAIL is the test's failure; the first one's
 * SLOs are printed.
 */
export async function runHealthy(file: string, timeScale: number): Promise<ChaosRun> {
  const run = await runScenario(file, timeScale);
  const failed = failedCases(run.junit);
  const latencyAlone =
    run.exitCode === 1 &&
    failed.some((id) => id.startsWith('latency-')) &&
    // load-ramp's scaling SLO fails when p95 breached before the new replica was Ready: latency again.
    failed.every((id) => id.startsWith('latency-') || id.startsWith('scaling-'));
  if (!latencyAlone) return run;
  console.warn(`${file} at ${timeScale}: FAIL on ${failed.join(', ')} alone; run once more\n${explain(run)}`);
  return runScenario(file, timeScale);
}

/**
 * A scenario's first p95 goal, 250 ms, made 2 s: for a test whose subject is not latency (answers, a merge,
 * Prometheus going away), where a busy machine's slow seconds must not decide the verdict. scenarios.test.ts
 * holds the stack to 250 ms.
 */
export function loosenP95(yaml: string): string {
  const loosened = yaml.replace('    percentile: 95\n    max: 250ms\n', '    percentile: 95\n    max: 2s\n');
  if (loosened === yaml) throw new Error('no p95 goal of 250ms to loosen');
  return loosened;
}

/** The junit testcase names that failed. */
export function failedCases(junit: string): string[] {
  return [...junit.matchAll(/<testcase\s[^>]*?\bname="([^"]+)"[^>]*>\s*<failure/g)].map((m) => m[1]!);
}

export function explain(run: ChaosRun): string {
  return `exit ${run.exitCode}\n--- stderr (tail)\n${run.stderr.split('\n').slice(-40).join('\n')}`;
}

/**
 * A copy of a committed scenario in a temp dir, with one edit: its relative paths (schema, payload, golden rows)
 * made absolute so it still validates there.
 */
export async function editedScenario(
  name: string,
  edit: (yaml: string) => string,
): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `chaos-e2e-${name}-edited-`));
  const source = await readFile(path.join(repo, `scenarios/${name}.yaml`), 'utf8');
  const file = path.join(dir, `${name}.yaml`);
  const absolute = source
    .replace('$schema=./schema.json', `$schema=${path.join(repo, 'scenarios/schema.json')}`)
    .replaceAll('file: payloads/', `file: ${path.join(repo, 'scenarios/payloads')}/`);
  const edited = edit(absolute);
  if (edited === absolute) throw new Error(`the edit changed nothing in scenarios/${name}.yaml`);
  await writeFile(file, edited);
  return { dir, file };
}

export const auditLog = path.join(os.homedir(), '.cache/chaos-testbed/state/audit/audit.log');

export interface AuditEvent {
  verb: string;
  user: { username: string };
  requestURI: string;
  stage: string;
  stageTimestamp: string;
  responseStatus?: { code?: number };
  objectRef?: {
    resource?: string;
    subresource?: string;
    apiGroup?: string;
    namespace?: string;
    name?: string;
  };
}

const MARKER_PREFIX = 'chaos-e2e-audit-marker-';

function auditEvents(text: string): AuditEvent[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditEvent);
}

/**
 * The API server's audit events since `since` (testbed/audit-policy.yaml decides what is recorded), once the
 * log holds everything done so far: a marker ConfigMap is written and its event awaited (the log backend writes
 * events in the order requests complete), instead of sleeping and hoping the log caught up. The marker's own
 * events are left out.
 */
export async function auditEventsSince(since: Date): Promise<AuditEvent[]> {
  const marker = `${MARKER_PREFIX}${randomBytes(4).toString('hex')}`;
  await kubectl('-n', NS, 'create', 'configmap', marker);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const events = auditEvents(await readFile(auditLog, 'utf8'));
    if (events.some((e) => e.objectRef?.name === marker && e.stage === 'ResponseComplete')) {
      await kubectl('-n', NS, 'delete', 'configmap', marker);
      return events.filter(
        (e) => new Date(e.stageTimestamp) >= since && !e.objectRef?.name?.startsWith(MARKER_PREFIX),
      );
    }
    if (Date.now() > deadline) throw new Error(`the audit log never recorded the marker ${marker}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Deletes everything `chaos schedule --apply --name <name>` created (its objects carry the instance label). */
export async function deleteSchedule(name: string): Promise<void> {
  await kubectl(
    '-n',
    NS,
    'delete',
    'cronjob,job,serviceaccount,role,rolebinding,configmap',
    '-l',
    `app.kubernetes.io/instance=${name}`,
    '--ignore-not-found',
    '--wait=false',
  );
}

/** Creates a Job from a scheduled CronJob, as an operator would, and waits for it: its exit code and logs. */
export async function runScheduledJob(
  cronJob: string,
  jobName: string,
  timeoutMs: number,
): Promise<{ exitCode: number; logs: string }> {
  await kubectl('-n', NS, 'create', 'job', `--from=cronjob/${cronJob}`, jobName);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await kubectlJson<{ status: { succeeded?: number; failed?: number } }>(
      '-n',
      NS,
      'get',
      'job',
      jobName,
    );
    if (job.status.succeeded || job.status.failed) break;
    if (Date.now() > deadline)
      throw new Error(`job ${jobName} did not finish within ${timeoutMs / 60_000} minutes`);
    await new Promise((r) => setTimeout(r, 5000));
  }
  const pods = await kubectlJson<{
    items: { status: { containerStatuses?: { state: { terminated?: { exitCode: number } } }[] } }[];
  }>('-n', NS, 'get', 'pods', '-l', `job-name=${jobName}`);
  const exitCode = pods.items[0]?.status.containerStatuses?.[0]?.state.terminated?.exitCode ?? -1;
  const logs = await kubectl('-n', NS, 'logs', `job/${jobName}`);
  return { exitCode, logs };
}

/**
 * What a schedule's ServiceAccount (named like the schedule) did since `since`, from the audit log, beside what
 * its Role grants: `group/resource[/subresource]:verb` strings, and the requests it was denied.
 */
export async function serviceAccountUse(
  name: string,
  since: Date,
): Promise<{ calls: number; denied: string[]; used: Set<string>; granted: string[] }> {
  const sa = `system:serviceaccount:${NS}:${name}`;
  const calls = (await auditEventsSince(since)).filter((e) => e.user.username === sa);
  const used = new Set(
    calls
      .filter((e) => e.objectRef?.resource)
      .map((e) => {
        const r = e.objectRef!;
        return `${r.apiGroup ?? ''}/${r.resource}${r.subresource ? `/${r.subresource}` : ''}:${e.verb}`;
      }),
  );
  const role = await kubectlJson<{
    rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
  }>('-n', NS, 'get', 'role', name);
  const granted = role.rules.flatMap((r) =>
    r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g}/${res}:${v}`))),
  );
  return {
    calls: calls.length,
    denied: calls.filter((e) => e.responseStatus?.code === 403).map((e) => `${e.verb} ${e.requestURI}`),
    used,
    granted,
  };
}

/**
 * The kinds of a state dir's ledger records, oldest first, leaving out the run lease's own (its intent and
 * applied come before any fault's): tests that kill a run "right after the undo is journaled" mean a fault's.
 */
export async function faultLedgerKinds(stateDir: string): Promise<string[]> {
  const dir = path.join(stateDir, 'runs');
  const kinds: string[] = [];
  for (const n of await readdir(dir).catch(() => [] as string[])) {
    const leaseIds = new Set<number>();
    for (const line of (await readFile(path.join(dir, n), 'utf8')).split('\n')) {
      if (!line.trim()) continue;
      let r: { kind: string; id?: number; fault?: string };
      try {
        r = JSON.parse(line) as typeof r;
      } catch {
        continue; // a line being written right now
      }
      if (r.kind === 'intent' && r.fault === 'run-lease' && r.id !== undefined) leaseIds.add(r.id);
      if (r.id !== undefined && leaseIds.has(r.id)) continue;
      kinds.push(r.kind);
    }
  }
  return kinds;
}
