/**
 * A valid scenario (test/fixtures/scenarios/valid.yaml) and small tools to break it one line at a time, so
 * every test can state the exact `line:col: path: message` it expects.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Diagnostic } from '../../../src/scenario/diagnostics.js';
import { parseScenario, type LoadResult } from '../../../src/scenario/parse.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/scenarios/', import.meta.url));
export const VALID_FILE = `${FIXTURES}valid.yaml`;
export const VALID = readFileSync(VALID_FILE, 'utf8');

/** Replaces the one occurrence of `from`; fails loudly if the fixture changed under the test. */
export function edit(text: string, from: string | RegExp, to: string): string {
  const count =
    typeof from === 'string'
      ? text.split(from).length - 1
      : (text.match(new RegExp(from.source, from.flags.includes('g') ? from.flags : from.flags + 'g')) ?? [])
          .length;
  if (count !== 1) throw new Error(`edit: expected exactly one ${String(from)} in the text, found ${count}`);
  return text.replace(from, to);
}

/** Several edits in order. */
export function edits(text: string, ...pairs: [string | RegExp, string][]): string {
  return pairs.reduce((t, [from, to]) => edit(t, from, to), text);
}

/** `line:col: path: message` for each diagnostic (the file name is always `s.yaml`), [] when valid. */
export function problems(input: string | Buffer | Uint8Array): string[] {
  const result = parseScenario(input, 's.yaml');
  return result.ok ? [] : result.diagnostics.map(short);
}

export function short(d: Diagnostic): string {
  return `${d.line}:${d.col}: ${d.path}: ${d.message}`;
}

export function expectOk(result: LoadResult): asserts result is Extract<LoadResult, { ok: true }> {
  if (!result.ok)
    throw new Error(`expected a valid scenario, got:\n${result.diagnostics.map(short).join('\n')}`);
}

/**
 * `fn`'s result and the CPU milliseconds it used. Hostile-input bounds are about the work done: CPU time does
 * not grow when a busy machine makes the test wait for a core, wall-clock time does.
 */
export function withCpuMs<T>(fn: () => T): { result: T; cpuMs: number } {
  const before = process.cpuUsage();
  const result = fn();
  const used = process.cpuUsage(before);
  return { result, cpuMs: (used.user + used.system) / 1000 };
}
