/**
 * One scenario, end to end: safety checks → plan → run → reports, for `chaos run` and `chaos gameday` alike.
 * Throws only for input/environment errors; the run's own outcome is in the result.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { fetchProbe, promqlScalar } from '../adapters/http.js';
import { Kube } from '../adapters/kube.js';
import { findKubectl } from '../adapters/kubectl.js';
import type { Output } from '../adapters/output.js';
import { EnvironmentError, ExitCode, InvalidInputError } from '../errors.js';
import { previewFaults } from '../faults/registry.js';
import { Ledger, ledgerPath, readLedgers } from '../ledger/ledger.js';
import { prepareCustomScript, ScriptRejected, lastK6Error, type PreparedScript } from '../load/entry.js';
import { findK6, k6Env, runK6, type RunK6Options } from '../load/k6.js';
import { buildPlan, type Plan } from '../plan/plan.js';
import { renderConsoleSummary, writeReports } from '../report/index.js';
import { formatDiagnostic } from '../scenario/diagnostics.js';
import { diagnosticAt } from '../scenario/parse.js';
import { readGoldenFile, type GoldenSet } from '../scenario/golden.js';
import type { Scenario } from '../scenario/schema.js';
import { PROTECTED_NAMESPACES } from '../scenario/semantic.js';
import { kubectlArgIssues } from '../scenario/kubectl-rules.js';
import { RESULT_SCHEMA_VERSION, type RunResult } from '../verdict/result.js';
import { runPlan, type LoadHandle } from './orchestrator.js';
import { makeRedactor } from './redact.js';
import { seededRandom } from './random.js';
import { formatDuration } from '../scenario/units.js';
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
  const result = await runOne(file, withTargetOrigin(scenario, opts.targetOrigin), opts, out, world, runId);
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

/** The golden set, read again at run time: validation read it too, but the file may have changed since. */
function goldenOf(file: string, scenario: Scenario): { file: string; set: GoldenSet } | undefined {
  const golden = scenario.load.golden;
  if (!golden) return undefined;
  const resolved = path.resolve(path.dirname(file), golden.file);
  const read = readGoldenFile(resolved, golden.file, scenario.load.payload.features);
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

  // Secrets come from the caller's environment; a missing one is a setup problem, caught before any write.
  const secrets: Record<string, string> = {};
  for (const name of plan.k6.secretEnv) {
    const value = world.env[name];
    if (value === undefined)
      throw new EnvironmentError(`secret ${name} (load.secretEnv) is not set in the environment`);
    secrets[name] = value;
  }
  const redact = makeRedactor(Object.values(secrets));
  const k6Bin = findK6(world.env);
  const k6Options: Omit<RunK6Options, 'outDir'> = {
    targetUrl: plan.scenario.target.url,
    windows: plan.k6.windows,
    scenario: plan.k6.scenario,
    thresholds: Object.keys(plan.k6.thresholds).length > 0 ? plan.k6.thresholds : undefined,
    features: plan.k6.features,
    rows: plan.k6.rows,
    oversizeRows: plan.k6.oversizeRows || undefined,
    oversizeEvery: plan.k6.oversizeEvery,
    payloadFile: plan.scenario.load.payload.file
      ? path.resolve(path.dirname(file), plan.scenario.load.payload.file)
      : undefined,
    answerPaths: plan.k6.answers,
    scoreRange: plan.scenario.target.response.scoreRange,
    golden: plan.golden ? { file: plan.golden.file, every: plan.golden.every } : undefined,
    seed,
    requestTimeout: '10s',
    endpointKey: secrets.ENDPOINT_KEY,
    extraEnv: { ...plan.k6.env, ...secrets },
    k6Bin,
    env: world.env,
  };
  const custom = await prepareScript(file, plan, k6Options, out);
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

  // Ended or not: a run that ended with a failed revert left its fault behind just the same.
  const unrecovered = (await readLedgers(world.env)).filter((l) => l.open.length > 0 && l.cluster === server);
  if (unrecovered.length > 0 && !opts.force) {
    const ids = unrecovered.map((l) => l.runId).join(', ');
    throw new EnvironmentError(
      `run ${ids} left ${unrecovered.reduce((a, l) => a + l.open.length, 0)} fault(s) unrecovered on this cluster`,
      `undo them with \`chaos recover --run ${unrecovered[0]!.runId}\` (or pass --force to run anyway)`,
    );
  }

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
    }
  });

  const script = custom ? await custom.writeEntry(reportDir) : undefined;
  const k6Run = (_: Plan, signal: AbortSignal): LoadHandle => {
    const run = runK6({ ...k6Options, outDir: reportDir, script, signal });
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
    };
  };

  let result: RunResult;
  try {
    result = await runPlan(
      plan,
      {
        kube,
        ledger,
        out,
        redact,
        startLoad: k6Run,
        http: fetchProbe(),
        promql: (url, query) => promqlScalar(url, query),
        random,
      },
      { runId, reportDir, interrupt: interrupt.signal },
    );
  } finally {
    dispose();
  }
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
