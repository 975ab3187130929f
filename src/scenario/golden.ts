/**
 * The golden set of a scenario (load.golden.file): fixed input rows, optionally with their true labels, that the
 * built-in load replays in every window so each window's answers can be compared row by row with the baseline's.
 * Read and checked when the scenario loads, so a broken file is an input error before anything runs.
 */
import { readRowsFile, type RowsRule } from './rows.js';
import type { Position } from './text.js';

// Every row is sent in every window: more rows than this would not come round often enough to compare.
export const MAX_GOLDEN_ROWS = 1000;
const MAX_GOLDEN_BYTES = 4 * 1024 * 1024;

export interface GoldenSet {
  rows: number[][];
  /** The true class of each row, as the model names classes; null when the file has none. */
  labels: string[] | null;
}

export type GoldenRead =
  | { ok: true; value: GoldenSet }
  | { ok: false; message: string; /** In the golden file, when the problem is one row. */ at?: Position };

/**
 * Reads and checks a golden file: every row `width` wide (load.payload.features, the width the model declares),
 * whole numbers when the protocol sends an integer datatype (`integers` says which).
 */
export function readGoldenFile(
  file: string,
  shownAs: string,
  width: number,
  integers: string | null = null,
): GoldenRead {
  const rule: RowsRule = {
    width,
    widthKey: 'load.payload.features',
    integers,
    maxRows: MAX_GOLDEN_ROWS,
    maxBytes: MAX_GOLDEN_BYTES,
    flatRow: false,
  };
  const read = readRowsFile(file, rule);
  if (!read.ok)
    return { ok: false, message: `${shownAs}: ${read.message}`, ...(read.at ? { at: read.at } : {}) };
  const { rows, doc: d } = read;
  const bad = (message: string): GoldenRead => ({ ok: false, message: `${shownAs}: ${message}` });
  let labels: string[] | null = null;
  if (d.labels !== undefined) {
    if (!Array.isArray(d.labels) || !d.labels.every((l) => typeof l === 'string' || typeof l === 'number'))
      return bad('"labels" must be an array of class labels (strings or numbers)');
    if (d.labels.length !== rows.length)
      return bad(`${d.labels.length} labels for ${rows.length} rows; give one label per row`);
    labels = d.labels.map(String);
  }
  return { ok: true, value: { rows, labels } };
}
