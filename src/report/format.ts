import type { TraceStep } from '../observe/traces.js';
import type {
  BurnRateRecord,
  FaultRecord,
  QualityStats,
  RunResult,
  SloResult,
  SloTraces,
  StopRecord,
  Verdict,
  WindowStats,
} from '../verdict/result.js';

/** Shared number/time formatting so the four documents never disagree about what a value looks like. */

/** One line for a stop condition that held: what, when, what was measured, and the reaction time. */
export function describeStop(stop: StopRecord): string {
  const reaction =
    stop.reactionMs === null
      ? 'the revert did not complete'
      : `faults reverted in ${(stop.reactionMs / 1000).toFixed(2)} s (revert started after ${((stop.revertStartMs ?? 0) / 1000).toFixed(2)} s)`;
  return `stopped by ${stop.condition} at ${formatOffset(stop.t)}: ${stop.measured}; ${reaction}`;
}

export function formatNumber(value: number, maxFractionDigits = 2): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  // Small values keep significant digits: an error rate of 0.0004 must not print as "0".
  const digits = abs >= 100 ? Math.min(1, maxFractionDigits) : abs >= 1 ? maxFractionDigits : 4;
  return String(Number(value.toFixed(digits)));
}

export function formatMs(value: number | null): string {
  return value === null ? 'n/a' : `${formatNumber(value, 1)} ms`;
}

export function formatPercent(ratio: number): string {
  if (!Number.isFinite(ratio)) return String(ratio);
  const pct = ratio * 100;
  if (pct === 0) return '0%';
  if (Math.abs(pct) < 0.01) return '<0.01%';
  return `${formatNumber(Number(pct.toFixed(2)))}%`;
}

export function formatCount(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString('en-US') : formatNumber(value);
}

/** "1h02m03s", "4m05s", "42s", "1.5s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  const sign = seconds < 0 ? '-' : '';
  let rest = Math.abs(seconds);
  if (rest < 60) return `${sign}${formatNumber(rest, 1)}s`;
  rest = Math.round(rest);
  const h = Math.floor(rest / 3600);
  const m = Math.floor((rest % 3600) / 60);
  const s = rest % 60;
  const pad = (n: number): string => String(n).padStart(2, '0');
  return h > 0 ? `${sign}${h}h${pad(m)}m${pad(s)}s` : `${sign}${m}m${pad(s)}s`;
}

/** Offset since load start, signed so pre-load events read as "t-3s". */
export function formatOffset(t: number | null): string {
  if (t === null || !Number.isFinite(t)) return 't?';
  return t < 0 ? `t-${formatDuration(-t)}` : `t+${formatDuration(t)}`;
}

/**
 * The unit trailing a threshold such as "<= 250 ms" or "< 1%": measured values are documented to be in the
 * threshold's unit, so repeating it makes "312.4" read as "312.4 ms".
 */
export function thresholdUnit(threshold: string): string | null {
  return parseThreshold(threshold)?.unit ?? null;
}

/** The number and unit of a simple threshold such as "<= 250 ms"; null for anything more elaborate. */
export function parseThreshold(threshold: string): { value: number; unit: string | null } | null {
  const m = /^\s*(?:<=|>=|<|>|=|==|≤|≥)?\s*(-?\d+(?:\.\d+)?)\s*([a-zA-Z%µ][a-zA-Z%µ/]*)?\s*$/.exec(threshold);
  if (!m?.[1]) return null;
  const value = Number(m[1]);
  return Number.isFinite(value) ? { value, unit: m[2] ?? null } : null;
}

export function formatMeasured(slo: Pick<SloResult, 'measured' | 'threshold'>): string {
  const { measured } = slo;
  if (measured === null) return 'not measured';
  if (typeof measured === 'string') return measured;
  const unit = thresholdUnit(slo.threshold);
  const text = formatNumber(measured);
  if (unit === null) return text;
  return unit === '%' ? `${text}%` : `${text} ${unit}`;
}

export function formatStatusCounts(counts: Record<string, number>): string {
  const entries = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return 'none';
  return entries.map(([code, n]) => `${code}: ${formatCount(n)}`).join(', ');
}

/** Windows in run order; "all" last because it summarises the others. */
export function orderedWindows(windows: readonly WindowStats[]): WindowStats[] {
  const rank = { baseline: 0, fault: 1, recovery: 2, all: 3 } as const;
  return [...windows].sort((a, b) => rank[a.window] - rank[b.window] || a.startOffsetS - b.startOffsetS);
}

/** Windows that captured answers, in run order; empty for results without answers (and every v1 result). */
export function qualityWindows(
  windows: readonly WindowStats[],
): Array<WindowStats & { quality: QualityStats }> {
  return orderedWindows(windows).filter(
    (w): w is WindowStats & { quality: QualityStats } => w.quality !== undefined,
  );
}

/** Successful responses without an answer: the total, then by reason, e.g. "3 (path_not_found 2, unparsable_body 1)". */
export function formatMissing(missing: Record<string, number>): string {
  const entries = Object.entries(missing)
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => a.localeCompare(b));
  const total = entries.reduce((n, [, c]) => n + c, 0);
  if (total === 0) return '0';
  return `${formatCount(total)} (${entries.map(([reason, n]) => `${reason} ${formatCount(n)}`).join(', ')})`;
}

/**
 * Each class's share of the window's classified answers, largest first, e.g. "legit 99%, fraud 1%"; shares, not
 * counts, so windows of different lengths read alike.
 */
export function formatClassShares(classes: Record<string, number>): string {
  const entries = classShares(classes);
  if (entries.length === 0) return 'none';
  // Up to 200 labels are kept (src/load/counts.ts); a line of all of them would read as noise.
  const shown = entries.slice(0, MAX_CLASSES_SHOWN);
  const rest = entries.slice(MAX_CLASSES_SHOWN);
  const text = shown.map(([label, share]) => `${label} ${formatPercent(share)}`).join(', ');
  if (rest.length === 0) return text;
  const restShare = rest.reduce((n, [, share]) => n + share, 0);
  return `${text}, ${rest.length} more ${formatPercent(restShare)}`;
}

/** Classes named in a line of text or a chart; the smaller ones are summed. */
export const MAX_CLASSES_SHOWN = 6;

export function classShares(classes: Record<string, number>): Array<[string, number]> {
  const entries = Object.entries(classes).filter(([, n]) => n > 0);
  const total = entries.reduce((n, [, c]) => n + c, 0);
  return entries
    .sort(([a, na], [b, nb]) => nb - na || a.localeCompare(b))
    .map(([label, n]): [string, number] => [label, n / total]);
}

/** Golden accuracy, or why there is none. */
export function formatAccuracy(quality: Pick<QualityStats, 'accuracy' | 'goldenAnswers'>): string {
  if (quality.accuracy !== null) return formatPercent(quality.accuracy);
  return quality.goldenAnswers === 0 ? 'n/a (no golden answers)' : 'n/a (no labels)';
}

export function windowFor(result: RunResult, window: SloResult['window']): WindowStats | undefined {
  return result.windows.find((w) => w.window === window);
}

export function verdictCounts(slos: readonly SloResult[]): Record<Verdict, number> {
  const counts: Record<Verdict, number> = { PASS: 0, FAIL: 0, INCONCLUSIVE: 0 };
  for (const slo of slos) counts[slo.verdict] += 1;
  return counts;
}

export function faultStatus(fault: FaultRecord): string {
  if (!fault.confirmed) return 'not confirmed';
  if (fault.nothingToRevert !== undefined) return `injected; nothing to revert (${fault.nothingToRevert})`;
  if (fault.revertedAt === null) return 'injected, not reverted';
  return 'injected and reverted';
}

/**
 * Triage order from the runbook: a request fails at whichever link is broken, so the artifacts are read
 * outside-in (service, endpoints, pods, events, logs) and anything unrecognised follows.
 */
const TRIAGE_ORDER = ['service', 'svc', 'endpoint', 'pod', 'event', 'log'] as const;

export function triageRank(key: string, path: string): number {
  // The deepest layer named wins: "pod logs" are logs, "pod events" are events. The key is the producer's name
  // for the file; the path is only consulted when the key names no layer.
  const rank = (text: string): number => {
    const lower = text.toLowerCase();
    let best = -1;
    TRIAGE_ORDER.forEach((word, index) => {
      // "svc" and "service" are the same step.
      if (lower.includes(word)) best = Math.max(best, index <= 1 ? 0 : index - 1);
    });
    return best < 0 ? TRIAGE_ORDER.length - 1 : best;
  };
  const byKey = rank(key);
  return byKey < TRIAGE_ORDER.length - 1 ? byKey : rank(path);
}

/** triageRank of anything that is not a triage step. */
export const NOT_TRIAGE = TRIAGE_ORDER.length - 1;

export function orderedArtifacts(artifacts: Record<string, string>): Array<[string, string]> {
  return Object.entries(artifacts).sort(
    ([ka, pa], [kb, pb]) =>
      triageRank(ka, pa) - triageRank(kb, pb) || pa.localeCompare(pb, 'en', { numeric: true }),
  );
}

/** The report files, in the order people usually open them. */
export const REPORT_FILES = {
  html: 'report.html',
  markdown: 'summary.md',
  junit: 'junit.xml',
  json: 'result.json',
} as const;

/** "3.2×", "0.5×", "<0.01×"; "n/a" for a window without requests. */
export function formatBurn(burnRate: number | null): string {
  if (burnRate === null) return 'n/a';
  if (burnRate > 0 && burnRate < 0.01) return '<0.01×';
  return `${Number(burnRate.toFixed(burnRate >= 10 ? 1 : 2))}×`;
}

/** "baseline 0×, fault 3.2×, recovery 0.1×, all 1.1×", windows in run order. */
export function formatBurnRates(record: BurnRateRecord): string {
  const rank = { baseline: 0, fault: 1, recovery: 2, all: 3 } as const;
  return [...record.windows]
    .sort((a, b) => rank[a.window] - rank[b.window])
    .map((w) => `${w.window} ${formatBurn(w.burnRate)}`)
    .join(', ');
}

/** The window that burned fastest; null when none had requests. */
export function peakBurn(record: BurnRateRecord): BurnRateRecord['windows'][number] | null {
  return record.windows.reduce<BurnRateRecord['windows'][number] | null>(
    (a, w) => (w.burnRate !== null && (a === null || w.burnRate > (a.burnRate ?? -1)) ? w : a),
    null,
  );
}

/** "the 3 slowest traced requests", "the first failed traced request". */
export function exemplarsCause(t: SloTraces): string {
  const n = t.exemplars.length;
  const count = n > 1 ? ` ${n}` : '';
  const requests = n === 1 ? 'request' : 'requests';
  return t.cause === 'slow'
    ? `the${count} slowest traced ${requests}`
    : `the first${count} failed traced ${requests}`;
}

/** Steps shown of a critical path; the rest are counted. */
const CRITICAL_PATH_STEPS = 8;

/** "fraud-scorer › POST /score 3 ms → fraud-scorer › feature-store GET 301 ms". */
export function describeCriticalPath(path: readonly TraceStep[]): string {
  const shown = path
    .slice(0, CRITICAL_PATH_STEPS)
    .map((s) => `${s.service} › ${s.operation} ${formatNumber(Math.round(s.ms))} ms`);
  if (path.length > CRITICAL_PATH_STEPS) shown.push(`… ${path.length - CRITICAL_PATH_STEPS} more steps`);
  return shown.join(' → ');
}

/** Trace id → its raw document's report-relative path (triage/trace-<id>.json). */
export function traceFiles(artifacts: Record<string, string>): Map<string, string> {
  const files = new Map<string, string>();
  for (const path of Object.values(artifacts)) {
    const m = /(?:^|\/)trace-([^/]+)\.json$/.exec(path);
    if (m?.[1] !== undefined) files.set(m[1], path);
  }
  return files;
}
