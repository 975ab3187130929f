import type { TimelineEvent } from '../../verdict/result.js';

/**
 * The pod observer's words in results written before events carried `data`; read only for those, so the message
 * may be reworded without breaking a postmortem.
 */
const LEGACY_READY_MESSAGE = /^(\d+) target pod\(s\) Ready/;

/** Target pods Ready after a 'pod' event; null for other events and for a pod event that does not say. */
export function readyPodsOf(e: TimelineEvent): number | null {
  if (e.kind !== 'pod') return null;
  if (e.data !== undefined) {
    const n = e.data.readyPods;
    return typeof n === 'number' && Number.isFinite(n) ? n : null;
  }
  const n = Number(LEGACY_READY_MESSAGE.exec(e.message)?.[1] ?? NaN);
  return Number.isFinite(n) ? n : null;
}
