/**
 * What `load.runners` may ask for, checked before anything is created: the profile must split into as many
 * shares as there are runners, and the runners (pods in the cluster) must be given an address they can reach.
 */
import type { RunnerSettings, Scenario } from './schema.js';
import { parseMergedThreshold } from './threshold-expr.js';

const WINDOW_NAMES = ['baseline', 'fault', 'recovery'];

export interface ResolvedRunners extends RunnerSettings {
  /** Where the runners send the load: target.url moved to targetOrigin when one is given. */
  targetUrl: string;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1', '0.0.0.0']);

/** `runners: 3` and `runners: {count: 3}` alike; null without runners. */
export function runnerSettings(s: Scenario): RunnerSettings | null {
  const r = s.load.runners;
  if (r === undefined) return null;
  return typeof r === 'number' ? { count: r } : r;
}

export function resolveRunners(s: Scenario): ResolvedRunners | null {
  const r = runnerSettings(s);
  if (!r) return null;
  const url = new URL(s.target.url);
  const targetUrl = r.targetOrigin
    ? new URL(r.targetOrigin).origin + url.pathname + url.search
    : s.target.url;
  return { ...r, targetUrl };
}

/** How many shares the load profile can be split into: each runner needs at least one iteration/s or VU. */
export function splittable(s: Scenario): { max: number; what: string } {
  const l = s.load;
  const peak = Math.max(0, ...(l.stages ?? []).map((st) => st.target));
  switch (l.executor) {
    case 'constant-arrival-rate':
      return { max: l.rate ?? 0, what: `a rate of ${l.rate ?? 0} iterations/s` };
    case 'ramping-arrival-rate':
      return { max: Math.max(l.rate ?? 0, peak), what: `a peak rate of ${Math.max(l.rate ?? 0, peak)}/s` };
    case 'constant-vus':
      return { max: l.vus ?? 1, what: `${l.vus ?? 1} VUs` };
    case 'ramping-vus':
      return { max: Math.max(l.vus ?? 0, peak), what: `a peak of ${Math.max(l.vus ?? 0, peak)} VUs` };
  }
}

/** Problems with load.runners, each at the path it is about. */
export function runnerIssues(s: Scenario): { path: (string | number)[]; message: string }[] {
  const r = resolveRunners(s);
  if (!r) return [];
  const at = typeof s.load.runners === 'number' ? ['load', 'runners'] : ['load', 'runners', 'count'];
  const issues: { path: (string | number)[]; message: string }[] = [];
  const { max, what } = splittable(s);
  if (!Number.isInteger(r.count) || r.count < 1)
    issues.push({
      path: at,
      message: `${r.count} runners: at least 1 is needed (or leave load.runners out)`,
    });
  else if (r.count > max)
    issues.push({
      path: at,
      message: `${r.count} runners cannot split ${what}: each runner needs a share of at least 1 (at most ${max} runners)`,
    });
  const host = new URL(r.targetUrl).hostname;
  if (LOOPBACK.has(host))
    issues.push({
      path: typeof s.load.runners === 'number' ? ['load', 'runners'] : ['load', 'runners'],
      message:
        `runners send the load from pods in the cluster, where ${host} is the pod itself: give the target's ` +
        `in-cluster address as load.runners.targetOrigin (or --runners-origin), e.g. ` +
        `http://${s.target.service ?? '<service>'}.${s.target.namespace}.svc:80`,
    });
  const ns = r.namespace ?? s.target.namespace;
  if (s.safety.allowedNamespaces && !s.safety.allowedNamespaces.includes(ns))
    issues.push({
      path: ['load', 'runners'],
      message: `runner namespace "${ns}" is not in safety.allowedNamespaces`,
    });
  // k6 would judge each runner's share apart: the harness judges these itself, on the merged load.
  for (const [metric, expressions] of Object.entries(s.load.thresholds ?? {}))
    expressions.forEach((expression, i) => {
      const t = parseMergedThreshold(metric, expression, WINDOW_NAMES);
      if ('problem' in t) issues.push({ path: ['load', 'thresholds', metric, i], message: t.problem });
    });
  return issues;
}
