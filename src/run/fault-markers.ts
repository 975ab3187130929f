/**
 * `chaos_fault_active{run_id, chaos_scenario, fault, fault_type}`: 1 while a fault is in place, 0 before and
 * after, pushed to load.remoteWrite beside k6's metrics so a dashboard can shade the fault next to the server's
 * series. Sampled every push interval (a lone sample would fade after Prometheus's 5-minute lookback) from the
 * load's start until the run ends, with a last all-zero push on every exit.
 */
import type { FaultMarkerSink, FaultMarkerStats, RunState } from './state.js';

export const FAULT_MARKER_METRIC = 'chaos_fault_active';

/** Each planned fault's labels, in the order inject() runs them (and records them). */
function faultLabels(state: RunState): string[] {
  return [...state.plan.faults].sort((a, b) => a.atMs - b.atMs).map((f, i) => `${i + 1}-${f.spec.type}`);
}

/**
 * In place: from the start of its injection (a repeated pod kill returns after its last round) until it is
 * reverted or, with nothing to revert (a killed pod), the fault window ends. An injection that ended unconfirmed
 * (matched nothing, denied) drops back to 0.
 */
export function faultActive(state: RunState, index: number): boolean {
  if (state.faultStartedMs[index] === undefined) return false;
  const rec = state.faultRecords[index];
  if (!rec) return state.revertStartedMs === null;
  if (!rec.confirmed || rec.injectedAt === null) return false;
  return rec.nothingToRevert !== undefined ? state.revertStartedMs === null : rec.revertedAt === null;
}

export function startFaultMarkers(
  state: RunState,
  sink: FaultMarkerSink,
  labels: Record<string, string>,
  intervalMs: number,
): { stop(): Promise<void> } {
  const names = faultLabels(state);
  const types = [...state.plan.faults].sort((a, b) => a.atMs - b.atMs).map((f) => f.spec.type);
  const stats: FaultMarkerStats = { series: names.length, pushes: 0, failures: 0, lastError: null };
  state.faultMarkers = stats;
  let chain = Promise.resolve();
  const push = (final: boolean) => {
    const at = Date.now();
    const series = names.map((fault, i) => ({
      labels: { __name__: FAULT_MARKER_METRIC, ...labels, fault, fault_type: types[i]! },
      samples: [{ value: !final && faultActive(state, i) ? 1 : 0, timestampMs: at }],
    }));
    chain = chain.then(async () => {
      try {
        await sink.push(series);
        stats.pushes++;
      } catch (error) {
        stats.failures++;
        const message = state.deps.redact((error as Error).message);
        if (stats.lastError === null) state.deps.out.warn(`fault markers: ${message}`);
        stats.lastError = message;
      }
    });
    return chain;
  };
  if (names.length === 0) return { stop: () => Promise.resolve() };
  void push(false);
  const timer = setInterval(() => void push(false), intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await push(true);
    },
  };
}
