/**
 * One scenario, end to end: safety checks → plan → run → reports, for `chaos run` and `chaos gameday` alike.
 * Throws only for input/environment errors; the run's own outcome is in the result.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { fetchProbe } from '../adapters/http.js';
import { Kube, matchesSelector } from '../adapters/kube.js';
import { findKubectl } from '../adapters/kubectl.js';
import type { Output } from '../adapters/output.js';
import { EnvironmentError, ExitCode, InvalidInputError } from '../errors.js';
import { previewFaults } from '../faults/registry.js';
import { Ledger, ledgerPath, readLedgers, replayLedger } from '../ledger/ledger.js';
import { prepareCustomScript, ScriptRejected, lastK6Error, type PreparedScript } from '../load/entry.js';
import { builtinScript, findK6, k6Env, runK6, type RunK6Options } from '../load/k6.js';
import { AGENT_FILE, AGENT_SOURCE } from '../runners/agent.js';
import { ARCHIVE_FILE, CONFIGMAP_MAX_BYTES, MOUNT, SCRIPT_FILE } from '../runners/manifests.js';
import { startRunners } from '../runners/pool.js';
import { resolveRunners, runnerIssues, runnerSettings } from '../scenario/runner-rules.js';
import { chaosVersion } from '../version.js';
import { buildPlan, type Plan } from '../plan/plan.js';
import { renderConsoleSummary, writeReports } from '../report/index.js';
import { formatDiagnostic } from '../scenario/diagnostics.js';
import { diagnosticAt } from '../scenario/parse.js';
import { readGoldenFile, type GoldenSet } from '../scenario/golden.js';
import { integerRule } from '../scenario/payload.js';
import type { Scenario } from '../scenario/schema.js';
import { PROTECTED_NAMESPACES } from '../scenario/semantic.js';
import { kubectlArgIssues } from '../scenario/kubectl-rules.js';
import { RESULT_SCHEMA_VERSION, type RunResult } from '../verdict/result.js';
import { runPlan, type LoadHandle } from './orchestrator.js';
import { acquireLease, LEASE_NAME, LEASE_RENEW_MS, undoEntry, type HeldLease } from './lease.js';
import { prometheusSetup } from './prometheus.js';
import { tracesSetup } from './traces.js';
import { makeRedactor } from './redact.js';
import { pushSeries } from '../adapters/remote-write.js';
import {
  k6RemoteWriteArgs,
  k6RemoteWriteEnv,
  remoteWriteHeaders,
  remoteWriteSecrets,
  runLabels,
} from '../load/remote-write.js';
import { seededRandom } from './random.js';
import { formatDuration } from '../scenario/units.js';
import { judgeMergedThresholds } from '../verdict/merged-thresholds.js';
import { budgetTarget } from '../verdict/slo.js';
import { assertBudgetLeft, readBudget, recordRun, type BudgetFile } from '../budget/budget.js';

/** What a scenario run may be told from outside its file: every flag of `chaos run`. */
export interface RunOptions {
  context?: string;
  namespace?: string;
  reportDir?: string;
  dryRun?: boolean;
  yes?: boolean;
  force?: boolean;
  seed?: number;
  timeScale?: number;
  json?: boolean;
  budget?: string;
  budgetFloor?: number;
  targetOrigin?: string;
  /** load.runners' count, over the scenario's. */
  runners?: number;
  /** load.runners.targetOrigin, over the scenario's. */
  runnersOrigin?: string;
}

export interface RunEnvironment {
  env: NodeJS.ProcessEnv;
  /** Installs SIGINT/SIGTERM handling; returns a disposer. */
  onSignal: (handler: (signal: NodeJS.Signals) => void) => () => void;
  stdinIsTTY: boolean;
}

export const processEnvironment: RunEnvironment = {
  env: process.env,
  onSignal: (handler) => {
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
    return () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    };
  },
  stdinIsTTY: Boolean(process.stdin.isTTY),
};

/** Interrupted beats everything; a FAIL is worse news for a gate than an INCONCLUSIVE. */
export function worstExitCode(codes: number[]): number {
  for (const c of [ExitCode.Interrupted, ExitCode.Environment, ExitCode.Fail, ExitCode.Inconclusive])
    if (codes.includes(c)) return c;
  return ExitCode.Pass;
}

/**
 * One scenario, spending from the error budget when one is given: the budget is checked before anything
 * touches the cluster and charged with what the run measured.
 */
export async function runScenario(
  file: string,
  scenario: Scenario,
  opts: RunOptions,
  out: Output,
  world: RunEnvironment = processEnvironment,
  runId?: string,
): Promise<RunResult> {
  let budget: BudgetFile | null = null;
  if (opts.budget) {
    const slo = budgetTarget(scenario.slos) ?? 0.99;
    budget = await readBudget(opts.budget, { slo, floor: opts.budgetFloor ?? 0.25 });
    const status = assertBudgetLeft(opts.budget, budget);
    out.info(
      `chaos: error budget ${opts.budget}: ${(status.remaining * 100).toFixed(1)} % left (floor ${(budget.floor * 100).toFixed(1)} %)`,
    );
  }
  const result = await runOne(
    file,
    withRunners(withTargetOrigin(scenario, opts.targetOrigin), opts),
    opts,
    out,
    world,
    runId,
  );
  const all = result.windows.find((w) => w.window === 'all');
  if (opts.budget && budget && all && all.requests > 0) {
    await recordRun(opts.budget, budget, {
      runId: result.runId,
      scenario: result.scenario.name,
      at: result.finishedAt,
      requests: all.requests,
      errors: all.failed,
    });
  }
  return result;
}

/** `20261123T181012-pod-kill-7e31eb`: sorts by start time, names the run, and is unique. */
export function newRunId(name: string, now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${name}-${randomBytes(3).toString('hex')}`;
}

/**
 * In-cluster, the service is reached by its DNS name rather than the host port the scenario was written
 * for: every URL on target.url's origin moves to the new one, paths kept.
 */
export function withTargetOrigin(scenario: Scenario, origin: string | undefined): Scenario {
  if (!origin) return scenario;
  const from = new URL(scenario.target.url).origin;
  const to = new URL(origin).origin;
  const move = (url: string): string => (new URL(url).origin === from ? to + url.slice(from.length) : url);
  return {
    ...scenario,
    target: {
      ...scenario.target,
      url: move(scenario.target.url),
      versionUrl: scenario.target.versionUrl && move(scenario.target.versionUrl),
    },
    steadyState: scenario.steadyState.map((c) =>
      c.type === 'http' && c.url ? { ...c, url: move(c.url) } : c,
    ),
  };
}

/**
 * What the plan asks of the load, as k6 options: the profile, the windows, and the requests in the scenario's
 * protocol (URL, body, where answers and the model version are). Everything but secrets and where k6 runs.
 */
export function planLoadOptions(
  plan: Plan,
  file: string,
): Omit<RunK6Options, 'outDir' | 'endpointKey' | 'extraEnv' | 'k6Bin' | 'env'> {
  const request = plan.k6.request;
  return {
    targetUrl: request.url,
    protocol: request.protocol,
    v2:
      request.protocol === 'v2'
        ? { input: request.input, datatype: request.datatype, outputs: request.outputs }
        : undefined,
    versionHeader: plan.k6.version.header,
    versionField: plan.k6.version.field,
    windows: plan.k6.windows,
    scenario: plan.k6.scenario,
    thresholds: Object.keys(plan.k6.thresholds).length > 0 ? plan.k6.thresholds : undefined,
    features: plan.k6.features,
    rows: plan.k6.rows,
    oversizeRows: plan.k6.oversizeRows || undefined,
    oversizeEvery: plan.k6.oversizeEvery,
    oversizeRefusedWith: plan.k6.oversizeRefusedWith,
    payloadFile: plan.scenario.load.payload.file
      ? path.resolve(path.dirname(file), plan.scenario.load.payload.file)
      : undefined,
    answerPaths: plan.k6.answers,
    scoreRange: plan.scenario.target.response.scoreRange,
    golden: plan.golden ? { file: plan.golden.file, every: plan.golden.every } : undefined,
    seed: plan.seed,
    traceIdPrefix: plan.k6.traceIdPrefix ?? undefined,
    requestTimeout: '10s',
  };
}

/** `--runners N` and `--runners-origin` over the scenario's load.runners. */
export function withRunners(
  scenario: Scenario,
  opts: Pick<RunOptions, 'runners' | 'runnersOrigin'>,
): Scenario {
  if (opts.runners === undefined && opts.runnersOrigin === undefined) return scenario;
  const current = runnerSettings(scenario) ?? { count: 1 };
  return {
    ...scenario,
    load: {
      ...scenario.load,
      runners: {
        ...current,
        ...(opts.runners !== undefined ? { count: opts.runners } : {}),
        ...(opts.runnersOrigin !== undefined ? { targetOrigin: opts.runnersOrigin } : {}),
      },
    },
  };
}

/** The golden set, read again at run time: validation read it too, but the file may have changed since. */
export function goldenOf(file: string, scenario: Scenario): { file: string; set: GoldenSet } | undefined {
  const golden = scenario.load.golden;
  if (!golden) return undefined;
  const resolved = path.resolve(path.dirname(file), golden.file);
  const read = readGoldenFile(resolved, golden.file, scenario.load.payload.features, integerRule(scenario));
  if (!read.ok) throw new InvalidInputError([`${file}: load.golden.file: ${read.message}`]);
  return { file: resolved, set: read.value };
}

async function runOne(
  file: string,
  scenario: Scenario,
  opts: RunOptions,
  out: Output,
  world: RunEnvironment,
  givenRunId?: string,
): Promise<RunResult> {
  const seed = opts.seed ?? randomBytes(4).readUInt32BE(0);
  const plan = buildPlan(scenario, {
    file,
    namespace: opts.namespace,
    seed,
    timeScale: opts.timeScale ?? 1,
    golden: goldenOf(file, scenario),
  });
  checkNamespace(plan);
  const runners = resolveRunners(plan.scenario);
  if (runners) {
    const problems = [];
    for (const x of runnerIssues(plan.scenario))
      problems.push(formatDiagnostic(await diagnosticAt(file, x.path, x.message)));
    if (problems.length > 0) throw new InvalidInputError(problems);
  }

  // Secrets come from the caller's environment; a missing one is a setup problem, caught before any write.
  const secrets: Record<string, string> = {};
  for (const name of plan.k6.secretEnv) {
    const value = world.env[name];
    if (value === undefined)
      throw new EnvironmentError(`secret ${name} (load.secretEnv) is not set in the environment`);
    secrets[name] = value;
  }
  const rwSpec = plan.scenario.load.remoteWrite;
  const rwSecrets = rwSpec ? remoteWriteSecrets(rwSpec, world.env) : null;
  if (rwSecrets && rwSecrets.missing.length > 0)
    throw new EnvironmentError(
      `secret ${rwSecrets.missing.join(', ')} (load.remoteWrite) is not set in the environment`,
    );
  const prom = prometheusSetup(file, scenario, world.env);
  const traces = tracesSetup(scenario, world.env);
  const redact = makeRedactor([
    ...Object.values(secrets),
    ...(prom?.secrets ?? []),
    ...(traces?.secrets ?? []),
    ...Object.values(rwSecrets?.values ?? {}).filter((v): v is string => v !== undefined),
  ]);
  const k6Bin = findK6(world.env);
  const k6Options: Omit<RunK6Options, 'outDir'> = {
    ...planLoadOptions(plan, file),
    endpointKey: secrets.ENDPOINT_KEY,
    extraEnv: { ...plan.k6.env, ...secrets },
    k6Bin,
    env: world.env,
  };
  const custom = await prepareScript(file, plan, k6Options, out);
  const runnerLoad = runners
    ? await prepareRunnerLoad(file, plan, k6Options, runners.targetUrl, custom, secrets)
    : null;
  const kubectlBin = await prepareKubectl(file, plan, world.env);

  // Before any cluster call: a report directory that cannot take a file is a setup problem, found while
  // there is nothing to revert. A dry run writes no report.
  const runId = givenRunId ?? newRunId(scenario.metadata.name);
  const reportDir = path.resolve(
    opts.reportDir ?? path.join('reports', `${runId.slice(0, 15)}Z-${scenario.metadata.name}`),
  );
  if (!opts.dryRun) await probeReportDir(reportDir);

  const kube = Kube.connect({ context: opts.context, readOnly: opts.dryRun, kubectlBin });
  await checkContext(plan, kube.context, opts, out, world);
  const server = kube.config.getCurrentCluster()?.server ?? '';
  const version = await kube.ping();
  out.info(
    `chaos: ${scenario.metadata.name} — context ${kube.context} (${server}, Kubernetes ${version}), namespace ${plan.namespace}, seed ${seed}${plan.timeScale !== 1 ? `, time scale ${plan.timeScale}` : ''}`,
  );

  // Ended or not: a run that ended with a failed revert left its fault behind just the same. A run whose
  // process still lives is not unrecovered: it reverts its own faults, and the namespace lease below keeps a
  // second run off its target.
  const unrecovered = (await readLedgers(world.env)).filter(
    (l) => l.open.length > 0 && l.cluster === server && !(l.pid !== null && isProcessAlive(l.pid)),
  );
  if (unrecovered.length > 0 && !opts.force) {
    const ids = unrecovered.map((l) => l.runId).join(', ');
    throw new EnvironmentError(
      `run ${ids} left ${unrecovered.reduce((a, l) => a + l.open.length, 0)} fault(s) unrecovered on this cluster`,
      `undo them with \`chaos recover --run ${unrecovered[0]!.runId}\` (or pass --force to run anyway)`,
    );
  }

  const runnersNamespace = runners?.namespace ?? plan.namespace;
  if (runners) await checkRunnerNodes(kube, runners.nodeSelector);

  const random = seededRandom(seed);
  if (opts.dryRun) return dryRun(plan, kube, out, random);

  const ledger = await Ledger.create(ledgerPath(runId, world.env));
  await ledger.append({
    kind: 'start',
    at: new Date().toISOString(),
    runId,
    cluster: server,
    context: kube.context,
    scenario: file,
    pid: process.pid,
  });

  // Before the first write of the run: a second run on this namespace stops here (exit 3, naming the holder).
  let lease: HeldLease;
  try {
    lease = await acquireLease(kube, ledger, { namespace: plan.namespace, runId });
  } catch (error) {
    await ledger.close(`refused: ${(error as Error).message}`);
    throw error;
  }
  out.info(`chaos: run ${runId} holds lease ${plan.namespace}/${LEASE_NAME}`);
  const leaseProblems: string[] = [];
  let renewing = false;
  const renewal = setInterval(() => {
    // One renewal at a time: through an API outage one waits (retried) rather than several racing on return.
    if (renewing) return;
    renewing = true;
    lease
      .renew()
      .finally(() => (renewing = false))
      .then(
        (r) => {
          if (!r.ok && leaseProblems.length === 0) {
            leaseProblems.push(`lost the lease ${plan.namespace}/${LEASE_NAME} to ${r.lost} during the run`);
            out.warn(leaseProblems[0]!);
          }
        },
        // The next renewal retries; the lease outlives three missed renewals (LEASE_DURATION_S).
        (error: unknown) => out.warn(`lease renewal failed: ${(error as Error).message}`),
      );
  }, LEASE_RENEW_MS);
  renewal.unref();

  const interrupt = new AbortController();
  let reverting = false;
  const dispose = world.onSignal((signal) => {
    if (!interrupt.signal.aborted) {
      out.info(
        `\nchaos: ${signal}: stopping the load and reverting every fault (a second signal will not interrupt the revert)`,
      );
      interrupt.abort();
      reverting = true;
    } else if (reverting) {
      out.info('chaos: still reverting faults; waiting for the revert to finish');
    } else {
      out.info('chaos: every fault is reverted; writing the reports');
    }
  });

  const script = custom ? await custom.writeEntry(reportDir) : undefined;
  const k6Run = (_: Plan, signal: AbortSignal): LoadHandle => {
    const run = runK6({
      ...k6Options,
      outDir: reportDir,
      script,
      signal,
      recentSeconds: stopLookBackS(plan),
      ...(rwSpec && rwSecrets
        ? {
            remoteWrite: {
              env: k6RemoteWriteEnv(rwSpec, rwSecrets.values),
              args: k6RemoteWriteArgs(runLabels(runId, scenario.metadata.name)),
            },
          }
        : {}),
    });
    return {
      started: run.loadStarted.then((d) => {
        if (!d) throw new EnvironmentError('k6 ended without sending a request');
        return d.getTime();
      }),
      finished: run.result.then((r) => ({
        summary: r.summary,
        exitCode: r.exitCode,
        error:
          r.failure && !r.isCanceled
            ? `${r.failure}${r.stderrTail ? `: ${r.stderrTail.trim().split('\n').slice(-3).join(' | ')}` : ''}`
            : null,
        scriptError: lastK6Error(r.stderrTail),
        ignoredOptions: custom?.ignoredOptions ?? [],
        thresholds: r.thresholds,
      })),
      live: () => run.live,
      recent: (seconds) => run.recent(seconds),
    };
  };

  const runnersRun = (_: Plan, signal: AbortSignal): LoadHandle => {
    const r = runners!;
    const load = runnerLoad!;
    const run = startRunners({
      kube,
      ledger,
      runId,
      namespace: runnersNamespace,
      count: r.count,
      image: r.image ?? `chaos.local/chaos:${chaosVersion()}`,
      cpu: r.cpu ?? '250m',
      memory: r.memory ?? '256Mi',
      nodeSelector: r.nodeSelector,
      env: load.env,
      files: load.files,
      binaryFiles: load.binaryFiles,
      script: load.script,
      secrets,
      windows: plan.k6.windows,
      scoreRange: plan.scenario.target.response.scoreRange,
      outDir: reportDir,
      signal,
      log: (line) => out.info(`${new Date().toISOString().slice(11, 19)} ${line}`),
    });
    return {
      started: run.started,
      finished: run.finished.then((o) => {
        if (o.skewMs !== null) out.info(`runners: first requests within ${o.skewMs} ms of each other`);
        return {
          summary: o.summary,
          exitCode: o.problem ? null : 0,
          error: o.cancelled ? null : o.problem,
          scriptError: null,
          ignoredOptions: custom?.ignoredOptions ?? [],
          thresholds: judgeMergedThresholds(
            plan.scenario.load.thresholds,
            o.summary,
            plan.windows.map((w) => w.name),
          ),
          runners: o.runners,
        };
      }),
      live: () => run.live(),
      recent: (seconds) => run.recent(seconds),
    };
  };

  // The handler stays until the reports are written: removed earlier, a second Ctrl-C right after the revert
  // would end the process by default, with exit status 130 unwritten and no report.
  try {
    let result: RunResult;
    try {
      result = await runPlan(
        plan,
        {
          kube,
          ledger,
          out,
          redact,
          startLoad: runners ? runnersRun : k6Run,
          http: fetchProbe(),
          ...(prom ? { prometheus: prom.context } : {}),
          ...(traces ? { traces: { backend: traces.backend, exemplars: traces.exemplars } } : {}),
          random,
          ...(rwSpec && rwSecrets
            ? {
                faultMarkers: {
                  url: rwSpec.url,
                  labels: runLabels(runId, scenario.metadata.name),
                  intervalMs: rwSpec.pushInterval.ms,
                  sink: {
                    push: (series) =>
                      pushSeries(
                        {
                          url: rwSpec.url,
                          headers: remoteWriteHeaders(rwSpec, rwSecrets.values),
                          insecureSkipVerify: rwSpec.insecureSkipVerify,
                        },
                        series,
                      ),
                  },
                },
              }
            : {}),
        },
        { runId, reportDir, interrupt: interrupt.signal, heldLedgerIds: [lease.ledgerId] },
      );
    } finally {
      clearInterval(renewal);
      // runPlan has reverted every fault by now: only then is the namespace free for the next run.
      await releaseHeldLease(kube, ledger, lease, out);
    }
    reverting = false;
    result.reasons.push(...leaseProblems);
    // Every fault is reverted by now (runPlan's finally); the ledger lives apart from the reports
    // (~/.local/state/chaos/runs), so it is closed whatever happens to them.
    let written: string[];
    try {
      written = await writeReports(reportDir, result);
    } catch (error) {
      await ledger.close(result.verdict);
      out.info('');
      out.info(renderConsoleSummary(result));
      throw new EnvironmentError(
        `the reports could not be written to ${reportDir}: ${(error as Error).message}`,
        `every fault was reverted and the run's ledger is closed (${ledger.file}); free space in ${reportDir} or pick another --report-dir`,
        { cause: error },
      );
    }
    await ledger.close(result.verdict);
    out.info('');
    out.info(renderConsoleSummary(result));
    out.info(`reports: ${reportDir} (${written.map((f) => path.basename(f)).join(', ')})`);
    return result;
  } finally {
    dispose();
  }
}

/** The longest look-back of the scenario's stop conditions, in seconds: how long the ingest keeps histograms. */
function stopLookBackS(plan: Plan): number {
  return Math.max(
    0,
    ...(plan.scenario.safety.stopWhen ?? []).map((c) => ('over' in c ? Math.ceil(c.over.ms / 1000) : 0)),
  );
}

/** Releases the run's lease through its ledger entry; a failure leaves the entry open for `chaos recover`. */
async function releaseHeldLease(kube: Kube, ledger: Ledger, lease: HeldLease, out: Output): Promise<void> {
  const open = replayLedger(ledger.file, await readFile(ledger.file, 'utf8')).open;
  const intent = open.find((i) => i.id === lease.ledgerId);
  if (!intent) return;
  try {
    out.info(`chaos: ${await undoEntry(kube, intent.undo)}`);
    await ledger.reverted(intent.id);
  } catch (error) {
    out.warn(
      `could not release lease ${lease.namespace}/${LEASE_NAME}: ${(error as Error).message}; it expires on its own, or run \`chaos recover\``,
    );
  }
}

/** The report directory exists and takes a file: created, written, synced and removed. */
export async function probeReportDir(reportDir: string): Promise<void> {
  const probe = path.join(reportDir, `.chaos-write-probe-${process.pid}`);
  try {
    await mkdir(reportDir, { recursive: true });
    const handle = await open(probe, 'w');
    try {
      await handle.writeFile('chaos\n');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rm(probe, { force: true });
  } catch (error) {
    await rm(probe, { force: true }).catch(() => undefined);
    throw new EnvironmentError(
      `cannot write the reports to ${reportDir}: ${(error as Error).message}`,
      'pick a writable directory with --report-dir; nothing was done to the cluster',
      { cause: error },
    );
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A custom script is loaded by k6 before anything touches a cluster: a script k6 cannot load is a mistake in
 * the scenario's input (exit 2, at load.script), and options the profile replaces are said once, up front.
 */
async function prepareScript(
  file: string,
  plan: Plan,
  k6Options: Omit<RunK6Options, 'outDir'>,
  out: Output,
): Promise<PreparedScript | null> {
  const l = plan.scenario.load;
  if (!l.script) return null;
  let prepared: PreparedScript;
  try {
    prepared = await prepareCustomScript({
      k6Bin: k6Options.k6Bin!,
      script: path.resolve(path.dirname(file), l.script),
      exec: l.exec ?? 'default',
      env: k6Env({ ...k6Options, outDir: '.' }),
    });
  } catch (error) {
    if (!(error instanceof ScriptRejected)) throw error;
    const d = await diagnosticAt(file, ['load', 'script'], `${l.script}: ${error.message}`);
    throw new InvalidInputError([formatDiagnostic(d)]);
  }
  if (prepared.ignoredOptions.length > 0)
    out.warn(
      `${l.script} sets ${prepared.ignoredOptions.join(', ')}; the scenario's load profile (${l.executor}) replaces them`,
    );
  return prepared;
}

/**
 * What the runner pods are given, made before any cluster call: their k6 environment (no secret in it: those go
 * to the runners' Secret), and the files of their ConfigMap. The built-in script goes as its two modules; a
 * custom script as k6's archive of it, so the local modules it imports and the files it open()s travel with it.
 * A ConfigMap holds at most 1 MiB: a bigger script is refused here, at load.script (exit 2).
 */
async function prepareRunnerLoad(
  file: string,
  plan: Plan,
  k6Options: Omit<RunK6Options, 'outDir'>,
  runnersUrl: string,
  custom: PreparedScript | null,
  secrets: Record<string, string>,
): Promise<{
  env: Record<string, string>;
  files: Record<string, string>;
  binaryFiles: Record<string, Uint8Array>;
  script: string;
}> {
  const payload = k6Options.payloadFile;
  const golden = k6Options.golden;
  const request = new URL(k6Options.targetUrl);
  const env = k6Env({
    ...k6Options,
    // Judged once on the merged load (judgeMergedThresholds), never by each runner on its share.
    thresholds: undefined,
    outDir: '.',
    // The protocol decides the path (V2's /v2/models/…/infer); the runners only move the origin.
    targetUrl: new URL(runnersUrl).origin + request.pathname + request.search,
    payloadFile: payload === undefined ? undefined : `${MOUNT}/payload.json`,
    // Every runner replays the same rows; k6 numbers iterations across all segments (iterationInTest), so the
    // runners together send each golden row exactly where one local k6 would.
    golden: golden === undefined ? undefined : { file: `${MOUNT}/golden.json`, every: golden.every },
    // Secrets reach the pods through their Secret only.
    endpointKey: undefined,
    extraEnv: plan.k6.env,
    // Nothing of this machine's environment (PATH, HOME, ...) belongs in a pod's.
    env: {},
  });
  const files: Record<string, string> = {
    [AGENT_FILE]: AGENT_SOURCE,
    ...(payload === undefined ? {} : { 'payload.json': readFileSync(payload, 'utf8') }),
    ...(golden === undefined ? {} : { 'golden.json': readFileSync(golden.file, 'utf8') }),
  };
  const binaryFiles: Record<string, Uint8Array> = {};
  let script = SCRIPT_FILE;
  if (custom) {
    const scriptPath = plan.scenario.load.script!;
    // k6 would judge a script's own thresholds on each runner's share: a p95 of one share is not the load's.
    if (custom.thresholds.length > 0) {
      const d = await diagnosticAt(
        file,
        ['load', 'script'],
        `${scriptPath} sets options.thresholds (${custom.thresholds.join(', ')}), which k6 would judge on each runner's share: move them to load.thresholds, which the harness judges once on the merged load`,
      );
      throw new InvalidInputError([formatDiagnostic(d)]);
    }
    try {
      // The init code runs as in the pods: their environment, with the secrets it may read at init.
      binaryFiles[ARCHIVE_FILE] = await custom.archive({ ...env, ...secrets });
    } catch (error) {
      if (!(error instanceof ScriptRejected)) throw error;
      const d = await diagnosticAt(file, ['load', 'script'], `${scriptPath}: ${error.message}`);
      throw new InvalidInputError([formatDiagnostic(d)]);
    }
    script = ARCHIVE_FILE;
  } else {
    const dir = path.dirname(builtinScript());
    files[SCRIPT_FILE] = readFileSync(path.join(dir, 'score.ts'), 'utf8');
    files['harness.ts'] = readFileSync(path.join(dir, 'harness.ts'), 'utf8');
  }
  const bytes =
    Object.values(files).reduce((n, f) => n + Buffer.byteLength(f), 0) +
    // binaryData is stored base64: 4 bytes for every 3.
    Object.values(binaryFiles).reduce((n, f) => n + Math.ceil(f.byteLength / 3) * 4, 0);
  if (bytes > CONFIGMAP_MAX_BYTES) {
    const what = custom
      ? `${plan.scenario.load.script!} with the modules it imports and the files it opens`
      : 'the payload and golden rows';
    const at = custom ? ['load', 'script'] : golden ? ['load', 'golden'] : ['load', 'payload'];
    const d = await diagnosticAt(
      file,
      at,
      `${what} come to ${Math.ceil(bytes / 1024)} KiB in the runners' ConfigMap, which holds at most ${Math.floor(CONFIGMAP_MAX_BYTES / 1024)} KiB: make them smaller, or drop load.runners`,
    );
    throw new InvalidInputError([formatDiagnostic(d)]);
  }
  return { env, files, binaryFiles, script };
}

/**
 * kubectl faults, before any cluster call: their arguments checked against the namespace this run really
 * uses (validation checked target.namespace; `--namespace` may move the run), and kubectl found — a missing
 * one is exit 3 here, not a fault that fails half-way through the run.
 */
async function prepareKubectl(file: string, plan: Plan, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const faults = plan.scenario.faults.flatMap((f, i) => (f.type === 'kubectl' ? [{ f, i }] : []));
  if (faults.length === 0) return undefined;
  const problems: string[] = [];
  for (const { f, i } of faults)
    for (const step of ['capture', 'inject', 'confirm', 'undo'] as const) {
      const args = f[step];
      if (!args) continue;
      for (const x of kubectlArgIssues(args, {
        namespace: plan.namespace,
        step,
        hasCapture: f.capture !== undefined,
      }))
        problems.push(
          formatDiagnostic(
            await diagnosticAt(file, ['faults', i, step, ...(x.index === null ? [] : [x.index])], x.message),
          ),
        );
    }
  if (problems.length > 0) throw new InvalidInputError(problems);
  return findKubectl(env);
}

/** A node selector no schedulable node matches would leave every runner Pending: a fact of the cluster, exit 3. */
async function checkRunnerNodes(kube: Kube, selector: Record<string, string> | undefined): Promise<void> {
  if (!selector) return;
  const nodes = await kube.listNodes();
  const match = nodes.filter((n) => !n.spec?.unschedulable && matchesSelector(n.metadata?.labels, selector));
  if (match.length === 0)
    throw new EnvironmentError(
      `load.runners.nodeSelector ${JSON.stringify(selector)} matches no schedulable node (of ${nodes.length})`,
      'check the node labels with `kubectl get nodes --show-labels`',
    );
}

function checkNamespace(plan: Plan): void {
  const ns = plan.namespace;
  const allowed = plan.scenario.safety.allowedNamespaces;
  if ((PROTECTED_NAMESPACES as readonly string[]).includes(ns)) {
    throw new InvalidInputError([`--namespace ${ns}: a system namespace; chaos never runs there`]);
  }
  if (allowed && !allowed.includes(ns)) {
    throw new InvalidInputError([
      `--namespace ${ns}: not in the scenario's safety.allowedNamespaces (${allowed.join(', ')})`,
    ]);
  }
}

async function checkContext(
  plan: Plan,
  context: string,
  opts: RunOptions,
  out: Output,
  world: RunEnvironment,
): Promise<void> {
  const allowed = plan.scenario.safety.allowedContexts;
  if (!allowed || allowed.includes(context) || opts.yes) return;
  const message = `context "${context}" is not in the scenario's safety.allowedContexts (${allowed.join(', ')})`;
  if (!world.stdinIsTTY || opts.json)
    throw new InvalidInputError([`${message}; pass --yes to run against it anyway`]);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${message}. Run against it anyway? [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new InvalidInputError([`${message}; refused at the prompt`]);
  } finally {
    rl.close();
  }
  out.info(`chaos: running against ${context} as confirmed at the prompt`);
}

export async function dryRun(plan: Plan, kube: Kube, out: Output, random: () => number): Promise<RunResult> {
  out.info(
    `dry run: ${plan.scenario.metadata.name}, ${formatDuration(plan.totalMs)} of load; no write will be made`,
  );
  const targets = await kube.listPods(plan.namespace, plan.scenario.target.selector);
  out.info(
    `targets now: ${targets.length} pod(s) match ${JSON.stringify(plan.scenario.target.selector)} in ${plan.namespace}`,
  );
  for (const { fault, lines } of await previewFaults(plan, kube, random)) {
    for (const line of lines) out.info(`  at ${formatDuration(fault.atMs)}: ${line}`);
  }
  out.info(`writes made: ${kube.writes}`);
  const now = new Date().toISOString();
  // Its own verdict: exit 0 says the dry run worked, and INCONCLUSIVE would read as "a run that could not judge".
  const result: RunResult = {
    schemaVersion: RESULT_SCHEMA_VERSION,
    runId: 'dry-run',
    scenario: {
      name: plan.scenario.metadata.name,
      description: plan.scenario.metadata.description,
      file: plan.file,
      labels: plan.scenario.metadata.labels,
    },
    cluster: { context: kube.context, namespace: plan.namespace },
    startedAt: now,
    loadStartedAt: null,
    finishedAt: now,
    durationS: 0,
    timeScale: plan.timeScale,
    seed: plan.seed,
    verdict: 'DRY-RUN',
    exitCode: ExitCode.Pass,
    reasons: ['dry run: nothing was injected and no load was sent'],
    slos: [],
    faults: [],
    windows: [],
    timeline: [],
    events: [],
    errorBudget: null,
    artifacts: {},
  };
  out.info(renderConsoleSummary(result));
  return result;
}
