/**
 * How far a window's answers moved from the baseline's: the population stability index of the score histogram
 * (equal bins over target.response.scoreRange) or of the class shares. Catches a model answering differently
 * while every status code and latency stays green: a fallback to default features, a retrained model rolled out.
 */
import { binCells, classVectors, comparableAnswers, psi, psiNoise, PSI_NOISE_SHARE } from '../quality.js';
import { defineSlo, inconclusive, verdictOf } from './judge.js';

const MOST_CHANGED = 3;

export const predictionShift = defineSlo({
  kind: 'predictionShift',
  needs: ['load'],
  heading: (slo) => ({
    id: `prediction-shift-${slo.on}-${slo.window}`,
    window: slo.window,
    threshold: `PSI ≤ ${slo.max}`,
  }),
  judge(slo, { plan, obs }) {
    const answers = comparableAnswers(obs.load, slo.window);
    if ('why' in answers) return inconclusive(answers.why);
    const { base, w } = answers;

    let labels: string[];
    let expected: number[];
    let actual: number[];
    if (slo.on === 'score') {
      const [lo, hi] = plan.scenario.target.response.scoreRange;
      const width = (hi - lo) / slo.bins;
      // numpy.histogram's convention: every bin half-open but the last, which holds the top of the range.
      labels = Array.from(
        { length: slo.bins },
        (_, i) => `[${fmt(lo + i * width)}, ${fmt(lo + (i + 1) * width)}${i === slo.bins - 1 ? ']' : ')'}`,
      );
      expected = binCells(base.scoreCells, slo.bins);
      actual = binCells(w.scoreCells, slo.bins);
    } else {
      const v = classVectors(base.classes, w.classes);
      labels = v.classes;
      expected = v.expected;
      actual = v.actual;
    }
    const m = sum(expected);
    const n = sum(actual);
    const what = slo.on === 'score' ? 'scores' : 'class answers';
    if (m === 0 || n === 0)
      return inconclusive(`no ${what} in the ${m === 0 ? 'baseline' : slo.window} window to compare`);
    const noise = psiNoise(labels.length, n, m);
    if (noise > PSI_NOISE_SHARE * slo.max)
      return inconclusive(
        `too few answers for a PSI against ${slo.max}: with ${labels.length} bins, ${m} baseline and ${n} ${slo.window} ${what}, sampling noise alone gives about ${fmt(noise)} (more than a quarter of the limit)`,
      );
    const r = psi(expected, actual);
    const value = Math.round(r.psi * 10_000) / 10_000;
    const moved = r.terms
      .map((t, i) => ({ t, i }))
      .filter((x) => x.t > 0)
      .sort((a, b) => b.t - a.t)
      .slice(0, MOST_CHANGED)
      .map(({ i }) => `${labels[i]} ${pct(r.expectedShares[i]!)} → ${pct(r.actualShares[i]!)}`);
    const out = w.outOfRange > 0 ? `; ${w.outOfRange} scores outside the range counted in its edge bins` : '';
    return {
      verdict: verdictOf(r.psi <= slo.max),
      measured: value,
      evidence: `PSI ${value} over ${labels.length} ${slo.on === 'score' ? 'score bins' : 'classes'} (${m} baseline, ${n} ${slo.window} ${what})${moved.length ? `; most changed: ${moved.join(', ')}` : ''}${out}`,
    };
  },
});

function sum(v: readonly number[]): number {
  return v.reduce((a, b) => a + b, 0);
}

function fmt(x: number): string {
  return String(Math.round(x * 1000) / 1000);
}

function pct(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}
