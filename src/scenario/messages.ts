/**
 * What a schema problem says to the author. zod's own messages are written for programmers ("Invalid
 * input: expected int, received number"); these name the value as it appears in the file, the rule it
 * breaks and, where a usual mistake explains it, the fix.
 */
import type { z } from 'zod';

export type Issue = z.core.$ZodIssue;

/**
 * zod reports some values twice: 1e308 is both "not a safe integer" and "above the maximum". Keep the
 * bound a person would act on.
 */
export function simplifyIssues(issues: readonly Issue[]): Issue[] {
  const paths = (i: Issue) => JSON.stringify(i.path);
  const bounded = new Set(
    issues.filter((i) => i.code === 'too_big' && Number(i.maximum) < Number.MAX_SAFE_INTEGER).map(paths),
  );
  const lowered = new Set(
    issues.filter((i) => i.code === 'too_small' && Number(i.minimum) > Number.MIN_SAFE_INTEGER).map(paths),
  );
  return issues.filter((i) => {
    if (i.code === 'too_big' && Number(i.maximum) >= Number.MAX_SAFE_INTEGER) return !bounded.has(paths(i));
    if (i.code === 'too_small' && Number(i.minimum) <= Number.MIN_SAFE_INTEGER) return !lowered.has(paths(i));
    return true;
  });
}

/** zod's default English messages start like this; our own messages in schema.ts never do. */
const ZOD_DEFAULT = /^(Invalid|Too big|Too small|Unrecognized)/;

export function messageFor(issue: Issue, withInput: boolean): string {
  const input = 'input' in issue ? issue.input : undefined;
  const got = withInput && input !== undefined ? `, got ${show(input)}` : '';
  const custom = !ZOD_DEFAULT.test(issue.message);
  switch (issue.code) {
    case 'invalid_type': {
      const expected = custom ? issue.message : `expected ${noun(issue.expected)}`;
      return `${expected}${got}${typeHint(issue.expected, input, issue.message)}`;
    }
    case 'too_big': {
      if (custom) return issue.message + got;
      const max = String(issue.maximum);
      switch (issue.origin) {
        case 'string':
          return `must be at most ${max} characters long, got ${lengthOf(input)}`;
        case 'array':
        case 'set':
          return `must have at most ${max} items, got ${lengthOf(input)}`;
        default:
          if (Number(issue.maximum) >= Number.MAX_SAFE_INTEGER) return `is too large${got}`;
          return `must be ${issue.inclusive === false ? 'less than' : 'at most'} ${max}${got}`;
      }
    }
    case 'too_small': {
      if (custom) return issue.message + (issue.origin === 'array' ? '' : got);
      const min = Number(issue.minimum);
      switch (issue.origin) {
        case 'string':
          return min <= 1
            ? 'must not be empty'
            : `must be at least ${min} characters long, got ${lengthOf(input)}`;
        case 'array':
        case 'set':
          return min <= 1 ? 'must not be empty' : `must have at least ${min} items, got ${lengthOf(input)}`;
        default:
          if (min === 0 && issue.inclusive === false) return `must be greater than 0${got}`;
          return `must be ${issue.inclusive === false ? 'greater than' : 'at least'} ${min}${got}`;
      }
    }
    case 'invalid_format': {
      const what = custom
        ? issue.message
        : issue.format === 'regex' && 'pattern' in issue
          ? `expected a value matching ${String(issue.pattern)}`
          : `expected a valid ${issue.format}`;
      return `${what}${got}${formatHint(issue.message, input)}`;
    }
    case 'invalid_value': {
      const values = issue.values.map((v) => (typeof v === 'string' ? `"${v}"` : String(v)));
      const expected = values.length === 1 ? `expected ${values[0]}` : `expected one of ${values.join(', ')}`;
      const suggestion =
        typeof input === 'string' && values.length > 1
          ? didYouMean(
              input,
              issue.values.filter((v): v is string => typeof v === 'string'),
            )
          : '';
      return `${expected}${got}${suggestion}`;
    }
    case 'invalid_union': {
      const note = (issue as { note?: string }).note;
      const options = (issue as { options?: unknown[] }).options;
      if (note === 'No matching discriminator' && options) {
        const type =
          input !== null && typeof input === 'object' ? (input as { type?: unknown }).type : undefined;
        const suggestion =
          typeof type === 'string'
            ? didYouMean(
                type,
                options.filter((o): o is string => typeof o === 'string'),
              )
            : '';
        return `expected one of ${options.map(String).join(', ')}${type !== undefined && withInput ? `, got ${show(type)}` : ''}${suggestion}`;
      }
      // A union of literals (e.g. percentile: 50 | 90 | 95 | 99).
      const literals = issue.errors.flatMap((branch) =>
        branch.length === 1 && branch[0]!.code === 'invalid_value' ? branch[0].values : [null],
      );
      if (literals.length > 0 && !literals.includes(null)) {
        const quoted =
          typeof input === 'string' &&
          literals.some((l) => typeof l === 'number' && String(l) === input.trim());
        return `expected one of ${literals.map(String).join(', ')}${got}${quoted ? '; remove the quotes' : ''}`;
      }
      return `does not match any allowed form${got}`;
    }
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}${got}`;
    default:
      return issue.message.replace(/^Invalid input: /, '') + got;
  }
}

function noun(expected: string): string {
  const nouns: Record<string, string> = {
    object: 'a mapping',
    array: 'a list',
    string: 'a string',
    number: 'a number',
    int: 'an integer',
    boolean: 'true or false',
    record: 'a mapping',
  };
  return nouns[expected] ?? expected;
}

function typeHint(expected: string, input: unknown, message: string): string {
  if (expected === 'array' && input !== null && typeof input === 'object' && !Array.isArray(input)) {
    return '; start each item on its own line with "- "';
  }
  if (
    (expected === 'number' || expected === 'int') &&
    typeof input === 'string' &&
    input.trim() !== '' &&
    Number.isFinite(Number(input))
  ) {
    return '; remove the quotes';
  }
  if (
    expected === 'boolean' &&
    typeof input === 'string' &&
    /^(yes|no|on|off|y|n|true|false)$/i.test(input)
  ) {
    return '; write true or false without quotes';
  }
  if (expected === 'string' && typeof input === 'number') {
    if (message.startsWith('expected a duration')) return `; add a unit, e.g. "${input}s"`;
    if (message.startsWith('expected a percentage'))
      return `; write it with a percent sign, e.g. "${input}%"`;
    return `; quote it if you meant the text "${input}"`;
  }
  if (expected === 'string' && typeof input === 'boolean')
    return `; quote it if you meant the text "${input}"`;
  return '';
}

function formatHint(message: string, input: unknown): string {
  if (typeof input !== 'string') return '';
  if (message.startsWith('expected a duration') && /^\s*\d+(\.\d+)?\s*$/.test(input))
    return `; add a unit, e.g. "${input.trim()}s"`;
  if (message.startsWith('expected a duration') && /^\d+(\.\d+)?\s+(ms|s|m|h)$/.test(input))
    return '; no space before the unit';
  if (message.startsWith('expected a percentage') && /^\d+(\.\d+)?\s+%$/.test(input))
    return '; no space before the %';
  return '';
}

function lengthOf(input: unknown): string {
  return typeof input === 'string' || Array.isArray(input) ? String(input.length) : '?';
}

/** A value as the author would recognize it in the file. */
export function show(value: unknown): string {
  if (value === null) return 'an empty value';
  if (value === undefined) return 'nothing';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return '.nan';
    if (value === Infinity) return '.inf';
    if (value === -Infinity) return '-.inf';
    return String(value);
  }
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Uint8Array) return 'binary data';
  if (value instanceof Date) return `a date (${value.toISOString()})`;
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}

/** "did you mean" for a misspelled key or value: case-insensitive, at most 2 edits, and not for tiny words. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  if (word.length > 64) return '';
  const best = candidates
    .map((k) => ({ k, d: editDistance(k.toLowerCase(), word.toLowerCase()) }))
    .filter(
      (x) =>
        x.d <= Math.min(2, Math.floor(Math.max(x.k.length, word.length) / 3)) || (x.d === 0 && x.k !== word),
    )
    .sort((a, b) => a.d - b.d)[0];
  return best && best.k !== word ? `; did you mean "${best.k}"?` : '';
}

/** Edits (insert, delete, substitute, swap two neighbours) between two strings: "cuont" is 1 from "count". */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}
