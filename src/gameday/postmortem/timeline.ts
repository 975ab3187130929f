import type { TimelineEvent } from '../../verdict/result.js';
import type { Run } from './breach.js';
import { scenarioDateTime } from './date-time.js';
import { iso } from './helpers.js';

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

export function deriveTimeline(runs: readonly Run[]): TimelineMinute[] {
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
