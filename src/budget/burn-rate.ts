/**
 * Error-budget burn rate per window, in the SRE workbook's sense: the window's error rate as a multiple of
 * the rate the objective allows (1 − SLO). Burn rate 1 spends exactly the budget over the SLO period; 14.4
 * spends 2 % of a 30-day budget in an hour, the threshold of the workbook's fast page (see src/budget/alerts.ts).
 */
import type { SloSpec } from '../scenario/schema.js';
import type { BurnRateRecord, WindowName } from '../verdict/result.js';

/**
 * The objective a run's budget is kept against: the whole-run errorRate SLO, or, without one, the loosest
 * per-window one — a window SLO stricter than the run's budget (the fault window's) would make a budget that
 * the steady state alone overspends.
 */
export function burnObjective(slos: readonly SloSpec[]): { slo: number; from: string } | null {
  const rates = slos.flatMap((s) => (s.type === 'errorRate' ? [s] : []));
  const chosen =
    rates.find((s) => s.window === 'all') ??
    rates.reduce<(typeof rates)[number] | undefined>(
      (a, s) => (a === undefined || s.max.ratio > a.max.ratio ? s : a),
      undefined,
    );
  // An objective of 100 % has no budget to burn: any error is an infinite multiple of it.
  if (!chosen || chosen.max.ratio <= 0) return null;
  return { slo: 1 - chosen.max.ratio, from: `error-rate-${chosen.window}` };
}

export function burnRates(
  slos: readonly SloSpec[],
  windows: ReadonlyArray<{ window: WindowName; requests: number; failed: number }>,
): BurnRateRecord | null {
  const objective = burnObjective(slos);
  // No load, no windows: nothing burned and nothing to say.
  if (!objective || windows.length === 0) return null;
  const budgetRate = 1 - objective.slo;
  return {
    ...objective,
    windows: windows.map((w) => {
      const errorRate = w.requests === 0 ? 0 : w.failed / w.requests;
      return {
        window: w.window,
        requests: w.requests,
        errors: w.failed,
        errorRate: round(errorRate),
        burnRate: w.requests === 0 ? null : round(errorRate / budgetRate),
      };
    }),
  };
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
