/**
 * Exemplar traces as evidence. For each SLO that did not pass and whose kind names a cause (its judge's
 * `exemplars`: a latency SLO's slowest requests, an error SLO's failed ones), the window's exemplars
 * (load/exemplars.ts) are fetched from the trace backend and summarised: where the time went, what errored.
 * A backend that does not answer, or lacks a trace, is noted on the SLO and in the run's record, never fatal:
 * the SLO results stay exactly what the judges said.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { jaegerBackend, TraceBackendError, type TraceBackend } from '../adapters/jaeger.js';
import { EnvironmentError } from '../errors.js';
import type { Exemplar, ExemplarCause } from '../load/exemplars.js';
import type { WindowSummary } from '../load/summary.js';
import { describeBottleneck, summariseTrace, type TraceSummary } from '../observe/traces.js';
import type { Scenario } from '../scenario/schema.js';
import type { SloResult, SloTraces, TracesRecord } from '../verdict/result.js';
import { judgeOfKind } from '../verdict/slos/index.js';

export interface TracesSetup {
  backend: TraceBackend;
  /** Traces shown per SLO. */
  exemplars: number;
  /** Secret values to redact (the bearer token). */
  secrets: string[];
}

/** Null without target.traces. A token named but not set is an environment error, before any cluster write. */
export function tracesSetup(scenario: Scenario, env: Record<string, string | undefined>): TracesSetup | null {
  const t = scenario.target.traces;
  if (!t) return null;
  let bearerToken: string | undefined;
  if (t.bearerTokenEnv) {
    bearerToken = env[t.bearerTokenEnv];
    if (!bearerToken)
      throw new EnvironmentError(
        `${t.bearerTokenEnv} (target.traces.bearerTokenEnv) is not set in the environment`,
      );
  }
  return {
    backend: jaegerBackend({ url: t.url, ...(bearerToken ? { bearerToken } : {}) }),
    exemplars: t.exemplars,
    secrets: bearerToken ? [bearerToken] : [],
  };
}

export interface TraceEvidenceInput {
  backend: TraceBackend;
  perSlo: number;
  slos: readonly SloResult[];
  windows: readonly WindowSummary[];
  /** Epoch ms of the load's start: exemplars' offsets count from it. */
  loadStartMs: number;
  /** The report dir: each fetched trace's own document goes to triage/trace-<id>.json. */
  reportDir: string;
  /** Spans reach the backend in batches: a trace is asked for no sooner than this after its request ended. */
  exportDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export interface TraceEvidence {
  slos: SloResult[];
  record: TracesRecord;
  /** Report-relative paths of the files written. */
  files: string[];
}

// A run with the same seed sends the same trace ids, and a trace backend keeps both runs' spans under one id:
// only spans within this much of the request's own time are its. Generous for clocks kept by NTP, and far
// shorter than any two runs are apart.
const CLOCK_SLACK_MS = 10_000;
// OpenTelemetry SDKs export in batches every 5 s by default, and the backend batches again.
const EXPORT_DELAY_MS = 10_000;
// A trace whose spans cover less than this share of what k6 measured is missing its entry spans (not exported
// yet, or dropped): its summary would name the wrong place. Requests this short are mostly network either way.
const MIN_COVERED = 0.5;
const SHORT_REQUEST_MS = 50;

export async function traceEvidence(input: TraceEvidenceInput): Promise<TraceEvidence> {
  const sleep = input.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = input.now ?? Date.now;
  const fetched = new Map<string, TraceSummary | null>();
  const files: string[] = [];
  let problem: string | null = null;
  const exportDelayMs = input.exportDelayMs ?? EXPORT_DELAY_MS;

  const fetchOne = async (e: Exemplar): Promise<TraceSummary | null> => {
    const id = e.traceId;
    if (fetched.has(id)) return fetched.get(id)!;
    const endMs = input.loadStartMs + e.offsetS * 1000;
    // The slowest requests tend to end last, right before the verdict: their spans may still be on the way.
    const readyAt = endMs + exportDelayMs;
    if (now() < readyAt) await sleep(readyAt - now());
    const got = await input.backend.trace(id, [endMs - e.ms - CLOCK_SLACK_MS, endMs + CLOCK_SLACK_MS]);
    let summary = got && got.spans.length > 0 ? summariseTrace(id, got.spans) : null;
    if (summary && e.ms > SHORT_REQUEST_MS && summary.durationMs < MIN_COVERED * e.ms) summary = null;
    if (got && summary) {
      const dir = path.join(input.reportDir, 'triage');
      await mkdir(dir, { recursive: true });
      const name = `trace-${id}.json`;
      await writeFile(path.join(dir, name), `${JSON.stringify(got.raw, null, 2)}\n`);
      files.push(path.join('triage', name));
    }
    fetched.set(id, summary);
    return summary;
  };

  const slos: SloResult[] = [];
  for (const slo of input.slos) {
    const cause = judgeOfKind(slo.kind)?.exemplars;
    if (slo.verdict === 'PASS' || !cause) {
      slos.push(slo);
      continue;
    }
    const window = input.windows.find((w) => w.window === slo.window);
    const candidates = pick(window?.exemplars, cause);
    const traces: SloTraces = { cause: candidates.cause, exemplars: [], missing: [], problem: null };
    if (candidates.list.length === 0) {
      traces.problem = `no traced request in the ${slo.window} window`;
    } else if (problem !== null) {
      traces.problem = problem;
    } else {
      try {
        for (const e of candidates.list) {
          if (traces.exemplars.length >= input.perSlo) break;
          const summary = await fetchOne(e);
          if (summary) traces.exemplars.push({ ...e, summary });
          else traces.missing.push(e.traceId);
        }
        if (traces.exemplars.length === 0)
          traces.problem = `the trace backend holds none of the ${traces.missing.length} traces asked for`;
      } catch (error) {
        if (!(error instanceof TraceBackendError)) throw error;
        problem = `exemplars could not be fetched: ${error.message}`;
        traces.problem = problem;
      }
    }
    slos.push({ ...slo, evidence: `${slo.evidence}${evidenceTail(traces)}`, traces });
  }
  const asked = slos.filter((s) => s.traces).length;
  return {
    slos,
    files,
    record: {
      url: input.backend.url,
      fetched: [...fetched.values()].filter((s) => s !== null).length,
      missing: [...fetched.values()].filter((s) => s === null).length,
      slos: asked,
      problem,
    },
  };
}

/** The SLO's cause's exemplars; a failed-request SLO with no failed request traced shows the slowest instead. */
function pick(
  pool: WindowSummary['exemplars'] | undefined,
  cause: ExemplarCause,
): { cause: ExemplarCause; list: Exemplar[] } {
  if (!pool) return { cause, list: [] };
  if (cause === 'failed' && pool.failed.length > 0) return { cause, list: pool.failed };
  return { cause: 'slow', list: pool.slowest };
}

function evidenceTail(t: SloTraces): string {
  if (t.exemplars.length === 0) return `; traces: ${t.problem}`;
  const what = t.cause === 'slow' ? 'slowest' : 'failed';
  const first = t.exemplars[0]!.summary;
  const failedAt = first.errorSpan
    ? `; first error in ${first.errorSpan.service} › ${first.errorSpan.operation}${first.errorSpan.message ? ` (${first.errorSpan.message})` : ''}`
    : '';
  const ids = t.exemplars.map((e) => e.traceId).join(', ');
  return `; where the time went (${t.exemplars.length} ${what} traced requests): ${describeBottleneck(first)}${failedAt}; traces ${ids}`;
}
