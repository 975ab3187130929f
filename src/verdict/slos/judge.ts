/**
 * The SLO judge interface. An SLO kind is one module: the rules it adds to scenario validation, the id and
 * threshold text it reports under, what it needs from the observations, and how it judges them into a verdict
 * with evidence. The registry (index.ts) maps kind names to modules; nothing else switches on them.
 */
import type { AnswersSummary } from '../../load/answers.js';
import type { ExemplarCause } from '../../load/exemplars.js';
import type { PodObserver } from '../../observe/pods.js';
import type { PrometheusContext } from '../../observe/prometheus.js';
import type { ScalingTimeline } from '../../observe/scaling.js';
import type { Plan } from '../../plan/plan.js';
import type { SloSpec } from '../../scenario/schema.js';
import type { FaultRecord, SloResult, TimelinePoint, Verdict, WindowName, WindowStats } from '../result.js';

/** Per-window load facts beyond WindowStats that some SLOs need. */
export interface WindowEvidence extends WindowStats {
  statusByPayload: Record<string, Record<string, number>>;
  modelVersions: Record<string, number>;
  longestGapS: number | null;
  /** The model's answers captured in the window. */
  answers: AnswersSummary;
}

/** Everything measured during a run that a judge may read: data, so a judgment can be re-run and tested. */
export interface Observations {
  load: Partial<Record<WindowName, WindowEvidence>>;
  pods: PodObserver;
  faults: FaultRecord[];
  /** Absolute epoch ms of load start; window offsets are relative to it. */
  loadStartMs: number | null;
  desiredReplicas: number | null;
  /** Model version the endpoint reported before any fault. */
  versionBefore: string | null;
  /** Previous-container logs of pods created after the first fault, by pod name. */
  previousLogs: Record<string, string>;
  /** The scenario's Prometheus (prometheus section or a promql SLO's url); null when none is used. */
  prometheus?: PrometheusContext | null;
  /** The HPA and Deployment watch; null when no SLO asked for it. */
  scaling: ScalingTimeline | null;
  /** Requests and p95 per second of load, `t` in seconds since load start. */
  perSecond: Pick<TimelinePoint, 't' | 'requests' | 'p95Ms'>[];
}

export type SloKind = SloSpec['type'];
export type SloOf<K extends SloKind> = Extract<SloSpec, { type: K }>;

/** What a judge reads: the plan, and only the observations it declared it needs. */
export interface JudgeInput<N extends keyof Observations> {
  plan: Plan;
  obs: Pick<Observations, N>;
}

/** How an SLO is named and what it promises, known before anything is judged. */
export interface SloHeading {
  /** Stable: the junit testcase name users and CI rely on. Made unique by judgeSlos when it repeats. */
  id: string;
  window: WindowName;
  threshold: string;
}

export type Judgment = Pick<SloResult, 'verdict' | 'measured' | 'evidence'>;

export interface SloJudge<K extends SloKind, N extends keyof Observations = keyof Observations> {
  kind: K;
  /** The observations this kind reads; it is given nothing else. */
  needs: readonly N[];
  /**
   * An absence of requests alone reads as a breach of this kind (a gap, a low rate): on a window the load
   * missed, even its FAIL is unproven (src/verdict/coverage.ts).
   */
  absenceIsBreach?: true;
  /**
   * Which requests' traces explain a breach of this kind (target.traces): the window's slowest, or its failed
   * ones. Absent: traces say nothing about it.
   */
  exemplars?: ExemplarCause;
  heading(spec: SloOf<K>, input: JudgeInput<N>): SloHeading;
  /** Never PASS for missing data: what cannot be measured is INCONCLUSIVE. */
  judge(spec: SloOf<K>, input: JudgeInput<N>): Judgment | Promise<Judgment>;
}

/** Declares a judge with its `needs` inferred, so its reads are checked against them. */
export function defineSlo<K extends SloKind, N extends keyof Observations>(
  judge: SloJudge<K, N>,
): SloJudge<K, N> {
  return judge;
}

export function verdictOf(ok: boolean): Verdict {
  return ok ? 'PASS' : 'FAIL';
}

export function inconclusive(evidence: string): Judgment {
  return { verdict: 'INCONCLUSIVE', measured: null, evidence };
}

export function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/** A window's absolute span in epoch ms, or null when the load never started. */
export function windowSpan(
  plan: Plan,
  loadStartMs: number | null,
  window: WindowName,
): [number, number] | null {
  if (loadStartMs === null) return null;
  if (window === 'all') return [loadStartMs, loadStartMs + plan.totalMs];
  const w = plan.windows.find((x) => x.name === window)!;
  return [loadStartMs + w.startMs, loadStartMs + w.endMs];
}
