/**
 * A PromQL query judged over one window: a range query over the window's exact bounds (step = the scrape
 * interval) reduced to one number, or an instant query at the window's end for expressions that carry their
 * own range. What Prometheus cannot show (no answer, no series, too few samples, a scrape gap) is INCONCLUSIVE
 * with the reason, never PASS and never FAIL.
 */
import { PrometheusError, type PromSeries } from '../../adapters/prometheus.js';
import { coverageProblem, reduceSamples } from '../../observe/prometheus.js';
import { withWindow } from '../../scenario/promql-syntax.js';
import { defineSlo, inconclusive, verdictOf, windowSpan } from './judge.js';

export const promql = defineSlo({
  kind: 'promql',
  needs: ['prometheus', 'loadStartMs'],
  heading: (slo) => ({
    id: `promql-${slug(slo.query)}-${slo.window}`,
    window: slo.window,
    threshold: [
      slo.instant
        ? ''
        : slo.reduce === 'quantile'
          ? `q${slo.quantile ?? ''} over time`
          : `${slo.reduce} over time`,
      slo.min !== undefined ? `≥ ${slo.min}` : '',
      slo.max !== undefined ? `≤ ${slo.max}` : '',
    ]
      .filter(Boolean)
      .join(' '),
  }),
  async judge(slo, { plan, obs }) {
    const ctx = obs.prometheus;
    if (!ctx) return inconclusive('no Prometheus client available');
    const span = windowSpan(plan, obs.loadStartMs, slo.window);
    if (!span) return inconclusive('load never started');
    const [startMs, endMs] = span;
    const query = withWindow(slo.query, endMs - startMs);
    const conn = ctx.connection(slo.url);
    let series: PromSeries[];
    try {
      series = slo.instant
        ? await ctx.querier.instant(`promql ${slo.window}`, conn, query, endMs)
        : await ctx.querier.range(`promql ${slo.window}`, conn, query, startMs, endMs, ctx.stepS);
    } catch (error) {
      const e = error as Error;
      return inconclusive(
        e instanceof PrometheusError && e.kind === 'query'
          ? `Prometheus refused the query: ${e.message}`
          : `Prometheus not answering: ${e.message}`,
      );
    }
    series = series.filter((x) => x.values.some(([, v]) => Number.isFinite(v)));
    if (series.length === 0)
      return inconclusive(`empty result: no series for ${query} in the ${slo.window} window`);
    if (series.length > 1)
      return inconclusive(
        `${series.length} series for ${query}; aggregate them into one (sum, max, …): ${series
          .slice(0, 3)
          .map((s) => JSON.stringify(s.metric))
          .join(', ')}`,
      );
    const samples = series[0]!.values.filter(([, v]) => Number.isFinite(v));
    if (!slo.instant) {
      const problem = coverageProblem(
        samples.map(([t]) => t),
        startMs / 1000,
        endMs / 1000,
        ctx.stepS,
      );
      if (problem) return inconclusive(`${problem} (${query})`);
    }
    const value = slo.instant
      ? (samples[0]?.[1] ?? null)
      : reduceSamples(
          samples.map(([, v]) => v),
          slo.reduce,
          slo.quantile,
        );
    if (value === null) return inconclusive(`no number from ${query}`);
    const ok = (slo.min === undefined || value >= slo.min) && (slo.max === undefined || value <= slo.max);
    const how = slo.instant
      ? `at the ${slo.window} window's end`
      : `${slo.reduce === 'quantile' ? `quantile ${slo.quantile}` : slo.reduce} of ${samples.length} samples over the ${slo.window} window`;
    return {
      verdict: verdictOf(ok),
      measured: round(value),
      evidence: `${query} = ${round(value)} (${how})`,
    };
  },
});

function round(x: number): number {
  return Math.abs(x) >= 1000 ? Math.round(x) : Number(x.toPrecision(4));
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40);
}
