import type { RunResult, TimelineEvent } from '../verdict/result.js';

/**
 * Timeline offsets are seconds since load start; faults carry wall-clock times. loadStartedAt converts between
 * them; results without it (dry runs, load that never started) fall back to events that carry both `at` and
 * `t`, then to startedAt.
 */
export function loadStartEpochMs(
  result: Pick<RunResult, 'events' | 'startedAt' | 'loadStartedAt'>,
): number | null {
  if (result.loadStartedAt) {
    const at = Date.parse(result.loadStartedAt);
    if (Number.isFinite(at)) return at;
  }
  const anchors: number[] = [];
  for (const event of result.events) {
    if (event.t === null || !Number.isFinite(event.t)) continue;
    const at = Date.parse(event.at);
    if (Number.isFinite(at)) anchors.push(at - event.t * 1000);
  }
  if (anchors.length > 0) {
    anchors.sort((a, b) => a - b);
    const mid = Math.floor(anchors.length / 2);
    const median =
      anchors.length % 2 === 1 ? anchors[mid] : ((anchors[mid - 1] ?? 0) + (anchors[mid] ?? 0)) / 2;
    return median ?? null;
  }
  const started = Date.parse(result.startedAt);
  return Number.isFinite(started) ? started : null;
}

export function offsetOf(iso: string | null, loadStartMs: number | null): number | null {
  if (iso === null || loadStartMs === null) return null;
  const at = Date.parse(iso);
  return Number.isFinite(at) ? (at - loadStartMs) / 1000 : null;
}

export interface FaultMarker {
  t: number;
  kind: 'inject' | 'revert';
  /** Short text for the chart, e.g. "pod-kill"; empty when the source names no fault type. */
  label: string;
  /** Full text for the tooltip. */
  detail: string;
  confirmed: boolean;
}

/** Two markers closer than this describe the same moment (the fault record and its ledger event). */
const SAME_MOMENT_S = 1;

/**
 * Fault start/stop moments from both sources: the fault records (authoritative, wall clock) and the events of kind
 * fault/revert (which cover faults the record list may summarise, e.g. a rollout with several steps).
 */
export function faultMarkers(
  result: Pick<RunResult, 'faults' | 'events' | 'startedAt' | 'loadStartedAt'>,
): FaultMarker[] {
  const start = loadStartEpochMs(result);
  const markers: FaultMarker[] = [];
  for (const fault of result.faults) {
    // A repeated fault (pod-kill with repeat) is injected several times: a marker for each.
    const moments = fault.injections ?? [fault.injectedAt];
    moments.forEach((at, i) => {
      const injected = offsetOf(at, start);
      if (injected === null) return;
      markers.push({
        t: injected,
        kind: 'inject',
        label: fault.type,
        detail: `${fault.confirmed ? 'injected' : 'attempted (not confirmed)'}${moments.length > 1 ? ` (${i + 1} of ${moments.length})` : ''}: ${fault.description}`,
        confirmed: fault.confirmed,
      });
    });
    const reverted = offsetOf(fault.revertedAt, start);
    if (reverted !== null) {
      markers.push({
        t: reverted,
        kind: 'revert',
        label: fault.type,
        detail: `reverted: ${fault.description}`,
        confirmed: fault.confirmed,
      });
    }
  }
  for (const event of result.events) {
    if (event.kind !== 'fault' && event.kind !== 'revert') continue;
    const t = eventOffset(event, start);
    if (t === null) continue;
    const kind = event.kind === 'fault' ? 'inject' : 'revert';
    if (markers.some((m) => m.kind === kind && Math.abs(m.t - t) < SAME_MOMENT_S)) continue;
    // The orchestrator writes "<type>: <description>"; the type is the useful short label.
    const label = /^([\w.-]+):\s/.exec(event.message)?.[1] ?? '';
    markers.push({ t, kind, label, detail: event.message, confirmed: true });
  }
  return markers.sort((a, b) => a.t - b.t || (a.kind === b.kind ? 0 : a.kind === 'inject' ? -1 : 1));
}

export function eventOffset(event: TimelineEvent, loadStartMs: number | null): number | null {
  if (event.t !== null && Number.isFinite(event.t)) return event.t;
  return offsetOf(event.at, loadStartMs);
}
