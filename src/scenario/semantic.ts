/**
 * Rules that span fields, run after the schema has accepted the shape. Each returns the path of the value
 * to fix, so the loader can point at its line.
 */
import { runnerIssues } from './runner-rules.js';
import type { Scenario } from './schema.js';
import { kubectlArgIssues } from './kubectl-rules.js';
import { protocolPathInUrl } from './protocol.js';
import { sloRuleIssues, type SemanticIssue } from './slo-rules.js';
import type { Percent } from './units.js';

export type { SemanticIssue } from './slo-rules.js';

/** Namespaces a chaos run must never touch, whatever the scenario says. */
export const PROTECTED_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease'] as const;

const MAX_RUN_MS = 24 * 3_600_000;

/** A share of pods: more than nothing, at most all. */
function validShare(percent: Percent): boolean {
  return percent.ratio > 0 && percent.ratio <= 1;
}

/** What target.protocol asks of the rest of the target. */
function protocolIssues(s: Scenario): SemanticIssue[] {
  const issues: SemanticIssue[] = [];
  const t = s.target;
  const add = (path: (string | number)[], message: string) => issues.push({ path, message });
  if (t.protocol === 'json') {
    if (t.model)
      add(
        ['target', 'model'],
        'names the model of protocol v2 or v1; protocol json POSTs to target.url as it is (set target.protocol)',
      );
    return issues;
  }
  const example = t.protocol === 'v2' ? '/v2/models/{name}/infer' : '/v1/models/{name}:predict';
  if (!t.model)
    add(
      ['target', 'model'],
      `required by protocol ${t.protocol}: the model's name (its requests go to ${example})`,
    );
  const inUrl = protocolPathInUrl(t);
  if (inUrl)
    add(
      ['target', 'url'],
      `protocol ${t.protocol} takes the server's base URL (e.g. ${new URL(t.url).origin}); the harness adds ${example} from target.model`,
    );
  if (t.protocol === 'v1' && t.model) {
    if (t.model.version !== undefined)
      add(['target', 'model', 'version'], 'KServe V1 has no model version in its paths; only v2 pins one');
    if (t.model.outputs !== undefined)
      add(['target', 'model', 'outputs'], 'KServe V1 answers with predictions only; outputs are named in v2');
  }
  return issues;
}

export function semanticIssues(s: Scenario): SemanticIssue[] {
  const issues: SemanticIssue[] = [];
  const add = (path: (string | number)[], message: string) => issues.push({ path, message });

  if (Object.keys(s.target.selector).length === 0) {
    add(
      ['target', 'selector'],
      'empty selector would select every pod in the namespace; name at least one label',
    );
  }
  if ((PROTECTED_NAMESPACES as readonly string[]).includes(s.target.namespace)) {
    add(['target', 'namespace'], `${s.target.namespace} is a system namespace; chaos never runs there`);
  }
  if (s.safety.allowedNamespaces && !s.safety.allowedNamespaces.includes(s.target.namespace)) {
    add(['target', 'namespace'], `"${s.target.namespace}" is not in safety.allowedNamespaces`);
  }

  s.steadyState.forEach((c, i) => {
    if (c.type === 'readyReplicas' && !s.target.deployment)
      add(['target', 'deployment'], `required by steadyState[${i}] (readyReplicas)`);
    if (c.type === 'endpoints' && !s.target.service)
      add(['target', 'service'], `required by steadyState[${i}] (endpoints)`);
  });

  const win = {
    baseline: s.windows.baseline.ms,
    fault: s.windows.fault.ms,
    recovery: s.windows.recovery.ms,
  };
  const total = win.baseline + win.fault + win.recovery;
  for (const name of ['baseline', 'fault', 'recovery'] as const) {
    if (win[name] < 1000) add(['windows', name], 'windows must be at least 1s long');
  }
  if (total > MAX_RUN_MS) add(['windows'], 'windows add up to more than 24h');

  const l = s.load;
  const arrival = l.executor.endsWith('arrival-rate');
  const ramping = l.executor.startsWith('ramping');
  if (l.executor === 'constant-arrival-rate' && l.rate === undefined)
    add(['load', 'rate'], 'required for constant-arrival-rate');
  if (l.executor === 'constant-vus' && l.vus === undefined) add(['load', 'vus'], 'required for constant-vus');
  if (!arrival && l.rate !== undefined)
    add(['load', 'rate'], `${l.executor} has no arrival rate; use vus or stages`);
  if (ramping) {
    if (!l.stages || l.stages.length === 0) {
      add(['load', 'stages'], `required for ${l.executor}`);
    } else {
      const stagesMs = l.stages.reduce((sum, st) => sum + st.duration.ms, 0);
      if (stagesMs !== total) {
        add(
          ['load', 'stages'],
          `stages last ${stagesMs / 1000}s but the windows add up to ${total / 1000}s; they must match so every request falls in a window`,
        );
      }
    }
  } else if (l.stages) {
    add(['load', 'stages'], `${l.executor} does not take stages`);
  }
  if (l.maxVUs !== undefined && l.vus !== undefined && l.maxVUs < l.vus)
    add(['load', 'maxVUs'], 'must be ≥ vus');
  if (l.exec !== undefined && !l.script)
    add(['load', 'exec'], 'names a function of load.script; the built-in script has none to choose');
  if (l.payload.file && l.script)
    add(['load', 'payload', 'file'], 'payload files feed the built-in script only');

  if (l.golden && l.script)
    add(['load', 'golden'], 'golden rows are replayed by the built-in script; a custom script tags its own');
  issues.push(...protocolIssues(s));
  const response = s.target.response;
  if (!response.score && !response.class) add(['target', 'response'], 'give score, class, or both');
  if (response.scoreColumn !== undefined && !response.score)
    add(['target', 'response', 'scoreColumn'], 'a column of the score: give response.score too');
  if (!(response.scoreRange[0] < response.scoreRange[1]))
    add(['target', 'response', 'scoreRange'], 'expected [low, high] with low < high');

  if (s.safety.maxPercent !== undefined && !validShare(s.safety.maxPercent)) {
    add(['safety', 'maxPercent'], 'must be more than 0% and at most 100%');
  }

  let oversizeFaults = 0;
  s.faults.forEach((f, i) => {
    const at = f.at.ms;
    if (at >= win.fault) {
      add(
        ['faults', i, 'at'],
        `fault starts ${f.at.text} into a ${s.windows.fault.text} fault window: after the window (and the load) has moved on`,
      );
    }
    switch (f.type) {
      case 'pod-kill':
        if ((f.count === undefined) === (f.percent === undefined))
          add(['faults', i], 'give exactly one of count or percent');
        if (f.percent !== undefined && !validShare(f.percent))
          add(['faults', i, 'percent'], 'must be more than 0% and at most 100%');
        if (
          f.percent !== undefined &&
          s.safety.maxPercent !== undefined &&
          validShare(s.safety.maxPercent) &&
          f.percent.ratio > s.safety.maxPercent.ratio
        ) {
          add(
            ['faults', i, 'percent'],
            `kills ${f.percent.text} of the pods but safety.maxPercent is ${s.safety.maxPercent.text}`,
          );
        }
        if (f.repeat > 1 && !f.interval) add(['faults', i, 'interval'], 'required when repeat > 1');
        if (f.repeat > 1 && f.interval && f.interval.ms === 0)
          add(['faults', i, 'interval'], 'must be longer than 0s when repeat > 1');
        if (f.interval && at + f.interval.ms * (f.repeat - 1) >= win.fault) {
          add(['faults', i, 'repeat'], 'the repeated kills run past the end of the fault window');
        }
        if (s.safety.maxPods !== undefined && f.count !== undefined && f.count > s.safety.maxPods) {
          add(['faults', i, 'count'], `kills ${f.count} pods but safety.maxPods is ${s.safety.maxPods}`);
        }
        break;
      case 'latency': {
        if (Object.keys(f.selector).length === 0)
          add(['faults', i, 'selector'], 'empty selector would delay every pod');
        // An inherited target.namespace has its own diagnostic.
        if (f.namespace && (PROTECTED_NAMESPACES as readonly string[]).includes(f.namespace)) {
          add(['faults', i, 'namespace'], `${f.namespace} is a system namespace; chaos never runs there`);
        }
        if (f.namespace && s.safety.allowedNamespaces && !s.safety.allowedNamespaces.includes(f.namespace)) {
          add(['faults', i, 'namespace'], `"${f.namespace}" is not in safety.allowedNamespaces`);
        }
        if (f.delay.ms > 60_000) add(['faults', i, 'delay'], 'delays above 60s are not a latency fault');
        break;
      }
      case 'model-version':
        if (!s.target.deployment) add(['target', 'deployment'], 'required by the model-version fault');
        break;
      case 'oversize-batch':
        oversizeFaults++;
        if (oversizeFaults > 1)
          add(['faults', i], 'only one oversize-batch fault per scenario: the load sends one oversize mix');
        break;
      case 'node-drain':
        break;
      case 'kubectl':
        if (!s.safety.allowKubectl)
          add(
            ['faults', i, 'type'],
            `kubectl faults run arbitrary kubectl commands in ${s.target.namespace}: allow them with safety.allowKubectl: true`,
          );
        for (const step of ['capture', 'inject', 'confirm', 'undo'] as const) {
          const args = f[step];
          if (!args) continue;
          for (const x of kubectlArgIssues(args, {
            namespace: s.target.namespace,
            step,
            hasCapture: f.capture !== undefined,
          }))
            add(['faults', i, step, ...(x.index === null ? [] : [x.index])], x.message);
        }
        break;
    }
  });

  // Each SLO kind's own rules (src/scenario/slo-rules.ts).
  s.slos.forEach((slo, i) => issues.push(...sloRuleIssues(slo, s, ['slos', i])));
  issues.push(...runnerIssues(s));

  // Dedupe: several rules may ask for the same missing field.
  const seen = new Set<string>();
  return issues.filter((x) => {
    const k = JSON.stringify(x);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
