import { formatMeasured, windowFor } from '../../report/format.js';
import type { QualityStats, Verdict } from '../../verdict/result.js';
import type { Run } from './breach.js';

/**
 * The SLO kinds that judge the model's answers rather than the service: a model can answer every request with a
 * 200 and still answer wrongly, which no error rate or breach second shows.
 */
export const ANSWER_SLO_KINDS: ReadonlySet<string> = new Set(['predictionAgreement', 'predictionShift']);

/** An answer check that FAILed, or could not judge (too few answers, missing baseline). */
export interface AnswerBreach {
  scenario: string;
  sloId: string;
  kind: string;
  window: string;
  verdict: Exclude<Verdict, 'PASS'>;
  measured: string;
  threshold: string;
  evidence: string;
  /** The judged window's answers, and the baseline's for comparison; null in results without them (v1). */
  answers: QualityStats | null;
  baseline: QualityStats | null;
}

export function answerBreaches(runs: readonly Run[]): AnswerBreach[] {
  return runs.flatMap((run) =>
    run.result.slos.flatMap((slo): AnswerBreach[] => {
      if (slo.verdict === 'PASS' || !ANSWER_SLO_KINDS.has(slo.kind)) return [];
      return [
        {
          scenario: run.name,
          sloId: slo.id,
          kind: slo.kind,
          window: slo.window,
          verdict: slo.verdict,
          measured: formatMeasured(slo),
          threshold: slo.threshold,
          evidence: slo.evidence,
          answers: windowFor(run.result, slo.window)?.quality ?? null,
          baseline: windowFor(run.result, 'baseline')?.quality ?? null,
        },
      ];
    }),
  );
}
