/**
 * The phases of one run, in the order runPlan calls them: preflight → steady state before → load start →
 * baseline → inject → fault window → triage → revert → recovery → steady state again → verdict. Each reads
 * and extends the RunState; none reverts on its own error — runPlan's `finally` does, whatever phase threw.
 */
import { statfs } from 'node:fs/promises';
import { queryInstant } from '../adapters/prometheus.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpProbe } from '../adapters/http.js';
import { firstAt } from '../scenario/answer-path.js';
import type { Deployment, HorizontalPodAutoscaler, Kube, Pod } from '../adapters/kube.js';
import { burnRates } from '../budget/burn-rate.js';
import { ChaosError, ExitCode } from '../errors.js';
import { faultPlugin } from '../faults/registry.js';
import type { LiveStats } from '../load/ingest.js';
import { toTimeline, toWindowStats, type WindowSummary } from '../load/summary.js';
import { K6_FILES } from '../load/k6.js';
import { k6ErrorName, serverSideChecks, type WindowSend } from '../observe/prometheus.js';
import { sampleAt, ScalingObserver, type HpaSample, type ScalingTimeline } from '../observe/scaling.js';
import { checkStopConditions, type StopReadings } from '../observe/stop-conditions.js';
import { collectTriage } from '../observe/triage.js';
import { windowAt, type Plan } from '../plan/plan.js';
import { applyCoverage, applyCutShort, describeShortfall, measureCoverage } from '../verdict/coverage.js';
import {
  RESULT_SCHEMA_VERSION,
  type RunResult,
  type ApiOutage,
  type ScalingRecord,
  type StopRecord,
  type Verdict,
  type WindowName,
} from '../verdict/result.js';
import { qualityStats } from '../verdict/quality.js';
import { budgetTarget, judgeSlos, overallVerdict, type WindowEvidence } from '../verdict/slo.js';
import { thresholdChecks } from '../verdict/thresholds.js';
import { cutShort, note, revertAll, round, type RunState } from './state.js';
import { checkSteadyState } from './steady-state.js';
import { traceEvidence } from './traces.js';
import { resolveRunners } from '../scenario/runner-rules.js';

/** Finds the targets and records what recovery is measured against: replicas and model version before. */

export async function preflight(state: RunState): Promise<void> {
  const { plan, deps } = state;
  const s = plan.scenario;
  note(
    state,
    'phase',
    `preflight: ${s.metadata.name} against ${plan.namespace} (context ${deps.kube.context})`,
  );
  const targets = await deps.kube.listPods(plan.namespace, s.target.selector);
  if (targets.length === 0) {
    throw new ChaosError(
      ExitCode.Environment,
      `target selector ${JSON.stringify(s.target.selector)} matches no pod in namespace ${plan.namespace}`,
      'check target.namespace and target.selector with `chaos plan`',
    );
  }
  if (s.target.deployment) {
    state.desiredReplicas =
      (await deps.kube.readDeployment(plan.namespace, s.target.deployment)).spec?.replicas ?? null;
  }
  const field = s.target.modelVersion.urlField;
  if (s.target.versionUrl && field)
    state.versionBefore = await deps.http.modelVersion(s.target.versionUrl, (doc) => firstAt(doc, field));
}

/** False when the system is not healthy to begin with: the experiment would then mean nothing. */
export async function steadyStateBefore(state: RunState): Promise<boolean> {
  const steady = await checkSteadyState(state.plan, state.deps.kube, state.deps.http, 'before');
  for (const line of steady.lines) note(state, 'phase', `steady state before: ${line}`);
  if (!steady.ok) {
    state.reasons.push(`steady state did not hold before the experiment: ${steady.failures.join('; ')}`);
    return false;
  }
  return true;
}

/** Watches the target pods and starts k6; returns once k6 sent its first request (the timeline's zero). */
export async function startLoad(state: RunState): Promise<void> {
  const { plan, deps } = state;
  const s = plan.scenario;
  const watches = [
    deps.kube.watch<Pod>(
      `/api/v1/namespaces/${plan.namespace}/pods`,
      {
        labelSelector: Object.entries(s.target.selector)
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
      },
      (e) => state.pods.apply(e),
    ),
  ];
  // Only a scaling SLO reads the autoscaler: other scenarios need (and, scheduled, are granted) no HPA access.
  if (s.target.deployment && s.slos.some((slo) => slo.type === 'scaling')) {
    const scaling = new ScalingObserver(s.target.deployment, (now, before) => {
      if (now.desired !== before?.desired) note(state, 'note', describeHpaChange(now, before));
    });
    state.scaling = scaling;
    watches.push(
      deps.kube.watch<HorizontalPodAutoscaler>(
        `/apis/autoscaling/v2/namespaces/${plan.namespace}/horizontalpodautoscalers`,
        {},
        (e) => scaling.applyHpa(e),
      ),
      deps.kube.watch<Deployment>(
        `/apis/apps/v1/namespaces/${plan.namespace}/deployments`,
        { fieldSelector: `metadata.name=${s.target.deployment}` },
        (e) => scaling.applyDeployment(e),
      ),
    );
  }
  state.watch = { stop: () => watches.forEach((w) => w.stop()) };

  note(
    state,
    'phase',
    `load: k6 ${String(plan.k6.scenario.executor)} for ${plan.totalMs / 1000}s → ${runnersNote(plan) ?? plan.k6.request.url}${plan.k6.request.protocol === 'json' ? '' : ` (protocol ${plan.k6.request.protocol})`}`,
  );
  const load = deps.startLoad(plan, state.loadAbort.signal);
  state.load = load;
  // k6 ends after the fault window when all goes well; before it, the run is cut short.
  const ended = () =>
    cutShort(state, `k6 ended ${fmtClock(Date.now() - (state.loadStartMs ?? Date.now()))} into the load`);
  load.finished.then(ended, ended);
  state.diskWatch = setInterval(() => void checkReportDir(state), REPORT_DIR_CHECK_MS);
  state.diskWatch.unref();
  state.loadStartMs = await Promise.race([
    load.started,
    load.finished.then((o) => {
      throw new ChaosError(
        ExitCode.Environment,
        `k6 exited before sending load: ${o.error ?? `exit ${o.exitCode}`}`,
      );
    }),
    sleep(60_000, undefined, { ref: false }).then(() => {
      throw new ChaosError(ExitCode.Environment, 'k6 sent no request within 60s');
    }),
  ]);
}

/** The baseline window runs under load; from here on a progress line shows where the run is. */
export function baseline(state: RunState): void {
  const { plan, deps } = state;
  const t0 = loadStart(state);
  note(state, 'phase', `baseline window (${(plan.windows[0]!.endMs - plan.windows[0]!.startMs) / 1000}s)`);
  // A live line redraws every second on a TTY; logs get a line every 10 s, not a flood.
  let ticks = 0;
  state.progress = setInterval(() => {
    if (!deps.out.isTTY && ticks++ % 10 !== 0) return;
    const live = state.load?.live();
    const t = Date.now() - t0;
    deps.out.progress(
      `[${windowAt(plan, t)} ${fmtClock(t)}/${fmtClock(plan.totalMs)}] ${live ? liveLine(live) : 'waiting for data'} · ready ${state.pods.readyCount()}${state.desiredReplicas ? `/${state.desiredReplicas}` : ''}`,
    );
  }, 1000);
  state.progress.unref();
}

/** Each fault at its time; the fault window is announced with the first. Stops early on an interrupt. */
export async function inject(state: RunState): Promise<void> {
  const { plan, deps, ctx } = state;
  const t0 = loadStart(state);
  let faultWindowAnnounced = false;
  for (const f of [...plan.faults].sort((a, b) => a.atMs - b.atMs)) {
    if (!(await waitUntil(t0 + f.atMs, stopWaiting(state)))) break;
    // A fault goes in only where its evidence can be written.
    if (!(await checkReportDir(state))) break;
    if (!faultWindowAnnounced) {
      note(state, 'phase', 'fault window');
      faultWindowAnnounced = true;
    }
    note(state, 'fault', `inject ${f.spec.type}`);
    state.faultStartedMs.push(Date.now());
    const plugin = faultPlugin(f.spec);
    const injection = await plugin.inject(f.spec, {
      kube: deps.kube,
      ledger: deps.ledger,
      plan,
      runId: ctx.runId,
      namespace: plan.namespace,
      random: deps.random,
      log: (line) => note(state, 'note', line),
      signal: state.faultAbort.signal,
      windowEndMs: t0 + plan.windows[1]!.endMs,
      redact: deps.redact,
    });
    state.injections.push(injection);
    state.faultRecords.push(injection.record);
    // One 'fault' event per injection ("inject …" above): the charts draw a marker for each.
    note(
      state,
      'note',
      `${f.spec.type}: ${injection.record.description}${injection.record.confirmed ? '' : ' — NOT CONFIRMED'}`,
    );
  }
}

/**
 * Waits out the fault window; false when interrupted first (triage and the revert phase are then skipped), when
 * a stop condition held (the orchestrator then reverts at once and times it: stopped()), or when k6 ended first:
 * then every fault is reverted here, before anything else, since nothing measures it.
 */
export async function faultWindow(state: RunState): Promise<boolean> {
  const { plan, ctx } = state;
  const end = loadStart(state) + plan.windows[1]!.endMs;
  const ok = (await waitUntil(end, stopWaiting(state))) && (await checkReportDir(state));
  if (state.stop || (state.contactLostAtMs !== null && !state.cutShort.signal.aborted)) return false;
  if (ok || ctx.interrupt.aborted || (Date.now() >= end && !state.environmentProblem))
    return !ctx.interrupt.aborted;
  note(
    state,
    'phase',
    `${state.cutShortReason ?? 'cut short'}, before the fault window ended: reverting every fault now`,
  );
  await revertAll(state);
  return false;
}

/** A wait of the fault phases ends on an interrupt, a stop condition (halt) or when the run is cut short. */
function stopWaiting(state: RunState): AbortSignal {
  return AbortSignal.any([state.ctx.interrupt, state.halt.signal, state.cutShort.signal]);
}

/** Errors that say the report directory cannot take a file: an environment problem, not a bug. */
const REPORT_DIR_ERRORS = new Set([
  'ENOSPC',
  'EDQUOT',
  'EROFS',
  'EACCES',
  'EPERM',
  'ENOTDIR',
  'EEXIST',
  'ENOENT',
]);

/** How often the report directory's free space is looked at while the load runs. */
const REPORT_DIR_CHECK_MS = 1000;
/** Below this, k6's output (about 3 KB per request) and the reports cannot be written: the run stops. */
export const REPORT_DIR_MIN_FREE_BYTES = 64 * 1024;

/**
 * False, and the run cut short with an environment problem, when the report directory has become full or
 * read-only: k6's raw output goes there, so the run could neither measure nor keep its evidence.
 */
export async function checkReportDir(state: RunState): Promise<boolean> {
  if (state.environmentProblem) return false;
  const dir = state.ctx.reportDir;
  let problem: string | null = null;
  try {
    const fs = await statfs(dir);
    const free = fs.bavail * fs.bsize;
    if (free < REPORT_DIR_MIN_FREE_BYTES)
      problem = `the report directory ${dir} is full (${free} bytes free, ${REPORT_DIR_MIN_FREE_BYTES} needed)`;
  } catch (error) {
    problem = `the report directory ${dir} cannot be read: ${(error as Error).message}`;
  }
  if (problem === null) return true;
  if (state.environmentProblem) return false;
  state.environmentProblem = problem;
  state.reasons.push(problem);
  // k6's output cannot be stored: stop it too.
  state.loadAbort.abort();
  cutShort(state, problem);
  return false;
}

/** How often the stop conditions are read: twice a second keeps the reaction within a second of the data. */
export const STOP_CHECK_MS = 500;

/**
 * Checks safety.stopWhen from load start to the end of the fault window. The first condition that holds
 * halts the fault phase (no further injection; a fault still injecting is told to stop), and the
 * orchestrator reverts at once; the load goes on to the end of its windows.
 */
export function watchStopConditions(state: RunState): void {
  const { plan, deps } = state;
  const conditions = plan.scenario.safety.stopWhen ?? [];
  if (conditions.length === 0) return;
  const t0 = loadStart(state);
  const until = t0 + plan.windows[1]!.endMs;
  let busy = false;
  const readings: StopReadings = {
    recent: (seconds) => state.load?.recent(seconds) ?? null,
    readyPods: () => state.pods.readyAt(Date.now()),
    // Straight to the adapter, not the run's query log: twice a second would bury the SLOs' queries.
    promql: async (url, query) => {
      const conn = deps.prometheus?.connection(url) ?? { url };
      const series = await queryInstant({ ...conn, url, timeoutMs: 2_000 }, query, Date.now() / 1000);
      return series[0]?.values[0]?.[1] ?? null;
    },
  };
  state.stopTimer = setInterval(() => {
    if (busy || state.halt.signal.aborted || Date.now() > until) {
      if (state.halt.signal.aborted || Date.now() > until) clearInterval(state.stopTimer);
      return;
    }
    busy = true;
    const checkedAt = Date.now();
    checkStopConditions(conditions, readings)
      .then((trip) => {
        if (!trip || state.halt.signal.aborted) return;
        state.stop = {
          condition: trip.condition,
          measured: trip.measured,
          at: new Date(checkedAt).toISOString(),
          t: round((checkedAt - t0) / 1000),
          revertStartMs: null,
          reactionMs: null,
        };
        note(state, 'phase', `stopped by ${trip.condition}: ${trip.measured}; reverting every fault now`);
        state.halt.abort();
        state.faultAbort.abort();
      })
      .catch((error: unknown) =>
        note(state, 'note', `stop condition check failed: ${(error as Error).message}`),
      )
      .finally(() => (busy = false));
  }, STOP_CHECK_MS);
  state.stopTimer.unref();
}

/** After a stop: every fault out at once, the reaction time measured; then triage, on what is left to see. */
export async function stopped(state: RunState): Promise<void> {
  const stop = state.stop!;
  const trippedAt = Date.parse(stop.at);
  stop.revertStartMs = Date.now() - trippedAt;
  note(state, 'phase', 'revert faults (stopped); recovery window');
  await revertAll(state);
  stop.reactionMs = Date.now() - trippedAt;
  note(
    state,
    'phase',
    `faults reverted ${(stop.reactionMs / 1000).toFixed(2)} s after ${stop.condition} held (revert started after ${(stop.revertStartMs / 1000).toFixed(2)} s)`,
  );
  state.reasons.push(stopReason(stop));
  await triage(state);
}

/**
 * After contact with the API server was lost in the fault phase: every fault out as soon as the server answers
 * again (each undo waits for it, within the retry policy's bound), then triage on what is left to see.
 */
export async function revertAfterLostContact(state: RunState): Promise<void> {
  state.revertStartedMs = Date.now();
  note(state, 'phase', 'revert faults (lost contact with the API server); recovery window');
  await revertAll(state, { keepLoad: true });
  note(
    state,
    'phase',
    `faults reverted ${((Date.now() - state.contactLostAtMs!) / 1000).toFixed(1)} s after contact was lost`,
  );
  await triage(state);
}

export function stopReason(stop: StopRecord): string {
  return `stopped by ${stop.condition} at t=${stop.t ?? '?'}s (${stop.at}): ${stop.measured}; faults reverted ${stop.reactionMs === null ? '(revert did not complete)' : `${(stop.reactionMs / 1000).toFixed(2)} s`} after it held`;
}

/** The most informative moment for triage: the fault is still in place. */
export async function triage(state: RunState): Promise<void> {
  const { plan, deps, ctx } = state;
  if (plan.faults.length === 0) return;
  const s = plan.scenario;
  let result: Awaited<ReturnType<typeof collectTriage>>;
  try {
    result = await collectTriage({
      kube: deps.kube,
      namespace: plan.namespace,
      selector: s.target.selector,
      service: s.target.service,
      focus: state.pods.podsCreatedAfter(loadStart(state)).map((p) => p.name),
      dir: `${ctx.reportDir}/triage`,
      redact: deps.redact,
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (!code || !REPORT_DIR_ERRORS.has(code)) throw error;
    // The revert comes next either way; the run then ends with exit 3 instead of a stack trace.
    const problem = `cannot write triage into the report directory ${ctx.reportDir}: ${(error as Error).message}`;
    state.environmentProblem ??= problem;
    state.reasons.push(problem);
    note(state, 'note', problem);
    return;
  }
  state.previousLogs = result.previousLogs;
  result.files.forEach((f, i) => (state.artifacts[`triage-${i + 1}`] = f));
}

/** Ends the fault window: everything the ledger holds open is undone, and the recovery window begins. */
export async function revert(state: RunState): Promise<void> {
  state.revertStartedMs = Date.now();
  note(state, 'phase', state.plan.faults.length > 0 ? 'revert faults; recovery window' : 'recovery window');
  await revertAll(state, { keepLoad: true });
}

/** The recovery window lasts until k6 ends; then its outcome is known. */
export async function recovery(state: RunState): Promise<void> {
  const outcome = await loadHandle(state).finished;
  state.outcome = outcome;
  if (outcome.error && !state.ctx.interrupt.aborted) state.reasons.push(`k6: ${outcome.error}`);
}

/** The system must be healthy again after the experiment, within a grace period. */
export async function steadyStateAfter(state: RunState): Promise<void> {
  const after = await waitForSteadyState(state.plan, state.deps.kube, state.deps.http, state.ctx.interrupt);
  for (const line of after.lines) note(state, 'phase', `steady state after: ${line}`);
  if (!after.ok)
    state.reasons.push(`steady state did not return after the experiment: ${after.failures.join('; ')}`);
}

/** Reverts (again), judges the SLOs, k6 thresholds and load coverage, and builds the result document. */
export async function verdict(state: RunState, forced: Verdict | null): Promise<RunResult> {
  const { plan, deps, ctx, reasons, faultRecords, pods, outcome, loadStartMs } = state;
  const s = plan.scenario;
  // Before the result is built: on an interrupt this is the only revert whose outcome reaches it.
  await revertAll(state);
  const contact = await apiContact(state);
  if (contact.outages.length > 0) reasons.push(describeLostContact(contact));
  const summary = outcome?.summary;
  const windowStats = summary ? toWindowStats(summary) : [];
  const evidence: Partial<Record<WindowName, WindowEvidence>> = {};
  for (const w of summary?.windows ?? []) {
    const stats = windowStats.find((x) => x.window === w.window);
    if (!stats) continue;
    const quality = qualityStats(w.answers, s.target.response.scoreRange, plan.golden?.labels ?? null);
    if (quality) stats.quality = quality;
    evidence[w.window as WindowName] = {
      ...stats,
      statusByPayload: w.statusByPayload,
      modelVersions: w.modelVersions,
      longestGapS: w.longestGap ? w.longestGap.seconds : w.successes > 0 ? 0 : null,
      answers: w.answers,
    };
  }
  // Judged only on a load that ran to its end: an interrupted run is INCONCLUSIVE anyway.
  const coverage =
    summary && !ctx.interrupt.aborted
      ? measureCoverage(plan, {
          windows: summary.windows,
          perSecond: summary.timeline.map((p) => p.requests),
        })
      : [];
  for (const c of coverage) {
    if (c.ok) continue;
    const why = outcome?.scriptError ? `; k6 logged: ${outcome.scriptError}` : '';
    reasons.push(`${describeShortfall(c)}${why}`);
  }
  const perSecond = summary ? toTimeline(summary) : [];
  const scaling = state.scaling?.timeline() ?? null;
  const prometheus = deps.prometheus ?? null;
  const loadEndMs = loadStartMs === null ? null : loadStartMs + plan.totalMs;
  // The last window's end must be scraped (and a step past it) before a query over it means anything.
  if (prometheus && loadEndMs !== null)
    await waitUntil(loadEndMs + (2 * prometheus.stepS + 1) * 1000, ctx.interrupt);
  const judgedSlos = await judgeSlos(plan, {
    load: evidence,
    pods,
    faults: faultRecords,
    loadStartMs,
    desiredReplicas: state.desiredReplicas,
    versionBefore: state.versionBefore,
    previousLogs: state.previousLogs,
    prometheus,
    scaling,
    perSecond,
  });
  const windowEndMs: Record<string, number> = { all: plan.totalMs };
  for (const w of plan.windows) windowEndMs[w.name] = w.endMs;
  // Cut short before the fault window ended, the run stopped observing (and reverted) early; later, it
  // observed every fault to its revert, and load coverage judges what k6 missed of the recovery window.
  const cut =
    state.cutShortAtMs !== null &&
    loadStartMs !== null &&
    !ctx.interrupt.aborted &&
    state.cutShortAtMs < loadStartMs + plan.windows[1]!.endMs
      ? { atMs: state.cutShortAtMs - loadStartMs, reason: state.cutShortReason ?? 'cut short' }
      : null;
  const judgedAndCovered = applyCutShort(applyCoverage(judgedSlos, coverage), windowEndMs, cut);
  const traced =
    deps.traces && summary && loadStartMs !== null && !ctx.interrupt.aborted
      ? await traceEvidence({
          backend: deps.traces.backend,
          perSlo: deps.traces.exemplars,
          slos: judgedAndCovered,
          windows: summary.windows,
          loadStartMs,
          reportDir: ctx.reportDir,
        })
      : null;
  if (traced?.record.problem) note(state, 'note', traced.record.problem);
  const slos = traced?.slos ?? judgedAndCovered;
  const serverSide =
    prometheus && s.prometheus && summary && loadStartMs !== null && loadEndMs !== null
      ? await serverSideChecks({
          ctx: prometheus,
          metrics: s.prometheus.metrics,
          maxUnexplained: s.prometheus.reconcile.maxUnexplained.ratio,
          loadStartMs,
          loadEndMs,
          windows: sendsByWindow(plan, summary.windows, loadStartMs),
        })
      : undefined;
  for (const row of serverSide?.reconciliation ?? [])
    if (row.flagged)
      note(
        state,
        'phase',
        `reconciliation (${row.window}): ${row.unexplained} requests sent but neither counted by a server nor failed at connection level (${(row.unexplainedShare * 100).toFixed(2)}%)`,
      );
  const thresholds = outcome?.thresholds ?? [];
  const judged = overallVerdict([...slos, ...thresholdChecks(thresholds)], faultRecords);
  // A stop condition that held is a finding, whatever the SLOs say: the run could not be let to finish.
  // Contact lost: the pod watch, recovery and triage saw nothing while it lasted; the run is not judged.
  let verdict =
    forced ?? (state.stop ? 'FAIL' : contact.outages.length > 0 ? 'INCONCLUSIVE' : judged.verdict);
  // Anything that went wrong around the SLOs (a failed revert, k6 dying, steady state not returning)
  // leaves the run unfinished business: never a clean PASS.
  if (verdict === 'PASS' && reasons.length > 0) verdict = 'INCONCLUSIVE';
  const exitCode = ctx.interrupt.aborted
    ? ExitCode.Interrupted
    : state.environmentProblem
      ? ExitCode.Environment
      : verdict === 'PASS'
        ? ExitCode.Pass
        : verdict === 'FAIL'
          ? ExitCode.Fail
          : ExitCode.Inconclusive;
  if (ctx.interrupt.aborted)
    reasons.unshift('interrupted: load stopped and faults reverted before the windows ended');
  const timeline = perSecond.map((p) => ({
    ...p,
    readyPods: loadStartMs === null ? null : pods.readyAt(loadStartMs + p.t * 1000),
    ...(scaling && loadStartMs !== null
      ? { desiredReplicas: sampleAt(scaling.hpaSamples, loadStartMs + p.t * 1000)?.desired ?? null }
      : {}),
  }));
  const all = evidence.all;
  const budgetSlo = budgetTarget(s.slos);
  const finishedAt = new Date();
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    runId: ctx.runId,
    scenario: {
      name: s.metadata.name,
      description: s.metadata.description,
      file: plan.file,
      labels: s.metadata.labels,
    },
    cluster: { context: deps.kube.context, namespace: plan.namespace },
    startedAt: state.startedAt.toISOString(),
    loadStartedAt: loadStartMs === null ? null : new Date(loadStartMs).toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationS: round((finishedAt.getTime() - state.startedAt.getTime()) / 1000),
    timeScale: plan.timeScale,
    seed: plan.seed,
    verdict,
    exitCode,
    reasons: [...judged.reasons.filter((r) => !reasons.includes(r)), ...reasons].map(deps.redact),
    slos: slos.map((x) => ({ ...x, evidence: deps.redact(x.evidence) })),
    faults: faultRecords,
    windows: windowStats,
    timeline,
    events: state.events,
    load: outcome
      ? {
          script: s.load.script ?? null,
          ignoredOptions: outcome.ignoredOptions,
          coverage,
          k6Error: outcome.scriptError ? deps.redact(outcome.scriptError) : null,
          ...(outcome.runners ? { runners: outcome.runners } : {}),
          ...(deps.faultMarkers
            ? {
                remoteWrite: {
                  url: deps.redact(deps.faultMarkers.url),
                  labels: deps.faultMarkers.labels,
                  faultMarkers: state.faultMarkers ? { ...state.faultMarkers } : null,
                },
              }
            : {}),
        }
      : undefined,
    thresholds,
    apiContact: contact,
    ...(state.stop ? { stoppedBy: state.stop } : {}),
    ...(traced
      ? { traces: { ...traced.record, problem: traced.record.problem && deps.redact(traced.record.problem) } }
      : {}),
    ...(scaling ? { scaling: scalingRecord(scaling, loadStartMs) } : {}),
    ...(prometheus
      ? {
          prometheus: {
            queries: prometheus.querier.log.map((q) => (q.error ? { ...q, error: deps.redact(q.error) } : q)),
            ...(serverSide ? { serverSide } : {}),
          },
        }
      : {}),
    harness: state.self.stop(),
    errorBudget:
      budgetSlo !== null && all && all.requests > 0
        ? {
            slo: budgetSlo,
            requests: all.requests,
            errors: all.failed,
            // Share of the allowed errors used: (1 − success) / (1 − SLO). The runbook's code writes
            // (SLO − success) / (1 − SLO), which its own worked example contradicts; see README.
            consumed: round(all.errorRate / (1 - budgetSlo)),
          }
        : null,
    burnRate: burnRates(s.slos, windowStats),
    artifacts: {
      ...state.artifacts,
      ...Object.fromEntries((traced?.files ?? []).map((f, i) => [`trace-${i + 1}`, f])),
      ...(outcome && !outcome.runners ? { k6Raw: K6_FILES.raw } : {}),
      ...Object.fromEntries(
        (outcome?.runners ?? []).map((r) => [`k6Raw-${r.pod}`, `k6-raw-${r.pod}.ndjson`]),
      ),
    },
  };
}

function runnersNote(plan: Plan): string | null {
  const r = resolveRunners(plan.scenario);
  return r ? `${r.targetUrl} from ${r.count} runner pod(s)` : null;
}

/** The contact monitor's spans, settled now: what result.json keeps. */
async function apiContact(state: RunState): Promise<{ lostS: number; outages: ApiOutage[] }> {
  await state.contact.settle();
  const end = Date.now();
  const outages = state.contact.outages().map((o) => ({
    from: new Date(o.from).toISOString(),
    to: o.to === null ? null : new Date(o.to).toISOString(),
    t: state.loadStartMs === null ? null : round((o.from - state.loadStartMs) / 1000),
    seconds: round(((o.to ?? end) - o.from) / 1000),
  }));
  return { lostS: round(outages.reduce((a, o) => a + o.seconds, 0)), outages };
}

export function describeLostContact(c: { lostS: number; outages: ApiOutage[] }): string {
  const spans = c.outages
    .map(
      (o) =>
        `${o.seconds} s from ${o.t === null ? o.from : `t=${o.t}s`}${o.to === null ? ', still silent' : ''}`,
    )
    .join('; ');
  return `lost contact with the API server for ${c.lostS} s (${spans}): what the run observed of the cluster has gaps there, so the run is not judged`;
}

function describeHpaChange(now: HpaSample, before: HpaSample | undefined): string {
  const cpu = now.cpuPercent === null ? '' : ` (CPU ${now.cpuPercent}% of request)`;
  return before === undefined
    ? `HPA: ${now.desired ?? 'no'} replicas desired${cpu}`
    : `HPA: desired replicas ${before.desired ?? 'none'} → ${now.desired ?? 'none'}${cpu}`;
}

/** The watch as result.json keeps it: offsets in seconds since load start, like every other timeline there. */
function scalingRecord(tl: ScalingTimeline, loadStartMs: number | null): ScalingRecord {
  const t = (at: number) => (loadStartMs === null ? null : round((at - loadStartMs) / 1000));
  return {
    deployment: tl.deployment,
    hpa: tl.hpa,
    hpaSamples: tl.hpaSamples.map(({ at, ...rest }) => ({
      at: new Date(at).toISOString(),
      t: t(at),
      ...rest,
    })),
    replicaSamples: tl.replicaSamples.map(({ at, ...rest }) => ({
      at: new Date(at).toISOString(),
      t: t(at),
      ...rest,
    })),
  };
}

function loadStart(state: RunState): number {
  if (state.loadStartMs === null) throw new Error('bug: a load phase ran before the load started');
  return state.loadStartMs;
}

function loadHandle(state: RunState) {
  if (!state.load) throw new Error('bug: a load phase ran before the load started');
  return state.load;
}

async function waitForSteadyState(
  plan: Plan,
  kube: Kube,
  http: HttpProbe,
  interrupt: AbortSignal,
): Promise<{ ok: boolean; lines: string[]; failures: string[] }> {
  // Recovery may still be finishing when the load ends; give it a bounded grace period.
  const deadline = Date.now() + 90_000;
  for (;;) {
    const r = await checkSteadyState(plan, kube, http, 'after');
    if (r.ok || Date.now() > deadline || interrupt.aborted) return r;
    await sleep(2000);
  }
}

/** Sleeps until an absolute time; false if interrupted first. */
async function waitUntil(epochMs: number, interrupt: AbortSignal): Promise<boolean> {
  const ms = epochMs - Date.now();
  if (interrupt.aborted) return false;
  if (ms <= 0) return true;
  try {
    await sleep(ms, undefined, { signal: interrupt });
    // Aborted while the sleep was already over: the abort still wins.
    return !interrupt.aborted;
  } catch {
    return false;
  }
}

function liveLine(live: LiveStats): string {
  const rate = live.idleS > 0 ? `no requests for ${live.idleS} s` : `${live.rps.toFixed(1)} req/s`;
  const p95 = live.p95Ms === null ? '–' : String(Math.round(live.p95Ms));
  return `${rate} · p95 ${p95} ms · errors ${(live.errorRate * 100).toFixed(2)}%`;
}

function fmtClock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** What k6 sent per window, with absolute bounds; the last window (and `all`) ends a second after the load. */
function sendsByWindow(plan: Plan, windows: readonly WindowSummary[], loadStartMs: number): WindowSend[] {
  const tail = 1000;
  const spans: { name: string; startMs: number; endMs: number }[] = [
    ...plan.windows.map((w) => ({ name: w.name, startMs: w.startMs, endMs: w.endMs })),
    { name: 'all', startMs: 0, endMs: plan.totalMs },
  ];
  return spans.map((w) => {
    const k6 = windows.find((x) => x.window === w.name);
    const connectionErrors: Record<string, number> = {};
    for (const [code, n] of Object.entries(k6?.connectionErrors ?? {}))
      connectionErrors[k6ErrorName(code)] = (connectionErrors[k6ErrorName(code)] ?? 0) + n;
    return {
      window: w.name,
      startMs: loadStartMs + w.startMs,
      endMs: loadStartMs + w.endMs + (w.endMs >= plan.totalMs ? tail : 0),
      sent: k6?.requests ?? 0,
      connectionErrors,
      interiorEdges: (w.startMs > 0 ? 1 : 0) + (w.endMs < plan.totalMs ? 1 : 0),
    };
  });
}
