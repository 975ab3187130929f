/**
 * What the phases of one run share: the run's inputs, what it has done so far (events, injections, reasons)
 * and the handles its `finally` must close. Phases read and extend one RunState; only runPlan creates it.
 */
import type { TraceBackend } from '../adapters/jaeger.js';
import { readFile } from 'node:fs/promises';
import type { HttpProbe } from '../adapters/http.js';
import type { Kube } from '../adapters/kube.js';
import type { Output } from '../adapters/output.js';
import type { Injection } from '../faults/fault.js';
import { replayLedger, type Ledger } from '../ledger/ledger.js';
import { undoEntry } from './lease.js';
import type { LiveStats, RecentLoad } from '../load/ingest.js';
import type { LoadSummary } from '../load/summary.js';
import { ContactMonitor } from '../observe/contact.js';
import { PodObserver } from '../observe/pods.js';
import type { PrometheusContext } from '../observe/prometheus.js';
import type { ScalingObserver } from '../observe/scaling.js';
import type { Plan } from '../plan/plan.js';
import { RUNNERS_UNDO } from '../runners/pool.js';
import type {
  FaultRecord,
  RunnerRecord,
  StopRecord,
  ThresholdResult,
  TimelineEvent,
} from '../verdict/result.js';
import type { RemoteWriteSeries } from '../adapters/remote-write.js';
import type { Redactor } from './redact.js';
import { startSelfMetrics, type SelfMetrics } from './self-metrics.js';

export interface LoadHandle {
  /** Epoch ms of k6's first request: zero of the run's timeline. */
  started: Promise<number>;
  finished: Promise<LoadOutcome>;
  /** Cancellation goes through the AbortSignal given to startLoad. */
  live(): LiveStats | null;
  /** The last `seconds` complete seconds of load (stop conditions); null before the first request. */
  recent(seconds: number): RecentLoad | null;
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
  /** The load runners (load.runners), when the load ran in the cluster. */
  runners?: RunnerRecord[];
}

/** Where load.remoteWrite's fault markers go (src/run/fault-markers.ts). */
export interface FaultMarkerSink {
  push(series: RemoteWriteSeries[]): Promise<void>;
}

export interface FaultMarkerStats {
  series: number;
  pushes: number;
  failures: number;
  lastError: string | null;
}

export interface RunDeps {
  kube: Kube;
  ledger: Ledger;
  out: Output;
  redact: Redactor;
  startLoad: (plan: Plan, signal: AbortSignal) => LoadHandle;
  http: HttpProbe;
  /** The scenario's Prometheus; absent when neither a prometheus section nor a promql SLO names one. */
  prometheus?: PrometheusContext;
  /** target.traces: the trace backend exemplars are fetched from, and how many per SLO. */
  traces?: { backend: TraceBackend; exemplars: number };
  /** load.remoteWrite: where the fault markers go, with the run's labels. */
  faultMarkers?: { url: string; sink: FaultMarkerSink; labels: Record<string, string>; intervalMs: number };
  random: () => number;
}

export interface RunContext {
  runId: string;
  reportDir: string;
  /** Aborted on SIGINT/SIGTERM. */
  interrupt: AbortSignal;
  /** Ledger entries the caller releases itself after the run (the namespace lease): never reverted here. */
  heldLedgerIds?: readonly number[];
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
  /** Aborted on interrupt and when a stop condition holds: ends the fault phase (injections, window) early. */
  readonly halt: AbortController;
  /** Set when a stop condition held (safety.stopWhen). */
  stop: StopRecord | null;
  /** The timer checking the stop conditions; cleared on every exit. */
  stopTimer: NodeJS.Timeout | undefined;
  /** Whether the API server answers, from preflight to the verdict. */
  readonly contact: ContactMonitor;
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
  /** When each fault's injection began, in injection order: a repeated pod kill is in place from its first round. */
  readonly faultStartedMs: number[];
  /** When the revert phase began: the end of faults that have nothing to revert (a killed pod). */
  revertStartedMs: number | null;
  /**
   * When the API server was found silent (ContactMonitor's minOutageMs) before the revert phase: from then on
   * nothing is injected and every fault is reverted as soon as the server answers again (contactLost).
   */
  contactLostAtMs: number | null;
  /** load.remoteWrite's fault markers, while they are pushed. */
  faultMarkers: FaultMarkerStats | null;
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
    halt: new AbortController(),
    stop: null,
    stopTimer: undefined,
    contact: new ContactMonitor({
      ping: (timeoutMs) => deps.kube.ping(timeoutMs),
      onChange: (lost, outage) => {
        note(
          state,
          'note',
          lost
            ? `lost contact with the API server (no answer since ${new Date(outage.from).toISOString().slice(11, 19)}); the load goes on, Kubernetes calls are retried`
            : `the API server answers again after ${((outage.to! - outage.from) / 1000).toFixed(1)} s`,
        );
        if (lost) contactLost(state);
      },
    }),
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
    faultStartedMs: [],
    revertStartedMs: null,
    contactLostAtMs: null,
    faultMarkers: null,
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
export async function revertAll(state: RunState, opts: { keepLoad?: boolean } = {}): Promise<void> {
  const { deps } = state;
  const held = new Set(state.ctx.heldLedgerIds ?? []);
  const open = replayLedger(deps.ledger.file, await readFile(deps.ledger.file, 'utf8')).open.filter(
    (i) => !held.has(i.id),
  );
  for (const intent of [...open].reverse()) {
    // The end of the fault window is not the end of the load: its runners stay until it ends.
    if (opts.keepLoad && intent.undo.fault === RUNNERS_UNDO) continue;
    try {
      let told = false;
      const done = await undoEntry(deps.kube, intent.undo, (error) => {
        if (told) return;
        told = true;
        note(
          state,
          'note',
          `revert of "${intent.description}" waits for the API server: ${(error as Error).message}`,
        );
      });
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

/**
 * The API server stopped answering before the revert phase. The run is INCONCLUSIVE from here whatever happens
 * (its pod watch, recovery and triage are blind meanwhile), so keeping a fault in would only do harm: the fault
 * phase is halted like a stop condition does it — nothing more is injected, a fault still injecting is told to
 * stop — and the orchestrator reverts at once, each undo retried until the server answers. The load goes on.
 */
export function contactLost(state: RunState): void {
  if (state.contactLostAtMs !== null || state.revertStartedMs !== null || state.halt.signal.aborted) return;
  state.contactLostAtMs = Date.now();
  note(
    state,
    'phase',
    'lost contact with the API server: nothing more is injected, every fault is reverted as soon as it answers again, the load goes on',
  );
  state.halt.abort();
  state.faultAbort.abort();
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
