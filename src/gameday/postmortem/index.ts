/**
 * The game day written up in the sections of the runbook's postmortem template. Pure: every value is derived from
 * the GameDayResult, so a section with nothing measured to report says so in words instead of holding template
 * text. The rules behind each derived value are exported as POSTMORTEM_RULES and repeated in the output, so a
 * reader can check a time or a severity against the data without reading this module.
 */
import type { GameDayResult } from '../result.js';
import type { ActionItem } from './action-items.js';
import { deriveActionItems } from './action-items.js';
import type { Run } from './breach.js';
import { analyse } from './breach.js';
import type { ContributingFactor } from './contributing-factors.js';
import { deriveContributingFactors } from './contributing-factors.js';
import type { PostmortemDateTime } from './date-time.js';
import { deriveDateTime } from './date-time.js';
import type { PostmortemDetection } from './detection.js';
import { deriveDetection } from './detection.js';
import { plural, skipped } from './helpers.js';
import type { PostmortemImpact } from './impact.js';
import { deriveImpact } from './impact.js';
import type { GameDayPhase } from './phases.js';
import { derivePhases } from './phases.js';
import type { RootCauseCandidate } from './root-cause.js';
import { deriveRootCauses } from './root-cause.js';
import type { PostmortemSeverity } from './severity.js';
import { deriveSeverity } from './severity.js';
import type { TimelineMinute } from './timeline.js';
import { deriveTimeline } from './timeline.js';
import { deriveWentWell, deriveWentWrong } from './went-well-wrong.js';

export type { ActionItem } from './action-items.js';
export type { ContributingFactor } from './contributing-factors.js';
export type { PostmortemDateTime, ScenarioDateTime } from './date-time.js';
export type { DetectedCheck, PostmortemDetection } from './detection.js';
export type { PostmortemImpact, ScenarioImpact } from './impact.js';
export type { GameDayPhase } from './phases.js';
export type { EvidenceSource, RootCauseCandidate } from './root-cause.js';
export {
  ACTION_ITEM_DUE_DAYS,
  POSTMORTEM_RULES,
  RESOLUTION_MIN_S,
  SEV1_ERROR_RATE,
  SEV1_TOTAL_FAILURE_S,
  UNOWNED,
} from './rules.js';
export type { PostmortemSeverity, SeverityLevel } from './severity.js';
export type { PostmortemTimelineEntry, TimelineMinute } from './timeline.js';

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
    wentWell: deriveWentWell(runs),
    wentWrong: deriveWentWrong(g, runs),
    actionItems,
    phases: derivePhases(g, runs, dateTime, actionItems),
  };
}

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
