import { formatMeasured } from '../../report/format.js';
import type { AnswerBreach } from './answers.js';
import { answerBreaches } from './answers.js';
import type { Run } from './breach.js';
import { firstBreachAfter } from './breach.js';
import { iso, plural } from './helpers.js';

export interface DetectedCheck {
  scenario: string;
  sloId: string;
  kind: string;
  window: string;
  measured: string;
  threshold: string;
  evidence: string;
  /** First breaching second of this check at or after the injection; null when it has no per-second signal. */
  firstBreachAt: string | null;
  /** When the run was judged: the detection time of a check without a per-second signal. */
  judgedAt: string;
}

export interface PostmortemDetection {
  summary: string;
  checks: DetectedCheck[];
  /** Checks of the model's answers that FAILed or could not judge; empty when none did. */
  answers: AnswerBreach[];
  /** What `answers` says, in one sentence; null when it is empty. */
  answersSummary: string | null;
}

export function deriveDetection(runs: readonly Run[]): PostmortemDetection {
  const checks: DetectedCheck[] = runs.flatMap((run) =>
    run.failed.map((slo) => {
      const first = firstBreachAfter(run.breaches, run.injection, slo.id);
      return {
        scenario: run.name,
        sloId: slo.id,
        kind: slo.kind,
        window: slo.window,
        measured: formatMeasured(slo),
        threshold: slo.threshold,
        evidence: slo.evidence,
        firstBreachAt: first ? iso(first.ms) : null,
        judgedAt: run.result.finishedAt,
      };
    }),
  );
  const answers = answerBreaches(runs);
  const answersSummary = answers.length === 0 ? null : describeAnswerBreaches(answers);
  if (checks.length === 0) {
    const total = runs.reduce((n, r) => n + r.result.slos.length, 0);
    return {
      summary: `No check fired: none of ${plural(total, 'check')} failed.`,
      checks,
      answers,
      answersSummary,
    };
  }
  const scenarios = new Set(checks.map((c) => c.scenario)).size;
  const perSecond = checks.filter((c) => c.firstBreachAt !== null).length;
  return {
    summary:
      `${plural(checks.length, 'check')} fired in ${plural(scenarios, 'scenario')}: ` +
      `${perSecond} seen second by second in the load timeline, ${checks.length - perSecond} only by the end-of-run evaluation.`,
    checks,
    answers,
    answersSummary,
  };
}

function describeAnswerBreaches(answers: readonly AnswerBreach[]): string {
  const failed = answers.filter((a) => a.verdict === 'FAIL').length;
  const scenarios = new Set(answers.map((a) => a.scenario)).size;
  return (
    `${plural(answers.length, 'check')} of the model's answers in ${plural(scenarios, 'scenario')}: ` +
    `${failed} failed, ${answers.length - failed} could not judge. Only these see wrong answers; ` +
    'a request that is answered wrongly still succeeds, so error rates and breach seconds do not count it.'
  );
}
