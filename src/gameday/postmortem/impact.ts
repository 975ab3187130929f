import { windowFor } from '../../report/format.js';
import { judgedVerdict, type RunResult, type Verdict } from '../../verdict/result.js';
import type { GameDayResult } from '../result.js';
import type { AnswerBreach } from './answers.js';
import { answerBreaches } from './answers.js';
import type { Run } from './breach.js';
import { skipReason, skipped } from './helpers.js';
import { POSTMORTEM_RULES } from './rules.js';

export interface ScenarioImpact {
  index: number;
  scenario: string;
  verdict: Verdict;
  breachSeconds: number;
  requests: number;
  errors: number;
  errorRate: number;
  errorBudget: { slo: number; consumed: number } | null;
}

export interface PostmortemImpact {
  scenarios: ScenarioImpact[];
  total: {
    breachSeconds: number;
    requests: number;
    errors: number;
    errorRate: number;
    errorBudget: GameDayResult['errorBudget'];
  };
  /** Answer checks that FAILed or could not judge, with the answers of the window each judged. */
  answers: AnswerBreach[];
  /** Scenarios that did not run, with the reason. */
  notRun: string[];
  rule: string;
}

export function deriveImpact(g: GameDayResult, runs: readonly Run[]): PostmortemImpact {
  const scenarios = runs.map((run): ScenarioImpact => {
    const { requests, errors } = loadCounts(run.result);
    const budget = run.result.errorBudget;
    return {
      index: run.entry.index,
      scenario: run.name,
      verdict: judgedVerdict(run.result.verdict),
      breachSeconds: run.breaches.length,
      requests,
      errors,
      errorRate: requests > 0 ? errors / requests : 0,
      errorBudget: budget ? { slo: budget.slo, consumed: budget.consumed } : null,
    };
  });
  const requests = scenarios.reduce((n, s) => n + s.requests, 0);
  const errors = scenarios.reduce((n, s) => n + s.errors, 0);
  return {
    scenarios,
    total: {
      breachSeconds: scenarios.reduce((n, s) => n + s.breachSeconds, 0),
      requests,
      errors,
      errorRate: requests > 0 ? errors / requests : 0,
      errorBudget: g.errorBudget,
    },
    answers: answerBreaches(runs),
    notRun: skipped(g).map((s) => `${s.name}: ${skipReason(s)}`),
    rule: POSTMORTEM_RULES.impact,
  };
}

function loadCounts(result: RunResult): { requests: number; errors: number } {
  if (result.errorBudget) return { requests: result.errorBudget.requests, errors: result.errorBudget.errors };
  const all = windowFor(result, 'all');
  if (all) return { requests: all.requests, errors: all.failed };
  return {
    requests: result.timeline.reduce((n, p) => n + p.requests, 0),
    errors: result.timeline.reduce((n, p) => n + p.errors, 0),
  };
}
