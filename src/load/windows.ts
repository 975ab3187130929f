import { InvalidInputError } from '../errors.js';

/** One named slice of the load, in run order; `seconds` long. */
export interface WindowSpec {
  readonly name: string;
  readonly seconds: number;
}

const NAME = /^[A-Za-z0-9_-]+$/;

/** Parses the CHAOS_WINDOWS syntax, "baseline:30,fault:60,recovery:30". */
export function parseWindows(spec: string): WindowSpec[] {
  const out: WindowSpec[] = [];
  const problems: string[] = [];
  for (const part of spec.split(',')) {
    const m = /^\s*([^:\s]+)\s*:\s*(\d+(?:\.\d+)?)\s*$/.exec(part);
    if (!m?.[1] || !m[2]) {
      problems.push(`window "${part.trim()}" is not name:seconds`);
      continue;
    }
    out.push({ name: m[1], seconds: Number(m[2]) });
  }
  problems.push(...validateWindows(out));
  if (problems.length > 0) throw new InvalidInputError(problems);
  return out;
}

export function validateWindows(windows: readonly WindowSpec[]): string[] {
  const problems: string[] = [];
  if (windows.length === 0) problems.push('at least one load window is needed');
  const seen = new Set<string>();
  for (const w of windows) {
    if (!NAME.test(w.name)) problems.push(`window name "${w.name}" may only use letters, digits, _ and -`);
    if (w.name === 'all') problems.push('window name "all" is reserved for the whole run');
    if (seen.has(w.name)) problems.push(`window "${w.name}" appears twice`);
    seen.add(w.name);
    if (!Number.isFinite(w.seconds) || w.seconds <= 0)
      problems.push(`window "${w.name}" needs a positive length`);
  }
  return problems;
}

/** The inverse of parseWindows: what k6/harness.ts reads from CHAOS_WINDOWS. */
export function formatWindows(windows: readonly WindowSpec[]): string {
  const problems = validateWindows(windows);
  if (problems.length > 0) throw new InvalidInputError(problems);
  return windows.map((w) => `${w.name}:${w.seconds}`).join(',');
}

export function totalSeconds(windows: readonly WindowSpec[]): number {
  return windows.reduce((sum, w) => sum + w.seconds, 0);
}
