/**
 * Durations (`250ms`, `30s`, `2m`, `1h`) and percentages (`1%`) as scenario authors write them, parsed once
 * when the scenario loads: everything downstream computes with the number and prints the author's text.
 */
export const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
export const PERCENT_PATTERN = /^(\d+(?:\.\d+)?)%$/;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDurationMs(text: string): number {
  const m = DURATION_PATTERN.exec(text);
  if (!m) throw new RangeError(`not a duration: ${text}`);
  // Rounded to the microsecond: 1.1s must be exactly 1100ms, not 1100.0000000000002, or sums of stages
  // never equal sums of windows.
  return Math.round(Number(m[1]) * UNIT_MS[m[2]!]! * 1000) / 1000;
}

/** `1%` → 0.01 */
export function parsePercent(text: string): number {
  const m = PERCENT_PATTERN.exec(text);
  if (!m) throw new RangeError(`not a percentage: ${text}`);
  return Number(m[1]) / 100;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 120) return `${Number.isInteger(s) ? s : s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  const rest = Math.round(s - m * 60);
  return rest ? `${m}m${rest}s` : `${m}m`;
}

export function formatPercent(ratio: number, digits = 2): string {
  return `${(ratio * 100).toFixed(digits)}%`;
}

/**
 * A duration parsed at load time. The text stays beside the number because messages, junit names and
 * result.json quote the author's wording (`1000ms` stays `1000ms`, never a re-formatted `1s`); JSON shows it
 * as written, so a dumped spec still reads like the scenario.
 */
export class Duration {
  constructor(
    readonly ms: number,
    readonly text: string,
  ) {}

  static parse(text: string): Duration {
    return new Duration(parseDurationMs(text), text);
  }

  toJSON(): string {
    return this.text;
  }
}

/** A percentage parsed at load time: `ratio` 0.02 for `text` "2%". */
export class Percent {
  constructor(
    readonly ratio: number,
    readonly text: string,
  ) {}

  static parse(text: string): Percent {
    return new Percent(parsePercent(text), text);
  }

  toJSON(): string {
    return this.text;
  }
}
