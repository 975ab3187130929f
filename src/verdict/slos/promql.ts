/** A PromQL query's value within bounds, asked once when the run is judged. */
import { defineSlo, inconclusive, verdictOf } from './judge.js';

export const promql = defineSlo({
  kind: 'promql',
  needs: ['promql'],
  heading: (slo) => ({
    id: `promql-${slug(slo.query)}`,
    window: 'all',
    threshold: [slo.min !== undefined ? `≥ ${slo.min}` : '', slo.max !== undefined ? `≤ ${slo.max}` : '']
      .filter(Boolean)
      .join(' and '),
  }),
  async judge(slo, { obs }) {
    if (!obs.promql) return inconclusive('no Prometheus client available');
    let value: number | null;
    try {
      value = await obs.promql(slo.url, slo.query);
    } catch (error) {
      return inconclusive(`query failed: ${(error as Error).message}`);
    }
    if (value === null || !Number.isFinite(value))
      return inconclusive(`query returned no number: ${slo.query}`);
    const ok = (slo.min === undefined || value >= slo.min) && (slo.max === undefined || value <= slo.max);
    return { verdict: verdictOf(ok), measured: value, evidence: `${slo.query} = ${value}` };
  },
});

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40);
}
