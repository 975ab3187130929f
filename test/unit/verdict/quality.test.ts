import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AnswersAcc, answerKey, type AnswersSummary } from '../../../src/load/answers.js';
import {
  accuracy,
  agreement,
  binCells,
  minGoldenAnswers,
  missingAnswers,
  psi,
  psiNoise,
} from '../../../src/verdict/quality.js';

interface Reference {
  psi: { expected: number[]; actual: number[]; psi: number }[];
  bins: {
    bins: number;
    range: [number, number];
    baseline: number[];
    window: number[];
    expectedCounts: number[];
    actualCounts: number[];
    psi: number;
  }[];
  agreement: {
    tolerance: number;
    baseline: Record<string, [number, string, number][]>;
    window: Record<string, [number, string, number][]>;
    answers: number;
    agreed: number;
  }[];
}

// Computed with numpy by test/fixtures/quality/reference.py, independently of the code under test.
const REF = JSON.parse(
  readFileSync(new URL('../../fixtures/quality/reference.json', import.meta.url), 'utf8'),
) as Reference;

function goldenOf(rows: Record<string, [number, string, number][]>): AnswersSummary['golden'] {
  const out: AnswersSummary['golden'] = {};
  for (const [row, answers] of Object.entries(rows)) {
    out[row] = {};
    for (const [score, cls, n] of answers) {
      const k = answerKey(score, cls);
      out[row][k] = (out[row][k] ?? 0) + n;
    }
  }
  return out;
}

describe('psi', () => {
  it(`matches numpy on ${REF.psi.length} random count vectors (empty bins included)`, () => {
    for (const c of REF.psi) expect(psi(c.expected, c.actual).psi).toBeCloseTo(c.psi, 10);
  });

  it('is zero for the same distribution, positive otherwise, and symmetric', () => {
    const counts = fc.array(fc.nat(1000), { minLength: 2, maxLength: 30 });
    fc.assert(
      fc.property(counts, counts, (a, b) => {
        const n = Math.min(a.length, b.length);
        const x = a.slice(0, n);
        const y = b.slice(0, n);
        fc.pre(x.some((v) => v > 0) && y.some((v) => v > 0));
        expect(psi(x, x).psi).toBe(0);
        // Proportional counts are the same distribution.
        expect(
          psi(
            x,
            x.map((v) => v * 3),
          ).psi,
        ).toBeCloseTo(0, 12);
        expect(psi(x, y).psi).toBeGreaterThanOrEqual(0);
        expect(psi(x, y).psi).toBeCloseTo(psi(y, x).psi, 12);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('score histogram', () => {
  it('bins scores as numpy.histogram does, and gives numpy’s PSI', () => {
    for (const c of REF.bins) {
      const base = new AnswersAcc(c.range[0], c.range[1]);
      const win = new AnswersAcc(c.range[0], c.range[1]);
      for (const s of c.baseline) base.answer(s, null, null);
      for (const s of c.window) win.answer(s, null, null);
      const e = binCells(base.summary().scoreCells, c.bins);
      const a = binCells(win.summary().scoreCells, c.bins);
      expect(e, `${c.bins} bins`).toEqual(c.expectedCounts);
      expect(a, `${c.bins} bins`).toEqual(c.actualCounts);
      expect(psi(e, a).psi).toBeCloseTo(c.psi, 10);
    }
  });

  it('puts the top of the range in the last bin and counts what falls outside in the edge bins', () => {
    const acc = new AnswersAcc(0, 1);
    for (const s of [0, 1, -0.5, 1.5, 0.5]) acc.answer(s, null, null);
    const sum = acc.summary();
    expect(binCells(sum.scoreCells, 2)).toEqual([2, 3]);
    expect(sum.outOfRange).toBe(2);
  });

  it('refuses bins that do not divide the grid', () => {
    expect(() => binCells(new AnswersAcc(0, 1).summary().scoreCells, 3)).toThrow(/3 bins/);
  });
});

describe('agreement', () => {
  it(`matches a brute-force count over every answer in ${REF.agreement.length} reference cases`, () => {
    for (const c of REF.agreement) {
      const r = agreement(goldenOf(c.baseline), goldenOf(c.window), c.tolerance);
      expect({ answers: r.answers, agreed: r.agreed }).toEqual({ answers: c.answers, agreed: c.agreed });
    }
  });

  it('equals a direct count for random answers', () => {
    const answer = fc.record({
      row: fc.integer({ min: 0, max: 5 }),
      score: fc.integer({ min: 0, max: 20 }).map((i) => i / 20),
      cls: fc.constantFrom('legit', 'fraud'),
    });
    fc.assert(
      fc.property(fc.array(answer, { maxLength: 60 }), fc.array(answer, { maxLength: 60 }), (base, win) => {
        const acc = (xs: typeof base) => {
          const a = new AnswersAcc(0, 1);
          for (const x of xs) a.answer(x.score, x.cls, String(x.row));
          return a.summary().golden;
        };
        const r = agreement(acc(base), acc(win), 0.05);
        // The baseline answer of a row: its most frequent, ties to the smallest key.
        const modal = new Map<number, { score: number; cls: string }>();
        for (const row of new Set(base.map((x) => x.row))) {
          const counts = new Map<string, number>();
          for (const x of base.filter((y) => y.row === row)) {
            const k = answerKey(x.score, x.cls);
            counts.set(k, (counts.get(k) ?? 0) + 1);
          }
          const [best] = [...counts].sort((p, q) => q[1] - p[1] || (p[0] < q[0] ? -1 : 1));
          const [s, c] = best![0].split('|');
          modal.set(row, { score: Number(s), cls: c! });
        }
        const compared = win.filter((x) => modal.has(x.row));
        const agreed = compared.filter((x) => {
          const b = modal.get(x.row)!;
          return x.cls === b.cls && Math.abs(x.score - b.score) <= 0.05 + 1e-12;
        });
        expect(r.answers).toBe(compared.length);
        expect(r.agreed).toBe(agreed.length);
      }),
      { numRuns: 1000 },
    );
  });

  it('names the rows without a baseline answer instead of comparing them', () => {
    const base = goldenOf({ '0': [[0.2, 'legit', 3]] });
    const win = goldenOf({ '0': [[0.2, 'legit', 2]], '1': [[0.9, 'fraud', 4]] });
    const r = agreement(base, win, 0);
    expect(r).toMatchObject({ answers: 2, agreed: 2, rowsWithoutBaseline: ['1'] });
  });

  it('reports the disagreeing answer given most often for each changed row', () => {
    const base = goldenOf({ '0': [[0.2, 'legit', 3]] });
    const win = goldenOf({
      '0': [
        [0.2, 'legit', 1],
        [0.7, 'fraud', 5],
        [0.4, 'legit', 2],
      ],
    });
    const [row] = agreement(base, win, 0.01).rows;
    expect(row).toMatchObject({ answers: 8, agreed: 1, changedTo: { score: 0.7, cls: 'fraud' } });
  });
});

describe('accuracy', () => {
  it('is the share of golden class answers equal to the row label', () => {
    const g = goldenOf({ '0': [[0.9, 'fraud', 3]], '1': [[0.8, 'fraud', 1]] });
    expect(accuracy(g, ['fraud', 'legit'])).toEqual({ correct: 3, answers: 4, share: 0.75 });
    expect(accuracy(g, null)).toBeNull();
  });
});

describe('the smallest meaningful samples', () => {
  it('needs one answer to move agreement by no more than the share allowed to differ', () => {
    expect(minGoldenAnswers(0.99)).toBe(100);
    expect(minGoldenAnswers(0.999)).toBe(1000);
    expect(minGoldenAnswers(0.9)).toBe(20);
    expect(minGoldenAnswers(1)).toBe(20);
  });

  it('puts PSI noise at (bins − 1)(1/n + 1/m)', () => {
    expect(psiNoise(10, 1000, 1000)).toBeCloseTo(0.018, 12);
    expect(psiNoise(10, 0, 1000)).toBe(Infinity);
  });
});

describe('missingAnswers', () => {
  it('says why when most successful responses had no answer', () => {
    const acc = new AnswersAcc(0, 1);
    acc.answer(0.5, 'legit', null);
    acc.missed('path_not_found', 9);
    expect(missingAnswers(acc.summary(), 'fault')).toBe(
      'most responses in the fault window had no answer to judge: 9 without one (path not found ×9), 1 with',
    );
    acc.missed('unparsable_body', 0);
    const fine = new AnswersAcc(0, 1);
    fine.answer(0.5, 'legit', null);
    expect(missingAnswers(fine.summary(), 'fault')).toBeNull();
    expect(missingAnswers(new AnswersAcc(0, 1).summary(), 'fault')).toBe(
      'no answer was captured in the fault window',
    );
  });
});
