/**
 * Each SLO kind's own rules across fields, run by semanticIssues after the schema accepted the scenario. They
 * are scenario rules (what a kind needs from the rest of the file), so they live in the scenario layer; how a
 * kind is judged lives in its module under src/verdict/slos/. A kind with no rule beyond its schema has none here.
 */
import { promqlSyntaxError } from './promql-syntax.js';
import type { Scenario, SloSpec } from './schema.js';

/** A problem found after the schema accepted the file: the path of the value to fix, and what is wrong. */
export interface SemanticIssue {
  path: (string | number)[];
  message: string;
}

type SloKind = SloSpec['type'];
type SloOf<K extends SloKind> = Extract<SloSpec, { type: K }>;
type Rule<K extends SloKind> = (slo: SloOf<K>, s: Scenario, at: (string | number)[]) => SemanticIssue[];

const RULES: { [K in SloKind]?: Rule<K> } = {
  errorRate: (slo, _s, at) =>
    slo.max.ratio > 1 ? [{ path: [...at, 'max'], message: 'an error rate cannot exceed 100%' }] : [],
  httpStatus: (slo, s, at) => {
    const issues: SemanticIssue[] = [];
    if (!slo.expect && !slo.never) issues.push({ path: at, message: 'give expect, never, or both' });
    if (slo.payload === 'oversize' && !s.faults.some((f) => f.type === 'oversize-batch'))
      issues.push({ path: [...at, 'payload'], message: 'no oversize-batch fault sends oversize requests' });
    return issues;
  },
  minReadyReplicas: (_slo, s) =>
    s.target.deployment
      ? []
      : [{ path: ['target', 'deployment'], message: 'required by the minReadyReplicas SLO' }],
  modelVersion: (slo, s, at) => {
    const issues: SemanticIssue[] = [];
    if (s.load.script)
      issues.push({ path: at, message: 'the model version is recorded by the built-in script only' });
    const v = s.target.modelVersion;
    if (!v.header && !v.field)
      issues.push({
        path: ['target', 'modelVersion'],
        message: `required by the modelVersion SLO: protocol ${s.target.protocol} answers carry no model version; name the header or the body field that does`,
      });
    if (slo.expect === 'unchanged' && !s.target.versionUrl)
      issues.push({
        path: ['target', 'versionUrl'],
        message: 'required by the modelVersion SLO with expect: unchanged (the version before the run)',
      });
    else if (slo.expect === 'unchanged' && !v.urlField)
      issues.push({
        path: ['target', 'modelVersion', 'urlField'],
        message:
          "required by the modelVersion SLO with expect: unchanged: where versionUrl's answer names the version",
      });
    return issues;
  },
  predictionAgreement: (slo, s, at) => {
    const issues = baselineIsTheReference(slo.window, at);
    if (!s.load.golden && !s.load.script)
      issues.push({
        path: ['load', 'golden'],
        message: 'required by the predictionAgreement SLO: the golden rows whose answers are compared',
      });
    return issues;
  },
  predictionShift: (slo, s, at) => {
    const issues = baselineIsTheReference(slo.window, at);
    const path = slo.on === 'score' ? s.target.response.score : s.target.response.class;
    if (!path)
      issues.push({
        path: ['target', 'response', slo.on],
        message: `required by the predictionShift SLO on ${slo.on}: where the answer's ${slo.on} is`,
      });
    return issues;
  },
  podState: (slo, s, at) =>
    slo.pods === 'new' && s.faults.length === 0
      ? [{ path: [...at, 'pods'], message: '"new" pods are those created after a fault; there is none' }]
      : [],
  promql: (slo, s, at) => {
    const issues: SemanticIssue[] = [];
    if (slo.max === undefined && slo.min === undefined)
      issues.push({ path: at, message: 'give max, min, or both' });
    if (!slo.url && !s.prometheus)
      issues.push({
        path: [...at, 'url'],
        message: 'which Prometheus? give url here or a prometheus section',
      });
    const syntax = promqlSyntaxError(slo.query);
    if (syntax) issues.push({ path: [...at, 'query'], message: syntax.message });
    if (slo.reduce === 'quantile' && slo.quantile === undefined)
      issues.push({ path: [...at, 'quantile'], message: 'reduce: quantile needs quantile, e.g. 0.95' });
    if (slo.quantile !== undefined && slo.reduce !== 'quantile')
      issues.push({ path: [...at, 'quantile'], message: 'quantile applies only with reduce: quantile' });
    if (slo.instant && slo.reduce !== 'max')
      issues.push({ path: [...at, 'reduce'], message: 'an instant query has one value: nothing to reduce' });
    return issues;
  },
  scaling: (slo, s, at) => {
    const issues: SemanticIssue[] = [];
    if (!s.target.deployment)
      issues.push({
        path: ['target', 'deployment'],
        message: 'required by the scaling SLO (the Deployment the HorizontalPodAutoscaler scales)',
      });
    if (!s.slos.some((o) => o.type === 'latency' && o.percentile === 95))
      issues.push({
        path: at,
        message: 'the scaling SLO is judged against the scenario’s p95 latency SLO; there is none',
      });
    if (slo.fromRate !== undefined) {
      const peak = peakRate(s);
      if (peak === null)
        issues.push({
          path: [...at, 'fromRate'],
          message: `${s.load.executor} plans no request rate; fromRate needs an arrival-rate executor`,
        });
      else if (slo.fromRate > peak)
        issues.push({
          path: [...at, 'fromRate'],
          message: `the load peaks at ${peak} requests/s: it never reaches ${slo.fromRate}`,
        });
    }
    return issues;
  },
  recovery: (_slo, s, at) => {
    const issues: SemanticIssue[] = [];
    if (!s.target.deployment)
      issues.push({ path: ['target', 'deployment'], message: 'required by the recovery SLO' });
    if (s.faults.length === 0)
      issues.push({ path: at, message: 'recovery is measured from a fault; this scenario has none' });
    return issues;
  },
};

/** Quality SLOs compare a window's answers with the baseline's: the baseline itself has nothing to compare. */
function baselineIsTheReference(window: string, at: (string | number)[]): SemanticIssue[] {
  return window === 'baseline'
    ? [
        {
          path: [...at, 'window'],
          message: 'the baseline is what other windows are compared with; pick fault, recovery or all',
        },
      ]
    : [];
}

export function sloRuleIssues(slo: SloSpec, s: Scenario, at: (string | number)[]): SemanticIssue[] {
  const rule = RULES[slo.type] as Rule<typeof slo.type> | undefined;
  return rule ? rule(slo, s, at) : [];
}

/** The highest rate an arrival-rate profile plans (iterations/s), or null for VU executors, which plan none. */
export function peakRate(s: Scenario): number | null {
  const l = s.load;
  if (l.executor === 'constant-arrival-rate') return l.rate ?? null;
  if (l.executor === 'ramping-arrival-rate') return Math.max(0, ...(l.stages ?? []).map((st) => st.target));
  return null;
}
