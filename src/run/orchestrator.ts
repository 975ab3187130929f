/**
 * One run, phase by phase: steady state → load → baseline → faults → fault window → revert → recovery →
 * steady state again → verdict. Whatever happens (an error, SIGINT, a fault that throws), every mutation
 * recorded in the ledger is reverted in `finally` before the run returns.
 */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpProbe } from '../adapters/http.js';
import type { Kube, Pod } from '../adapters/kube.js';
import type { Output } from '../adapters/output.js';
import { ChaosError, ExitCode } from '../errors.js';
import type { Injection } from '../faults/fault.js';
import { faultPlugin } from '../faults/registry.js';
import { replayLedger, type Ledger } from '../ledger/ledger.js';
import { runUndo } from '../ledger/undo.js';
import type { LiveStats, LoadSummary } from '../load/ingest.js';
import { toTimeline, toWindowStats } from '../load/ingest.js';
import { K6_FILES } from '../load/k6.js';
import { PodObserver } from '../observe/pods.js';
import { collectTriage } from '../observe/triage.js';
import { windowAt, type Plan } from '../plan/plan.js';
import {
  RESULT_SCHEMA_VERSION,
  type FaultRecord,
  type RunResult,
  type TimelineEvent,
  type Verdict,
  type WindowName,
} from '../verdict/result.js';
import { budgetTarget, judgeSlos, overallVerdict, type WindowEvidence } from '../verdict/slo.js';
import { applyCoverage, describeShortfall, measureCoverage } from '../verdict/coverage.js';
import type { Redactor } from './redact.js';
import { checkSteadyState } from './steady-state.js';

export interface LoadHandle {
  /** Epoch ms of k6's first request: zero of the run's timeline. */
  started: Promise<number>;
  finished: Promise<LoadOutcome>;
  /** Cancellation goes through the AbortSignal given to startLoad. */
  live(): LiveStats | null;
}

export interface LoadOutcome {
  summary: LoadSummary;
  exitCode: number | null;
  /** k6 failed for a reason other than thresholds (script error, bad options). */
  error: string | null;
  /** The last error k6 logged while running (an iteration that threw, for instance), or null. */
  scriptError: string | null;
  /** Options of a custom script that the scenario's profile replaced. */
  ignoredOptions: string[];
}

export interface RunDeps {
  kube: Kube;
  ledger: Ledger;
  out: Output;
  redact: Redactor;
  startLoad: (plan: Plan, signal: AbortSignal) => LoadHandle;
  http: HttpProbe;
  promql?: (url: string, query: string) => Promise<number | null>;
  random: () => number;
}

export interface RunContext {
  runId: string;
  reportDir: string;
  /** Aborted on SIGINT/SIGTERM. */
  interrupt: AbortSignal;
}

export async function runPlan(plan: Plan, deps: RunDeps, ctx: RunContext): Promise<RunResult> {
  const { kube, out } = deps;
  const startedAt = new Date();
  const events: TimelineEvent[] = [];
  let loadStartMs: number | null = null;
  const note = (kind: TimelineEvent['kind'], message: string) => {
    const at = Date.now();
    events.push({
      at: new Date(at).toISOString(),
      t: loadStartMs === null ? null : round((at - loadStartMs) / 1000),
      kind,
      message: deps.redact(message),
    });
    if (kind !== 'pod') out.info(`${new Date(at).toISOString().slice(11, 19)} ${message}`);
  };
  const s = plan.scenario;
  const reasons: string[] = [];
  const injections: Injection[] = [];
  const faultRecords: FaultRecord[] = [];
  const pods = new PodObserver((ready) => note('pod', `${ready} target pod(s) Ready`));
  let watch: { stop(): void } | undefined;
  let load: LoadHandle | undefined;
  const loadAbort = new AbortController();
  const faultAbort = new AbortController();
  const onInterrupt = () => {
    loadAbort.abort();
    faultAbort.abort();
  };
  ctx.interrupt.addEventListener('abort', onInterrupt, { once: true });
  let outcome: LoadOutcome | null = null;
  let desiredReplicas: number | null = null;
  let versionBefore: string | null = null;
  let previousLogs: Record<string, string> = {};
  const artifacts: Record<string, string> = {};
  let progress: NodeJS.Timeout | undefined;

  // The ledger, not our in-memory list, says what is still applied: a fault that threw half-way through
  // its injection has mutations only the ledger knows about.
  const revertAll = async () => {
    const open = replayLedger(deps.ledger.file, await readFile(deps.ledger.file, 'utf8')).open;
    for (const intent of [...open].reverse()) {
      try {
        const done = await runUndo(kube, intent.undo);
        await deps.ledger.reverted(intent.id);
        for (const inj of injections) {
          if (inj.mutations.some((m) => m.ledgerId === intent.id))
            inj.record.revertedAt = new Date().toISOString();
        }
        note('revert', done);
      } catch (error) {
        reasons.push(
          `REVERT FAILED for "${intent.description}": ${(error as Error).message} — run \`chaos recover --run ${ctx.runId}\``,
        );
        note('revert', `revert failed: ${intent.description}: ${(error as Error).message}`);
      }
    }
  };

  try {
    note('phase', `preflight: ${s.metadata.name} against ${plan.namespace} (context ${kube.context})`);
    const targets = await kube.listPods(plan.namespace, s.target.selector);
    if (targets.length === 0) {
      throw new ChaosError(
        ExitCode.Environment,
        `target selector ${JSON.stringify(s.target.selector)} matches no pod in namespace ${plan.namespace}`,
        'check target.namespace and target.selector with `chaos plan`',
      );
    }
    if (s.target.deployment) {
      desiredReplicas =
        (await kube.readDeployment(plan.namespace, s.target.deployment)).spec?.replicas ?? null;
    }
    if (s.target.versionUrl) versionBefore = await deps.http.modelVersion(s.target.versionUrl);

    const steady = await checkSteadyState(plan, kube, deps.http, 'before');
    for (const line of steady.lines) note('phase', `steady state before: ${line}`);
    if (!steady.ok) {
      reasons.push(`steady state did not hold before the experiment: ${steady.failures.join('; ')}`);
      return await finish('INCONCLUSIVE');
    }

    watch = kube.watch<Pod>(
      `/api/v1/namespaces/${plan.namespace}/pods`,
      {
        labelSelector: Object.entries(s.target.selector)
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
      },
      (e) => pods.apply(e),
    );

    note(
      'phase',
      `load: k6 ${String(plan.k6.scenario.executor)} for ${plan.totalMs / 1000}s → ${s.target.url}`,
    );
    load = deps.startLoad(plan, loadAbort.signal);
    const finished = load.finished;
    loadStartMs = await Promise.race([
      load.started,
      finished.then((o) => {
        throw new ChaosError(
          ExitCode.Environment,
          `k6 exited before sending load: ${o.error ?? `exit ${o.exitCode}`}`,
        );
      }),
      sleep(60_000, undefined, { ref: false }).then(() => {
        throw new ChaosError(ExitCode.Environment, 'k6 sent no request within 60s');
      }),
    ]);
    const t0 = loadStartMs;
    note('phase', `baseline window (${(plan.windows[0]!.endMs - plan.windows[0]!.startMs) / 1000}s)`);
    // A live line redraws every second on a TTY; logs get a line every 10 s, not a flood.
    let ticks = 0;
    progress = setInterval(() => {
      if (!out.isTTY && ticks++ % 10 !== 0) return;
      const live = load?.live();
      const t = Date.now() - t0;
      out.progress(
        `[${windowAt(plan, t)} ${fmtClock(t)}/${fmtClock(plan.totalMs)}] ${live ? liveLine(live) : 'waiting for data'} · ready ${pods.readyCount()}${desiredReplicas ? `/${desiredReplicas}` : ''}`,
      );
    }, 1000);
    progress.unref();

    let faultWindowAnnounced = false;
    for (const f of [...plan.faults].sort((a, b) => a.atMs - b.atMs)) {
      if (!(await waitUntil(t0 + f.atMs, ctx.interrupt))) break;
      if (!faultWindowAnnounced) {
        note('phase', 'fault window');
        faultWindowAnnounced = true;
      }
      note('fault', `inject ${f.spec.type}`);
      const plugin = faultPlugin(f.spec);
      const injection = await plugin.inject(f.spec, {
        kube,
        ledger: deps.ledger,
        plan,
        runId: ctx.runId,
        namespace: plan.namespace,
        random: deps.random,
        log: (line) => note('note', line),
        signal: faultAbort.signal,
      });
      injections.push(injection);
      faultRecords.push(injection.record);
      // One 'fault' event per injection ("inject …" above): the charts draw a marker for each.
      note(
        'note',
        `${f.spec.type}: ${injection.record.description}${injection.record.confirmed ? '' : ' — NOT CONFIRMED'}`,
      );
    }
    const faultEnd = t0 + plan.windows[1]!.endMs;
    if (await waitUntil(faultEnd, ctx.interrupt)) {
      if (plan.faults.length > 0) {
        // The most informative moment for triage: the fault is still in place.
        const triage = await collectTriage({
          kube,
          namespace: plan.namespace,
          selector: s.target.selector,
          service: s.target.service,
          focus: pods.podsCreatedAfter(t0).map((p) => p.name),
          dir: `${ctx.reportDir}/triage`,
          redact: deps.redact,
        });
        previousLogs = triage.previousLogs;
        triage.files.forEach((f, i) => (artifacts[`triage-${i + 1}`] = f));
      }
      note('phase', plan.faults.length > 0 ? 'revert faults; recovery window' : 'recovery window');
      await revertAll();
    }
    outcome = await finished;
    if (outcome.error && !ctx.interrupt.aborted) reasons.push(`k6: ${outcome.error}`);
    if (ctx.interrupt.aborted) return await finish('INCONCLUSIVE');

    const after = await waitForSteadyState(plan, kube, deps.http, ctx.interrupt);
    for (const line of after.lines) note('phase', `steady state after: ${line}`);
    if (!after.ok)
      reasons.push(`steady state did not return after the experiment: ${after.failures.join('; ')}`);
    return await finish(null);
  } finally {
    ctx.interrupt.removeEventListener('abort', onInterrupt);
    if (progress) clearInterval(progress);
    faultAbort.abort();
    loadAbort.abort();
    // Any exit path: nothing stays injected. A second Ctrl-C does not reach here (the handler ignores it).
    await revertAll();
    watch?.stop();
    if (load && !outcome) await load.finished.catch(() => undefined);
  }

  async function finish(forced: Verdict | null): Promise<RunResult> {
    // Before the result is built: on an interrupt this is the only revert whose outcome reaches it.
    await revertAll();
    const summary = outcome?.summary;
    const windowStats = summary ? toWindowStats(summary) : [];
    const evidence: Partial<Record<WindowName, WindowEvidence>> = {};
    for (const w of summary?.windows ?? []) {
      const stats = windowStats.find((x) => x.window === w.window);
      if (!stats) continue;
      evidence[w.window as WindowName] = {
        ...stats,
        statusByPayload: w.statusByPayload,
        modelVersions: w.modelVersions,
        longestGapS: w.longestGap ? w.longestGap.seconds : w.successes > 0 ? 0 : null,
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
    const judgedSlos = await judgeSlos(plan, {
      load: evidence,
      pods,
      faults: faultRecords,
      loadStartMs,
      desiredReplicas,
      versionBefore,
      previousLogs,
      promql: deps.promql,
    });
    const slos = applyCoverage(judgedSlos, coverage);
    const judged = overallVerdict(slos, faultRecords);
    let verdict = forced ?? judged.verdict;
    // Anything that went wrong around the SLOs (a failed revert, k6 dying, steady state not returning)
    // leaves the run unfinished business: never a clean PASS.
    if (verdict === 'PASS' && reasons.length > 0) verdict = 'INCONCLUSIVE';
    const exitCode = ctx.interrupt.aborted
      ? ExitCode.Interrupted
      : verdict === 'PASS'
        ? ExitCode.Pass
        : verdict === 'FAIL'
          ? ExitCode.Fail
          : ExitCode.Inconclusive;
    if (ctx.interrupt.aborted)
      reasons.unshift('interrupted: load stopped and faults reverted before the windows ended');
    const timeline = summary
      ? toTimeline(summary).map((p) => ({
          ...p,
          readyPods: loadStartMs === null ? null : pods.readyAt(loadStartMs + p.t * 1000),
        }))
      : [];
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
      cluster: { context: kube.context, namespace: plan.namespace },
      startedAt: startedAt.toISOString(),
      loadStartedAt: loadStartMs === null ? null : new Date(loadStartMs).toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationS: round((finishedAt.getTime() - startedAt.getTime()) / 1000),
      timeScale: plan.timeScale,
      seed: plan.seed,
      verdict,
      exitCode,
      reasons: [...judged.reasons.filter((r) => !reasons.includes(r)), ...reasons].map(deps.redact),
      slos: slos.map((x) => ({ ...x, evidence: deps.redact(x.evidence) })),
      faults: faultRecords,
      windows: windowStats,
      timeline,
      events,
      load: outcome
        ? {
            script: s.load.script ?? null,
            ignoredOptions: outcome.ignoredOptions,
            coverage,
            k6Error: outcome.scriptError ? deps.redact(outcome.scriptError) : null,
          }
        : undefined,
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
      artifacts: { ...artifacts, ...(outcome ? { k6Raw: K6_FILES.raw } : {}) },
    };
  }
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
    return true;
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

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
