/**
 * `chaos alerts`: the scenario's SLOs as Prometheus burn-rate alerts, so the objective a chaos run judged is
 * the one production pages on. Writes a rules file and a PrometheusRule manifest; touches no cluster.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Output } from '../adapters/output.js';
import { alertFiles, type PromMetrics } from '../budget/alerts.js';
import { InvalidInputError } from '../errors.js';
import { loadSuiteFile, looksLikeSuite, suiteScenarioFiles } from '../gameday/suite.js';
import { formatDiagnostic, printable } from '../scenario/diagnostics.js';
import { loadScenarioFile } from '../scenario/parse.js';
import type { Scenario } from '../scenario/schema.js';

export interface AlertsCliOptions {
  outDir?: string;
  rulesFile?: string;
  manifestFile?: string;
  period?: string;
  namespace?: string;
  name?: string;
  label?: Record<string, string>;
}

/** What the sample scorer exposes; a scenario's `prometheus.metrics` overrides them. */
const DEFAULT_METRICS: PromMetrics = {
  requests: 'http_requests_total',
  statusLabel: 'code',
  latency: 'http_request_duration_seconds',
  selector: '{}',
};

export async function alertsCommand(file: string, opts: AlertsCliOptions, out: Output): Promise<void> {
  const suite = await looksLikeSuite(file);
  const { name, scenarios } = suite ? await loadSuite(file) : await loadOne(file);
  const withSlos = scenarios.filter((s) =>
    s.slos.some((x) => (x.type === 'errorRate' && x.max.ratio > 0) || x.type === 'latency'),
  );
  if (withSlos.length === 0)
    throw new InvalidInputError([
      `${printable(file)}:1:1: slos: no errorRate (above 0%) or latency SLO to write burn-rate alerts for`,
    ]);
  const first = withSlos[0]!;
  const files = alertFiles(
    withSlos.map((s) => ({ ...s, metrics: s.prometheus?.metrics ?? DEFAULT_METRICS })),
    {
      source: printable(path.relative(process.cwd(), path.resolve(file)) || file),
      period: opts.period ?? '30d',
      manifestName: opts.name ?? `chaos-slo-${name}`,
      namespace: opts.namespace ?? first.target.namespace,
      labels: opts.label ?? {},
    },
  );
  const dir = opts.outDir ?? 'alerts';
  const rulesFile = opts.rulesFile ?? path.join(dir, `${name}.rules.yaml`);
  const manifestFile = opts.manifestFile ?? path.join(dir, `${name}.prometheusrule.yaml`);
  for (const [target, text] of [
    [rulesFile, files.rules],
    [manifestFile, files.manifest],
  ] as const) {
    await mkdir(path.dirname(path.resolve(target)), { recursive: true });
    await writeFile(target, text);
  }
  out.info(
    `chaos alerts: ${files.alerting} alerting and ${files.recording} recording rules for ${withSlos.length} scenario(s), SLO period ${opts.period ?? '30d'}`,
  );
  out.info(`wrote ${printable(rulesFile)} (rules file: promtool check rules, rule_files)`);
  out.info(`wrote ${printable(manifestFile)} (PrometheusRule, monitoring.coreos.com/v1)`);
}

async function loadOne(file: string): Promise<{ name: string; scenarios: Scenario[] }> {
  const s = await loadScenarioFile(file);
  if (!s.ok) throw new InvalidInputError(s.diagnostics.map(formatDiagnostic));
  return { name: s.scenario.metadata.name, scenarios: [s.scenario] };
}

async function loadSuite(file: string): Promise<{ name: string; scenarios: Scenario[] }> {
  const suite = await loadSuiteFile(file);
  if (!suite.ok) throw new InvalidInputError(suite.diagnostics.map(formatDiagnostic));
  const scenarios: Scenario[] = [];
  const problems: string[] = [];
  for (const f of suiteScenarioFiles(suite.value, file)) {
    const s = await loadScenarioFile(f);
    if (s.ok) scenarios.push(s.scenario);
    else problems.push(...s.diagnostics.map(formatDiagnostic));
  }
  if (problems.length > 0) throw new InvalidInputError(problems);
  return { name: suite.value.metadata.name, scenarios };
}
