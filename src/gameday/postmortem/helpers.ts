import type { RunResult } from '../../verdict/result.js';
import type { GameDayResult, GameDayScenario } from '../result.js';

export function skipped(g: GameDayResult): GameDayScenario[] {
  return g.scenarios.filter((s) => s.result === null);
}

export function skipReason(s: GameDayScenario): string {
  return s.skippedReason ?? 'no reason was recorded';
}

/** The orchestrator repeats each failed check's evidence as a reason, prefixed with the check's id. */
export function repeatsCheck(result: RunResult, reason: string): boolean {
  return result.slos.some((s) => reason.startsWith(`${s.id}: `));
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function earliest(values: ReadonlyArray<string | null>): string | null {
  const present = values.filter((v): v is string => v !== null).sort();
  return present[0] ?? null;
}

export function latest(values: ReadonlyArray<string | null>): string | null {
  return (
    values
      .filter((v): v is string => v !== null)
      .sort()
      .at(-1) ?? null
  );
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function firstTimestamp(text: string): string | null {
  return /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z/.exec(text)?.[0] ?? null;
}

export function firstSentence(text: string): string {
  const cut = text.search(/[.;](?:\s|$)| — /);
  return cut > 0 ? text.slice(0, cut) : text;
}

export function groupBy<T>(items: readonly T[], key: (item: T) => string): Array<[string, T[]]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return [...groups];
}
