/**
 * Scenario → Plan: every duration resolved to milliseconds after --time-scale, every fault placed on one
 * timeline whose zero is the moment k6 starts sending load, and the k6 options the load will run with.
 */
import { createHash } from 'node:crypto';
import type { GoldenSet } from '../scenario/golden.js';
import { requestUrl, type Protocol } from '../scenario/protocol.js';
import type { FaultSpec, Scenario } from '../scenario/schema.js';
import type { Duration } from '../scenario/units.js';

export type PhaseWindow = 'baseline' | 'fault' | 'recovery';

export interface WindowSpan {
  name: PhaseWindow;
  startMs: number;
  endMs: number;
}

export interface PlannedFault {
  index: number;
  spec: FaultSpec;
  /** From load start. */
  atMs: number;
  /** Every planned injection, from load start: [atMs], or one per round of a repeated fault. */
  injectAtMs: number[];
  /** When the orchestrator reverts it: the end of the fault window. */
  revertAtMs: number;
}

export interface Plan {
  scenario: Scenario;
  file: string;
  namespace: string;
  seed: number;
  timeScale: number;
  windows: WindowSpan[];
  totalMs: number;
  faults: PlannedFault[];
  k6: {
    /** One entry of k6's `scenarios` option. */
    scenario: Record<string, unknown>;
    /** The same profile as numbers: what load coverage checks the measured load against. */
    profile: LoadProfile;
    thresholds: Record<string, string[]>;
    windows: { name: PhaseWindow; seconds: number }[];
    features: number;
    rows: number;
    oversizeRows: number;
    oversizeEvery: number;
    /** The statuses that count as refusing an oversize batch (k6's expected statuses for those requests). */
    oversizeRefusedWith: number[];
    /** Extra, non-secret variables for the script. */
    env: Record<string, string>;
    /** Names of variables taken from the caller's environment and redacted everywhere. */
    secretEnv: string[];
    /** Where each answer is in a response body, as gjson paths for k6's Response.json(); null: not captured. */
    answers: { score: string | null; class: string | null; scoreColumn: number | null };
    /** What the built-in load sends: where, in which protocol's body (src/scenario/protocol.ts). */
    request: {
      url: string;
      protocol: Protocol;
      /** v2 only: the input tensor and the outputs asked for. */
      input: string;
      datatype: string;
      outputs: string[];
    };
    /** Where each response's model version is: a header, a gjson path in the body; null: not there. */
    version: { header: string | null; field: string | null };
    /**
     * target.traces: the 16 hex digits every request's trace id starts with, from the seed, so a rerun with the
     * same seed sends the same ids; null without a trace backend (no trace context is sent).
     */
    traceIdPrefix: string | null;
  };
  /** Golden replay: the file k6 reads, one golden request every `every` iterations, the rows' true labels. */
  golden: { file: string; every: number; rows: number; labels: string[] | null } | null;
}

export interface LoadProfile {
  executor: 'constant-arrival-rate' | 'ramping-arrival-rate' | 'constant-vus' | 'ramping-vus';
  /** constant-arrival-rate: iterations per second. */
  rate: number;
  /** constant-vus: VUs; ramping-vus: VUs at the start. ramping-arrival-rate starts at 0 iterations/s. */
  vus: number;
  /** Ramping executors: the level (iterations/s or VUs) reached at the end of each stage. */
  stages: { durationMs: number; target: number }[];
  /** constant executors: how long they run (the windows' total). */
  durationMs: number;
}

export interface PlanOptions {
  file: string;
  namespace?: string;
  seed: number;
  timeScale: number;
  /** The golden set read from load.golden.file, with the absolute path k6 opens. */
  golden?: { file: string; set: GoldenSet };
}

/** Windows shorter than a second make per-second statistics meaningless. */
const MIN_WINDOW_MS = 1000;

export function buildPlan(scenario: Scenario, opts: PlanOptions): Plan {
  const scale = (d: Duration) => Math.max(MIN_WINDOW_MS, Math.round((d.ms * opts.timeScale) / 1000) * 1000);
  const scaleAt = (d: Duration) => Math.round(d.ms * opts.timeScale);
  const baseline = scale(scenario.windows.baseline);
  const fault = scale(scenario.windows.fault);
  const recovery = scale(scenario.windows.recovery);
  const windows: WindowSpan[] = [
    { name: 'baseline', startMs: 0, endMs: baseline },
    { name: 'fault', startMs: baseline, endMs: baseline + fault },
    { name: 'recovery', startMs: baseline + fault, endMs: baseline + fault + recovery },
  ];
  const totalMs = baseline + fault + recovery;

  const faults = scenario.faults.map((spec, index) => ({
    index,
    spec,
    atMs: baseline + Math.min(scaleAt(spec.at), fault - 1),
    injectAtMs: injections(spec, baseline + Math.min(scaleAt(spec.at), fault - 1), opts.timeScale),
    revertAtMs: baseline + fault,
  }));

  const l = scenario.load;
  const vus = l.vus ?? Math.max(10, Math.ceil((l.rate ?? 10) / 2));
  const maxVUs = l.maxVUs ?? Math.max(vus * 4, 50);
  const stageMs = (l.stages ?? []).map((st) => scale(st.duration));
  // Scaling rounds each stage to whole seconds (at least one): make the stages add up to the windows again, so
  // every request still falls in a window. A shortfall goes to the last stage; an excess comes off the last
  // stages first, none going below a second.
  let excess = stageMs.reduce((a, ms) => a + ms, 0) - totalMs;
  if (excess < 0 && stageMs.length > 0) stageMs[stageMs.length - 1]! -= excess;
  for (let i = stageMs.length - 1; i >= 0 && excess > 0; i--) {
    const take = Math.min(excess, stageMs[i]! - MIN_WINDOW_MS);
    stageMs[i]! -= take;
    excess -= take;
  }
  const stages = (l.stages ?? []).map((st, i) => ({ duration: `${stageMs[i]! / 1000}s`, target: st.target }));
  const duration = `${totalMs / 1000}s`;
  let k6Scenario: Record<string, unknown>;
  switch (l.executor) {
    case 'constant-arrival-rate':
      k6Scenario = {
        executor: l.executor,
        rate: l.rate,
        timeUnit: '1s',
        duration,
        preAllocatedVUs: vus,
        maxVUs,
      };
      break;
    case 'ramping-arrival-rate':
      k6Scenario = {
        executor: l.executor,
        startRate: 0,
        timeUnit: '1s',
        preAllocatedVUs: vus,
        maxVUs,
        stages,
      };
      break;
    case 'constant-vus':
      k6Scenario = { executor: l.executor, vus, duration };
      break;
    case 'ramping-vus':
      k6Scenario = { executor: l.executor, startVUs: 0, stages, gracefulRampDown: '5s' };
      break;
  }
  k6Scenario.gracefulStop = '5s';

  const profile: LoadProfile = {
    executor: l.executor,
    rate: l.rate ?? 0,
    vus: l.executor === 'ramping-vus' ? 0 : vus,
    stages: (l.stages ?? []).map((st, i) => ({ durationMs: stageMs[i]!, target: st.target })),
    durationMs: totalMs,
  };

  const oversize = scenario.faults.find((f) => f.type === 'oversize-batch');
  const k6: Plan['k6'] = {
    scenario: k6Scenario,
    profile,
    thresholds: l.thresholds ?? {},
    windows: windows.map((w) => ({ name: w.name, seconds: (w.endMs - w.startMs) / 1000 })),
    features: l.payload.features,
    rows: l.payload.rows,
    oversizeRows: oversize?.type === 'oversize-batch' ? oversize.rows : 0,
    oversizeEvery: oversize?.type === 'oversize-batch' ? oversize.every : 0,
    oversizeRefusedWith: oversize?.type === 'oversize-batch' ? oversize.refusedWith : [413],
    env: { ...l.env, ...(l.newConnectionPerRequest ? { CHAOS_NO_CONNECTION_REUSE: 'true' } : {}) },
    secretEnv: l.secretEnv,
    answers: {
      score: scenario.target.response.score?.gjson ?? null,
      class: scenario.target.response.class?.gjson ?? null,
      scoreColumn: scenario.target.response.scoreColumn ?? null,
    },
    request: {
      url: requestUrl(scenario.target),
      protocol: scenario.target.protocol,
      input: scenario.target.model?.input ?? 'input-0',
      datatype: scenario.target.model?.datatype ?? 'FP32',
      outputs: scenario.target.model?.outputs ?? [],
    },
    version: {
      header: scenario.target.modelVersion.header ?? null,
      field: scenario.target.modelVersion.field?.gjson ?? null,
    },
    traceIdPrefix: scenario.target.traces ? traceIdPrefix(opts.seed) : null,
  };

  return {
    scenario,
    file: opts.file,
    namespace: opts.namespace ?? scenario.target.namespace,
    seed: opts.seed,
    timeScale: opts.timeScale,
    windows,
    totalMs,
    faults,
    k6,
    golden:
      l.golden && opts.golden
        ? {
            file: opts.golden.file,
            every: l.golden.every,
            rows: opts.golden.set.rows.length,
            labels: opts.golden.set.labels,
          }
        : null,
  };
}

export function traceIdPrefix(seed: number): string {
  return createHash('sha256').update(`chaos trace ids, seed ${seed}`).digest('hex').slice(0, 16);
}

export function windowAt(plan: Plan, offsetMs: number): PhaseWindow {
  for (const w of plan.windows) if (offsetMs < w.endMs) return w.name;
  return 'recovery';
}

/** A repeated fault is injected once per round, `interval` apart (scaled as the fault scales it). */
function injections(spec: FaultSpec, atMs: number, timeScale: number): number[] {
  if (!('repeat' in spec) || spec.repeat <= 1 || !spec.interval) return [atMs];
  const interval = spec.interval.ms * timeScale;
  return Array.from({ length: spec.repeat }, (_, i) => Math.round(atMs + i * interval));
}
