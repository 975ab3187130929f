import { formatDuration, formatOffset } from '../../report/format.js';
import type { Run } from './breach.js';
import { earliest, iso, latest, plural } from './helpers.js';
import { POSTMORTEM_RULES } from './rules.js';

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

export function deriveDateTime(runs: readonly Run[]): PostmortemDateTime {
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

export function scenarioDateTime(run: Run): ScenarioDateTime {
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
