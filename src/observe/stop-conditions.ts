/**
 * Stop conditions (`safety.stopWhen`): read while the run goes on, from what the run already observes — the
 * k6 stream's last complete seconds, the pod watch, a Prometheus query. Pure over its readings, so the sliding
 * windows are tested without a load or a cluster.
 */
import type { RecentLoad } from '../load/ingest.js';
import type { StopCondition } from '../scenario/schema.js';

export interface StopReadings {
  /** Requests, failures and p95 of the complete seconds before now; null before the first request. */
  recent(seconds: number): RecentLoad | null;
  /** Ready target pods now; null until the pod watch has reported. */
  readyPods(): number | null;
  promql?: (url: string, query: string) => Promise<number | null>;
}

export interface StopTrip {
  /** The condition as the author would read it: `errorRate > 5% over 10s`. */
  condition: string;
  /** What was measured when it held: `12.5% (25 of 200 requests)`. */
  measured: string;
}

export function describeStopCondition(c: StopCondition): string {
  switch (c.type) {
    case 'errorRate':
      return `errorRate > ${c.above.text} over ${c.over.text}`;
    case 'p95':
      return `p95 > ${c.above.text} over ${c.over.text}`;
    case 'readyReplicas':
      return `readyReplicas < ${c.below}`;
    case 'promql':
      return `promql ${c.query} > ${c.above}`;
  }
}

/**
 * The first condition that holds now, or null. A sliding window is judged only once it is full (the load has
 * run for `over` complete seconds) and holds requests: a half-filled window would stop a run on its first
 * failed request.
 */
export async function checkStopConditions(
  conditions: readonly StopCondition[],
  readings: StopReadings,
): Promise<StopTrip | null> {
  for (const c of conditions) {
    const measured = await measure(c, readings);
    if (measured !== null) return { condition: describeStopCondition(c), measured };
  }
  return null;
}

/** What was measured when `c` holds; null when it does not (or cannot be judged yet). */
async function measure(c: StopCondition, readings: StopReadings): Promise<string | null> {
  switch (c.type) {
    case 'errorRate': {
      const r = fullWindow(readings, c.over.ms);
      if (!r || r.requests === 0) return null;
      const rate = r.failed / r.requests;
      return rate > c.above.ratio
        ? `${(rate * 100).toFixed(1)}% (${r.failed} of ${r.requests} requests in ${r.seconds}s)`
        : null;
    }
    case 'p95': {
      const r = fullWindow(readings, c.over.ms);
      if (!r || r.p95Ms === null) return null;
      return r.p95Ms > c.above.ms
        ? `${r.p95Ms.toFixed(1)} ms (${r.requests} requests in ${r.seconds}s)`
        : null;
    }
    case 'readyReplicas': {
      const ready = readings.readyPods();
      return ready !== null && ready < c.below ? `${ready} Ready` : null;
    }
    case 'promql': {
      if (!readings.promql) return null;
      // An unreachable Prometheus stops nothing: the run goes on, as it would without the condition.
      const value = await readings.promql(c.url, c.query).catch(() => null);
      return value !== null && value > c.above ? String(value) : null;
    }
  }
}

function fullWindow(readings: StopReadings, overMs: number): RecentLoad | null {
  const seconds = Math.round(overMs / 1000);
  const r = readings.recent(seconds);
  return r && r.seconds >= seconds ? r : null;
}
