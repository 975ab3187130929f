import { formatMeasured, parseThreshold } from '../../report/format.js';
import type { RunResult, SloResult } from '../../verdict/result.js';
import type { GameDayResult } from '../result.js';
import type { Run } from './breach.js';
import { iso } from './helpers.js';
import { ACTION_ITEM_DUE_DAYS, UNOWNED } from './rules.js';

export interface ActionItem {
  id: string;
  scenario: string;
  sloId: string;
  action: string;
  /** The measured failure the item answers. */
  why: string;
  /** The runbook text the action is seeded from. */
  basis: string;
  owner: string;
  /** YYYY-MM-DD */
  due: string;
}

export function deriveActionItems(g: GameDayResult, runs: readonly Run[]): ActionItem[] {
  const owner = g.suite.owner ?? UNOWNED;
  const due = dueDate(g.startedAt);
  return runs
    .flatMap((run) => run.failed.map((slo) => ({ run, slo })))
    .map(({ run, slo }, i) => {
      const injected = run.result.faults.filter((f) => f.injectedAt !== null);
      const c: ActionContext = {
        scenario: run.name,
        workload: workloadOf(run),
        slo,
        result: run.result,
        faultTypes: new Set(run.result.faults.map((f) => f.type)),
        faults:
          injected.length > 0 ? injected.map((f) => `${f.type}: ${f.description}`).join('; ') : 'no fault',
      };
      const rule = ACTION_RULES.find((r) => r.applies(c)) ?? REPRODUCE_RULE;
      return {
        id: `AI-${i + 1}`,
        scenario: run.name,
        sloId: slo.id,
        action: rule.action(c),
        why: `${slo.id} (${slo.window} window) measured ${formatMeasured(slo)} against ${slo.threshold}: ${slo.evidence}`,
        basis: rule.basis,
        owner,
        due,
      };
    });
}

interface ActionContext {
  scenario: string;
  /** The service under test as the scenario labels it, for naming its deployment YAML. */
  workload: string;
  slo: SloResult;
  result: RunResult;
  faultTypes: ReadonlySet<string>;
  faults: string;
}

interface ActionRule {
  applies: (c: ActionContext) => boolean;
  action: (c: ActionContext) => string;
  basis: string;
}

const POD_LOSS_KINDS = new Set(['minReadyReplicas', 'recovery']);

/** First match wins, so the order follows POSTMORTEM_RULES.actionItems. */
const ACTION_RULES: readonly ActionRule[] = [
  {
    applies: (c) => /drift|agreement|prediction/i.test(c.slo.kind),
    action: (c) =>
      `Automate a weekly drift check with an alert for the ${c.scenario} model, so ${c.slo.id} drifting past ${c.slo.threshold} is caught between game days`,
    basis: 'Runbook prevention table: "Stale model drift → Automate weekly drift check + alert".',
  },
  {
    applies: (c) => c.faultTypes.has('model-version') || c.slo.kind === 'modelVersion',
    action: (c) =>
      `Add a version hash check to the deployment script so a release whose model artifact is missing or differs ` +
      `(here: ${c.faults}) is refused before rollout, and gate the rollout on a readiness probe that passes only once ` +
      `the model is loaded, so the old pods keep serving while new ones log the error and CrashLoopBackOff`,
    basis:
      'Runbook prevention table: "Model version mismatch → Add version hash check to deployment script"; runbook: ' +
      'model artifact unavailable at init → error logged and CrashLoopBackOff rather than silent wrong predictions.',
  },
  {
    applies: (c) => c.faultTypes.has('oversize-batch'),
    action: (c) =>
      `Add an input schema check to the scoring script that rejects batches above the batch-size limit with 413 ` +
      `before inference, so oversize payloads (${c.faults}) neither pass as 200 nor risk an OOM`,
    basis:
      'Runbook prevention table: "Missing schema validation → Add input schema check to scoring script"; runbook: ' +
      'large batch payload → batch size validation, no OOM.',
  },
  {
    applies: (c) => c.slo.kind === 'restarts' || c.slo.kind === 'oomKilled',
    action: (c) =>
      `Add readiness and liveness probes tuned to the measured load and set memory requests and limits from the ` +
      `observed peak to ${c.workload} YAML, so ${c.slo.id} stays within ${c.slo.threshold}`,
    basis:
      'Runbook prevention table: "No liveness probe → Add readiness and liveness probes to deployment YAML".',
  },
  {
    applies: (c) => c.faultTypes.has('latency'),
    action: (c) =>
      `Put a circuit breaker with a timeout inside the ${c.slo.threshold} budget and a fallback around the ` +
      `feature-store call, so injected latency (${c.faults}) degrades features instead of ${c.slo.id}`,
    basis: 'Runbook, latency injection: circuit breaker + fallback around the feature store.',
  },
  {
    applies: (c) => c.faultTypes.has('node-drain') && POD_LOSS_KINDS.has(c.slo.kind),
    action: (c) =>
      `Add a PodDisruptionBudget (minAvailable: ${parseThreshold(c.slo.threshold)?.value ?? 1}) for ${c.workload} ` +
      `and spread its replicas across nodes, so a drain (${c.faults}) evicts them one at a time instead of ` +
      `${c.slo.id} reaching ${formatMeasured(c.slo)}`,
    basis: 'Runbook, node drain: "PDB prevents total outage; Deployment self-heals".',
  },
  {
    applies: (c) => c.faultTypes.has('pod-kill') || c.faultTypes.has('node-drain'),
    action: (c) =>
      `Add readiness and liveness probes with graceful shutdown to ${c.workload} YAML, plus a ` +
      `PodDisruptionBudget, so pods leave the Service endpoints before they stop and ${c.slo.id} stays within ` +
      `${c.slo.threshold} when pods are lost (here: ${c.faults})`,
    basis:
      'Runbook prevention table: "No liveness probe → Add readiness and liveness probes to deployment YAML"; ' +
      'runbook, pod kill / node drain: "PDB prevents total outage; Deployment self-heals", "Rolling update does not drop requests".',
  },
  {
    applies: (c) => c.faultTypes.size === 0,
    action: (c) =>
      `Make the autoscaler react before the p95 breach: scale ${c.workload} on a leading signal (in-flight ` +
      `requests or CPU) with minReplicas headroom, so ${c.slo.id} stays within ${c.slo.threshold} while load ramps`,
    basis: 'Runbook, load ramp: autoscaler reacts before p95 breach.',
  },
];

/** For a failure no rule above recognises. */
const REPRODUCE_RULE: Omit<ActionRule, 'applies'> = {
  action: (c) =>
    `Pin all dependencies and register the environment version, then reproduce ${c.slo.id} with ` +
    `\`chaos run ${c.result.scenario.file} --seed ${c.result.seed}\` to isolate its cause`,
  basis:
    'Runbook prevention table: "Unreproducible environment → Pin all dependencies + register environment version".',
};

function workloadOf(run: Run): string {
  const labels = run.result.scenario.labels;
  const named = labels.service ?? labels.app;
  return named ? `the ${named} deployment` : `the deployment under test in ${run.name}`;
}

function dueDate(startedAt: string): string {
  const start = Date.parse(startedAt);
  const base = Number.isFinite(start) ? start : 0;
  return iso(base + ACTION_ITEM_DUE_DAYS * 86_400_000).slice(0, 10);
}
