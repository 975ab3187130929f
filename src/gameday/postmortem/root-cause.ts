import { formatMeasured } from '../../report/format.js';
import type { SloResult } from '../../verdict/result.js';
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
  // the mechanism a failed check shows, then what kept a run from judging.
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
    for (const [kind, slos] of groupBy(run.failed, (s) => s.kind)) {
      const sources = slos.map((slo) => failedSource(run, slo));
      add(1, `failed:${run.name}:${kind}`, failedCause(run, kind, slos), sources);
    }
    for (const [cause, source] of inconclusiveCauses(run))
      add(2, `inconclusive:${run.name}:${cause}`, cause, [source]);
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
