/**
 * The result document: what `chaos run --json` prints and what result.json holds. Versioned: a field is only
 * ever added; renaming or removing one bumps RESULT_SCHEMA_VERSION. v2 added the answers' quality per window
 * (docs/result-schema.md says what a v1 reader sees of a v2 document).
 */
import type { Exemplar, ExemplarCause } from '../load/exemplars.js';
import type { PromQueryRecord, ServerSideRecord } from '../observe/prometheus.js';
import type { HpaSample, HpaSpecSummary, ReplicaSample } from '../observe/scaling.js';
import type { TraceSummary } from '../observe/traces.js';

export const RESULT_SCHEMA_VERSION = 'chaos.result/v2';

/** What an SLO is judged to be. */
export type Verdict = 'PASS' | 'FAIL' | 'INCONCLUSIVE';
/**
 * What a run is: an SLO verdict, or DRY-RUN for `chaos run --dry-run`, which judged nothing (no load, no
 * fault) and exits 0 because the dry run itself worked, not because anything passed.
 */
export type RunVerdict = Verdict | 'DRY-RUN';

/** For summaries that rank runs: a dry run judged nothing, so it counts as INCONCLUSIVE, never as a PASS. */
export function judgedVerdict(verdict: RunVerdict): Verdict {
  return verdict === 'DRY-RUN' ? 'INCONCLUSIVE' : verdict;
}
export type WindowName = 'baseline' | 'fault' | 'recovery' | 'all';

export interface SloResult {
  /** Stable, human-readable id, e.g. "latency-p95-all" — the junit testcase name. */
  id: string;
  kind: string;
  window: WindowName;
  verdict: Verdict;
  /** Measured value in the unit of `threshold`, or null when nothing could be measured. */
  measured: number | string | null;
  threshold: string;
  /** One or more sentences a reviewer can check: counts, timestamps, object names. */
  evidence: string;
  /** Exemplar traces of a failing or inconclusive SLO, with target.traces (src/run/traces.ts). */
  traces?: SloTraces;
}

/** An SLO's exemplar traces: which requests they are, each summarised, and why any are missing. */
export interface SloTraces {
  /** The window's slowest requests, or its first failed ones. */
  cause: ExemplarCause;
  exemplars: (Exemplar & { summary: TraceSummary })[];
  /** Trace ids asked for that the backend does not hold. */
  missing: string[];
  /** Why fewer exemplars are shown than asked for (backend down, nothing traced); null when none are missing. */
  problem: string | null;
}

/** The trace backend as the run used it. */
export interface TracesRecord {
  url: string;
  /** SLOs that asked for exemplars. */
  slos: number;
  /** Traces fetched and found, and asked for but not held. */
  fetched: number;
  missing: number;
  /** Why exemplars could not be fetched at all (the backend did not answer); null when it answered. */
  problem: string | null;
}

export interface FaultRecord {
  type: string;
  /** What the fault did, in words, e.g. "deleted pod ml-serving/fraud-scorer-abc (grace 0s)". */
  description: string;
  /** The first injection. */
  injectedAt: string | null;
  /**
   * Every injection, in order, when there were several (a repeated pod kill: one per round). Absent when
   * there was one, and in results written before it was recorded.
   */
  injections?: string[];
  revertedAt: string | null;
  /**
   * Why this fault has nothing to revert (a deleted pod is replaced by its controller), so a null revertedAt
   * is expected rather than a warning. Absent for faults that are reverted.
   */
  nothingToRevert?: string;
  /** false when the fault matched nothing or was denied: the run is then INCONCLUSIVE. */
  confirmed: boolean;
  targets: string[];
  notes: string[];
  /**
   * The commands a `kubectl` fault ran before its revert (capture, inject, the last confirm attempt), with
   * their redacted output; the undo's output is in the revert event. Absent for other faults.
   */
  commands?: FaultCommand[];
}

export interface FaultCommand {
  step: 'capture' | 'inject' | 'confirm';
  /** kubectl's arguments as run, harness flags included. */
  args: string[];
  exitCode: number | null;
  /** Why it did not succeed (exit code, timeout), or null. */
  failure: string | null;
  /** stdout and stderr, redacted, at most 16 KiB. */
  output: string;
  durationMs: number;
  /** For confirm: how many attempts were made. */
  attempts?: number;
}

/** One second of load, for the time-series charts. */
export interface TimelinePoint {
  /** seconds since load start */
  t: number;
  requests: number;
  errors: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  readyPods: number | null;
  /** What the target's HPA wanted at that second; present only when a scaling SLO watched it. */
  desiredReplicas?: number | null;
}

/** The model's answers in one window (target.response), for people; the quality SLOs carry the judged figures. */
export interface QualityStats {
  /** Answers captured: one per prediction. */
  answers: number;
  /** Successful responses that gave no answer, by reason (unparsable_body, path_not_found, ...). */
  missing: Record<string, number>;
  /** Class label → answers. */
  classes: Record<string, number>;
  /** The score histogram in QUALITY_HISTOGRAM_BINS equal bins over `range`; null when no score was captured. */
  scores: { range: [number, number]; counts: number[]; outOfRange: number } | null;
  /** Answers to golden rows (load.golden). */
  goldenAnswers: number;
  /** Share of golden answers whose class is the row's label; null without labels. */
  accuracy: number | null;
}

export interface WindowStats {
  window: WindowName;
  startOffsetS: number;
  endOffsetS: number;
  requests: number;
  failed: number;
  errorRate: number;
  rps: number;
  p50Ms: number | null;
  p90Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  statusCounts: Record<string, number>;
  /** Absent when no answer was captured or expected, and in results written before v2. */
  quality?: QualityStats;
}

/** Whether the load reached a window the verdict depends on (src/verdict/coverage.ts). */
export interface LoadCoverage {
  window: 'baseline' | 'fault' | 'recovery';
  /** 'requests' for arrival-rate executors; 'seconds' with at least one request for VU executors. */
  unit: 'requests' | 'seconds';
  expected: number;
  measured: number;
  /** k6's dropped_iterations in the window: arrivals it had no VU for. */
  dropped: number;
  /** measured / expected */
  share: number;
  required: number;
  ok: boolean;
}

/** What ran the load. */
export interface LoadInfo {
  /** The custom script as the scenario names it, or null for the built-in one. */
  script: string | null;
  /** Options of the custom script that the scenario's profile replaced, e.g. ["iterations"]. */
  ignoredOptions: string[];
  coverage: LoadCoverage[];
  /** The last error k6 logged (a script exception, for instance), or null. */
  k6Error: string | null;
  /** Present when the load ran as k6 pods in the cluster (load.runners): one entry per runner. */
  runners?: RunnerRecord[];
  /** load.remoteWrite: where k6's metrics and the fault markers went. Absent without it. */
  remoteWrite?: {
    url: string;
    /** On every series the run wrote (k6's as tags): run_id, chaos_scenario. */
    labels: Record<string, string>;
    /** chaos_fault_active pushes; null when the load never started. */
    faultMarkers: { series: number; pushes: number; failures: number; lastError: string | null } | null;
  };
}

/** One load runner (a k6 pod) of a run with load.runners. */
export interface RunnerRecord {
  pod: string;
  namespace: string;
  /** The node it ran on; null when it never got one. */
  node: string | null;
  /** Its k6 --execution-segment, e.g. "1/3:2/3". */
  segment: string;
  /** Requests the harness received from it (what the merged windows hold). */
  requests: number;
  /** Requests k6 itself counted at the end of its test (http_reqs), or null when it wrote no summary. */
  k6Requests: number | null;
  /** Its first request's start, ms after the earliest runner's first request; null without any request. */
  startSkewMs: number | null;
  /** Every sample it sent reached the harness and matches k6's own count. */
  complete: boolean;
  /** Why not complete, or null. */
  problem: string | null;
}

/** One window's error-budget burn. */
export interface WindowBurn {
  window: WindowName;
  requests: number;
  errors: number;
  errorRate: number;
  /** errorRate / (1 − slo): 1 spends exactly the budget over the SLO period. Null when the window had no requests. */
  burnRate: number | null;
}

export interface BurnRateRecord {
  /** The success objective burned against, e.g. 0.98 for "errors < 2 %". */
  slo: number;
  /** The id of the errorRate SLO it comes from, e.g. "error-rate-all". */
  from: string;
  windows: WindowBurn[];
}

/** One k6 threshold as k6 judged it at the end of the load (its --summary-export). */
export interface ThresholdResult {
  /** The k6 metric, with its tags for a sub-metric threshold, e.g. "http_req_duration{window:fault}". */
  metric: string;
  /** As written in load.thresholds (or the custom script), e.g. "p(95)<250". */
  expression: string;
  /** false when k6 reports the threshold crossed: the run then FAILs, as on a failed SLO. */
  ok: boolean;
}

/**
 * The facts behind an event's message, as values: readers (the game-day postmortem) take them from here instead of
 * parsing the words, which stay free to change.
 */
export interface TimelineEventData {
  /** On 'pod' events: how many target pods were Ready after the change. */
  readyPods?: number;
}

export interface TimelineEvent {
  at: string;
  /** seconds since load start, when known */
  t: number | null;
  kind: 'phase' | 'fault' | 'revert' | 'pod' | 'event' | 'note';
  message: string;
  /** Absent on events whose message is all there is, and on every event of a result written before it existed. */
  data?: TimelineEventData;
}

/** The HPA and Deployment watch behind a scaling SLO: each change, when it arrived (`t`: s since load start). */
export interface ScalingRecord {
  deployment: string;
  /** The HPA that scales the Deployment, or null when none was found. */
  hpa: HpaSpecSummary | null;
  hpaSamples: Array<Omit<HpaSample, 'at'> & { at: string; t: number | null }>;
  replicaSamples: Array<Omit<ReplicaSample, 'at'> & { at: string; t: number | null }>;
}

/** A stop condition (safety.stopWhen) that held, and how fast the faults were out after it did. */
export interface StopRecord {
  /** The condition as written: `errorRate > 5% over 10s`. */
  condition: string;
  /** What was measured when it held. */
  measured: string;
  /** When the check found it holding (ISO), and seconds since load start. */
  at: string;
  t: number | null;
  /** ms from that moment to the revert starting, and to every fault reverted; null if the revert never ran. */
  revertStartMs: number | null;
  reactionMs: number | null;
}

/** A span in which the API server did not answer (src/observe/contact.ts). */
export interface ApiOutage {
  from: string;
  /** null: still silent when the run ended. */
  to: string | null;
  /** Seconds since load start of `from` (null before the load started). */
  t: number | null;
  seconds: number;
}

export interface PrometheusRecord {
  /** Every query sent, in order, with its raw result or error. */
  queries: PromQueryRecord[];
  /** Built-in checks and reconciliation; present with a scenario prometheus section. */
  serverSide?: ServerSideRecord;
}

/** The harness process watching itself: what the soak benchmark judges, recorded for every run. */
export interface HarnessMetrics {
  /** Seconds between RSS samples. */
  sampleEveryS: number;
  /** Resident set size of the chaos process; `t` is seconds since the run started. */
  rss: { t: number; bytes: number }[];
  rssMaxBytes: number;
  /** Event-loop delay over the whole run, in ms: perf_hooks.monitorEventLoopDelay at 10 ms, less the 10 ms. */
  eventLoopDelayMs: { p50: number; p99: number; max: number; mean: number };
}

export interface RunResult {
  schemaVersion: typeof RESULT_SCHEMA_VERSION;
  runId: string;
  scenario: { name: string; description: string; file: string; labels: Record<string, string> };
  cluster: { context: string | null; namespace: string };
  startedAt: string;
  /** When k6 sent its first request: zero of every `t` offset. Null when no load ran. */
  loadStartedAt: string | null;
  finishedAt: string;
  durationS: number;
  timeScale: number;
  seed: number;
  verdict: RunVerdict;
  exitCode: number;
  /** Why the run is INCONCLUSIVE or was interrupted, in words; empty otherwise. */
  reasons: string[];
  slos: SloResult[];
  faults: FaultRecord[];
  windows: WindowStats[];
  timeline: TimelinePoint[];
  events: TimelineEvent[];
  /** Absent in results written before load coverage was checked. */
  load?: LoadInfo;
  /** k6 thresholds and whether they held; empty when none were set or no load ran. Absent in older results. */
  thresholds?: ThresholdResult[];
  /** How long the API server did not answer during the run, and when (empty when it always did). */
  apiContact?: { lostS: number; outages: ApiOutage[] };
  /** Present when a stop condition ended the fault phase early. */
  stoppedBy?: StopRecord;
  /** Present when a scaling SLO watched the autoscaler. */
  scaling?: ScalingRecord;
  /** Present with target.traces: what the trace backend gave for the failing SLOs' exemplars. */
  traces?: TracesRecord;
  /** Present when the run asked Prometheus anything: every query with its raw result, and the server side. */
  prometheus?: PrometheusRecord;
  /** The harness's own health over the run (memory, event-loop delay). Absent in older results and dry runs. */
  harness?: HarnessMetrics;
  errorBudget: { slo: number; requests: number; errors: number; consumed: number } | null;
  /**
   * Error-budget burn per window (src/budget/burn-rate.ts); null when the scenario has no errorRate SLO with a
   * budget. Absent in results written before it was reported.
   */
  burnRate?: BurnRateRecord | null;
  /** Paths relative to the report dir. */
  artifacts: Record<string, string>;
}
