import type {
  QualityStats,
  RunResult,
  TimelinePoint,
  WindowName,
  WindowStats,
} from '../../../src/verdict/result.js';
import { RESULT_SCHEMA_VERSION } from '../../../src/verdict/result.js';

/**
 * A realistic pod-kill run against a 3-replica fraud scorer: 120 s of load, baseline/fault/recovery windows of
 * 40 s each, one pod deleted at t+40.2s and its replacement Ready at t+58s. Deterministic (no Math.random) so
 * snapshots of rendered output stay stable.
 */

export const LOAD_START = Date.parse('2026-11-23T15:30:00.000Z');
export const EVIL_EVIDENCE =
  'p99 431.7 ms over 1,987 requests in t+40s..t+80s; worst second t+43s: 612 ms while pod ' +
  'ml-serving/fraud-scorer-7d4b9f-xk2pq was <terminating> & endpoints reported "2/3" ready';

const at = (t: number): string => new Date(LOAD_START + t * 1000).toISOString();

/** Small deterministic wobble so the lines look like measurements, not rulers. */
function wobble(t: number, amplitude: number): number {
  return amplitude * (Math.sin(t * 1.7) * 0.6 + Math.sin(t * 0.37 + 1) * 0.4);
}

export function fixtureTimeline(): TimelinePoint[] {
  const points: TimelinePoint[] = [];
  for (let t = 0; t < 120; t++) {
    // Latency spikes right after the kill and decays while the two survivors absorb the load.
    const sinceKill = t - 41;
    const spike = sinceKill >= 0 && sinceKill < 20 ? Math.exp(-sinceKill / 5) : 0;
    const degraded = t >= 41 && t < 58 ? 1 : 0;
    const p50 = 18 + wobble(t, 2) + spike * 60 + degraded * 6;
    const p95 = 44 + wobble(t + 3, 5) + spike * 260 + degraded * 25;
    const p99 = 78 + wobble(t + 7, 9) + spike * 520 + degraded * 45;
    const errors = t >= 41 && t <= 45 ? ([6, 9, 4, 2, 1][t - 41] ?? 0) : t === 97 ? 1 : 0;
    points.push({
      t,
      requests: Math.round(50 + wobble(t + 11, 3)),
      errors,
      p50Ms: round1(p50),
      p95Ms: round1(p95),
      p99Ms: round1(p99),
      // The pod watch missed one poll: a gap, not a drop to zero.
      readyPods: t === 70 ? null : t >= 41 && t < 58 ? 2 : 3,
    });
  }
  return points;
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

function windowStats(window: WindowName, start: number, end: number, timeline: TimelinePoint[]): WindowStats {
  const pts = timeline.filter((p) => p.t >= start && p.t < end);
  const requests = pts.reduce((n, p) => n + p.requests, 0);
  const failed = pts.reduce((n, p) => n + p.errors, 0);
  const pick = (f: (p: TimelinePoint) => number | null, q: number): number | null => {
    const vals = pts
      .map(f)
      .filter((v): v is number => v !== null)
      .sort((a, b) => a - b);
    if (vals.length === 0) return null;
    return vals[Math.min(vals.length - 1, Math.floor(q * vals.length))] ?? null;
  };
  const statusCounts: Record<string, number> = { '200': requests - failed };
  if (failed > 0) statusCounts['503'] = failed;
  return {
    window,
    startOffsetS: start,
    endOffsetS: end,
    requests,
    failed,
    errorRate: requests > 0 ? failed / requests : 0,
    rps: requests / (end - start),
    p50Ms: pick((p) => p.p50Ms, 0.5),
    p90Ms: pick((p) => p.p95Ms, 0.4),
    p95Ms: pick((p) => p.p95Ms, 0.5),
    p99Ms: pick((p) => p.p99Ms, 0.5),
    maxMs: pick((p) => p.p99Ms, 1),
    statusCounts,
  };
}

export function makeRunResult(overrides: Partial<RunResult> = {}): RunResult {
  const timeline = fixtureTimeline();
  const windows = [
    windowStats('baseline', 0, 40, timeline),
    windowStats('fault', 40, 80, timeline),
    windowStats('recovery', 80, 120, timeline),
  ];
  const requests = timeline.reduce((n, p) => n + p.requests, 0);
  const errors = timeline.reduce((n, p) => n + p.errors, 0);
  const base: RunResult = {
    schemaVersion: RESULT_SCHEMA_VERSION,
    runId: '20261123-152942-pod-kill-7f3a',
    scenario: {
      name: 'pod-kill-under-load',
      description:
        'Kill one of three fraud-scorer replicas at 50 rps and check latency, errors and recovery.',
      file: 'scenarios/pod-kill.yaml',
      labels: { team: 'ml-platform', model: 'fraud-scorer', tier: 'critical' },
    },
    cluster: { context: 'kind-chaos', namespace: 'ml-serving' },
    startedAt: '2026-11-23T15:29:42.000Z',
    loadStartedAt: new Date(LOAD_START).toISOString(),
    finishedAt: '2026-11-23T15:32:05.500Z',
    durationS: 143.5,
    timeScale: 1,
    seed: 1337,
    verdict: 'FAIL',
    exitCode: 1,
    reasons: [],
    slos: [
      {
        id: 'latency-p95-baseline',
        kind: 'latency-percentile',
        window: 'baseline',
        verdict: 'PASS',
        measured: 46.2,
        threshold: '<= 250 ms',
        evidence: 'p95 46.2 ms over 2,001 requests in t+0s..t+40s.',
      },
      {
        id: 'latency-p99-fault',
        kind: 'latency-percentile',
        window: 'fault',
        verdict: 'FAIL',
        measured: 431.7,
        threshold: '<= 300 ms',
        evidence: EVIL_EVIDENCE,
      },
      {
        id: 'error-rate-all',
        kind: 'error-rate',
        window: 'all',
        verdict: 'PASS',
        measured: Number(((errors / requests) * 100).toFixed(3)),
        threshold: '< 1%',
        evidence: `${errors} of ${requests} requests failed (all 503, t+41s..t+45s and one at t+97s).`,
      },
      {
        id: 'ready-pods-recovery',
        kind: 'ready-pods-min',
        window: 'recovery',
        verdict: 'PASS',
        measured: 3,
        threshold: '>= 3 pods',
        evidence: 'Deployment fraud-scorer back to 3/3 ready at t+58s; no drop during the recovery window.',
      },
      {
        id: 'prediction-agreement-fault',
        kind: 'prediction-agreement',
        window: 'fault',
        verdict: 'INCONCLUSIVE',
        measured: null,
        threshold: '>= 99 %',
        evidence:
          'Only 12 of 200 canary predictions returned a score (minimum 100 to judge); 188 timed out at the client.',
      },
    ],
    faults: [
      {
        type: 'pod-kill',
        description: 'deleted pod ml-serving/fraud-scorer-7d4b9f-xk2pq (grace 0s)',
        injectedAt: at(40.2),
        revertedAt: at(58),
        confirmed: true,
        targets: ['ml-serving/fraud-scorer-7d4b9f-xk2pq'],
        notes: ['replacement fraud-scorer-7d4b9f-q8w2n Ready after 17.8s'],
      },
    ],
    windows,
    timeline,
    events: [
      { at: at(0), t: 0, kind: 'phase', message: 'load started: 50 rps constant-arrival-rate' },
      { at: at(0), t: 0, kind: 'phase', message: 'baseline window' },
      { at: at(40), t: 40, kind: 'phase', message: 'fault window' },
      {
        at: at(40.2),
        t: 40.2,
        kind: 'fault',
        message: 'deleted pod ml-serving/fraud-scorer-7d4b9f-xk2pq (grace 0s)',
      },
      { at: at(40.3), t: 40.3, kind: 'pod', message: 'fraud-scorer-7d4b9f-xk2pq Terminating' },
      { at: at(40.5), t: 40.5, kind: 'event', message: 'Endpoints fraud-scorer: removed 10.244.1.7:8080' },
      { at: at(41), t: 41, kind: 'pod', message: 'fraud-scorer-7d4b9f-q8w2n Scheduled on chaos-worker2' },
      {
        at: at(45.4),
        t: 45.4,
        kind: 'note',
        message: 'k6: 22 requests failed with status 503 in t+41s..t+45s',
      },
      { at: at(57.6), t: 57.6, kind: 'pod', message: 'fraud-scorer-7d4b9f-q8w2n Ready' },
      { at: at(58), t: 58, kind: 'revert', message: 'replacement pod Ready; endpoints back to 3/3' },
      { at: at(80), t: 80, kind: 'phase', message: 'recovery window' },
      { at: at(120), t: 120, kind: 'phase', message: 'load finished' },
      { at: '2026-11-23T15:32:05.000Z', t: null, kind: 'note', message: 'triage snapshot collected' },
    ],
    errorBudget: { slo: 0.999, requests, errors, consumed: errors / (requests * 0.001) },
    burnRate: {
      slo: 0.999,
      from: 'error-rate-all',
      windows: windows.map((w) => ({
        window: w.window,
        requests: w.requests,
        errors: w.failed,
        errorRate: w.errorRate,
        burnRate: w.requests === 0 ? null : w.failed / w.requests / 0.001,
      })),
    },
    // Keys and paths as the orchestrator writes them: keys are counters, paths say what the file is.
    artifacts: {
      'triage-1': 'triage/1-service.txt',
      'triage-2': 'triage/2-endpoints.txt',
      'triage-3': 'triage/3-pods.txt',
      'triage-4': 'triage/4-events.txt',
      'triage-5': 'triage/logs/fraud-scorer-7d4b9f-q8w2n.server.current.log',
      'triage-6': 'triage/logs/fraud-scorer-7d4b9f-mp9wz.server.current.log',
      k6Raw: 'k6-raw.ndjson',
    },
  };
  return { ...base, ...overrides };
}

/** 20 bins over [0, 1]: most scores low, a tail near 0.9; `shift` moves that much of the mass up one bin. */
function scoreCounts(total: number, shift: number): number[] {
  const shape = [30, 20, 12, 8, 5, 4, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 2, 2, 1, 2];
  const sum = shape.reduce((a, b) => a + b, 0);
  const counts = shape.map((w) => Math.floor((w / sum) * total));
  counts[0] = (counts[0] ?? 0) + total - counts.reduce((a, b) => a + b, 0);
  const moved = Math.round((counts[0] ?? 0) * shift);
  counts[0] = (counts[0] ?? 0) - moved;
  counts[6] = (counts[6] ?? 0) + moved;
  return counts;
}

/**
 * The pod-kill run with the model's answers recorded (chaos.result/v2): the fault window lost some answers to
 * unparsable bodies and its scores shifted; a class label carries markup to prove it is escaped everywhere.
 */
export const EVIL_CLASS = '<b>fraud</b>&"x"';

export function makeQualityRunResult(overrides: Partial<RunResult> = {}): RunResult {
  const base = makeRunResult();
  const quality: Record<WindowName, QualityStats> = {
    baseline: {
      answers: 2000,
      missing: {},
      classes: { legit: 1900, [EVIL_CLASS]: 100 },
      scores: { range: [0, 1], counts: scoreCounts(2000, 0), outOfRange: 0 },
      goldenAnswers: 400,
      accuracy: 0.9,
    },
    fault: {
      answers: 1000,
      missing: { unparsable_body: 12, path_not_found: 3 },
      classes: { legit: 700, [EVIL_CLASS]: 300 },
      scores: { range: [0, 1], counts: scoreCounts(1000, 0.5), outOfRange: 4 },
      goldenAnswers: 200,
      accuracy: 0.755,
    },
    recovery: {
      answers: 1990,
      missing: {},
      classes: { legit: 1890, [EVIL_CLASS]: 100 },
      scores: { range: [0, 1], counts: scoreCounts(1990, 0), outOfRange: 0 },
      goldenAnswers: 398,
      accuracy: null,
    },
    all: {
      answers: 4990,
      missing: { unparsable_body: 12, path_not_found: 3 },
      classes: { legit: 4490, [EVIL_CLASS]: 500 },
      scores: { range: [0, 1], counts: scoreCounts(4990, 0.1), outOfRange: 4 },
      goldenAnswers: 998,
      accuracy: null,
    },
  };
  return {
    ...base,
    windows: base.windows.map((w) => ({ ...w, quality: quality[w.window] })),
    slos: [
      ...base.slos.filter((s) => s.id !== 'prediction-agreement-fault'),
      {
        id: 'prediction-agreement-fault',
        kind: 'predictionAgreement',
        window: 'fault',
        verdict: 'FAIL',
        measured: '75.50%',
        threshold: '≥ 99% (tolerance 0.01)',
        evidence: '151 of 200 golden answers agree with the baseline (75.50%, score tolerance 0.01).',
      },
      {
        id: 'prediction-shift-class-fault',
        kind: 'predictionShift',
        window: 'fault',
        verdict: 'INCONCLUSIVE',
        measured: null,
        threshold: 'PSI ≤ 0.1',
        evidence: 'most responses in the fault window had no answer to judge.',
      },
    ],
    ...overrides,
  };
}
