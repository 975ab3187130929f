import { formatCount, formatMs, formatPercent, parseThreshold, windowFor } from '../../report/format.js';
import { loadStartEpochMs } from '../../report/timing.js';
import type { FaultRecord, RunResult, SloResult, TimelineEvent } from '../../verdict/result.js';
import type { GameDayScenario } from '../result.js';
import { readyPodsOf } from './ready-pods.js';
import { RESOLUTION_MIN_S } from './rules.js';

/** A scenario that ran, with the moments every section is derived from. */
export interface Run {
  entry: GameDayScenario;
  result: RunResult;
  name: string;
  loadStartMs: number | null;
  failed: SloResult[];
  breaches: Breach[];
  injection: { ms: number | null; offset: number | null; what: string };
  detection: Breach | null;
  mitigation: { ms: number; what: string } | null;
  resolution: { ms: number; t: number } | null;
  revertFailures: TimelineEvent[];
}

export interface Breach {
  t: number;
  ms: number;
  sloIds: string[];
  /** One line per check the second breached. */
  details: string[];
}

export function analyse(entry: GameDayScenario, result: RunResult): Run {
  const loadStartMs = loadStartEpochMs(result);
  const breaches = findBreaches(result, loadStartMs);
  const injection = injectionMoment(result, loadStartMs);
  const detection = firstBreachAfter(breaches, injection);
  return {
    entry,
    result,
    name: entry.name,
    loadStartMs,
    failed: result.slos.filter((s) => s.verdict === 'FAIL'),
    breaches,
    injection,
    detection,
    mitigation: mitigationOf(result, injection.ms),
    resolution: detection ? resolutionOf(result, breaches, loadStartMs) : null,
    revertFailures: result.events.filter((e) => e.kind === 'revert' && /^revert failed/i.test(e.message)),
  };
}

/**
 * The breaching second that contains the injection counts, since the fault acted within it; its time is then the
 * injection itself, so a detection never precedes what it detects.
 */
export function firstBreachAfter(
  breaches: readonly Breach[],
  injection: Run['injection'],
  sloId?: string,
): Breach | null {
  const { offset, ms } = injection;
  if (offset === null || ms === null) return null;
  const found = breaches.find((b) => b.t + 1 > offset && (sloId === undefined || b.sloIds.includes(sloId)));
  return found ? { ...found, ms: Math.max(found.ms, ms) } : null;
}

interface SecondCheck {
  slo: SloResult;
  start: number;
  end: number;
  test: (p: RunResult['timeline'][number]) => string | null;
}

function findBreaches(result: RunResult, loadStartMs: number | null): Breach[] {
  if (loadStartMs === null) return [];
  const checks = secondChecks(result);
  const breaches: Breach[] = [];
  for (const p of [...result.timeline].sort((a, b) => a.t - b.t)) {
    const fired = checks.flatMap((c) => {
      if (p.t < c.start || p.t >= c.end) return [];
      const detail = c.test(p);
      return detail === null ? [] : [{ id: c.slo.id, detail: `${c.slo.id}: ${detail}` }];
    });
    if (fired.length === 0) continue;
    breaches.push({
      t: p.t,
      ms: loadStartMs + p.t * 1000,
      sloIds: fired.map((f) => f.id),
      details: fired.map((f) => f.detail),
    });
  }
  return breaches;
}

function secondChecks(result: RunResult): SecondCheck[] {
  const checks: SecondCheck[] = [];
  for (const slo of result.slos) {
    if (slo.verdict !== 'FAIL') continue;
    const test = secondTest(slo);
    if (!test) continue;
    // A window the run did not record cannot narrow the check; judging the whole run errs towards reporting.
    const w = slo.window === 'all' ? undefined : windowFor(result, slo.window);
    checks.push({ slo, start: w?.startOffsetS ?? -Infinity, end: w?.endOffsetS ?? Infinity, test });
  }
  return checks;
}

/** The per-second form of a check, for the kinds a timeline point can measure; null for the others. */
function secondTest(slo: SloResult): SecondCheck['test'] | null {
  const parsed = parseThreshold(slo.threshold);
  if (!parsed) return null;
  if (slo.kind === 'errorRate' && parsed.unit === '%') {
    const max = parsed.value / 100;
    return (p) => {
      if (p.requests === 0) return null;
      // Same edge as the judge: a rate exactly at a "< max" objective is a miss.
      const over = max === 0 ? p.errors > 0 : p.errors >= max * p.requests * (1 - 1e-9);
      return over
        ? `${formatCount(p.errors)} of ${formatCount(p.requests)} requests failed (${formatPercent(p.errors / p.requests)}), objective ${slo.threshold}`
        : null;
    };
  }
  if (slo.kind === 'latency' && (parsed.unit === 'ms' || parsed.unit === 's')) {
    const maxMs = parsed.unit === 's' ? parsed.value * 1000 : parsed.value;
    const field = percentileField(slo.id);
    return (p) => {
      const v = p[field];
      return v !== null && v > maxMs
        ? `${field.slice(0, -2)} ${formatMs(v)} over ${formatCount(p.requests)} requests, objective ${slo.threshold}`
        : null;
    };
  }
  if (slo.kind === 'minReadyReplicas' && parsed.unit === null) {
    return (p) =>
      p.readyPods !== null && p.readyPods < parsed.value
        ? `${p.readyPods} Ready pods, objective ${slo.threshold}`
        : null;
  }
  return null;
}

function percentileField(sloId: string): 'p50Ms' | 'p95Ms' | 'p99Ms' {
  const percentile = Number(/^latency-p(\d+(?:\.\d+)?)/.exec(sloId)?.[1] ?? 95);
  if (percentile <= 50) return 'p50Ms';
  return percentile <= 95 ? 'p95Ms' : 'p99Ms';
}

function injectionMoment(result: RunResult, loadStartMs: number | null): Run['injection'] {
  const injected = result.faults
    .map((f) => ({ f, ms: f.injectedAt === null ? NaN : Date.parse(f.injectedAt) }))
    .filter((x) => Number.isFinite(x.ms))
    .sort((a, b) => a.ms - b.ms);
  const first = injected[0];
  const offset = (ms: number): number | null => (loadStartMs === null ? null : (ms - loadStartMs) / 1000);
  if (first) return { ms: first.ms, offset: offset(first.ms), what: `${first.f.type} fault injected` };
  const faultWindow = windowFor(result, 'fault');
  if (faultWindow && loadStartMs !== null) {
    const what =
      result.faults.length === 0
        ? 'fault window began (no fault to inject: the load itself is the experiment)'
        : 'fault window began (no fault was confirmed as injected)';
    return { ms: loadStartMs + faultWindow.startOffsetS * 1000, offset: faultWindow.startOffsetS, what };
  }
  return { ms: null, offset: null, what: 'no fault was injected and the run has no fault window' };
}

function mitigationOf(result: RunResult, injectionMs: number | null): Run['mitigation'] {
  if (injectionMs === null) return null;
  const candidates = [revertMoment(result.faults), selfHealMoment(result.events, injectionMs)].filter(
    (m): m is { ms: number; what: string } => m !== null,
  );
  return candidates.sort((a, b) => a.ms - b.ms)[0] ?? null;
}

function revertMoment(faults: readonly FaultRecord[]): { ms: number; what: string } | null {
  const injected = faults.filter((f) => f.injectedAt !== null);
  if (injected.length === 0 || injected.some((f) => f.revertedAt === null)) return null;
  const last = Math.max(...injected.map((f) => Date.parse(f.revertedAt ?? '')));
  if (!Number.isFinite(last)) return null;
  const types = [...new Set(injected.map((f) => f.type))].join(', ');
  return { ms: last, what: `${types} fault reverted` };
}

/** The last time Ready pods came back to their pre-fault count after dropping below it. */
function selfHealMoment(
  events: readonly TimelineEvent[],
  injectionMs: number,
): { ms: number; what: string } | null {
  const ready = events
    .map((e) => ({ ms: Date.parse(e.at), n: readyPodsOf(e) }))
    .filter((x): x is { ms: number; n: number } => x.n !== null && Number.isFinite(x.ms));
  const before = ready.filter((x) => x.ms <= injectionMs).at(-1)?.n;
  if (before === undefined) return null;
  let dropped = false;
  let healed: number | null = null;
  for (const x of ready.filter((r) => r.ms > injectionMs)) {
    if (x.n < before) {
      dropped = true;
      healed = null;
    } else if (dropped && healed === null) {
      healed = x.ms;
    }
  }
  return healed === null ? null : { ms: healed, what: `Ready pods back to the pre-fault count of ${before}` };
}

function resolutionOf(
  result: RunResult,
  breaches: readonly Breach[],
  loadStartMs: number | null,
): Run['resolution'] {
  const last = breaches.at(-1);
  if (!last || loadStartMs === null) return null;
  const tail = result.timeline.filter((p) => p.t > last.t).sort((a, b) => a.t - b.t);
  const first = tail[0];
  if (!first || tail.length < RESOLUTION_MIN_S) return null;
  return { ms: loadStartMs + first.t * 1000, t: first.t };
}
