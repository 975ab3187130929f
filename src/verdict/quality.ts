/**
 * The arithmetic of prediction quality, on the answers the ingest kept (src/load/answers.ts): the population
 * stability index between two distributions, golden answers compared with their baseline answers, and the
 * smallest samples that make either figure mean something. Pure functions: the reference tables in
 * test/fixtures/quality/ (computed with numpy) check them.
 */
import { parseAnswerKey, type AnswersSummary } from '../load/answers.js';
import { SCORE_CELLS } from '../scenario/schema.js';
import type { QualityStats } from './result.js';

/**
 * A bin empty on one side would make PSI infinite; its share is floored at this, the usual convention in
 * credit-risk practice where PSI comes from (and what the numpy reference does).
 */
export const PSI_EPSILON = 1e-4;

export interface PsiResult {
  psi: number;
  /** Each bin's term, (a − e)·ln(a / e), in bin order: which bins moved. */
  terms: number[];
  expectedShares: number[];
  actualShares: number[];
}

/** PSI = Σ (a − e)·ln(a / e) over bins, with a and e the actual and expected shares (floored at PSI_EPSILON). */
export function psi(expected: readonly number[], actual: readonly number[]): PsiResult {
  if (expected.length !== actual.length) throw new RangeError('psi: bin counts differ in length');
  const shares = (v: readonly number[]): number[] => {
    const n = v.reduce((a, b) => a + b, 0);
    return v.map((x) => Math.max(n > 0 ? x / n : 0, PSI_EPSILON));
  };
  const e = shares(expected);
  const a = shares(actual);
  const terms = e.map((ei, i) => (a[i]! - ei) * Math.log(a[i]! / ei));
  return { psi: terms.reduce((s, t) => s + t, 0), terms, expectedShares: e, actualShares: a };
}

/** The ingest's fine cells summed into `bins` equal bins (bins divides SCORE_CELLS: each bin is whole cells). */
export function binCells(cells: readonly number[], bins: number): number[] {
  if (cells.length !== SCORE_CELLS || SCORE_CELLS % bins !== 0)
    throw new RangeError(`binCells: ${bins} bins do not divide ${cells.length} cells`);
  const per = SCORE_CELLS / bins;
  const out = new Array<number>(bins).fill(0);
  for (let i = 0; i < SCORE_CELLS; i++) out[Math.floor(i / per)]! += cells[i]!;
  return out;
}

/** Class counts of two windows over the union of their classes, in a stable order. */
export function classVectors(
  expected: Record<string, number>,
  actual: Record<string, number>,
): { classes: string[]; expected: number[]; actual: number[] } {
  const classes = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  return {
    classes,
    expected: classes.map((c) => expected[c] ?? 0),
    actual: classes.map((c) => actual[c] ?? 0),
  };
}

/**
 * PSI's expected value from sampling noise alone, for n and m answers over `bins` bins: (bins − 1)·(1/n + 1/m),
 * from PSI·nm/(n+m) being about χ² with bins − 1 degrees of freedom when nothing moved.
 */
export function psiNoise(bins: number, n: number, m: number): number {
  return n > 0 && m > 0 ? (bins - 1) * (1 / n + 1 / m) : Infinity;
}

/** A PSI limit is only meaningful while noise alone stays under this share of it. */
export const PSI_NOISE_SHARE = 0.25;

/**
 * The fewest golden answers for an agreement figure against `min`: one answer moves it by 1/n, which must not be
 * coarser than the share allowed to disagree (1 − min); never fewer than MIN_GOLDEN_ANSWERS.
 */
export const MIN_GOLDEN_ANSWERS = 20;
export function minGoldenAnswers(min: number): number {
  return min >= 1 ? MIN_GOLDEN_ANSWERS : Math.max(MIN_GOLDEN_ANSWERS, Math.ceil(1 / (1 - min) - 1e-9));
}

export interface Answer {
  score: number | null;
  cls: string | null;
}

export interface RowAgreement {
  row: string;
  baseline: Answer;
  answers: number;
  agreed: number;
  /** The disagreeing answer given most often, when any disagreed. */
  changedTo: Answer | null;
}

export interface Agreement {
  /** Golden answers in the window for rows that have a baseline answer. */
  answers: number;
  agreed: number;
  /** Rows answered in the window but never in the baseline: not compared. */
  rowsWithoutBaseline: string[];
  /** Answers pooled by the ingest's cap on distinct answers per row: not comparable, counted as disagreeing. */
  pooled: number;
  rows: RowAgreement[];
}

/** A row's baseline answer: the one the baseline window gave most often (ties: the first key in order). */
export function baselineAnswers(golden: AnswersSummary['golden']): Map<string, Answer> {
  const out = new Map<string, Answer>();
  for (const [row, answers] of Object.entries(golden)) {
    let best: [string, number] | null = null;
    for (const [key, n] of Object.entries(answers)) {
      if (parseAnswerKey(key) === null) continue;
      if (!best || n > best[1] || (n === best[1] && key < best[0])) best = [key, n];
    }
    if (best) out.set(row, parseAnswerKey(best[0])!);
  }
  return out;
}

export function agrees(answer: Answer, baseline: Answer, tolerance: number): boolean {
  if (baseline.cls !== null && answer.cls !== baseline.cls) return false;
  if (baseline.score !== null) {
    if (answer.score === null) return false;
    // The tolerance is a decimal the author wrote: |0.3 − 0.29| must count as 0.01, not 0.010000000000000009.
    if (Math.abs(answer.score - baseline.score) > tolerance + 1e-12) return false;
  }
  return true;
}

/** Every golden answer of a window against its row's baseline answer. */
export function agreement(
  baseline: AnswersSummary['golden'],
  window: AnswersSummary['golden'],
  tolerance: number,
): Agreement {
  const base = baselineAnswers(baseline);
  const result: Agreement = { answers: 0, agreed: 0, rowsWithoutBaseline: [], pooled: 0, rows: [] };
  for (const [row, answers] of Object.entries(window)) {
    const b = base.get(row);
    if (!b) {
      result.rowsWithoutBaseline.push(row);
      continue;
    }
    const r: RowAgreement = { row, baseline: b, answers: 0, agreed: 0, changedTo: null };
    let changedMost = 0;
    for (const [key, n] of Object.entries(answers)) {
      r.answers += n;
      const a = parseAnswerKey(key);
      if (a === null) {
        result.pooled += n;
        continue;
      }
      if (agrees(a, b, tolerance)) r.agreed += n;
      else if (n > changedMost) {
        changedMost = n;
        r.changedTo = a;
      }
    }
    result.answers += r.answers;
    result.agreed += r.agreed;
    result.rows.push(r);
  }
  return result;
}

/** Share of golden answers whose class is the row's label; null without labels or class answers. */
export function accuracy(
  golden: AnswersSummary['golden'],
  labels: readonly string[] | null,
): { correct: number; answers: number; share: number } | null {
  if (!labels) return null;
  let correct = 0;
  let answers = 0;
  for (const [row, byKey] of Object.entries(golden)) {
    const label = labels[Number(row)];
    if (label === undefined) continue;
    for (const [key, n] of Object.entries(byKey)) {
      const a = parseAnswerKey(key);
      if (a === null || a.cls === null) continue;
      answers += n;
      if (a.cls === label) correct += n;
    }
  }
  return answers > 0 ? { correct, answers, share: correct / answers } : null;
}

export function formatAnswer(a: Answer): string {
  return [a.score === null ? null : String(a.score), a.cls].filter((x) => x !== null).join(' ');
}

/**
 * The baseline's answers and a window's, when both can be judged; otherwise why not (nothing measured, or most
 * responses without an answer), for an INCONCLUSIVE.
 */
export function comparableAnswers(
  load: Partial<Record<string, { answers: AnswersSummary }>>,
  window: string,
): { base: AnswersSummary; w: AnswersSummary } | { why: string } {
  const base = load.baseline?.answers;
  const w = load[window]?.answers;
  if (!base) return { why: 'no answers were measured in the baseline window' };
  if (!w) return { why: `no answers were measured in the ${window} window` };
  const unusable = missingAnswers(base, 'baseline') ?? missingAnswers(w, window);
  return unusable ? { why: unusable } : { base, w };
}

/**
 * Why a window's answers cannot be judged at all: most successful responses carried no answer (a body that
 * did not parse, a path that found nothing). Null when answers were captured for most of them.
 */
export function missingAnswers(w: AnswersSummary, window: string): string | null {
  const missing = Object.values(w.missing).reduce((a, b) => a + b, 0);
  if (w.answers === 0 && missing === 0) return `no answer was captured in the ${window} window`;
  if (missing <= w.answers) return null;
  const why = Object.entries(w.missing)
    .map(([reason, n]) => `${reason.replace(/_/g, ' ')} ×${n}`)
    .join(', ');
  return `most responses in the ${window} window had no answer to judge: ${missing} without one (${why}), ${w.answers} with`;
}

/** Bins of the score histogram the reports draw: fine enough to see a shift, coarse enough to read. */
export const QUALITY_HISTOGRAM_BINS = 20;

/** A window's answers for the result document; null when nothing was captured or missed. */
export function qualityStats(
  w: AnswersSummary,
  range: readonly [number, number],
  labels: readonly string[] | null,
): QualityStats | null {
  const missing = Object.values(w.missing).reduce((a, b) => a + b, 0);
  if (w.answers === 0 && missing === 0) return null;
  const golden = Object.values(w.golden).reduce(
    (a, byKey) => a + Object.values(byKey).reduce((x, y) => x + y, 0),
    0,
  );
  return {
    answers: w.answers,
    missing: w.missing,
    classes: w.classes,
    scores:
      w.scored > 0
        ? {
            range: [range[0], range[1]],
            counts: binCells(w.scoreCells, QUALITY_HISTOGRAM_BINS),
            outOfRange: w.outOfRange,
          }
        : null,
    goldenAnswers: golden,
    accuracy: accuracy(w.golden, labels)?.share ?? null,
  };
}
