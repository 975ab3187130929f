import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  alertFiles,
  alertRuleGroup,
  BURN_WINDOW_PAIRS,
  burnRateThreshold,
  promDurationHours,
  ruleSelector,
  type PromMetrics,
} from '../../../src/budget/alerts.js';
import { loadScenarioFile } from '../../../src/scenario/parse.js';
import type { Scenario } from '../../../src/scenario/schema.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const METRICS: PromMetrics = {
  requests: 'http_requests_total',
  statusLabel: 'code',
  latency: 'http_request_duration_seconds',
  selector: '{}',
};

async function scenario(file: string): Promise<Scenario> {
  const loaded = await loadScenarioFile(path.join(ROOT, file));
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
  return loaded.scenario;
}

describe('burn-rate thresholds (SRE workbook ch. 5)', () => {
  it('are the share of the budget spent × the period / the long window: 14.4, 6, 3 and 1 over 30 days', () => {
    const period = promDurationHours('30d');
    expect(period).toBe(720);
    const [fast1h, fast6h, slow1d, slow3d] = BURN_WINDOW_PAIRS;
    expect(fast1h).toMatchObject({ severity: 'page', budgetSpent: 0.02, long: '1h', short: '5m' });
    expect(burnRateThreshold(fast1h!, period)).toBe(14.4); // 0.02 × 720 h / 1 h
    expect(fast6h).toMatchObject({ severity: 'page', budgetSpent: 0.05, long: '6h', short: '30m' });
    expect(burnRateThreshold(fast6h!, period)).toBe(6); // 0.05 × 720 h / 6 h
    expect(slow1d).toMatchObject({ severity: 'ticket', budgetSpent: 0.1, long: '1d', short: '2h' });
    expect(burnRateThreshold(slow1d!, period)).toBe(3); // 0.1 × 720 h / 24 h
    expect(slow3d).toMatchObject({ severity: 'ticket', budgetSpent: 0.1, long: '3d', short: '6h' });
    expect(burnRateThreshold(slow3d!, period)).toBe(1); // 0.1 × 720 h / 72 h
  });

  it('follow the period: 28 days makes the fast page 13.44×', () => {
    expect(BURN_WINDOW_PAIRS.map((p) => burnRateThreshold(p, promDurationHours('28d')))).toEqual([
      13.44, 5.6, 2.8, 0.933333333333,
    ]);
    expect(promDurationHours('4w')).toBe(672);
    expect(promDurationHours('5m')).toBeCloseTo(1 / 12, 12);
    expect(() => promDurationHours('30 days')).toThrow(RangeError);
  });
});

describe('alertRuleGroup', () => {
  it('records the bad-request ratio of each SLO over every window once, and pages and tickets on pairs of them', async () => {
    const group = alertRuleGroup(await scenario('scenarios/pod-kill.yaml'), METRICS, 720, '30d');
    const records = group.rules.flatMap((r) => ('record' in r ? [r] : []));
    const alerts = group.rules.flatMap((r) => ('alert' in r ? [r] : []));
    // errorRate 2 % (budget 0.02) and p95 ≤ 250ms (budget 0.05); the fault window's 1 % is not the steady objective.
    expect(records.map((r) => `${r.labels.slo} ${r.record}`)).toEqual(
      ['pod-kill-error-rate', 'pod-kill-latency-p95'].flatMap((slo) =>
        ['5m', '30m', '1h', '2h', '6h', '1d', '3d'].map((w) => `${slo} chaos_slo:error_ratio:rate${w}`),
      ),
    );
    expect(records[0]!.expr).toBe(
      'sum(rate(http_requests_total{namespace="ml-serving",app="fraud-scorer",code=~"5.."}[5m])) / ' +
        'sum(rate(http_requests_total{namespace="ml-serving",app="fraud-scorer"}[5m]))',
    );
    expect(records[7]!.expr).toBe(
      '1 - sum(rate(http_request_duration_seconds_bucket{namespace="ml-serving",app="fraud-scorer",le="0.25"}[5m])) / ' +
        'sum(rate(http_request_duration_seconds_count{namespace="ml-serving",app="fraud-scorer"}[5m]))',
    );
    expect(alerts.map((a) => [a.alert, a.labels.severity, a.labels.slo])).toEqual([
      ['ErrorBudgetBurnFast', 'page', 'pod-kill-error-rate'],
      ['ErrorBudgetBurnSlow', 'ticket', 'pod-kill-error-rate'],
      ['ErrorBudgetBurnFast', 'page', 'pod-kill-latency-p95'],
      ['ErrorBudgetBurnSlow', 'ticket', 'pod-kill-latency-p95'],
    ]);
    expect(alerts[0]!.expr).toBe(
      '(chaos_slo:error_ratio:rate1h{slo="pod-kill-error-rate"} > (14.4 * 0.02) and chaos_slo:error_ratio:rate5m{slo="pod-kill-error-rate"} > (14.4 * 0.02))\n' +
        'or\n' +
        '(chaos_slo:error_ratio:rate6h{slo="pod-kill-error-rate"} > (6 * 0.02) and chaos_slo:error_ratio:rate30m{slo="pod-kill-error-rate"} > (6 * 0.02))',
    );
    expect(alerts[3]!.expr).toContain(
      'chaos_slo:error_ratio:rate3d{slo="pod-kill-latency-p95"} > (1 * 0.05)',
    );
  });

  it("uses the scenario's metric names and selector when it gives them", async () => {
    const s = await scenario('scenarios/pod-kill.yaml');
    const group = alertRuleGroup(
      s,
      {
        requests: 'requests_total',
        statusLabel: 'status',
        latency: 'req_seconds',
        selector: '{job="api", }',
      },
      720,
      '30d',
    );
    const exprs = group.rules.map((r) => r.expr).join('\n');
    expect(exprs).toContain(
      'sum(rate(requests_total{job="api",status=~"5.."}[1h])) / sum(rate(requests_total{job="api"}[1h]))',
    );
    expect(exprs).toContain('req_seconds_bucket{job="api",le="0.25"}');
    expect(exprs).not.toContain('fraud-scorer');
  });

  it("without a selector, selects the target's namespace and its pod labels that can be Prometheus labels", () => {
    const target = {
      namespace: 'ml',
      selector: { app: 'scorer', 'app.kubernetes.io/name': 'x' },
    } as unknown as Scenario['target'];
    expect(ruleSelector({ target }, METRICS)).toBe('{namespace="ml",app="scorer"}');
    expect(ruleSelector({ target }, { ...METRICS, selector: '{ job="a" }' })).toBe('{ job="a" }');
  });

  it('keeps the whole-run latency objective per percentile, else the loosest window one', async () => {
    const s = await scenario('scenarios/pod-kill.yaml');
    const lat = (percentile: 95 | 99, max: string, window: 'all' | 'fault' | 'recovery') =>
      ({
        type: 'latency',
        percentile,
        max: { ms: Number.parseInt(max, 10), text: max },
        window,
      }) as Scenario['slos'][number];
    const group = alertRuleGroup(
      {
        ...s,
        slos: [
          lat(95, '100ms', 'fault'),
          lat(95, '500ms', 'recovery'),
          lat(99, '1000ms', 'fault'),
          lat(99, '250ms', 'all'),
        ],
      },
      METRICS,
      720,
      '30d',
    );
    const buckets = [
      ...new Set(
        group.rules.flatMap((r) => [...r.expr.matchAll(/slo="([^"]+)"|le="([^"]+)"/g)].map((m) => m[0])),
      ),
    ];
    expect(buckets).toEqual([
      'le="0.5"',
      'le="0.25"',
      'slo="pod-kill-latency-p95"',
      'slo="pod-kill-latency-p99"',
    ]);
  });
});

describe('alertFiles', () => {
  it('renders scenarios/pod-kill.yaml as the committed golden files', async () => {
    const s = await scenario('scenarios/pod-kill.yaml');
    const files = alertFiles([{ ...s, metrics: METRICS }], {
      source: 'scenarios/pod-kill.yaml',
      period: '30d',
      manifestName: 'chaos-slo-pod-kill',
      namespace: 'ml-serving',
      labels: {},
    });
    const golden = (name: string) => readFileSync(path.join(ROOT, 'test/fixtures/alerts', name), 'utf8');
    expect(files.rules).toBe(golden('pod-kill.rules.yaml'));
    expect(files.manifest).toBe(golden('pod-kill.prometheusrule.yaml'));
    expect([files.recording, files.alerting]).toEqual([14, 4]);
    const manifest = parse(files.manifest) as Record<string, unknown>;
    expect(manifest).toMatchObject({
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name: 'chaos-slo-pod-kill', namespace: 'ml-serving' },
      spec: parse(files.rules) as Record<string, unknown>,
    });
  });

  it('writes a scenario named twice once, and none without an SLO to alert on', async () => {
    const s = await scenario('scenarios/pod-kill.yaml');
    const opts = { source: 'x', period: '30d', manifestName: 'n', namespace: 'ns', labels: {} };
    const twice = alertFiles(
      [
        { ...s, metrics: METRICS },
        { ...s, metrics: METRICS },
      ],
      opts,
    );
    expect((parse(twice.rules) as { groups: unknown[] }).groups).toHaveLength(1);
    const none = alertFiles([{ ...s, slos: [{ type: 'restarts', max: 0 }], metrics: METRICS }], opts);
    expect(parse(none.rules)).toEqual({ groups: [] });
  });
});
