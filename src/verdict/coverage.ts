/**
 * Load coverage: the precondition of every verdict. An SLO judged on a window the load never reached says
 * nothing about the target, so before judging, each window that holds a fault or an SLO is checked against what
 * the scenario's load profile owed it. A window that got too little makes the run INCONCLUSIVE, never PASS.
 *
 * - Arrival-rate executors (open model) owe a number of iterations: the rate integrated over the window. Each
 *   iteration sends at least one request, so the owed requests are that integral; k6's `dropped_iterations` (an
 *   arrival with no free VU) are load that never went out and count as missing.
 * - VU executors (closed model) send as fast as the target answers, so no count is owed; what is owed is that the
 *   load never paused: a request in each second of the window in which the profile runs at least one VU.
 *
 * At least 90 % of either is required. k6 starts arrival-rate iterations on schedule, so a healthy run measures
 * within a request or two of the integral (the e2e tests see < 2 %); the 10 % margin absorbs iterations still in
 * flight at a window's edge and the second k6 needs to start, while a script that stops, throttles itself or
 * runs out of VUs falls well below it.
 */
import type { LoadProfile, Plan, PhaseWindow } from '../plan/plan.js';
import type { LoadCoverage, SloResult, WindowName } from './result.js';
import { judgeOfKind } from './slos/index.js';

export const REQUIRED_SHARE = 0.9;

/** What the load measured, per window: requests tagged with it, and k6's dropped iterations in its time. */
export interface MeasuredLoad {
  windows: readonly { window: string; requests: number; dropped: number }[];
  /** Requests per second since load start (the timeline). */
  perSecond: readonly number[];
}

type Stage = LoadProfile['stages'][number];

/** A piecewise-linear level over time in seconds (k6's ramping executors interpolate within a stage). */
function levelAt(start: number, stages: readonly Stage[], t: number): number {
  let from = start;
  let at = 0;
  for (const st of stages) {
    const d = st.durationMs / 1000;
    if (t < at + d) return from + ((st.target - from) * (t - at)) / d;
    at += d;
    from = st.target;
  }
  return 0; // past the last stage: no load is planned
}

/** ∫ level dt over [a, b] seconds for a piecewise-linear level: exact, stage by stage (trapezoids). */
function integrate(start: number, stages: readonly Stage[], a: number, b: number): number {
  let from = start;
  let at = 0;
  let sum = 0;
  for (const st of stages) {
    const d = st.durationMs / 1000;
    const end = at + d;
    const lo = Math.max(a, at);
    const hi = Math.min(b, end);
    if (hi > lo) {
      const f = (t: number) => from + ((st.target - from) * (t - at)) / d;
      sum += ((f(lo) + f(hi)) / 2) * (hi - lo);
    }
    at = end;
    from = st.target;
  }
  return sum;
}

/** Iterations an arrival-rate profile starts in [a, b) seconds of test-run time. */
export function expectedArrivals(p: LoadProfile, a: number, b: number): number {
  if (p.executor === 'constant-arrival-rate')
    return p.rate * Math.max(0, Math.min(b, p.durationMs / 1000) - a);
  return integrate(0, p.stages, a, b);
}

/** Whole seconds of [a, b) in which a VU profile runs at least one VU (at the middle of the second). */
export function expectedActiveSeconds(p: LoadProfile, a: number, b: number): number[] {
  const out: number[] = [];
  for (let s = Math.floor(a); s < Math.ceil(b); s++) {
    const mid = s + 0.5;
    const vus =
      p.executor === 'constant-vus' ? (mid < p.durationMs / 1000 ? p.vus : 0) : levelAt(p.vus, p.stages, mid);
    if (vus >= 1) out.push(s);
  }
  return out;
}

/** The windows the verdict depends on: those holding a fault, and those an SLO judges ('all' is every one). */
export function windowsNeedingLoad(plan: Plan): PhaseWindow[] {
  const needed = new Set<PhaseWindow>();
  if (plan.faults.length > 0) needed.add('fault');
  for (const slo of plan.scenario.slos) {
    const w: WindowName = 'window' in slo ? slo.window : 'all';
    if (w === 'all') for (const x of plan.windows) needed.add(x.name);
    else needed.add(w);
  }
  return plan.windows.map((w) => w.name).filter((w) => needed.has(w));
}

export function measureCoverage(plan: Plan, load: MeasuredLoad): LoadCoverage[] {
  const profile = plan.k6.profile;
  const arrival = profile.executor.endsWith('arrival-rate');
  return windowsNeedingLoad(plan).map((name) => {
    const span = plan.windows.find((w) => w.name === name)!;
    const a = span.startMs / 1000;
    const b = span.endMs / 1000;
    const stats = load.windows.find((w) => w.window === name);
    const dropped = stats?.dropped ?? 0;
    let expected: number;
    let measured: number;
    if (arrival) {
      expected = Math.round(expectedArrivals(profile, a, b));
      measured = stats?.requests ?? 0;
    } else {
      const owed = expectedActiveSeconds(profile, a, b);
      expected = owed.length;
      measured = owed.filter((s) => (load.perSecond[s] ?? 0) > 0).length;
    }
    const share = expected > 0 ? measured / expected : 1;
    return {
      window: name,
      unit: arrival ? 'requests' : 'seconds',
      expected,
      measured,
      dropped,
      share: Math.round(share * 1000) / 1000,
      required: REQUIRED_SHARE,
      ok: share >= REQUIRED_SHARE,
    };
  });
}

export function describeShortfall(c: LoadCoverage): string {
  const pct = `${(c.share * 100).toFixed(1)} %`;
  const what =
    c.unit === 'requests'
      ? `${c.measured} of ${c.expected} expected requests (${pct}; ${c.dropped} dropped iterations)`
      : `requests in ${c.measured} of its ${c.expected} seconds with load planned (${pct})`;
  return `load coverage: the ${c.window} window got ${what}; at least ${REQUIRED_SHARE * 100} % is needed to judge it`;
}

/** SLOs judged on a window the load missed cannot PASS; returns the results with the affected ones rewritten. */
export function applyCoverage(slos: readonly SloResult[], coverage: readonly LoadCoverage[]): SloResult[] {
  const short = coverage.filter((c) => !c.ok);
  if (short.length === 0) return [...slos];
  return slos.map((s) => {
    const judge = judgeOfKind(s.kind);
    // Only SLOs measured on the requests sent depend on the load reaching their window.
    if (!judge?.needs.includes('load')) return s;
    const missed = short.filter((c) => s.window === 'all' || c.window === s.window);
    if (missed.length === 0) return s;
    if (s.verdict === 'INCONCLUSIVE') return s;
    // A latency or error-rate FAIL is a breach on requests that were sent, and stands; a kind that reads an
    // absence of requests as a breach cannot tell the target's fault from the load's.
    if (s.verdict === 'FAIL' && !judge.absenceIsBreach) return s;
    const why = missed
      .map((c) => `${c.window}: ${c.measured}/${c.expected} ${c.unit === 'requests' ? 'requests' : 's'}`)
      .join(', ');
    return {
      ...s,
      verdict: 'INCONCLUSIVE',
      evidence: `the load missed the window (${why}; ≥ ${REQUIRED_SHARE * 100} % needed); as measured: ${s.evidence}`,
    };
  });
}

/** A run stopped this close to a window's end still observed it: k6 ends a moment before its last second. */
const CUT_SHORT_TOLERANCE_MS = 2000;

/**
 * A run cut short (k6 died, the report directory filled up) stopped observing everything, the pod watch
 * included: an SLO whose window was still running then cannot PASS on what was seen before, nor FAIL for
 * something it did not see (a FAIL with nothing measured, like "3 Ready replicas never observed" seconds after
 * a kill). Both become INCONCLUSIVE, saying when and why the run stopped; a FAIL on a measured breach stands.
 */
export function applyCutShort(
  slos: readonly SloResult[],
  windowEndMs: Readonly<Record<string, number>>,
  cut: { atMs: number; reason: string } | null,
): SloResult[] {
  if (cut === null) return [...slos];
  return slos.map((s) => {
    const end = windowEndMs[s.window];
    const unproven = s.verdict === 'PASS' || (s.verdict === 'FAIL' && s.measured === null);
    if (!unproven || end === undefined || cut.atMs >= end - CUT_SHORT_TOLERANCE_MS) return s;
    return {
      ...s,
      verdict: 'INCONCLUSIVE',
      evidence: `the run was cut short at t=${(cut.atMs / 1000).toFixed(1)}s (${cut.reason}), before the ${s.window} window ended at t=${(end / 1000).toFixed(1)}s; as measured: ${s.evidence}`,
    };
  });
}
