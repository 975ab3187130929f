import type { Exemplar } from '../../../src/load/exemplars.js';
import type { TraceSummary } from '../../../src/observe/traces.js';
import type { RunResult, SloResult, SloTraces } from '../../../src/verdict/result.js';
import { makeRunResult } from './fixture.js';

/**
 * Trace exemplars as src/run/traces.ts attaches them: two slow requests of the fault window that spent nearly all
 * their time waiting on the feature store, and one failed request whose error started in the feature store. An
 * operation name carries markup to prove it is escaped everywhere.
 */

export const SLOW_1 = '4bf92f3577b34da6a3ce929d0e0e4736';
export const SLOW_2 = 'c3d4e5f60718293a4b5c6d7e8f901a2b';
export const FAILED_1 = '0af7651916cd43dd8448eb211c80319c';
export const MISSING = 'ffffffffffffffffffffffffffffffff';
export const EVIL_OPERATION = '<b>model</b>&"predict"';
export const BACKEND_DOWN =
  'exemplars could not be fetched: the trace backend at http://127.0.0.1:30686 did not answer: ECONNREFUSED';

export function slowSummary(traceId: string, featureMs: number): TraceSummary {
  const total = featureMs + 5.2;
  return {
    traceId,
    durationMs: total,
    spans: 4,
    services: ['feature-store', 'fraud-scorer'],
    selfTime: [
      { service: 'fraud-scorer', operation: 'feature-store GET', ms: featureMs - 2.1 },
      { service: 'fraud-scorer', operation: 'POST /score', ms: 3.1 },
      { service: 'feature-store', operation: 'GET /features', ms: 2.1 },
      { service: 'fraud-scorer', operation: EVIL_OPERATION, ms: 1.3 },
    ],
    criticalPath: [
      { service: 'fraud-scorer', operation: 'POST /score', ms: 3.1 },
      { service: 'fraud-scorer', operation: 'feature-store GET', ms: featureMs - 2.1 },
      { service: 'feature-store', operation: 'GET /features', ms: 2.1 },
      { service: 'fraud-scorer', operation: EVIL_OPERATION, ms: 1.3 },
    ],
    bottleneck: { service: 'fraud-scorer', operation: 'feature-store GET', ms: featureMs - 2.1 },
    errorSpan: null,
    waterfall: [
      {
        service: 'fraud-scorer',
        operation: 'POST /score',
        startMs: 0,
        durationMs: total,
        depth: 0,
        error: false,
      },
      {
        service: 'fraud-scorer',
        operation: 'feature-store GET',
        startMs: 1.5,
        durationMs: featureMs,
        depth: 1,
        error: false,
      },
      {
        service: 'feature-store',
        operation: 'GET /features',
        startMs: featureMs - 1,
        durationMs: 2.1,
        depth: 2,
        error: false,
      },
      {
        service: 'fraud-scorer',
        operation: EVIL_OPERATION,
        startMs: featureMs + 3.7,
        durationMs: 1.3,
        depth: 1,
        error: false,
      },
    ],
  };
}

export function failedSummary(traceId: string): TraceSummary {
  return {
    traceId,
    durationMs: 12.4,
    spans: 3,
    services: ['feature-store', 'fraud-scorer'],
    selfTime: [
      { service: 'fraud-scorer', operation: 'POST /score', ms: 8.2 },
      { service: 'fraud-scorer', operation: 'feature-store GET', ms: 3.1 },
      { service: 'feature-store', operation: 'GET /features', ms: 1.1 },
    ],
    criticalPath: [
      { service: 'fraud-scorer', operation: 'POST /score', ms: 8.2 },
      { service: 'fraud-scorer', operation: 'feature-store GET', ms: 3.1 },
      { service: 'feature-store', operation: 'GET /features', ms: 1.1 },
    ],
    bottleneck: { service: 'fraud-scorer', operation: 'POST /score', ms: 8.2 },
    errorSpan: { service: 'feature-store', operation: 'GET /features', message: 'connection refused' },
    waterfall: [
      {
        service: 'fraud-scorer',
        operation: 'POST /score',
        startMs: 0,
        durationMs: 12.4,
        depth: 0,
        error: true,
      },
      {
        service: 'fraud-scorer',
        operation: 'feature-store GET',
        startMs: 2,
        durationMs: 4.2,
        depth: 1,
        error: true,
      },
      {
        service: 'feature-store',
        operation: 'GET /features',
        startMs: 3,
        durationMs: 1.1,
        depth: 2,
        error: true,
      },
    ],
  };
}

function exemplar(e: Exemplar, summary: TraceSummary): Exemplar & { summary: TraceSummary } {
  return { ...e, summary };
}

export const SLOW_TRACES: SloTraces = {
  cause: 'slow',
  exemplars: [
    exemplar(
      { traceId: SLOW_1, cause: 'slow', ms: 306.4, status: '200', offsetS: 43.2 },
      slowSummary(SLOW_1, 301.2),
    ),
    exemplar(
      { traceId: SLOW_2, cause: 'slow', ms: 298.9, status: '200', offsetS: 51.7 },
      slowSummary(SLOW_2, 290),
    ),
  ],
  missing: [],
  problem: null,
};

export const FAILED_TRACES: SloTraces = {
  cause: 'failed',
  exemplars: [
    exemplar(
      { traceId: FAILED_1, cause: 'failed', ms: 12.9, status: '503', offsetS: 41.3 },
      failedSummary(FAILED_1),
    ),
  ],
  missing: [MISSING],
  problem: null,
};

/** The pod-kill fixture with exemplars on its failed latency SLO and on a failed error-rate SLO of the fault window. */
export function makeTracedRunResult(overrides: Partial<RunResult> = {}): RunResult {
  const base = makeRunResult();
  const errorRateFault: SloResult = {
    id: 'error-rate-fault',
    kind: 'errorRate',
    window: 'fault',
    verdict: 'FAIL',
    measured: 1.09,
    threshold: '< 1%',
    evidence: '22 of 2010 requests failed (1.09%); non-2xx: 503×22',
    traces: FAILED_TRACES,
  };
  return {
    ...base,
    slos: [
      ...base.slos.map((s) => (s.id === 'latency-p99-fault' ? { ...s, traces: SLOW_TRACES } : s)),
      errorRateFault,
    ],
    traces: { url: 'http://127.0.0.1:30686', slos: 2, fetched: 3, missing: 1, problem: null },
    artifacts: {
      ...base.artifacts,
      'trace-1': `triage/trace-${SLOW_1}.json`,
      'trace-2': `triage/trace-${SLOW_2}.json`,
      'trace-3': `triage/trace-${FAILED_1}.json`,
    },
    ...overrides,
  };
}

/** The same run when the trace backend did not answer: no exemplar, the problem on each SLO and on the run. */
export function makeBackendDownRunResult(): RunResult {
  const base = makeTracedRunResult();
  const none = (cause: SloTraces['cause']): SloTraces => ({
    cause,
    exemplars: [],
    missing: [],
    problem: BACKEND_DOWN,
  });
  return {
    ...base,
    slos: base.slos.map((s) => (s.traces ? { ...s, traces: none(s.traces.cause) } : s)),
    traces: { url: 'http://127.0.0.1:30686', slos: 2, fetched: 0, missing: 0, problem: BACKEND_DOWN },
    artifacts: makeRunResult().artifacts,
  };
}
