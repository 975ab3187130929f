/**
 * The game day written up in the sections of the runbook's postmortem template. Pure: every value is derived from
 * the GameDayResult, so a section with nothing measured to report says so in words instead of holding template
 * text. The rules behind each derived value are exported as POSTMORTEM_RULES and repeated in the output, so a
 * reader can check a time or a severity against the data without reading this file.
 */
import {
  formatCount,
  formatDuration,
  formatMeasured,
  formatMs,
  formatOffset,
  formatPercent,
  parseThreshold,
  windowFor,
} from '../report/format.js';
import { loadStartEpochMs } from '../report/timing.js';
import type { FaultRecord, RunResult, SloResult, TimelineEvent, Verdict } from '../verdict/result.js';
import type { GameDayResult, GameDayScenario } from './result.js';

/** Sev-1 when every request failed for at least this many consecutive seconds. */
export const SEV1_TOTAL_FAILURE_S = 5;
/** Sev-1 when any window's error rate reaches this fraction. */
export const SEV1_ERROR_RATE = 0.5;
/** A breach-free tail shorter than this (often k6's last partial second) is not a resolution. */
export const RESOLUTION_MIN_S = 5;
/** The game-day template's "Improve: 1 week after". */
export const ACTION_ITEM_DUE_DAYS = 7;

export const POSTMORTEM_RULES = {
  breachSecond:
    'A timeline second is in breach when, inside the window of a check that FAILed for its run, it exceeds that ' +
    "check's threshold: error rate (errors / requests) at or above an errorRate objective, the second's latency " +
    'percentile (p50, p95 or p99; other percentiles use the next one recorded) above a latency objective, or Ready ' +
    'pods below a minReadyReplicas objective. Checks that passed do not count, so a single failed request in a ' +
    'passing run is not an incident; a second without completed requests is judged on Ready pods only.',
  detection:
    'Detection is the start of the first breaching second at or after the injection: the earliest injectedAt of the ' +
    "scenario's faults, or, for a scenario without faults (a load ramp), the start of its fault window. A failed " +
    'check with no per-second signal (recovery time, status codes, restarts) is detected when its run was judged ' +
    "(the run's finishedAt).",
  mitigation:
    'Mitigation is the earlier of: every injected fault reverted (the latest faults[].revertedAt), and the system ' +
    'recovering by itself (the last pod event after the injection that brings Ready pods back to their pre-fault count).',
  resolution:
    'Resolution is the start of the last breach-free stretch that lasts to the end of the run and spans at least ' +
    `${RESOLUTION_MIN_S} timeline seconds; otherwise the breach was not resolved within the run.`,
  severity:
    `Sev-1 (Production outage or major business impact; Immediate response): any load window's error rate is at least ` +
    `${SEV1_ERROR_RATE * 100}%, or every request failed for at least ${SEV1_TOTAL_FAILURE_S} consecutive seconds. ` +
    'Sev-2 (Partial degradation with workaround; within 1 hour): otherwise, when any check FAILed. ' +
    'Sev-3 (Non-critical defect or low-impact issue; Planned fix): no check failed (all passed, or only ' +
    'inconclusive checks and skipped scenarios).',
  impact:
    'Breach seconds count every timeline second in breach over the whole run. Requests, errors and error budget are ' +
    "the run's errorBudget (budget = 1 - SLO; consumed as the run computed it), or the all window without one.",
  actionItems:
    "One item per FAILed check, chosen by the scenario's fault types and the check's kind, first match wins: drift " +
    'check; model-version fault or version check: version hash check; oversize-batch: input schema check; restarts ' +
    'or OOM kills: probes and limits; latency fault: circuit breaker and fallback around the feature store; node ' +
    'drain losing replicas: PodDisruptionBudget and spread; pod kill or node drain: probes, graceful shutdown and ' +
    'a PodDisruptionBudget; no fault (load ramp): autoscaler ahead of the p95 breach; anything else: pin the ' +
    `environment and reproduce with the seed. Owner: the suite's metadata.owner; due: game-day date + ${ACTION_ITEM_DUE_DAYS} days.`,
} as const;

export type SeverityLevel = 'Sev-1' | 'Sev-2' | 'Sev-3';

export interface ScenarioDateTime {
  index: number;
  scenario: string;
  /** The moment breaches start to count as detections; null when neither a fault nor a fault window exists. */
  injectedAt: string | null;
  injection: string;
  detectedAt: string | null;
  /** per-second: a timeline second breached; end-of-run: only the run's final evaluation saw the failure. */
  detectionKind: 'per-second' | 'end-of-run' | null;
  /** What fired at detectedAt, in words. */
  detectedBy: string | null;
  mitigatedAt: string | null;
  mitigation: string | null;
  resolvedAt: string | null;
  resolution: string;
  breachSeconds: number;
}

export interface PostmortemDateTime {
  /** True when any check failed, whether seen second by second or at the end of a run. */
  breached: boolean;
  detectedAt: string | null;
  mitigatedAt: string | null;
  resolvedAt: string | null;
  summary: string;
  scenarios: ScenarioDateTime[];
  rules: string[];
}

export interface PostmortemSeverity {
  level: SeverityLevel;
  meaning: string;
  response: string;
  /** Why this level, with the measured values that decided it. */
  reason: string;
  /** Which scenarios and windows the level rests on. */
  scope: string[];
  rule: string;
}

export interface DetectedCheck {
  scenario: string;
  sloId: string;
  kind: string;
  window: string;
  measured: string;
  threshold: string;
  evidence: string;
  /** First breaching second of this check at or after the injection; null when it has no per-second signal. */
  firstBreachAt: string | null;
  /** When the run was judged: the detection time of a check without a per-second signal. */
  judgedAt: string;
}

export interface PostmortemDetection {
  summary: string;
  checks: DetectedCheck[];
}

export interface EvidenceSource {
  scenario: string;
  /** When the evidence was recorded or, for end-of-run checks, when the run was judged. */
  at: string | null;
  /** Where it was found, e.g. "pod event", "check error-rate-fault", "run reason". */
  from: string;
  text: string;
}

export interface RootCauseCandidate {
  rank: number;
  cause: string;
  sources: EvidenceSource[];
}

export interface ContributingFactor {
  scenario: string;
  factor: string;
  evidence: string;
}

export interface PostmortemTimelineEntry {
  at: string;
  scenario: string;
  kind: TimelineEvent['kind'] | 'detected' | 'mitigated' | 'resolved';
  message: string;
}

export interface TimelineMinute {
  /** "HH:MM" in UTC; prefixed with the date when the game day spans more than one UTC day. */
  minute: string;
  startsAt: string;
  requests: number;
  errors: number;
  /** The highest per-second p95 in the minute: percentiles of different seconds cannot be merged exactly. */
  worstP95Ms: number | null;
  entries: PostmortemTimelineEntry[];
}

export interface ScenarioImpact {
  index: number;
  scenario: string;
  verdict: Verdict;
  breachSeconds: number;
  requests: number;
  errors: number;
  errorRate: number;
  errorBudget: { slo: number; consumed: number } | null;
}

export interface PostmortemImpact {
  scenarios: ScenarioImpact[];
  total: {
    breachSeconds: number;
    requests: number;
    errors: number;
    errorRate: number;
    errorBudget: GameDayResult['errorBudget'];
  };
  /** Scenarios that did not run, with the reason. */
  notRun: string[];
  rule: string;
}

export interface ActionItem {
  id: string;
  scenario: string;
  sloId: string;
  action: string;
  /** The measured failure the item answers. */
  why: string;
  /** The runbook text the action is seeded from. */
  basis: string;
  owner: string;
  /** YYYY-MM-DD */
  due: string;
}

export interface GameDayPhase {
  phase: 'Announce' | 'Inject' | 'Respond' | 'Review' | 'Improve';
  at: string | null;
  what: string;
}

export interface Postmortem {
  title: string;
  generatedAt: string;
  dateTime: PostmortemDateTime;
  severity: PostmortemSeverity;
  detection: PostmortemDetection;
  rootCauseCandidates: RootCauseCandidate[];
  /** Empty when nothing could be derived; renderers then leave the section out. */
  contributingFactors: ContributingFactor[];
  timeline: TimelineMinute[];
  impact: PostmortemImpact;
  wentWell: string[];
  wentWrong: string[];
  actionItems: ActionItem[];
  phases: GameDayPhase[];
}

export const UNOWNED = 'unowned: set metadata.owner in the suite';

export function postmortem(g: GameDayResult, opts: { now?: Date } = {}): Postmortem {
  const runs = g.scenarios.flatMap((entry) => (entry.result ? [analyse(entry, entry.result)] : []));
  const dateTime = deriveDateTime(runs);
  const actionItems = deriveActionItems(g, runs);
  return {
    title: deriveTitle(g, runs),
    generatedAt: (opts.now ?? new Date()).toISOString(),
    dateTime,
    severity: deriveSeverity(runs),
    detection: deriveDetection(runs),
    rootCauseCandidates: deriveRootCauses(runs),
    contributingFactors: deriveContributingFactors(runs),
    timeline: deriveTimeline(runs),
    impact: deriveImpact(g, runs),
    wentWell: runs.flatMap(wentWell),
    wentWrong: [
      ...runs.flatMap(wentWrong),
      ...skipped(g).map((s) => `${s.name} was skipped: ${skipReason(s)}`),
    ],
    actionItems,
    phases: derivePhases(g, runs, dateTime, actionItems),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Per-scenario measurements

interface Breach {
  t: number;
  ms: number;
  sloIds: string[];
  /** One line per check the second breached. */
  details: string[];
}

interface SecondCheck {
  slo: SloResult;
  start: number;
  end: number;
  test: (p: RunResult['timeline'][number]) => string | null;
}

interface Run {
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

function analyse(entry: GameDayScenario, result: RunResult): Run {
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
function firstBreachAfter(
  breaches: readonly Breach[],
  injection: Run['injection'],
  sloId?: string,
): Breach | null {
  const { offset, ms } = injection;
  if (offset === null || ms === null) return null;
  const found = breaches.find((b) => b.t + 1 > offset && (sloId === undefined || b.sloIds.includes(sloId)));
  return found ? { ...found, ms: Math.max(found.ms, ms) } : null;
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

const READY_EVENT = /^(\d+) target pod\(s\) Ready/;

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
    .map((e) => ({ ms: Date.parse(e.at), n: Number(READY_EVENT.exec(e.message)?.[1] ?? NaN), kind: e.kind }))
    .filter((x) => x.kind === 'pod' && Number.isFinite(x.ms) && Number.isFinite(x.n));
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

// ---------------------------------------------------------------------------------------------------------------
// Title, date/time, severity, detection

function deriveTitle(g: GameDayResult, runs: readonly Run[]): string {
  const total = g.scenarios.length;
  const failed = runs.filter((r) => r.result.verdict === 'FAIL');
  const inconclusive = runs.filter((r) => r.result.verdict === 'INCONCLUSIVE').length;
  const notRun = skipped(g).length;
  const parts: string[] = [];
  if (failed.length > 0) {
    const which = failed.map((r) => `${r.name}: ${r.failed.map((s) => s.id).join(', ') || 'run verdict'}`);
    parts.push(`${failed.length} of ${plural(total, 'scenario')} failed (${which.join('; ')})`);
  } else if (inconclusive === 0 && notRun === 0) {
    parts.push(total === 1 ? 'the only scenario passed' : `all ${total} scenarios passed`);
  } else {
    parts.push(`no scenario of ${total} failed`);
  }
  if (inconclusive > 0) parts.push(`${inconclusive} inconclusive`);
  if (notRun > 0) parts.push(`${notRun} skipped`);
  return `Game day "${g.suite.name}": ${parts.join(', ')}`;
}

function deriveDateTime(runs: readonly Run[]): PostmortemDateTime {
  const scenarios = runs.map(scenarioDateTime);
  const detected = scenarios.filter((s) => s.detectedAt !== null);
  const perSecond = runs.filter((r) => r.detection !== null);
  const detectedAt = earliest(detected.map((s) => s.detectedAt));
  const mitigatedAt = detected.some((s) => s.mitigatedAt === null)
    ? null
    : latest(detected.map((s) => s.mitigatedAt));
  const resolvedAt = perSecond.some((r) => r.resolution === null)
    ? null
    : latest(perSecond.map((r) => (r.resolution ? iso(r.resolution.ms) : null)));
  return {
    breached: detected.length > 0,
    detectedAt,
    mitigatedAt,
    resolvedAt,
    summary: dateTimeSummary(runs, scenarios, { detectedAt, mitigatedAt, resolvedAt }),
    scenarios,
    rules: [
      POSTMORTEM_RULES.breachSecond,
      POSTMORTEM_RULES.detection,
      POSTMORTEM_RULES.mitigation,
      POSTMORTEM_RULES.resolution,
    ],
  };
}

function scenarioDateTime(run: Run): ScenarioDateTime {
  const { detection, mitigation, resolution, result } = run;
  const endOfRun = detection === null && run.failed.length > 0;
  const detectedBy = detection
    ? `${formatOffset(detection.t)}: ${detection.details.join('; ')}`
    : endOfRun
      ? `end-of-run evaluation of ${run.failed.map((s) => s.id).join(', ')} (no per-second signal)`
      : null;
  const detectedAt = detection ? iso(detection.ms) : endOfRun ? result.finishedAt : null;
  return {
    index: run.entry.index,
    scenario: run.name,
    injectedAt: run.injection.ms === null ? null : iso(run.injection.ms),
    injection: run.injection.what,
    detectedAt,
    detectionKind: detection ? 'per-second' : endOfRun ? 'end-of-run' : null,
    detectedBy,
    mitigatedAt: detectedAt && mitigation ? iso(mitigation.ms) : null,
    mitigation: detectedAt
      ? (mitigation?.what ?? 'no fault revert and no return to the pre-fault Ready count')
      : null,
    resolvedAt: resolution ? iso(resolution.ms) : null,
    resolution: resolutionText(run),
    breachSeconds: run.breaches.length,
  };
}

function resolutionText(run: Run): string {
  if (run.resolution) {
    const last = run.result.timeline.reduce((m, p) => Math.max(m, p.t), run.resolution.t);
    return `no breach from ${formatOffset(run.resolution.t)} to the end of the load, ${formatDuration(last + 1 - run.resolution.t)}`;
  }
  if (run.detection) return 'not resolved within the run';
  if (run.failed.length > 0) return 'no per-second breach to resolve';
  return 'no SLO breach was detected';
}

function dateTimeSummary(
  runs: readonly Run[],
  scenarios: readonly ScenarioDateTime[],
  overall: { detectedAt: string | null; mitigatedAt: string | null; resolvedAt: string | null },
): string {
  const detected = scenarios.filter((s) => s.detectedAt !== null);
  const first = detected.find((s) => s.detectedAt === overall.detectedAt);
  if (!first) {
    const inconclusive = runs
      .flatMap((r) => r.result.slos)
      .filter((s) => s.verdict === 'INCONCLUSIVE').length;
    return (
      `No SLO breach was detected: no check failed in ${plural(runs.length, 'scenario')} that ran` +
      (inconclusive > 0 ? ` (${plural(inconclusive, 'check')} inconclusive).` : '.')
    );
  }
  return [
    `Detected ${first.detectedAt ?? ''} in ${first.scenario} (${first.detectedBy ?? first.injection}).`,
    mitigationSentence(detected, overall.mitigatedAt),
    resolutionSentence(
      detected.filter((s) => s.detectionKind === 'per-second'),
      overall.resolvedAt,
    ),
  ].join(' ');
}

function mitigationSentence(detected: readonly ScenarioDateTime[], mitigatedAt: string | null): string {
  const open = detected.filter((s) => s.mitigatedAt === null);
  if (open.length > 0) {
    return `Not mitigated within the run in ${open.map((s) => s.scenario).join(', ')}: no fault revert and no return to the pre-fault Ready count.`;
  }
  const last = detected.find((s) => s.mitigatedAt === mitigatedAt);
  if (!last || !mitigatedAt) return '';
  return detected.length === 1
    ? `Mitigated ${mitigatedAt} (${last.mitigation ?? ''}).`
    : `Mitigated in every breached scenario by ${mitigatedAt} (last: ${last.scenario}, ${last.mitigation ?? ''}).`;
}

function resolutionSentence(perSecond: readonly ScenarioDateTime[], resolvedAt: string | null): string {
  if (perSecond.length === 0) return 'No per-second breach to resolve.';
  const open = perSecond.filter((s) => s.resolvedAt === null);
  if (open.length > 0) return `Not resolved within the run in ${open.map((s) => s.scenario).join(', ')}.`;
  const last = perSecond.find((s) => s.resolvedAt === resolvedAt);
  if (!last || !resolvedAt) return '';
  return perSecond.length === 1
    ? `Resolved ${resolvedAt} (${last.resolution}).`
    : `Resolved in every breached scenario by ${resolvedAt} (last: ${last.scenario}, ${last.resolution}).`;
}

const SEVERITY_TEXT: Record<SeverityLevel, { meaning: string; response: string }> = {
  'Sev-1': { meaning: 'Production outage or major business impact', response: 'Immediate response' },
  'Sev-2': { meaning: 'Partial degradation with workaround', response: 'Within 1 hour' },
  'Sev-3': { meaning: 'Non-critical defect or low-impact issue', response: 'Planned fix' },
};

function deriveSeverity(runs: readonly Run[]): PostmortemSeverity {
  const outage = runs.flatMap(outageSigns);
  const failed = runs.flatMap((r) =>
    r.failed.map(
      (s) => `${r.name} ${s.id} (${s.window} window): ${formatMeasured(s)} against ${s.threshold}`,
    ),
  );
  const level: SeverityLevel = outage.length > 0 ? 'Sev-1' : failed.length > 0 ? 'Sev-2' : 'Sev-3';
  const reason =
    level === 'Sev-1'
      ? `Outage-level impact was measured: ${outage.join('; ')}.`
      : level === 'Sev-2'
        ? `${plural(failed.length, 'check')} failed, but no window reached ${SEV1_ERROR_RATE * 100}% errors and no run had ${SEV1_TOTAL_FAILURE_S} consecutive seconds in which every request failed.`
        : `No check failed: ${sev3Scope(runs)}.`;
  return {
    level,
    ...SEVERITY_TEXT[level],
    reason,
    scope: level === 'Sev-1' ? outage : level === 'Sev-2' ? failed : [sev3Scope(runs)],
    rule: POSTMORTEM_RULES.severity,
  };
}

function outageSigns(run: Run): string[] {
  const signs = run.result.windows
    .filter((w) => w.window !== 'all' && w.requests > 0 && w.failed / w.requests >= SEV1_ERROR_RATE)
    .map(
      (w) =>
        `${run.name} ${w.window} window: ${formatPercent(w.failed / w.requests)} of requests failed (${formatCount(w.failed)} of ${formatCount(w.requests)})`,
    );
  const stretch = longestTotalFailure(run);
  if (stretch && stretch.length >= SEV1_TOTAL_FAILURE_S) {
    signs.push(
      `${run.name}: every request failed for ${stretch.length} consecutive seconds ` +
        `(${formatOffset(stretch.from)} to ${formatOffset(stretch.from + stretch.length)}${
          run.loadStartMs === null ? '' : `, from ${iso(run.loadStartMs + stretch.from * 1000)}`
        })`,
    );
  }
  return signs;
}

function longestTotalFailure(run: Run): { from: number; length: number } | null {
  let best: { from: number; length: number } | null = null;
  let from = 0;
  let length = 0;
  let previousT = -Infinity;
  for (const p of [...run.result.timeline].sort((a, b) => a.t - b.t)) {
    const allFailed = p.requests > 0 && p.errors === p.requests;
    if (!allFailed) length = 0;
    else if (length > 0 && p.t - previousT <= 1) length += 1;
    else [from, length] = [p.t, 1];
    if (length > 0 && (!best || length > best.length)) best = { from, length };
    previousT = p.t;
  }
  return best;
}

function sev3Scope(runs: readonly Run[]): string {
  const checks = runs.flatMap((r) => r.result.slos);
  const inconclusive = runs.flatMap((r) =>
    r.result.slos.filter((s) => s.verdict === 'INCONCLUSIVE').map((s) => `${r.name} ${s.id}`),
  );
  const base = `${plural(checks.length, 'check')} in ${plural(runs.length, 'scenario')} that ran`;
  return inconclusive.length > 0
    ? `${base}; inconclusive: ${inconclusive.join(', ')}`
    : `${base}, all passed`;
}

function deriveDetection(runs: readonly Run[]): PostmortemDetection {
  const checks: DetectedCheck[] = runs.flatMap((run) =>
    run.failed.map((slo) => {
      const first = firstBreachAfter(run.breaches, run.injection, slo.id);
      return {
        scenario: run.name,
        sloId: slo.id,
        kind: slo.kind,
        window: slo.window,
        measured: formatMeasured(slo),
        threshold: slo.threshold,
        evidence: slo.evidence,
        firstBreachAt: first ? iso(first.ms) : null,
        judgedAt: run.result.finishedAt,
      };
    }),
  );
  if (checks.length === 0) {
    const total = runs.reduce((n, r) => n + r.result.slos.length, 0);
    return { summary: `No check fired: none of ${plural(total, 'check')} failed.`, checks };
  }
  const scenarios = new Set(checks.map((c) => c.scenario)).size;
  const perSecond = checks.filter((c) => c.firstBreachAt !== null).length;
  return {
    summary:
      `${plural(checks.length, 'check')} fired in ${plural(scenarios, 'scenario')}: ` +
      `${perSecond} seen second by second in the load timeline, ${checks.length - perSecond} only by the end-of-run evaluation.`,
    checks,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Root cause candidates and contributing factors

interface WarningSign {
  key: string;
  pattern: RegExp;
  cause: string;
}

/** Failure signs the triage evidence names, in the words Kubernetes and the scorer use for them. */
const WARNING_SIGNS: readonly WarningSign[] = [
  {
    key: 'crashloop',
    pattern: /CrashLoopBackOff|Back-off restarting failed container/gi,
    cause: 'Containers crash-looped (CrashLoopBackOff): the serving process exited during start-up',
  },
  {
    key: 'model-load',
    pattern: /model_load_failed|cannot (?:serve|load) model/gi,
    cause: 'The model artifact could not be loaded at start-up',
  },
  { key: 'oom', pattern: /OOMKilled/g, cause: 'A container exceeded its memory limit (OOMKilled)' },
  {
    key: 'probe',
    pattern: /\bUnhealthy\b|(?:readiness|liveness|startup) probe failed/gi,
    cause: 'Health probes failed (Unhealthy)',
  },
  {
    key: 'scheduling',
    pattern: /FailedScheduling|Insufficient (?:cpu|memory)|untolerated taint/gi,
    cause: 'Pods could not be scheduled (FailedScheduling)',
  },
  { key: 'image', pattern: /ImagePullBackOff|ErrImagePull/g, cause: 'A container image could not be pulled' },
  { key: 'mount', pattern: /FailedMount|FailedAttachVolume/g, cause: 'A volume could not be mounted' },
  { key: 'restarts', pattern: /\brestarted \d+×|\bBackOff\b/g, cause: 'Containers restarted during the run' },
  {
    key: 'no-ready',
    pattern: /^0 target pod\(s\) Ready|NOTHING to send traffic to/g,
    cause: 'No target pod was Ready, so the Service had nothing to route requests to',
  },
];

/** True when the text states the sign rather than denies it ("no container was OOMKilled"). */
function affirms(text: string, pattern: RegExp): boolean {
  for (const m of text.matchAll(pattern)) {
    const clause =
      text
        .slice(0, m.index)
        .split(/[.;:\n]/)
        .pop() ?? '';
    if (!/\b(?:no|not|never|without)\b/i.test(clause)) return true;
  }
  return false;
}

function triageTexts(run: Run): EvidenceSource[] {
  const r = run.result;
  const judged = (text: string): string => firstTimestamp(text) ?? r.finishedAt;
  return [
    ...r.events.map((e) => ({ scenario: run.name, at: e.at, from: `${e.kind} event`, text: e.message })),
    ...r.slos.map((s) => ({
      scenario: run.name,
      at: judged(s.evidence),
      from: `check ${s.id}`,
      text: s.evidence,
    })),
    ...r.faults.flatMap((f) =>
      [f.description, ...f.notes].map((text) => ({
        scenario: run.name,
        at: f.injectedAt,
        from: `${f.type} fault`,
        text,
      })),
    ),
    ...r.reasons
      .filter((text) => !repeatsCheck(r, text))
      .map((text) => ({ scenario: run.name, at: judged(text), from: 'run reason', text })),
  ];
}

function deriveRootCauses(runs: readonly Run[]): RootCauseCandidate[] {
  const troubled = runs.filter((r) => r.result.verdict !== 'PASS');
  // Category orders the ranking: what Kubernetes or the scorer said went wrong is the most direct evidence, then
  // the mechanism a failed check shows, then what kept a run from judging.
  const groups: Array<{ category: number; key: string; cause: string; sources: EvidenceSource[] }> = [];
  const add = (category: number, key: string, cause: string, sources: readonly EvidenceSource[]): void => {
    let group = groups.find((x) => x.key === key);
    if (!group) {
      group = { category, key, cause, sources: [] };
      groups.push(group);
    }
    for (const source of sources) {
      if (!group.sources.some((s) => s.scenario === source.scenario && s.text === source.text))
        group.sources.push(source);
    }
  };
  for (const run of troubled) {
    for (const source of triageTexts(run)) {
      for (const sign of WARNING_SIGNS) {
        if (affirms(source.text, sign.pattern)) add(0, `sign:${sign.key}`, sign.cause, [source]);
      }
    }
    for (const [kind, slos] of groupBy(run.failed, (s) => s.kind)) {
      const sources = slos.map((slo) => failedSource(run, slo));
      add(1, `failed:${run.name}:${kind}`, failedCause(run, kind, slos), sources);
    }
    for (const [cause, source] of inconclusiveCauses(run))
      add(2, `inconclusive:${run.name}:${cause}`, cause, [source]);
  }
  return groups
    .sort(
      (a, b) =>
        a.category - b.category ||
        b.sources.length - a.sources.length ||
        (earliest(a.sources.map((s) => s.at)) ?? '').localeCompare(
          earliest(b.sources.map((s) => s.at)) ?? '',
        ),
    )
    .map((g, i) => ({ rank: i + 1, cause: g.cause, sources: g.sources }));
}

function failedCause(run: Run, kind: string, slos: readonly SloResult[]): string {
  const measured = slos.map((s) => `${s.id} ${formatMeasured(s)} against ${s.threshold}`).join(', ');
  return `${kindLabel(kind)} objective missed after ${trigger(run)}: ${measured}`;
}

function failedSource(run: Run, slo: SloResult): EvidenceSource {
  const first = firstBreachAfter(run.breaches, run.injection, slo.id);
  return {
    scenario: run.name,
    at: first ? iso(first.ms) : run.result.finishedAt,
    from: `check ${slo.id}`,
    text: slo.evidence,
  };
}

function inconclusiveCauses(run: Run): Array<[string, EvidenceSource]> {
  const r = run.result;
  const fromChecks = r.slos
    .filter((s) => s.verdict === 'INCONCLUSIVE')
    .map((s): [string, EvidenceSource] => [
      `${s.id} could not be measured well enough to judge`,
      { scenario: run.name, at: r.finishedAt, from: `check ${s.id}`, text: s.evidence },
    ]);
  const fromReasons =
    r.verdict === 'INCONCLUSIVE'
      ? r.reasons.map((reason): [string, EvidenceSource] => [
          `The run could not reach a verdict: ${firstSentence(reason)}`,
          {
            scenario: run.name,
            at: firstTimestamp(reason) ?? r.finishedAt,
            from: 'run reason',
            text: reason,
          },
        ])
      : [];
  return [...fromChecks, ...fromReasons];
}

function trigger(run: Run): string {
  const injected = run.result.faults.filter((f) => f.injectedAt !== null);
  if (injected.length === 0) return 'the load of the fault window (no fault injected)';
  return injected.map((f) => `${f.type} (${f.description})`).join(' and ');
}

const KIND_LABELS: Record<string, string> = {
  errorRate: 'Error-rate',
  latency: 'Latency',
  minReadyReplicas: 'Ready-replica',
  recovery: 'Recovery-time',
  availability: 'Availability',
  httpStatus: 'HTTP-status',
  restarts: 'Restart',
  oomKilled: 'OOM-kill',
  throughput: 'Throughput',
  modelVersion: 'Model-version',
  podState: 'Pod-state',
};

function kindLabel(kind: string): string {
  return KIND_LABELS[kind] ?? kind;
}

function deriveContributingFactors(runs: readonly Run[]): ContributingFactor[] {
  return runs.flatMap((run) => [
    ...(run.result.verdict === 'PASS'
      ? []
      : [...drainFactors(run), ...podKillFactors(run), ...baselineFactors(run)]),
    ...run.revertFailures.map((e) => ({
      scenario: run.name,
      factor: `A fault revert failed at ${e.at}, so the fault could outlast its window`,
      evidence: e.message,
    })),
  ]);
}

function preFaultReady(run: Run): number | null {
  if (run.injection.ms === null) return null;
  const ready = run.result.events.filter(
    (e) => e.kind === 'pod' && READY_EVENT.test(e.message) && Date.parse(e.at) <= (run.injection.ms ?? 0),
  );
  const n = Number(READY_EVENT.exec(ready.at(-1)?.message ?? '')?.[1] ?? NaN);
  return Number.isFinite(n) ? n : null;
}

function drainFactors(run: Run): ContributingFactor[] {
  return run.result.faults
    .filter((f) => f.type === 'node-drain' && f.injectedAt !== null)
    .flatMap((f) => {
      const blocked = /(\d+) eviction\(s\) blocked by a PDB/.exec(f.description)?.[1];
      const evicted = /evicted (\d+)\/\d+ pod\(s\)(?: \((\d+) under test\))?/.exec(f.description);
      const node = /cordoned (\S+?);/.exec(f.description)?.[1];
      const factors: ContributingFactor[] = [];
      if (blocked === '0' && evicted) {
        factors.push({
          scenario: run.name,
          factor: `No PodDisruptionBudget held the drain back: ${evicted[1]} pods were evicted and none was blocked`,
          evidence: f.description,
        });
      }
      const underTest = Number(evicted?.[2] ?? NaN);
      const before = preFaultReady(run);
      if (node && before !== null && underTest >= before) {
        factors.push({
          scenario: run.name,
          factor: `All ${before} Ready target replicas ran on the drained node ${node}: nothing spread them across nodes`,
          evidence: f.description,
        });
      }
      return factors;
    });
}

function podKillFactors(run: Run): ContributingFactor[] {
  const before = preFaultReady(run);
  if (before === null) return [];
  return run.result.faults
    .filter((f) => f.type === 'pod-kill' && f.injectedAt !== null && f.targets.length > 1)
    .map((f) => ({
      scenario: run.name,
      factor: `The fault took ${f.targets.length} of ${before} Ready replicas out of service, leaving ${Math.max(0, before - f.targets.length)} to carry the load`,
      evidence: f.description,
    }));
}

function baselineFactors(run: Run): ContributingFactor[] {
  const baseline = windowFor(run.result, 'baseline');
  if (!baseline || baseline.failed === 0) return [];
  const statuses = Object.entries(baseline.statusCounts)
    .filter(([code]) => !code.startsWith('2'))
    .map(([code, n]) => `${code === '0' ? 'no response' : code}×${n}`)
    .join(', ');
  return [
    {
      scenario: run.name,
      factor: `${formatCount(baseline.failed)} of ${formatCount(baseline.requests)} requests already failed in the baseline window, before any fault`,
      evidence:
        statuses === '' ? `baseline error rate ${formatPercent(baseline.errorRate)}` : `non-2xx: ${statuses}`,
    },
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// Timeline and impact

function deriveTimeline(runs: readonly Run[]): TimelineMinute[] {
  const minutes = new Map<string, TimelineMinute>();
  const minute = (ms: number): TimelineMinute => {
    const key = iso(ms).slice(0, 16);
    let m = minutes.get(key);
    if (!m) {
      m = { minute: key, startsAt: `${key}:00.000Z`, requests: 0, errors: 0, worstP95Ms: null, entries: [] };
      minutes.set(key, m);
    }
    return m;
  };
  for (const run of runs) {
    for (const entry of timelineEntries(run)) minute(Date.parse(entry.at)).entries.push(entry);
    if (run.loadStartMs === null) continue;
    for (const p of run.result.timeline) {
      const m = minute(run.loadStartMs + p.t * 1000);
      m.requests += p.requests;
      m.errors += p.errors;
      if (p.p95Ms !== null) m.worstP95Ms = Math.max(m.worstP95Ms ?? -Infinity, p.p95Ms);
    }
  }
  const sorted = [...minutes.values()].sort((a, b) => a.startsAt.localeCompare(b.startsAt));
  const oneDay = new Set(sorted.map((m) => m.startsAt.slice(0, 10))).size <= 1;
  for (const m of sorted) {
    m.minute = oneDay ? m.startsAt.slice(11, 16) : `${m.startsAt.slice(0, 10)} ${m.startsAt.slice(11, 16)}`;
    // Stable: entries of one millisecond keep their recorded order.
    m.entries = m.entries
      .map((e, i) => ({ e, i }))
      .sort((a, b) => Date.parse(a.e.at) - Date.parse(b.e.at) || a.i - b.i)
      .map(({ e }) => e);
  }
  return sorted;
}

function timelineEntries(run: Run): PostmortemTimelineEntry[] {
  const entries: PostmortemTimelineEntry[] = run.result.events
    .filter((e) => Number.isFinite(Date.parse(e.at)))
    .map((e) => ({ at: e.at, scenario: run.name, kind: e.kind, message: e.message }));
  const dt = scenarioDateTime(run);
  if (run.detection) {
    entries.push({
      at: iso(run.detection.ms),
      scenario: run.name,
      kind: 'detected',
      message: `SLO breach detected: ${run.detection.details.join('; ')}`,
    });
  }
  if (dt.mitigatedAt && dt.mitigation) {
    entries.push({
      at: dt.mitigatedAt,
      scenario: run.name,
      kind: 'mitigated',
      message: `Mitigated: ${dt.mitigation}`,
    });
  }
  if (dt.resolvedAt) {
    entries.push({
      at: dt.resolvedAt,
      scenario: run.name,
      kind: 'resolved',
      message: `Resolved: ${dt.resolution}`,
    });
  }
  return entries;
}

function deriveImpact(g: GameDayResult, runs: readonly Run[]): PostmortemImpact {
  const scenarios = runs.map((run): ScenarioImpact => {
    const { requests, errors } = loadCounts(run.result);
    const budget = run.result.errorBudget;
    return {
      index: run.entry.index,
      scenario: run.name,
      verdict: run.result.verdict,
      breachSeconds: run.breaches.length,
      requests,
      errors,
      errorRate: requests > 0 ? errors / requests : 0,
      errorBudget: budget ? { slo: budget.slo, consumed: budget.consumed } : null,
    };
  });
  const requests = scenarios.reduce((n, s) => n + s.requests, 0);
  const errors = scenarios.reduce((n, s) => n + s.errors, 0);
  return {
    scenarios,
    total: {
      breachSeconds: scenarios.reduce((n, s) => n + s.breachSeconds, 0),
      requests,
      errors,
      errorRate: requests > 0 ? errors / requests : 0,
      errorBudget: g.errorBudget,
    },
    notRun: skipped(g).map((s) => `${s.name}: ${skipReason(s)}`),
    rule: POSTMORTEM_RULES.impact,
  };
}

function loadCounts(result: RunResult): { requests: number; errors: number } {
  if (result.errorBudget) return { requests: result.errorBudget.requests, errors: result.errorBudget.errors };
  const all = windowFor(result, 'all');
  if (all) return { requests: all.requests, errors: all.failed };
  return {
    requests: result.timeline.reduce((n, p) => n + p.requests, 0),
    errors: result.timeline.reduce((n, p) => n + p.errors, 0),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// What went well, what went wrong

/** Faults that leave nothing behind to undo: the Deployment replaces a killed pod; k6 stops the oversize batches. */
const ONE_SHOT_FAULTS = new Set(['pod-kill', 'oversize-batch']);

function wentWell(run: Run): string[] {
  const checks = run.result.slos
    .filter((s) => s.verdict === 'PASS')
    .map((s) => `${run.name}: ${s.id} held at ${formatMeasured(s)} (objective ${s.threshold})`);
  const faults = run.result.faults.flatMap((f) => {
    if (!f.confirmed || f.injectedAt === null || revertFailed(run, f)) return [];
    if (f.revertedAt !== null)
      return [
        `${run.name}: the ${f.type} fault was injected at ${f.injectedAt} and reverted cleanly at ${f.revertedAt}`,
      ];
    return ONE_SHOT_FAULTS.has(f.type)
      ? [
          `${run.name}: the ${f.type} fault was applied at ${f.injectedAt} as planned (it leaves nothing to revert)`,
        ]
      : [];
  });
  return [...checks, ...faults];
}

function wentWrong(run: Run): string[] {
  const r = run.result;
  const checks = r.slos.flatMap((s) => {
    if (s.verdict === 'FAIL')
      return [
        `${run.name}: ${s.id} missed its objective at ${formatMeasured(s)} against ${s.threshold}: ${s.evidence}`,
      ];
    if (s.verdict === 'INCONCLUSIVE') return [`${run.name}: ${s.id} could not be judged: ${s.evidence}`];
    return [];
  });
  const faults = r.faults.flatMap((f) => {
    if (!f.confirmed)
      return [`${run.name}: the ${f.type} fault was not confirmed as applied: ${f.description}`];
    if (
      f.injectedAt !== null &&
      f.revertedAt === null &&
      !ONE_SHOT_FAULTS.has(f.type) &&
      !revertFailed(run, f)
    )
      return [`${run.name}: the ${f.type} fault was applied at ${f.injectedAt} and never reverted`];
    return [];
  });
  const reverts = run.revertFailures.map((e) => `${run.name}: ${e.message} (at ${e.at})`);
  // Reasons that repeat a failed check's evidence or a revert failure are already listed above.
  const reasons = r.reasons
    .filter((reason) => !/^REVERT FAILED/.test(reason) && !repeatsCheck(r, reason))
    .filter((reason) => !r.faults.some((f) => !f.confirmed && reason.includes(f.description)))
    .map((reason) => `${run.name}: ${reason}`);
  return [...checks, ...faults, ...reverts, ...reasons];
}

/** The orchestrator repeats each failed check's evidence as a reason, prefixed with the check's id. */
function repeatsCheck(result: RunResult, reason: string): boolean {
  return result.slos.some((s) => reason.startsWith(`${s.id}: `));
}

/** Revert failures name the undo's object ("ml-serving/feature-store-abc"), not the fault record. */
function revertFailed(run: Run, fault: FaultRecord): boolean {
  const names = [fault.type, ...fault.targets.map((t) => t.split('/').slice(-2).join('/'))];
  return run.revertFailures.some((e) => names.some((n) => e.message.includes(n)));
}

// ---------------------------------------------------------------------------------------------------------------
// Action items

interface ActionContext {
  scenario: string;
  /** The service under test as the scenario labels it, for naming its deployment YAML. */
  workload: string;
  slo: SloResult;
  result: RunResult;
  faultTypes: ReadonlySet<string>;
  faults: string;
}

interface ActionRule {
  applies: (c: ActionContext) => boolean;
  action: (c: ActionContext) => string;
  basis: string;
}

const POD_LOSS_KINDS = new Set(['minReadyReplicas', 'recovery']);

const ACTION_RULES: readonly ActionRule[] = [
  {
    applies: (c) => /drift|agreement|prediction/i.test(c.slo.kind),
    action: (c) =>
      `Automate a weekly drift check with an alert for the ${c.scenario} model, so ${c.slo.id} drifting past ${c.slo.threshold} is caught between game days`,
    basis: 'Runbook prevention table: "Stale model drift → Automate weekly drift check + alert".',
  },
  {
    applies: (c) => c.faultTypes.has('model-version') || c.slo.kind === 'modelVersion',
    action: (c) =>
      `Add a version hash check to the deployment script so a release whose model artifact is missing or differs ` +
      `(here: ${c.faults}) is refused before rollout, and gate the rollout on a readiness probe that passes only once ` +
      `the model is loaded, so the old pods keep serving while new ones log the error and CrashLoopBackOff`,
    basis:
      'Runbook prevention table: "Model version mismatch → Add version hash check to deployment script"; runbook: ' +
      'model artifact unavailable at init → error logged and CrashLoopBackOff rather than silent wrong predictions.',
  },
  {
    applies: (c) => c.faultTypes.has('oversize-batch'),
    action: (c) =>
      `Add an input schema check to the scoring script that rejects batches above the batch-size limit with 413 ` +
      `before inference, so oversize payloads (${c.faults}) neither pass as 200 nor risk an OOM`,
    basis:
      'Runbook prevention table: "Missing schema validation → Add input schema check to scoring script"; runbook: ' +
      'large batch payload → batch size validation, no OOM.',
  },
  {
    applies: (c) => c.slo.kind === 'restarts' || c.slo.kind === 'oomKilled',
    action: (c) =>
      `Add readiness and liveness probes tuned to the measured load and set memory requests and limits from the ` +
      `observed peak to ${c.workload} YAML, so ${c.slo.id} stays within ${c.slo.threshold}`,
    basis:
      'Runbook prevention table: "No liveness probe → Add readiness and liveness probes to deployment YAML".',
  },
  {
    applies: (c) => c.faultTypes.has('latency'),
    action: (c) =>
      `Put a circuit breaker with a timeout inside the ${c.slo.threshold} budget and a fallback around the ` +
      `feature-store call, so injected latency (${c.faults}) degrades features instead of ${c.slo.id}`,
    basis: 'Runbook, latency injection: circuit breaker + fallback around the feature store.',
  },
  {
    applies: (c) => c.faultTypes.has('node-drain') && POD_LOSS_KINDS.has(c.slo.kind),
    action: (c) =>
      `Add a PodDisruptionBudget (minAvailable: ${parseThreshold(c.slo.threshold)?.value ?? 1}) for ${c.workload} ` +
      `and spread its replicas across nodes, so a drain (${c.faults}) evicts them one at a time instead of ` +
      `${c.slo.id} reaching ${formatMeasured(c.slo)}`,
    basis: 'Runbook, node drain: "PDB prevents total outage; Deployment self-heals".',
  },
  {
    applies: (c) => c.faultTypes.has('pod-kill') || c.faultTypes.has('node-drain'),
    action: (c) =>
      `Add readiness and liveness probes with graceful shutdown to ${c.workload} YAML, plus a ` +
      `PodDisruptionBudget, so pods leave the Service endpoints before they stop and ${c.slo.id} stays within ` +
      `${c.slo.threshold} when pods are lost (here: ${c.faults})`,
    basis:
      'Runbook prevention table: "No liveness probe → Add readiness and liveness probes to deployment YAML"; ' +
      'runbook, pod kill / node drain: "PDB prevents total outage; Deployment self-heals", "Rolling update does not drop requests".',
  },
  {
    applies: (c) => c.faultTypes.size === 0,
    action: (c) =>
      `Make the autoscaler react before the p95 breach: scale ${c.workload} on a leading signal (in-flight ` +
      `requests or CPU) with minReplicas headroom, so ${c.slo.id} stays within ${c.slo.threshold} while load ramps`,
    basis: 'Runbook, load ramp: autoscaler reacts before p95 breach.',
  },
  {
    applies: () => true,
    action: (c) =>
      `Pin all dependencies and register the environment version, then reproduce ${c.slo.id} with ` +
      `\`chaos run ${c.result.scenario.file} --seed ${c.result.seed}\` to isolate its cause`,
    basis:
      'Runbook prevention table: "Unreproducible environment → Pin all dependencies + register environment version".',
  },
];

function deriveActionItems(g: GameDayResult, runs: readonly Run[]): ActionItem[] {
  const owner = g.suite.owner ?? UNOWNED;
  const due = dueDate(g.startedAt);
  return runs
    .flatMap((run) => run.failed.map((slo) => ({ run, slo })))
    .map(({ run, slo }, i) => {
      const injected = run.result.faults.filter((f) => f.injectedAt !== null);
      const c: ActionContext = {
        scenario: run.name,
        workload: workloadOf(run),
        slo,
        result: run.result,
        faultTypes: new Set(run.result.faults.map((f) => f.type)),
        faults:
          injected.length > 0 ? injected.map((f) => `${f.type}: ${f.description}`).join('; ') : 'no fault',
      };
      const rule = ACTION_RULES.find((r) => r.applies(c)) ?? ACTION_RULES[ACTION_RULES.length - 1];
      return {
        id: `AI-${i + 1}`,
        scenario: run.name,
        sloId: slo.id,
        action: rule ? rule.action(c) : '',
        why: `${slo.id} (${slo.window} window) measured ${formatMeasured(slo)} against ${slo.threshold}: ${slo.evidence}`,
        basis: rule?.basis ?? '',
        owner,
        due,
      };
    });
}

function workloadOf(run: Run): string {
  const labels = run.result.scenario.labels;
  const named = labels.service ?? labels.app;
  return named ? `the ${named} deployment` : `the deployment under test in ${run.name}`;
}

function dueDate(startedAt: string): string {
  const start = Date.parse(startedAt);
  const base = Number.isFinite(start) ? start : 0;
  return iso(base + ACTION_ITEM_DUE_DAYS * 86_400_000).slice(0, 10);
}

// ---------------------------------------------------------------------------------------------------------------
// Game-day phases

function derivePhases(
  g: GameDayResult,
  runs: readonly Run[],
  dateTime: PostmortemDateTime,
  actionItems: readonly ActionItem[],
): GameDayPhase[] {
  const injections = runs.filter((r) => r.injection.ms !== null);
  const firstInjection = earliest(injections.map((r) => iso(r.injection.ms ?? 0)));
  const reverted = runs.reduce((n, r) => n + r.result.faults.filter((f) => f.revertedAt !== null).length, 0);
  return [
    {
      phase: 'Announce',
      at: g.startedAt,
      what:
        `Suite "${g.suite.name}" (${g.suite.file}) started with ${plural(g.scenarios.length, 'scenario')} on ` +
        `${g.cluster.context ?? 'the current kubeconfig context'}; owner: ${g.suite.owner ?? UNOWNED}`,
    },
    {
      phase: 'Inject',
      at: firstInjection,
      what:
        injections.length === 0
          ? 'No fault was injected and no scenario had a fault window'
          : injections.map((r) => `${r.name}: ${r.injection.what} at ${iso(r.injection.ms ?? 0)}`).join('; '),
    },
    {
      phase: 'Respond',
      at: dateTime.detectedAt,
      what: dateTime.breached
        ? dateTime.summary
        : `No breach to respond to; ${plural(reverted, 'fault')} reverted by the harness`,
    },
    {
      phase: 'Review',
      at: g.finishedAt,
      what: `${plural(runs.length, 'scenario')} judged, game-day verdict ${g.verdict} (exit code ${g.exitCode}); this report`,
    },
    {
      phase: 'Improve',
      at: actionItems[0]?.due ?? null,
      what:
        actionItems.length === 0
          ? 'No check failed, so no action item is due'
          : `${plural(actionItems.length, 'action item')} due ${actionItems[0]?.due ?? ''}, owner: ${g.suite.owner ?? UNOWNED}`,
    },
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// Small helpers

function skipped(g: GameDayResult): GameDayScenario[] {
  return g.scenarios.filter((s) => s.result === null);
}

function skipReason(s: GameDayScenario): string {
  return s.skippedReason ?? 'no reason was recorded';
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function earliest(values: ReadonlyArray<string | null>): string | null {
  const present = values.filter((v): v is string => v !== null).sort();
  return present[0] ?? null;
}

function latest(values: ReadonlyArray<string | null>): string | null {
  return (
    values
      .filter((v): v is string => v !== null)
      .sort()
      .at(-1) ?? null
  );
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function firstTimestamp(text: string): string | null {
  return /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z/.exec(text)?.[0] ?? null;
}

function firstSentence(text: string): string {
  const cut = text.search(/[.;](?:\s|$)| — /);
  return cut > 0 ? text.slice(0, cut) : text;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Array<[string, T[]]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return [...groups];
}
