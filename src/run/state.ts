/**
 * What the phases of one run share: the run's inputs, what it has done so far (events, injections, reasons)
 * and the handles its `finally` must close. Phases read and extend one RunState; only runPlan creates it.
 */
import { readFile } from 'node:fs/promises';
import type { HttpProbe } from '../adapters/http.js';
import type { Kube } from '../adapters/kube.js';
import type { Output } from '../adapters/output.js';
import type { Injection } from '../faults/fault.js';
import { replayLedger, type Ledger } from '../ledger/ledger.js';
import { runUndo } from '../faults/registry.js';
import type { LiveStats } from '../load/ingest.js';
import type { LoadSummary } from '../load/summary.js';
import { PodObserver } from '../observe/pods.js';
import type { ScalingObserver } from '../observe/scaling.js';
import type { Plan } from '../plan/plan.js';
import type { FaultRecord, ThresholdResult, TimelineEvent } from '../verdict/result.js';
import type { Redactor } from './redact.js';
import { startSelfMetrics, type SelfMetrics } from './self-metrics.js';

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
  /** Every threshold k6 judged (load.thresholds and a custom script's own), as its summary export gives them. */
  thresholds: ThresholdResult[];
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

export interface RunState {
  readonly plan: Plan;
  readonly deps: RunDeps;
  readonly ctx: RunContext;
  readonly startedAt: Date;
  readonly events: TimelineEvent[];
  /** Why the run cannot be a clean PASS, beyond the SLOs' own reasons. */
  readonly reasons: string[];
  readonly injections: Injection[];
  readonly faultRecords: FaultRecord[];
  readonly pods: PodObserver;
  /** The HPA and Deployment watch, when an SLO needs it (a scaling SLO). */
  scaling: ScalingObserver | null;
  readonly artifacts: Record<string, string>;
  /** Aborted on interrupt and on every exit: stops k6. */
  readonly loadAbort: AbortController;
  /** Aborted on interrupt and on every exit: stops a fault still injecting. */
  readonly faultAbort: AbortController;
  /**
   * Aborted when the run cannot go on measuring: k6 ended (before the fault window is over, that is k6 dying:
   * killed, out of memory) or the report directory cannot be written. The run then stops waiting, injects
   * nothing more and reverts at once, since nothing would measure or record the fault.
   */
  readonly cutShort: AbortController;
  /** Why the run was cut short, for the event and the reasons. */
  cutShortReason: string | null;
  /** When (epoch ms). */
  cutShortAtMs: number | null;
  /** An environment problem found during the run (the report directory full or read-only): exit 3. */
  environmentProblem: string | null;
  /** Every watch the run started; all are stopped on every exit. */
  watch: { stop(): void } | undefined;
  load: LoadHandle | undefined;
  /** Set once the load has finished and its outcome is known. */
  outcome: LoadOutcome | null;
  loadStartMs: number | null;
  desiredReplicas: number | null;
  versionBefore: string | null;
  previousLogs: Record<string, string>;
  progress: NodeJS.Timeout | undefined;
  /** Polls the report directory's free space while the load runs. */
  diskWatch: NodeJS.Timeout | undefined;
  /** The harness's own RSS and event-loop delay, from the run's start. */
  readonly self: SelfMetrics;
}

export function createRunState(plan: Plan, deps: RunDeps, ctx: RunContext): RunState {
  const state: RunState = {
    plan,
    deps,
    ctx,
    startedAt: new Date(),
    events: [],
    reasons: [],
    injections: [],
    faultRecords: [],
    pods: new PodObserver((ready) =>
      note(state, 'pod', `${ready} target pod(s) Ready`, { readyPods: ready }),
    ),
    scaling: null,
    artifacts: {},
    loadAbort: new AbortController(),
    faultAbort: new AbortController(),
    cutShort: new AbortController(),
    cutShortReason: null,
    cutShortAtMs: null,
    environmentProblem: null,
    watch: undefined,
    load: undefined,
    outcome: null,
    loadStartMs: null,
    desiredReplicas: null,
    versionBefore: null,
    previousLogs: {},
    progress: undefined,
    diskWatch: undefined,
    self: startSelfMetrics(),
  };
  return state;
}

/** The one way a phase records what happened: a timeline event, and a log line for all but pod changes. */
export function note(
  state: RunState,
  kind: TimelineEvent['kind'],
  message: string,
  data?: TimelineEvent['data'],
): void {
  const at = Date.now();
  state.events.push({
    at: new Date(at).toISOString(),
    t: state.loadStartMs === null ? null : round((at - state.loadStartMs) / 1000),
    kind,
    message: state.deps.redact(message),
    ...(data === undefined ? {} : { data }),
  });
  if (kind !== 'pod') state.deps.out.info(`${new Date(at).toISOString().slice(11, 19)} ${message}`);
}

/**
 * The ledger, not our in-memory list, says what is still applied: a fault that threw half-way through
 * its injection has mutations only the ledger knows about.
 */
export async function revertAll(state: RunState): Promise<void> {
  const { deps } = state;
  const open = replayLedger(deps.ledger.file, await readFile(deps.ledger.file, 'utf8')).open;
  for (const intent of [...open].reverse()) {
    try {
      const done = await runUndo(deps.kube, intent.undo);
      await deps.ledger.reverted(intent.id);
      for (const inj of state.injections) {
        if (inj.mutations.some((m) => m.ledgerId === intent.id))
          inj.record.revertedAt = new Date().toISOString();
      }
      note(state, 'revert', done);
    } catch (error) {
      state.reasons.push(
        `REVERT FAILED for "${intent.description}": ${(error as Error).message} — run \`chaos recover --run ${state.ctx.runId}\``,
      );
      note(state, 'revert', `revert failed: ${intent.description}: ${(error as Error).message}`);
    }
  }
}

/** Cut the run short (the first reason wins), and stop a fault still injecting as an interrupt would. */
export function cutShort(state: RunState, reason: string): void {
  if (state.cutShort.signal.aborted) return;
  state.cutShortReason = reason;
  state.cutShortAtMs = Date.now();
  state.cutShort.abort();
  state.faultAbort.abort();
}

export function round(n: number): number {
  return Math.round(n * 100) / 100;
}
