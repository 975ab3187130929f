/**
 * Prometheus alerting rules for a scenario's SLOs, in the SRE workbook's multi-window, multi-burn-rate form
 * (chapter 5, "Alerting on SLOs"): page when the budget burns fast over a long window AND a short one, open a
 * ticket when it burns slowly. The long window makes an alert significant (enough budget spent), the short one
 * makes it stop soon after the burn does.
 *
 * A burn-rate threshold is the share of the budget an alert may let go before it fires, spread over its long
 * window: 2 % of a 30-day budget in 1 h is 0.02 × 720 h / 1 h = 14.4 times the rate that spends the budget
 * exactly over the period.
 */
import { stringify } from 'yaml';
import type { Scenario, SloSpec } from '../scenario/schema.js';
import { burnObjective } from './burn-rate.js';

export interface BurnWindowPair {
  severity: 'page' | 'ticket';
  /** Share of the period's budget spent over `long` when the alert fires. */
  budgetSpent: number;
  long: string;
  short: string;
}

/** The workbook's recommended pairs (table 5-8). */
export const BURN_WINDOW_PAIRS: readonly BurnWindowPair[] = [
  { severity: 'page', budgetSpent: 0.02, long: '1h', short: '5m' },
  { severity: 'page', budgetSpent: 0.05, long: '6h', short: '30m' },
  { severity: 'ticket', budgetSpent: 0.1, long: '1d', short: '2h' },
  { severity: 'ticket', budgetSpent: 0.1, long: '3d', short: '6h' },
];

const HOURS: Record<string, number> = { m: 1 / 60, h: 1, d: 24, w: 168 };

/** `30d` → 720, `5m` → 1/12; Prometheus's own duration units, whole numbers. */
export function promDurationHours(text: string): number {
  const m = /^(\d+)([mhdw])$/.exec(text);
  if (!m) throw new RangeError(`not a duration like 30d: ${text}`);
  return Number(m[1]) * HOURS[m[2]!]!;
}

/** budgetSpent × period / long window: 14.4 for 2 % of 30 d in 1 h. Rounded so 0.05 × 720 / 6 prints as 6. */
export function burnRateThreshold(pair: BurnWindowPair, periodHours: number): number {
  return Number(((pair.budgetSpent * periodHours) / promDurationHours(pair.long)).toPrecision(12));
}

export interface PromMetrics {
  requests: string;
  statusLabel: string;
  latency: string;
  /** Label matchers in braces, e.g. {namespace="ml-serving",app="fraud-scorer"}. */
  selector: string;
}

export interface RecordingRule {
  record: string;
  expr: string;
  labels: Record<string, string>;
}

export interface AlertingRule {
  alert: string;
  expr: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  rules: Array<RecordingRule | AlertingRule>;
}

/** One SLO the rules watch: a name, the share of requests it allows to be bad, and how a request is bad. */
interface SliSpec {
  slo: string;
  what: string;
  /** 1 − objective. */
  budget: number;
  /** PromQL for the share of bad requests over a range, with $w for the range. */
  errorRatio: (w: string) => string;
}

/** Every window a rule reads, once each, shortest first. */
function ratioWindows(): string[] {
  const all = BURN_WINDOW_PAIRS.flatMap((p) => [p.long, p.short]);
  return [...new Set(all)].sort((a, b) => promDurationHours(a) - promDurationHours(b));
}

/** `{a="b"}` and `c=~"5.."` → `{a="b",c=~"5.."}`. */
function withMatcher(selector: string, matcher?: string): string {
  const inner = selector.slice(1, -1).trim().replace(/,\s*$/, '');
  return `{${[inner, matcher].filter((x) => x).join(',')}}`;
}

/** The selector the rules use: the scenario's, or its target's namespace and pod labels when it selects nothing. */
export function ruleSelector(scenario: Pick<Scenario, 'target'>, metrics: PromMetrics): string {
  if (metrics.selector.slice(1, -1).trim() !== '') return metrics.selector;
  const labels = {
    namespace: scenario.target.namespace,
    ...Object.fromEntries(
      Object.entries(scenario.target.selector).filter(([k]) => /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k)),
    ),
  };
  return `{${Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',')}}`;
}

function slis(
  scenario: Pick<Scenario, 'metadata' | 'slos'>,
  metrics: PromMetrics,
  selector: string,
): SliSpec[] {
  const name = scenario.metadata.name;
  const out: SliSpec[] = [];
  const objective = burnObjective(scenario.slos);
  if (objective) {
    const errors = `${metrics.requests}${withMatcher(selector, `${metrics.statusLabel}=~"5.."`)}`;
    const total = `${metrics.requests}${withMatcher(selector)}`;
    out.push({
      slo: `${name}-error-rate`,
      what: `5xx responses (${objective.from}: ${formatRatio(1 - objective.slo)} of requests)`,
      budget: 1 - objective.slo,
      errorRatio: (w) => `sum(rate(${errors}[${w}])) / sum(rate(${total}[${w}]))`,
    });
  }
  for (const slo of latencySlos(scenario.slos)) {
    const le = String(slo.max.ms / 1000);
    const fast = `${metrics.latency}_bucket${withMatcher(selector, `le="${le}"`)}`;
    const count = `${metrics.latency}_count${withMatcher(selector)}`;
    out.push({
      slo: `${name}-latency-p${slo.percentile}`,
      what: `requests slower than ${slo.max.text} (p${slo.percentile} ≤ ${slo.max.text}: ${100 - slo.percentile} % may be slower)`,
      budget: (100 - slo.percentile) / 100,
      errorRatio: (w) => `1 - sum(rate(${fast}[${w}])) / sum(rate(${count}[${w}]))`,
    });
  }
  return out;
}

/**
 * One latency objective per percentile: the whole-run one, else the loosest per-window one (a fault-window limit
 * is what the service may do while broken, not its steady objective).
 */
function latencySlos(slos: readonly SloSpec[]): Array<Extract<SloSpec, { type: 'latency' }>> {
  const rank = (s: Extract<SloSpec, { type: 'latency' }>) => (s.window === 'all' ? 1e12 : 0) + s.max.ms;
  const byPercentile = new Map<number, Extract<SloSpec, { type: 'latency' }>>();
  for (const slo of slos) {
    if (slo.type !== 'latency') continue;
    const seen = byPercentile.get(slo.percentile);
    if (!seen || rank(slo) > rank(seen)) byPercentile.set(slo.percentile, slo);
  }
  return [...byPercentile.values()].sort((a, b) => a.percentile - b.percentile);
}

function formatRatio(r: number): string {
  return `${Number((r * 100).toPrecision(6))} %`;
}

export const RECORD_PREFIX = 'chaos_slo:error_ratio:rate';

/** The recording and alerting rules of one scenario, as one rule group. */
export function alertRuleGroup(
  scenario: Pick<Scenario, 'metadata' | 'slos' | 'target'>,
  metrics: PromMetrics,
  periodHours: number,
  period: string,
): RuleGroup {
  const selector = ruleSelector(scenario, metrics);
  const rules: RuleGroup['rules'] = [];
  const specs = slis(scenario, metrics, selector);
  for (const sli of specs) {
    for (const w of ratioWindows()) {
      rules.push({
        record: `${RECORD_PREFIX}${w}`,
        expr: sli.errorRatio(w),
        labels: { slo: sli.slo, scenario: scenario.metadata.name },
      });
    }
  }
  for (const sli of specs) {
    for (const severity of ['page', 'ticket'] as const) {
      const pairs = BURN_WINDOW_PAIRS.filter((p) => p.severity === severity);
      const sel = `{slo="${sli.slo}"}`;
      const expr = pairs
        .map((p) => {
          const limit = `(${burnRateThreshold(p, periodHours)} * ${Number(sli.budget.toPrecision(12))})`;
          return `(${RECORD_PREFIX}${p.long}${sel} > ${limit} and ${RECORD_PREFIX}${p.short}${sel} > ${limit})`;
        })
        .join('\nor\n');
      const how = pairs
        .map(
          (p) =>
            `${burnRateThreshold(p, periodHours)}× over ${p.long} and ${p.short} (${formatRatio(p.budgetSpent)} of the budget in ${p.long})`,
        )
        .join(', or ');
      rules.push({
        alert: severity === 'page' ? 'ErrorBudgetBurnFast' : 'ErrorBudgetBurnSlow',
        expr,
        labels: { severity, slo: sli.slo, scenario: scenario.metadata.name },
        annotations: {
          summary: `${sli.slo}: error budget burning ${severity === 'page' ? 'fast' : 'slowly'}`,
          description:
            `The share of ${sli.what} burns the ${period} error budget at ${how}. ` +
            'Bad-request ratio now: {{ $value | humanizePercentage }}.',
        },
      });
    }
  }
  return { name: `chaos-slo-${scenario.metadata.name}`, rules };
}

export interface AlertFiles {
  /** A Prometheus rules file (`groups:`), for rule_files and promtool. */
  rules: string;
  /** The same groups as a Prometheus Operator PrometheusRule. */
  manifest: string;
  recording: number;
  alerting: number;
}

/**
 * Both files for some scenarios (one, or a game day's): one rule group per scenario, in order, each named once.
 * `source` is what the header says they were made from.
 */
export function alertFiles(
  scenarios: ReadonlyArray<Pick<Scenario, 'metadata' | 'slos' | 'target'> & { metrics: PromMetrics }>,
  opts: {
    source: string;
    period: string;
    manifestName: string;
    namespace: string;
    labels: Record<string, string>;
  },
): AlertFiles {
  const periodHours = promDurationHours(opts.period);
  const seen = new Set<string>();
  const groups: RuleGroup[] = [];
  for (const s of scenarios) {
    if (seen.has(s.metadata.name)) continue;
    seen.add(s.metadata.name);
    const group = alertRuleGroup(s, s.metrics, periodHours, opts.period);
    if (group.rules.length > 0) groups.push(group);
  }
  const rules = groups.flatMap((g) => g.rules);
  const header =
    `# Generated by \`chaos alerts\` from ${opts.source}: multi-window, multi-burn-rate alerts (SRE workbook ch. 5)\n` +
    `# for an SLO period of ${opts.period}. Regenerate rather than edit.\n`;
  const manifest = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: {
      name: opts.manifestName,
      namespace: opts.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'chaos', ...opts.labels },
    },
    spec: { groups },
  };
  // lineWidth 0: a folded PromQL expression would still parse, but would no longer read like the one tested;
  // single quotes, as prettier writes YAML, so a committed copy stays as generated.
  const yamlOpts = { lineWidth: 0, singleQuote: true } as const;
  return {
    rules: header + stringify({ groups }, yamlOpts),
    manifest: header + stringify(manifest, yamlOpts),
    recording: rules.filter((r) => 'record' in r).length,
    alerting: rules.filter((r) => 'alert' in r).length,
  };
}
