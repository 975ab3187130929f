/**
 * Row files: the payload (load.payload.file) and golden (load.golden.file) files hold plain feature rows,
 * {"features": [[...], ...]}, whatever protocol the load speaks; the harness wraps them in the protocol's body.
 * Read and checked when the scenario loads, so a row of the wrong width is an input error at its own line and
 * column in that file, before anything is sent.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { offsetPosition, type Position } from './text.js';

export interface RowsRule {
  /** The width every row must have, and the key that declares it (for the message). */
  width: number;
  widthKey: string;
  /** Integer datatypes (V2 INT*, UINT*): every value a whole number. */
  integers: string | null;
  maxRows: number;
  maxBytes: number;
  /** The payload file may hold one flat row, {"features": [1, 2, ...]}; a golden file may not. */
  flatRow: boolean;
}

export type RowsRead =
  | { ok: true; rows: number[][]; doc: Record<string, unknown> }
  | { ok: false; message: string; at?: Position };

export function readRowsFile(file: string, rule: RowsRule): RowsRead {
  let text: string;
  try {
    text = readSmallFile(file, rule.maxBytes);
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
  return checkRows(text, rule);
}

/** The checks of readRowsFile on a file's text. */
export function checkRows(text: string, rule: RowsRule): RowsRead {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    // V8 quotes the start of the text ("root:*:19…" is not valid JSON): a file named by mistake is not echoed.
    const reason = (err as Error).message.replace(/,? ".*"(\.\.\.)? is not valid JSON$/s, '');
    return { ok: false, message: `not JSON (${reason})` };
  }
  const d =
    doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>) : {};
  const given = d.features;
  if (!Array.isArray(given))
    return { ok: false, message: 'needs a "features" array of rows, e.g. {"features": [[0.1, 2, ...]]}' };
  if (given.length === 0) return { ok: false, message: '"features" is empty: give at least one row' };
  const flat = rule.flatRow && !given.some((x) => Array.isArray(x));
  const rows = (flat ? [given] : given) as unknown[];
  if (rows.length > rule.maxRows)
    return { ok: false, message: `${rows.length} rows; at most ${rule.maxRows}` };
  // Positions are looked up only for a row found wrong: the scan is not paid by good files.
  const at = (row: number, item?: number): Position | undefined => {
    const starts = itemStarts(text, featuresStart(text));
    const rowStart = flat ? featuresStart(text) : starts[row];
    if (rowStart === undefined) return undefined;
    const itemStart = item === undefined ? undefined : itemStarts(text, rowStart)[item];
    return offsetPosition(text, itemStart ?? rowStart);
  };
  const name = (i: number) => (flat ? 'features' : `features[${i}]`);
  for (const [i, row] of rows.entries()) {
    if (!Array.isArray(row)) return { ok: false, message: `${name(i)} is not a row of numbers`, at: at(i) };
    const bad = row.findIndex((x) => typeof x !== 'number' || !Number.isFinite(x));
    if (bad >= 0)
      return {
        ok: false,
        message: `${name(i)}[${bad}] is not a number: ${JSON.stringify(row[bad])}`,
        at: at(i, bad),
      };
    if (row.length !== rule.width)
      return {
        ok: false,
        message: `${name(i)} has ${row.length} values; ${rule.widthKey} is ${rule.width}`,
        at: at(i),
      };
    if (rule.integers) {
      const frac = row.findIndex((x) => !Number.isInteger(x));
      if (frac >= 0)
        return {
          ok: false,
          message: `${name(i)}[${frac}] is ${String(row[frac])}, not a whole number, and ${rule.integers}`,
          at: at(i, frac),
        };
    }
  }
  return { ok: true, rows: rows as number[][], doc: d };
}

// ------------------------------------------------------------------------ where things are in the JSON text

const WS = new Set([' ', '\t', '\r', '\n']);

function skipWs(t: string, i: number): number {
  while (i < t.length && WS.has(t[i]!)) i++;
  return i;
}

/** The index just past the JSON value starting at i (the text is known to be valid JSON). */
function skipValue(t: string, i: number): number {
  const c = t[i];
  if (c === '"') {
    for (i++; i < t.length && t[i] !== '"'; i++) if (t[i] === '\\') i++;
    return i + 1;
  }
  if (c === '[' || c === '{') {
    let depth = 0;
    for (; i < t.length; i++) {
      const x = t[i];
      if (x === '"') i = skipValue(t, i) - 1;
      else if (x === '[' || x === '{') depth++;
      else if (x === ']' || x === '}') {
        depth--;
        if (depth === 0) return i + 1;
      }
    }
    return i;
  }
  while (i < t.length && !WS.has(t[i]!) && t[i] !== ',' && t[i] !== ']' && t[i] !== '}') i++;
  return i;
}

/** Where the value of the top-level key "features" starts (the last one, as JSON.parse keeps the last). */
function featuresStart(t: string): number {
  let found = -1;
  let i = skipWs(t, t.charCodeAt(0) === 0xfeff ? 1 : 0);
  if (t[i] !== '{') return -1;
  i = skipWs(t, i + 1);
  while (i < t.length && t[i] === '"') {
    const end = skipValue(t, i);
    const key = JSON.parse(t.slice(i, end)) as string;
    i = skipWs(t, skipWs(t, end) + 1);
    if (key === 'features') found = i;
    i = skipWs(t, skipValue(t, i));
    if (t[i] === ',') i = skipWs(t, i + 1);
  }
  return found;
}

/** The start of each item of the array at `start`. */
function itemStarts(t: string, start: number): number[] {
  const out: number[] = [];
  if (start < 0 || t[start] !== '[') return out;
  let i = skipWs(t, start + 1);
  while (i < t.length && t[i] !== ']') {
    out.push(i);
    i = skipWs(t, skipValue(t, i));
    if (t[i] === ',') i = skipWs(t, i + 1);
  }
  return out;
}

/** Refuses what is not a small regular file before reading a byte of it (a FIFO would block, /dev/zero never ends). */
function readSmallFile(file: string, maxBytes: number): string {
  // Non-blocking, so opening a FIFO returns at once instead of waiting for a writer.
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > maxBytes) throw new Error(`${st.size} bytes; at most ${maxBytes}`);
    const buf = Buffer.alloc(st.size);
    let at = 0;
    while (at < st.size) {
      const n = readSync(fd, buf, at, st.size - at, at);
      if (n === 0) break;
      at += n;
    }
    return buf.toString('utf8', 0, at);
  } finally {
    closeSync(fd);
  }
}
