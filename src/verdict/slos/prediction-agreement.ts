/**
 * The golden rows, replayed in every window, answered as in the baseline: the share of golden answers whose class
 * equals the row's baseline class and whose score is within the tolerance of its baseline score.
 */
import { formatPercent } from '../../scenario/units.js';
import { accuracy, agreement, comparableAnswers, formatAnswer, minGoldenAnswers } from '../quality.js';
import { defineSlo, inconclusive, verdictOf } from './judge.js';

const MOST_CHANGED = 3;

export const predictionAgreement = defineSlo({
  kind: 'predictionAgreement',
  needs: ['load'],
  heading: (slo) => ({
    id: `prediction-agreement-${slo.window}`,
    window: slo.window,
    threshold: `≥ ${slo.min.text} (tolerance ${slo.tolerance})`,
  }),
  judge(slo, { plan, obs }) {
    const answers = comparableAnswers(obs.load, slo.window);
    if ('why' in answers) return inconclusive(answers.why);
    const { base, w } = answers;
    if (Object.keys(base.golden).length === 0)
      return inconclusive('no golden row was answered in the baseline window: nothing to compare with');

    const a = agreement(base.golden, w.golden, slo.tolerance);
    const needed = minGoldenAnswers(slo.min.ratio);
    if (a.answers < needed)
      return inconclusive(
        `${a.answers} golden answers in the ${slo.window} window; at least ${needed} are needed to judge ${slo.min.text} (one answer must move the share by no more than the ${formatPercent(1 - slo.min.ratio)} allowed to differ)`,
      );
    const share = a.agreed / a.answers;
    const changed = a.rows
      .filter((r) => r.changedTo !== null)
      .sort((x, y) => y.answers - y.agreed - (x.answers - x.agreed))
      .slice(0, MOST_CHANGED)
      .map(
        (r) =>
          `row ${r.row}: ${formatAnswer(r.baseline)} → ${formatAnswer(r.changedTo!)} (${r.answers - r.agreed}×)`,
      );
    const labels = plan.golden?.labels ?? null;
    const accNow = accuracy(w.golden, labels);
    const accBase = accuracy(base.golden, labels);
    const parts = [
      `${a.agreed} of ${a.answers} golden answers agree with the baseline (${formatPercent(share)}, score tolerance ${slo.tolerance})`,
    ];
    const changedRows = a.rows.filter((r) => r.changedTo !== null).length;
    if (changed.length)
      parts.push(`${changedRows} of ${a.rows.length} rows changed, e.g. ${changed.join('; ')}`);
    if (a.pooled > 0) parts.push(`${a.pooled} answers too varied to keep, counted as disagreeing`);
    if (a.rowsWithoutBaseline.length > 0)
      parts.push(`${a.rowsWithoutBaseline.length} rows had no baseline answer and were not compared`);
    if (accNow && accBase)
      parts.push(
        `accuracy against the labels ${formatPercent(accNow.share)} (baseline ${formatPercent(accBase.share)})`,
      );
    return {
      verdict: verdictOf(share >= slo.min.ratio - 1e-12),
      measured: formatPercent(share),
      evidence: parts.join('; '),
    };
  },
});
