/**
 * The golden set of a scenario (load.golden.file): fixed input rows, optionally with their true labels, that the
 * built-in load replays in every window so each window's answers can be compared row by row with the baseline's.
 * Read and checked when the scenario loads, so a broken file is an input error before anything runs.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

// Every row is sent in every window: more rows than this would not come round often enough to compare.
export const MAX_GOLDEN_ROWS = 1000;
const MAX_GOLDEN_BYTES = 4 * 1024 * 1024;

export interface GoldenSet {
  rows: number[][];
  /** The true class of each row, as the model names classes; null when the file has none. */
  labels: string[] | null;
}

export type GoldenRead = { ok: true; value: GoldenSet } | { ok: false; message: string };

/** Reads and checks a golden file; `features` is the width every row must have (load.payload.features). */
export function readGoldenFile(file: string, shownAs: string, features: number): GoldenRead {
  const bad = (message: string): GoldenRead => ({ ok: false, message: `${shownAs}: ${message}` });
  let text: string;
  try {
    text = readSmallFile(file);
  } catch (err) {
    return bad((err as Error).message);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return bad(`not JSON (${(err as Error).message})`);
  }
  const d =
    doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>) : {};
  const rows = d.features;
  if (!Array.isArray(rows))
    return bad('needs a "features" array of rows, e.g. {"features": [[0.1, 2, ...]]}');
  if (rows.length === 0) return bad('"features" is empty: a golden set needs at least one row');
  if (rows.length > MAX_GOLDEN_ROWS) return bad(`${rows.length} rows; at most ${MAX_GOLDEN_ROWS}`);
  for (const [i, row] of rows.entries()) {
    if (!Array.isArray(row) || !row.every((x) => typeof x === 'number' && Number.isFinite(x)))
      return bad(`features[${i}] is not a row of numbers`);
    if (row.length !== features)
      return bad(`features[${i}] has ${row.length} values; load.payload.features is ${features}`);
  }
  let labels: string[] | null = null;
  if (d.labels !== undefined) {
    if (!Array.isArray(d.labels) || !d.labels.every((l) => typeof l === 'string' || typeof l === 'number'))
      return bad('"labels" must be an array of class labels (strings or numbers)');
    if (d.labels.length !== rows.length)
      return bad(`${d.labels.length} labels for ${rows.length} rows; give one label per row`);
    labels = d.labels.map(String);
  }
  return { ok: true, value: { rows: rows as number[][], labels } };
}

/** Refuses what is not a small regular file before reading a byte of it (a FIFO would block, /dev/zero never ends). */
function readSmallFile(file: string): string {
  // Non-blocking, so opening a FIFO returns at once instead of waiting for a writer.
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > MAX_GOLDEN_BYTES) throw new Error(`${st.size} bytes; at most ${MAX_GOLDEN_BYTES}`);
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
