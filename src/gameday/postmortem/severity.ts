import { formatCount, formatMeasured, formatOffset, formatPercent } from '../../report/format.js';
import type { Run } from './breach.js';
import { iso, plural } from './helpers.js';
import { POSTMORTEM_RULES, SEV1_ERROR_RATE, SEV1_TOTAL_FAILURE_S } from './rules.js';

export type SeverityLevel = 'Sev-1' | 'Sev-2' | 'Sev-3';

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

export function deriveSeverity(runs: readonly Run[]): PostmortemSeverity {
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

const SEVERITY_TEXT: Record<SeverityLevel, { meaning: string; response: string }> = {
  'Sev-1': { meaning: 'Production outage or major business impact', response: 'Immediate response' },
  'Sev-2': { meaning: 'Partial degradation with workaround', response: 'Within 1 hour' },
  'Sev-3': { meaning: 'Non-critical defect or low-impact issue', response: 'Planned fix' },
};

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
