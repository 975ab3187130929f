/**
 * Judging each SLO from measured data. Every judgment carries its evidence; when the data needed is missing
 * the answer is INCONCLUSIVE, never PASS.
 */
import type { PodObserver } from '../observe/pods.js';
import type { Plan } from '../plan/plan.js';
import type { SloSpec } from '../scenario/schema.js';
import { formatDuration, formatPercent, parseDurationMs, parsePercent } from '../scenario/units.js';
import type { FaultRecord, SloResult, Verdict, WindowName, WindowStats } from './result.js';

/** Per-window load facts beyond WindowStats that some SLOs need. */
export interface WindowEvidence extends WindowStats {
  statusByPayload: Record<string, Record<string, number>>;
  modelVersions: Record<string, number>;
  longestGapS: number | null;
}

export interface Observations {
  load: Partial<Record<WindowName, WindowEvidence>>;
  pods: PodObserver;
  faults: FaultRecord[];
  /** Absolute epoch ms of load start; window offsets are relative to it. */
  loadStartMs: number | null;
  desiredReplicas: number | null;
  /** Model version the endpoint reported before any fault. */
  versionBefore: string | null;
  /** Previous-container logs of pods created after the first fault, by pod name. */
  previousLogs: Record<string, string>;
  promql?: (url: string, query: string) => Promise<number | null>;
}

const POD_FAULTS = new Set(['pod-kill', 'node-drain']);

export async function judgeSlos(plan: Plan, obs: Observations): Promise<SloResult[]> {
  const results: SloResult[] = [];
  const used = new Set<string>();
  for (const slo of plan.scenario.slos) {
    const r = await judge(slo, plan, obs);
    // Ids must be unique: they are junit testcase names.
    // A suffixed id may itself be taken ("up" twice, then "up 2"): count on until one is free.
    let id = r.id;
    for (let n = 2; used.has(id); n++) id = `${r.id}-${n}`;
    used.add(id);
    r.id = id;
    results.push(r);
  }
  return results;
}

function verdictOf(ok: boolean): Verdict {
  return ok ? 'PASS' : 'FAIL';
}

function inconclusive(
  base: Omit<SloResult, 'verdict' | 'measured' | 'evidence'>,
  evidence: string,
): SloResult {
  return { ...base, verdict: 'INCONCLUSIVE', measured: null, evidence };
}

function windowSpan(plan: Plan, obs: Observations, window: WindowName): [number, number] | null {
  if (obs.loadStartMs === null) return null;
  if (window === 'all') return [obs.loadStartMs, obs.loadStartMs + plan.totalMs];
  const w = plan.windows.find((x) => x.name === window)!;
  return [obs.loadStartMs + w.startMs, obs.loadStartMs + w.endMs];
}

function matches(status: string, pattern: string): boolean {
  return pattern.endsWith('xx') ? status.startsWith(pattern[0]!) : status === pattern;
}

async function judge(slo: SloSpec, plan: Plan, obs: Observations): Promise<SloResult> {
  switch (slo.type) {
    case 'latency': {
      const base = {
        id: `latency-p${slo.percentile}-${slo.window}`,
        kind: 'latency',
        window: slo.window,
        threshold: `≤ ${slo.max}`,
      };
      const w = obs.load[slo.window];
      const key = `p${slo.percentile}Ms` as const;
      const value = w?.[key];
      if (!w || w.requests === 0 || value === null || value === undefined)
        return inconclusive(base, `no requests measured in the ${slo.window} window`);
      const ok = value <= parseDurationMs(slo.max);
      return {
        ...base,
        verdict: verdictOf(ok),
        measured: round(value),
        evidence: `p${slo.percentile} = ${round(value)} ms over ${w.requests} requests (p50 ${fmt(w.p50Ms)} ms, p99 ${fmt(w.p99Ms)} ms, max ${fmt(w.maxMs)} ms)`,
      };
    }
    case 'errorRate': {
      const base = {
        id: `error-rate-${slo.window}`,
        kind: 'errorRate',
        window: slo.window,
        threshold: `< ${slo.max}`,
      };
      const w = obs.load[slo.window];
      if (!w || w.requests === 0)
        return inconclusive(base, `no requests measured in the ${slo.window} window`);
      const max = parsePercent(slo.max);
      // "< 2 %" on integer counts: failed < max × requests, with a tolerance for the binary rounding of the
      // percentage (1.1 / 100 = 0.011000000000000001) so a rate exactly at the limit always fails.
      const ok = max === 0 ? w.failed === 0 : w.failed < max * w.requests * (1 - 1e-9);
      const statuses = Object.entries(w.statusCounts)
        .filter(([s]) => !s.startsWith('2'))
        .map(([s, n]) => `${s === '0' ? 'no response' : s}×${n}`)
        .join(', ');
      return {
        ...base,
        verdict: verdictOf(ok),
        measured: formatPercent(w.errorRate, 3),
        evidence: `${w.failed} of ${w.requests} requests failed (${formatPercent(w.errorRate, 3)})${statuses ? `; non-2xx: ${statuses}` : ''}`,
      };
    }
    case 'availability': {
      const base = {
        id: `availability-${slo.window}`,
        kind: 'availability',
        window: slo.window,
        threshold: `gap ≤ ${slo.maxGap}`,
      };
      const w = obs.load[slo.window];
      if (!w || w.requests === 0 || w.longestGapS === null)
        return inconclusive(base, `no successful response measured in the ${slo.window} window`);
      const ok = w.longestGapS * 1000 <= parseDurationMs(slo.maxGap);
      return {
        ...base,
        verdict: verdictOf(ok),
        measured: round(w.longestGapS),
        evidence: `longest stretch without a successful response: ${round(w.longestGapS)} s`,
      };
    }
    case 'throughput': {
      const base = {
        id: `throughput-${slo.window}`,
        kind: 'throughput',
        window: slo.window,
        threshold: `≥ ${slo.min} req/s`,
      };
      const w = obs.load[slo.window];
      if (!w) return inconclusive(base, `no load measured in the ${slo.window} window`);
      // Zero requests says nothing about the endpoint: the load generator may not have sent any.
      if (w.requests === 0) return inconclusive(base, `no requests measured in the ${slo.window} window`);
      return {
        ...base,
        verdict: verdictOf(w.rps >= slo.min),
        measured: round(w.rps),
        evidence: `${w.requests} requests, ${round(w.rps)} req/s`,
      };
    }
    case 'recovery': {
      const base = {
        id: 'recovery-time',
        kind: 'recovery',
        window: 'all' as const,
        threshold: `≤ ${slo.within}`,
      };
      const fault = obs.faults.find((f) => f.confirmed && POD_FAULTS.has(f.type) && f.injectedAt);
      if (!fault) return inconclusive(base, 'no confirmed pod-removing fault to recover from');
      const desired = slo.readyReplicas ?? obs.desiredReplicas;
      if (!desired) return inconclusive(base, 'desired replica count unknown');
      const since = Date.parse(fault.injectedAt!);
      // Only pods under test count: a drain also evicts bystanders (other apps) that this SLO does not judge.
      // A victim that was itself a replacement (a repeated kill can pick one) needs no extra new pod.
      const replaced = fault.targets.filter((t) => {
        const [ns, name] = t.replace(/^pod\//, '').split('/');
        const pod = name === undefined ? undefined : obs.pods.pods.get(name);
        return ns === plan.namespace && pod !== undefined && pod.createdAt < since;
      }).length;
      const at = obs.pods.recoveredAt(since, desired, replaced);
      const limit = parseDurationMs(slo.within);
      if (at === null) {
        return {
          ...base,
          verdict: 'FAIL',
          measured: null,
          evidence: `${desired} Ready replicas (${replaced} of them new) never observed after the ${fault.type} at ${fault.injectedAt}; ready now: ${obs.pods.readyCount()}`,
        };
      }
      const took = at - since;
      return {
        ...base,
        verdict: verdictOf(took <= limit),
        measured: round(took / 1000),
        evidence: `${fault.type} at ${fault.injectedAt}; ${desired} replicas Ready again (${replaced} replaced) at ${new Date(at).toISOString()}: ${formatDuration(took)}`,
      };
    }
    case 'minReadyReplicas': {
      const base = {
        id: `min-ready-replicas-${slo.window}`,
        kind: 'minReadyReplicas',
        window: slo.window,
        threshold: `≥ ${slo.min}`,
      };
      const span = windowSpan(plan, obs, slo.window);
      if (!span) return inconclusive(base, 'load never started');
      const min = obs.pods.minReadyBetween(span[0], span[1]);
      if (min === null) return inconclusive(base, 'no pod readiness observed');
      const dips = obs.pods.readyTimeline
        .filter((s) => s.at >= span[0] && s.at <= span[1] && s.ready < slo.min)
        .map((s) => `${new Date(s.at).toISOString()} → ${s.ready}`);
      return {
        ...base,
        verdict: verdictOf(min >= slo.min),
        measured: min,
        evidence: `lowest Ready replica count in the ${slo.window} window: ${min}${dips.length ? `; below ${slo.min} at ${dips.slice(0, 5).join(', ')}` : ''}`,
      };
    }
    case 'restarts': {
      const base = { id: 'restarts', kind: 'restarts', window: 'all' as const, threshold: `≤ ${slo.max}` };
      if (obs.pods.pods.size === 0) return inconclusive(base, 'no pod under test was observed');
      const restarts = obs.pods.restartsDuringRun();
      const total = restarts.reduce((a, r) => a + r.restarts, 0);
      return {
        ...base,
        verdict: verdictOf(total <= slo.max),
        measured: total,
        evidence:
          total === 0
            ? 'no container restarted during the run'
            : restarts.map((r) => `${r.pod} restarted ${r.restarts}×`).join('; '),
      };
    }
    case 'oomKilled': {
      const base = { id: 'oom-killed', kind: 'oomKilled', window: 'all' as const, threshold: `≤ ${slo.max}` };
      if (obs.pods.pods.size === 0) return inconclusive(base, 'no pod under test was observed');
      const killed = obs.pods.oomKilled();
      return {
        ...base,
        verdict: verdictOf(killed.length <= slo.max),
        measured: killed.length,
        evidence: killed.length === 0 ? 'no container was OOMKilled' : `OOMKilled: ${killed.join(', ')}`,
      };
    }
    case 'podState': {
      const base = {
        id: `pod-state-${slo.reason.toLowerCase()}`,
        kind: 'podState',
        window: 'all' as const,
        threshold: `${slo.pods} pods reach ${slo.reason}`,
      };
      const fault = obs.faults.find((f) => f.confirmed && f.injectedAt);
      if (slo.pods === 'new' && !fault)
        return inconclusive(base, 'no confirmed fault: no "new" pods to judge');
      const pods =
        slo.pods === 'new'
          ? obs.pods.podsCreatedAfter(Date.parse(fault!.injectedAt!))
          : [...obs.pods.pods.values()];
      if (pods.length === 0 && slo.pods === 'any')
        return inconclusive(base, 'no pod under test was observed');
      if (pods.length === 0)
        return { ...base, verdict: 'FAIL', measured: 0, evidence: 'no pod was created after the fault' };
      const hit = pods.filter((p) => p.waitingReasons.has(slo.reason) || p.terminatedReasons.has(slo.reason));
      let evidence = `${hit.length} of ${pods.length} ${slo.pods} pod(s) reached ${slo.reason}: ${hit.map((p) => p.name).join(', ') || 'none'}`;
      let ok = hit.length > 0;
      if (slo.logContains) {
        const withLine = hit.filter((p) => obs.previousLogs[p.name]?.includes(slo.logContains!));
        ok = ok && withLine.length > 0;
        const sample = withLine[0]
          ? firstLineWith(obs.previousLogs[withLine[0].name]!, slo.logContains)
          : null;
        evidence += `; previous log contains "${slo.logContains}" in ${withLine.length} pod(s)${sample ? `: ${sample}` : ''}`;
      }
      return { ...base, verdict: verdictOf(ok), measured: hit.length, evidence };
    }
    case 'httpStatus': {
      const rule = [
        slo.expect ? `only ${slo.expect.join('/')}` : '',
        slo.never ? `never ${slo.never.join('/')}` : '',
      ]
        .filter(Boolean)
        .join(', ');
      const base = {
        id: `http-status-${slo.payload}-${slo.window}`,
        kind: 'httpStatus',
        window: slo.window,
        threshold: rule,
      };
      const w = obs.load[slo.window];
      const counts = slo.payload === 'any' ? w?.statusCounts : w?.statusByPayload[slo.payload];
      const total = counts ? Object.values(counts).reduce((a, b) => a + b, 0) : 0;
      if (!counts || total === 0)
        return inconclusive(
          base,
          `no ${slo.payload === 'any' ? '' : slo.payload + ' '}requests were sent in the ${slo.window} window`,
        );
      const bad = Object.entries(counts).filter(
        ([status]) =>
          (slo.expect && !slo.expect.some((p) => matches(status, p))) ||
          (slo.never?.some((p) => matches(status, p)) ?? false),
      );
      const badCount = bad.reduce((a, [, n]) => a + n, 0);
      const dist = Object.entries(counts)
        .map(([s, n]) => `${s === '0' ? 'no response' : s}×${n}`)
        .join(', ');
      return {
        ...base,
        verdict: verdictOf(badCount === 0),
        measured: badCount,
        evidence: `${total} ${slo.payload} requests: ${dist}${badCount ? `; ${badCount} break the rule` : ''}`,
      };
    }
    case 'modelVersion': {
      const base = {
        id: `model-version-${slo.window}`,
        kind: 'modelVersion',
        window: slo.window,
        threshold:
          slo.expect === 'unchanged' ? `= ${obs.versionBefore ?? '?'} (unchanged)` : `= ${slo.expect}`,
      };
      const expected = slo.expect === 'unchanged' ? obs.versionBefore : slo.expect;
      if (!expected)
        return inconclusive(
          base,
          'the model version before the run is unknown (no target.versionUrl answer)',
        );
      const w = obs.load[slo.window];
      const versions = Object.entries(w?.modelVersions ?? {}).filter(([v]) => v !== 'none');
      const total = versions.reduce((a, [, n]) => a + n, 0);
      if (total === 0)
        return inconclusive(base, `no response carried a model version in the ${slo.window} window`);
      const other = versions.filter(([v]) => v !== expected);
      const otherCount = other.reduce((a, [, n]) => a + n, 0);
      return {
        ...base,
        verdict: verdictOf(otherCount === 0),
        measured: otherCount === 0 ? expected : other.map(([v]) => v).join(','),
        evidence: `${total} responses by version: ${versions.map(([v, n]) => `${v}×${n}`).join(', ')}`,
      };
    }
    case 'promql': {
      const threshold = [
        slo.min !== undefined ? `≥ ${slo.min}` : '',
        slo.max !== undefined ? `≤ ${slo.max}` : '',
      ]
        .filter(Boolean)
        .join(' and ');
      const base = { id: `promql-${slug(slo.query)}`, kind: 'promql', window: 'all' as const, threshold };
      if (!obs.promql) return inconclusive(base, 'no Prometheus client available');
      let value: number | null;
      try {
        value = await obs.promql(slo.url, slo.query);
      } catch (error) {
        return inconclusive(base, `query failed: ${(error as Error).message}`);
      }
      if (value === null || !Number.isFinite(value))
        return inconclusive(base, `query returned no number: ${slo.query}`);
      const ok = (slo.min === undefined || value >= slo.min) && (slo.max === undefined || value <= slo.max);
      return { ...base, verdict: verdictOf(ok), measured: value, evidence: `${slo.query} = ${value}` };
    }
  }
}

/** FAIL beats INCONCLUSIVE beats PASS; a fault that did not happen makes the whole run INCONCLUSIVE. */
export function overallVerdict(
  slos: SloResult[],
  faults: FaultRecord[],
): { verdict: Verdict; reasons: string[] } {
  const reasons: string[] = [];
  for (const f of faults)
    if (!f.confirmed)
      reasons.push(
        `fault ${f.type} not confirmed as applied: ${[f.description, ...f.notes].filter(Boolean).join('; ')}`,
      );
  const failed = slos.filter((s) => s.verdict === 'FAIL');
  const unknown = slos.filter((s) => s.verdict === 'INCONCLUSIVE');
  for (const s of unknown) reasons.push(`${s.id}: ${s.evidence}`);
  if (reasons.length > 0 && faults.some((f) => !f.confirmed)) return { verdict: 'INCONCLUSIVE', reasons };
  if (failed.length > 0)
    return { verdict: 'FAIL', reasons: failed.map((s) => `${s.id}: ${s.evidence}`).concat(reasons) };
  if (unknown.length > 0) return { verdict: 'INCONCLUSIVE', reasons };
  return { verdict: 'PASS', reasons: [] };
}

function firstLineWith(text: string, needle: string): string | null {
  const line = text.split('\n').find((l) => l.includes(needle));
  return line ? line.slice(0, 300) : null;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function fmt(n: number | null): string {
  return n === null ? '–' : String(round(n));
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40);
}
