/**
 * What the ingest keeps of the model's answers in one window, in memory bounded whatever the traffic: a score
 * histogram on a fixed grid of cells over the score range, capped class counts, each golden row's distinct
 * answers (a deterministic model gives one per row), and why successful responses had no answer.
 */
import { SCORE_CELLS } from '../scenario/schema.js';
import { Counts } from './counts.js';

// A custom script could tag anything as a golden row: the map of rows is capped like any tag value.
const MAX_GOLDEN_ROWS = 2000;
// A deterministic model answers a row one way; a few more keys hold float noise, the rest are pooled.
const MAX_ANSWERS_PER_ROW = 32;

export interface AnswersSummary {
  /** Answers captured: one per prediction (a batch of rows gives several). */
  answers: number;
  /** Answers that carried a score. */
  scored: number;
  /** Scores outside the range, counted in its edge cells. */
  outOfRange: number;
  /** Scores per cell: SCORE_CELLS equal cells over the score range. */
  scoreCells: number[];
  /** Class label → answers. */
  classes: Record<string, number>;
  /** Why a successful response gave no answer (`unparsable_body`, `path_not_found`, ...) → responses. */
  missing: Record<string, number>;
  /** Golden row id → answer key (`score|class`, see answerKey) → answers. */
  golden: Record<string, Record<string, number>>;
}

/** How a golden answer is keyed: the score as k6 wrote it and the class, either empty when not captured. */
export function answerKey(score: number | null, cls: string | null): string {
  return `${score === null ? '' : score}|${cls ?? ''}`;
}

export function parseAnswerKey(key: string): { score: number | null; cls: string | null } | null {
  const bar = key.indexOf('|');
  if (bar < 0) return null;
  const s = key.slice(0, bar);
  const c = key.slice(bar + 1);
  const score = s === '' ? null : Number(s);
  if (score !== null && Number.isNaN(score)) return null;
  return { score, cls: c === '' ? null : c };
}

export class AnswersAcc {
  answers = 0;
  scored = 0;
  outOfRange = 0;
  readonly cells = new Uint32Array(SCORE_CELLS);
  readonly classes = new Counts();
  readonly missing = new Counts();
  readonly golden = new Map<string, Counts>();

  constructor(
    private readonly lo: number,
    private readonly hi: number,
  ) {}

  answer(score: number | null, cls: string | null, golden: string | null): void {
    this.answers++;
    if (score !== null) {
      this.scored++;
      this.cells[this.cell(score)]!++;
    }
    if (cls !== null) this.classes.add(cls, 1);
    if (golden !== null) {
      let row = this.golden.get(golden);
      if (!row) {
        if (this.golden.size >= MAX_GOLDEN_ROWS) return;
        row = new Counts(MAX_ANSWERS_PER_ROW);
        this.golden.set(golden, row);
      }
      row.add(answerKey(score, cls), 1);
    }
  }

  /** Adds another window's answers (another runner's): every count adds, the cells cell by cell. */
  merge(other: AnswersAcc): void {
    this.answers += other.answers;
    this.scored += other.scored;
    this.outOfRange += other.outOfRange;
    for (let i = 0; i < this.cells.length; i++) this.cells[i]! += other.cells[i]!;
    this.classes.merge(other.classes);
    this.missing.merge(other.missing);
    for (const [id, counts] of other.golden) {
      let row = this.golden.get(id);
      if (!row) {
        if (this.golden.size >= MAX_GOLDEN_ROWS) continue;
        row = new Counts(MAX_ANSWERS_PER_ROW);
        this.golden.set(id, row);
      }
      row.merge(counts);
    }
  }

  missed(reason: string, n: number): void {
    this.missing.add(reason, n);
  }

  private cell(score: number): number {
    const x = (score - this.lo) / (this.hi - this.lo);
    if (x < 0 || x > 1) {
      this.outOfRange++;
      return x < 0 ? 0 : SCORE_CELLS - 1;
    }
    // x = 1 (the top of the range) belongs to the last cell, as numpy.histogram's last bin is closed.
    return Math.min(SCORE_CELLS - 1, Math.floor(x * SCORE_CELLS));
  }

  summary(): AnswersSummary {
    const golden: Record<string, Record<string, number>> = {};
    for (const id of [...this.golden.keys()].sort(byRowId)) golden[id] = this.golden.get(id)!.toRecord();
    return {
      answers: this.answers,
      scored: this.scored,
      outOfRange: this.outOfRange,
      scoreCells: Array.from(this.cells),
      classes: this.classes.toRecord(),
      missing: this.missing.toRecord(),
      golden,
    };
  }
}

function byRowId(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isInteger(na) && Number.isInteger(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}
