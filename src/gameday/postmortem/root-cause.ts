import type { Exemplar } from '../../load/exemplars.js';
import { describeBottleneck, type TraceSummary } from '../../observe/traces.js';
import { formatMeasured, formatMs } from '../../report/format.js';
import type { SloResult, WindowName } from '../../verdict/result.js';
import type { Run } from './breach.js';
import { firstBreachAfter } from './breach.js';
import { earliest, firstSentence, firstTimestamp, groupBy, iso, repeatsCheck } from './helpers.js';

export interface EvidenceSource {
  scenario: string;
  /** When the evidence was recorded or, for end-of-run checks, when the run was judged. */
  at: string | null;
  /** Where it was found, e.g. "pod event", "check error-rate-fault", "run reason". */
  from: string;
  text: string;
}

export interface RootCauseCandidate {
  rank: number;
  cause: string;
  sources: EvidenceSource[];
}

export function deriveRootCauses(runs: readonly Run[]): RootCauseCandidate[] {
  const troubled = runs.filter((r) => r.result.verdict !== 'PASS');
  // Category orders the ranking: what Kubernetes or the scorer said went wrong is the most direct evidence, then
  // where the traced requests of a failed check spent their time or errored (the service's own spans), then the
  // mechanism a failed check shows, then what kept a run from judging.
  const groups: Array<{ category: number; key: string; cause: string; sources: EvidenceSource[] }> = [];
  const add = (category: number, key: string, cause: string, sources: readonly EvidenceSource[]): void => {
    let group = groups.find((x) => x.key === key);
    if (!group) {
      group = { category, key, cause, sources: [] };
      groups.push(group);
    }
    for (const source of sources) {
      if (!group.sources.some((s) => s.scenario === source.scenario && s.text === source.text))
        group.sources.push(source);
    }
  };
  for (const run of troubled) {
    for (const source of triageTexts(run)) {
      for (const sign of WARNING_SIGNS) {
        if (affirms(source.text, sign.pattern)) add(0, `sign:${sign.key}`, sign.cause, [source]);
      }
    }
    for (const t of traceCauses(run)) add(1, t.key, t.cause, t.sources);
    for (const [kind, slos] of groupBy(run.failed, (s) => s.kind)) {
      const sources = slos.map((slo) => failedSource(run, slo));
      add(2, `failed:${run.name}:${kind}`, failedCause(run, kind, slos), sources);
    }
    for (const [cause, source] of inconclusiveCauses(run))
      add(3, `inconclusive:${run.name}:${cause}`, cause, [source]);
  }
  return groups
    .sort(
      (a, b) =>
        a.category - b.category ||
        b.sources.length - a.sources.length ||
        (earliest(a.sources.map((s) => s.at)) ?? '').localeCompare(
          earliest(b.sources.map((s) => s.at)) ?? '',
        ),
    )
    .map((g, i) => ({ rank: i + 1, cause: g.cause, sources: g.sources }));
}

function triageTexts(run: Run): EvidenceSource[] {
  const r = run.result;
  const judged = (text: string): string => firstTimestamp(text) ?? r.finishedAt;
  return [
    ...r.events.map((e) => ({ scenario: run.name, at: e.at, from: `${e.kind} event`, text: e.message })),
    ...r.slos.map((s) => ({
      scenario: run.name,
      at: judged(s.evidence),
      from: `check ${s.id}`,
      text: s.evidence,
    })),
    ...r.faults.flatMap((f) =>
      [f.description, ...f.notes].map((text) => ({
        scenario: run.name,
        at: f.injectedAt,
        from: `${f.type} fault`,
        text,
      })),
    ),
    ...r.reasons
      .filter((text) => !repeatsCheck(r, text))
      .map((text) => ({ scenario: run.name, at: judged(text), from: 'run reason', text })),
  ];
}

interface WarningSign {
  key: string;
  pattern: RegExp;
  cause: string;
}

/** Failure signs the triage evidence names, in the words Kubernetes and the scorer use for them. */
const WARNING_SIGNS: readonly WarningSign[] = [
  {
    key: 'crashloop',
    pattern: /CrashLoopBackOff|Back-off restarting failed container/gi,
    cause: 'Containers crash-looped (CrashLoopBackOff): the serving process exited during start-up',
  },
  {
    key: 'model-load',
    pattern: /model_load_failed|cannot (?:serve|load) model/gi,
    cause: 'The model artifact could not be loaded at start-up',
  },
  { key: 'oom', pattern: /OOMKilled/g, cause: 'A container exceeded its memory limit (OOMKilled)' },
  {
    key: 'probe',
    pattern: /\bUnhealthy\b|(?:readiness|liveness|startup) probe failed/gi,
    cause: 'Health probes failed (Unhealthy)',
  },
  {
    key: 'scheduling',
    pattern: /FailedScheduling|Insufficient (?:cpu|memory)|untolerated taint/gi,
    cause: 'Pods could not be scheduled (FailedScheduling)',
  },
  { key: 'image', pattern: /ImagePullBackOff|ErrImagePull/g, cause: 'A container image could not be pulled' },
  { key: 'mount', pattern: /FailedMount|FailedAttachVolume/g, cause: 'A volume could not be mounted' },
  { key: 'restarts', pattern: /\brestarted \d+×|\bBackOff\b/g, cause: 'Containers restarted during the run' },
  {
    key: 'no-ready',
    pattern: /^0 target pod\(s\) Ready|NOTHING to send traffic to/g,
    cause: 'No target pod was Ready, so the Service had nothing to route requests to',
  },
];

/** True when the text states the sign rather than denies it ("no container was OOMKilled"). */
function affirms(text: string, pattern: RegExp): boolean {
  for (const m of text.matchAll(pattern)) {
    const clause =
      text
        .slice(0, m.index)
        .split(/[.;:\n]/)
        .pop() ?? '';
    if (!/\b(?:no|not|never|without)\b/i.test(clause)) return true;
  }
  return false;
}

interface TracedRequest extends Exemplar {
  summary: TraceSummary;
  /** The failed checks that cited this trace, and their windows. */
  sloIds: string[];
  windows: WindowName[];
}

/** Trace ids cited in a cause's text; the sources carry every id in full. */
const MAX_CITED_TRACES = 5;

/**
 * The exemplar traces of a run's failed checks (src/run/traces.ts), grouped by what they show: the span where a
 * failed request's error started, or else the service and operation its critical path spent the most time in. A
 * trace cited by several checks (the slowest request of the fault window is often the whole load's) counts once.
 */
function traceCauses(run: Run): Array<{ key: string; cause: string; sources: EvidenceSource[] }> {
  const traced = new Map<string, TracedRequest>();
  for (const slo of run.failed) {
    for (const e of slo.traces?.exemplars ?? []) {
      const seen = traced.get(e.traceId);
      if (seen) {
        seen.sloIds.push(slo.id);
        if (!seen.windows.includes(slo.window)) seen.windows.push(slo.window);
      } else traced.set(e.traceId, { ...e, sloIds: [slo.id], windows: [slo.window] });
    }
  }
  const conclusion = (t: TracedRequest): string | null => {
    const err = t.summary.errorSpan;
    if (t.cause === 'failed' && err) return `error:${err.service}\u0000${err.operation}`;
    const b = t.summary.bottleneck;
    return b ? `slow:${b.service}\u0000${b.operation}` : null;
  };
  return groupBy(
    [...traced.values()].filter((t) => conclusion(t) !== null),
    (t) => conclusion(t)!,
  ).map(([key, requests]) => ({
    key: `traces:${run.name}:${key}`,
    cause: key.startsWith('error:') ? erroredCause(requests) : slowCause(requests),
    sources: requests.map((t) => traceSource(run, t)),
  }));
}

/** "Traces of the 3 first failed requests in the fault window show the error starting in …". */
function erroredCause(requests: readonly TracedRequest[]): string {
  const err = requests[0]!.summary.errorSpan!;
  const n = requests.length;
  const lead = n === 1 ? 'The trace of a failed request' : `Traces of ${n} failed requests`;
  const where = `${err.service} › ${err.operation}${err.message ? ` (${err.message})` : ''}`;
  return `${lead}${inWindows(requests)} show${n === 1 ? 's' : ''} the error starting in ${where} (${citeTraces(requests)})`;
}

/** "Traces of the slowest requests in the fault window spend 301 ms of 306 ms in …": where the time went. */
function slowCause(requests: readonly TracedRequest[]): string {
  const b = requests[0]!.summary.bottleneck!;
  const n = requests.length;
  const which = requests.every((t) => t.cause === 'slow')
    ? 'slowest'
    : requests.every((t) => t.cause === 'failed')
      ? 'failed'
      : 'traced';
  const ms = (v: number): string => `${Math.round(v)} ms`;
  const share = (t: TracedRequest): number =>
    t.summary.durationMs > 0 ? Math.round(((t.summary.bottleneck?.ms ?? 0) / t.summary.durationMs) * 100) : 0;
  const where = `${b.service} › ${b.operation}`;
  if (n === 1) {
    const t = requests[0]!;
    const lead = which === 'traced' ? 'The trace of a request' : `The trace of the ${which} request`;
    return (
      `${lead}${inWindows(requests)} spends ${ms(b.ms)} of ${ms(t.summary.durationMs)} (${share(t)} %) in ${where} ` +
      `(${citeTraces(requests)})`
    );
  }
  const lead = which === 'traced' ? `Traces of ${n} requests` : `Traces of the ${n} ${which} requests`;
  const shares = requests.map(share);
  const [lo, hi] = [Math.min(...shares), Math.max(...shares)];
  const slowest = requests.reduce((a, t) => (t.summary.durationMs > a.summary.durationMs ? t : a));
  const sb = slowest.summary.bottleneck!;
  return (
    `${lead}${inWindows(requests)} spend ${lo === hi ? `${lo} %` : `${lo}–${hi} %`} of their time in ${where} ` +
    `(${ms(sb.ms)} of ${ms(slowest.summary.durationMs)} in the slowest; ${citeTraces(requests)})`
  );
}

/**
 * " in the fault window", " over the whole load". A trace only the all window's check cited may lie in any
 * window, so then the whole load is named.
 */
function inWindows(requests: readonly TracedRequest[]): string {
  if (requests.some((t) => t.windows.every((w) => w === 'all'))) return ' over the whole load';
  const narrow = [...new Set(requests.flatMap((t) => t.windows.filter((w) => w !== 'all')))];
  const names = narrow.length === 1 ? narrow[0]! : `${narrow.slice(0, -1).join(', ')} and ${narrow.at(-1)!}`;
  return ` in the ${names} window${narrow.length === 1 ? '' : 's'}`;
}

function citeTraces(requests: readonly TracedRequest[]): string {
  // In full: a run's trace ids share their first 16 digits (the seed's), so no prefix tells them apart.
  const ids = requests.slice(0, MAX_CITED_TRACES).map((t) => t.traceId);
  if (requests.length > MAX_CITED_TRACES) ids.push(`${requests.length - MAX_CITED_TRACES} more`);
  return `${requests.length === 1 ? 'trace' : 'traces'} ${ids.join(', ')}`;
}

function traceSource(run: Run, t: TracedRequest): EvidenceSource {
  const s = t.summary;
  const err = s.errorSpan
    ? `; error in ${s.errorSpan.service} › ${s.errorSpan.operation}${s.errorSpan.message ? ` (${s.errorSpan.message})` : ''}`
    : '';
  return {
    scenario: run.name,
    at: run.loadStartMs === null ? run.result.finishedAt : iso(run.loadStartMs + t.offsetS * 1000),
    from: `trace ${t.traceId} of ${t.sloIds.join(', ')}`,
    text:
      `${formatMs(t.ms)}, ${t.status === '0' ? 'no response' : `status ${t.status}`}; where the time went: ` +
      `${describeBottleneck(s)}${err}`,
  };
}

function failedSource(run: Run, slo: SloResult): EvidenceSource {
  const first = firstBreachAfter(run.breaches, run.injection, slo.id);
  return {
    scenario: run.name,
    at: first ? iso(first.ms) : run.result.finishedAt,
    from: `check ${slo.id}`,
    text: slo.evidence,
  };
}

function failedCause(run: Run, kind: string, slos: readonly SloResult[]): string {
  const measured = slos.map((s) => `${s.id} ${formatMeasured(s)} against ${s.threshold}`).join(', ');
  return `${KIND_LABELS[kind] ?? kind} objective missed after ${trigger(run)}: ${measured}`;
}

const KIND_LABELS: Record<string, string> = {
  errorRate: 'Error-rate',
  latency: 'Latency',
  minReadyReplicas: 'Ready-replica',
  recovery: 'Recovery-time',
  availability: 'Availability',
  httpStatus: 'HTTP-status',
  restarts: 'Restart',
  oomKilled: 'OOM-kill',
  throughput: 'Throughput',
  modelVersion: 'Model-version',
  podState: 'Pod-state',
};

function trigger(run: Run): string {
  const injected = run.result.faults.filter((f) => f.injectedAt !== null);
  if (injected.length === 0) return 'the load of the fault window (no fault injected)';
  return injected.map((f) => `${f.type} (${f.description})`).join(' and ');
}

function inconclusiveCauses(run: Run): Array<[string, EvidenceSource]> {
  const r = run.result;
  const fromChecks = r.slos
    .filter((s) => s.verdict === 'INCONCLUSIVE')
    .map((s): [string, EvidenceSource] => [
      `${s.id} could not be measured well enough to judge`,
      { scenario: run.name, at: r.finishedAt, from: `check ${s.id}`, text: s.evidence },
    ]);
  const fromReasons =
    r.verdict === 'INCONCLUSIVE'
      ? r.reasons.map((reason): [string, EvidenceSource] => [
          `The run could not reach a verdict: ${firstSentence(reason)}`,
          {
            scenario: run.name,
            at: firstTimestamp(reason) ?? r.finishedAt,
            from: 'run reason',
            text: reason,
          },
        ])
      : [];
  return [...fromChecks, ...fromReasons];
}
