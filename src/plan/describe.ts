/**
 * An SLO as a reader writes it, for `chaos plan`: `latency p95 ≤ 250ms [all]`, `errorRate < 2% [fault]`,
 * `recovery within 60s`. Built from the fields the SLO has, so a new kind prints without a change here.
 */
import type { SloSpec } from '../scenario/schema.js';
import { Duration, Percent } from '../scenario/units.js';

/** Parsed units print as the author wrote them ("250ms", "2%"). */
const text = (v: unknown): string => (v instanceof Duration || v instanceof Percent ? v.text : String(v));

const FIELDS: Record<string, (value: unknown) => string> = {
  percentile: (v) => `p${String(v)}`,
  // A rate is judged strictly below its max (2% allows 1.99 %); anything else may reach it.
  max: (v) => (v instanceof Percent ? `< ${v.text}` : `≤ ${text(v)}`),
  min: (v) => `≥ ${text(v)}`,
  maxGap: (v) => `gap ≤ ${text(v)}`,
  within: (v) => `within ${text(v)}`,
  readyReplicas: (v) => `(${String(v)} ready)`,
  pods: (v) => `on ${String(v)} pods`,
  logContains: (v) => `with ${JSON.stringify(v)} in the previous log`,
  payload: (v) => `${String(v)} payloads`,
  expect: (v) => (Array.isArray(v) ? `only ${v.join('/')}` : String(v)),
  reason: (v) => String(v),
  never: (v) => (Array.isArray(v) ? `never ${v.join('/')}` : `never ${String(v)}`),
  query: (v) => JSON.stringify(v),
  url: (v) => `at ${String(v)}`,
};

export function describeSlo(slo: SloSpec): string {
  const parts: string[] = [slo.type];
  for (const [key, value] of Object.entries(slo)) {
    if (key === 'type' || key === 'window' || value === undefined) continue;
    parts.push(FIELDS[key]?.(value) ?? `${key} ${JSON.stringify(value)}`);
  }
  return `${parts.join(' ')}${'window' in slo ? ` [${slo.window}]` : ''}`;
}
