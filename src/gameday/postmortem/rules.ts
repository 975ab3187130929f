/** Sev-1 when every request failed for at least this many consecutive seconds. */
export const SEV1_TOTAL_FAILURE_S = 5;
/** Sev-1 when any window's error rate reaches this fraction. */
export const SEV1_ERROR_RATE = 0.5;
/** A breach-free tail shorter than this (often k6's last partial second) is not a resolution. */
export const RESOLUTION_MIN_S = 5;
/** The game-day template's "Improve: 1 week after". */
export const ACTION_ITEM_DUE_DAYS = 7;

export const UNOWNED = 'unowned: set metadata.owner in the suite';

export const POSTMORTEM_RULES = {
  breachSecond:
    'A timeline second is in breach when, inside the window of a check that FAILed for its run, it exceeds that ' +
    "check's threshold: error rate (errors / requests) at or above an errorRate objective, the second's latency " +
    'percentile (p50, p95 or p99; other percentiles use the next one recorded) above a latency objective, or Ready ' +
    'pods below a minReadyReplicas objective. Checks that passed do not count, so a single failed request in a ' +
    'passing run is not an incident; a second without completed requests is judged on Ready pods only.',
  detection:
    'Detection is the start of the first breaching second at or after the injection: the earliest injectedAt of the ' +
    "scenario's faults, or, for a scenario without faults (a load ramp), the start of its fault window. A failed " +
    'check with no per-second signal (recovery time, status codes, restarts) is detected when its run was judged ' +
    "(the run's finishedAt).",
  mitigation:
    'Mitigation is the earlier of: every injected fault reverted (the latest faults[].revertedAt), and the system ' +
    'recovering by itself (the last pod event after the injection that brings Ready pods back to their pre-fault count).',
  resolution:
    'Resolution is the start of the last breach-free stretch that lasts to the end of the run and spans at least ' +
    `${RESOLUTION_MIN_S} timeline seconds; otherwise the breach was not resolved within the run.`,
  severity:
    `Sev-1 (Production outage or major business impact; Immediate response): any load window's error rate is at least ` +
    `${SEV1_ERROR_RATE * 100}%, or every request failed for at least ${SEV1_TOTAL_FAILURE_S} consecutive seconds. ` +
    'Sev-2 (Partial degradation with workaround; within 1 hour): otherwise, when any check FAILed. ' +
    'Sev-3 (Non-critical defect or low-impact issue; Planned fix): no check failed (all passed, or only ' +
    'inconclusive checks and skipped scenarios).',
  impact:
    'Breach seconds count every timeline second in breach over the whole run. Requests, errors and error budget are ' +
    "the run's errorBudget (budget = 1 - SLO; consumed as the run computed it), or the all window without one.",
  answers:
    'Answer checks are the predictionAgreement and predictionShift SLOs: listed when they FAILed or were ' +
    "INCONCLUSIVE, with the answers of the window they judged (the run's windows[].quality). Golden accuracy is the " +
    "share of golden answers whose class is the row's label, beside the baseline's.",
  actionItems:
    "One item per FAILed check, chosen by the scenario's fault types and the check's kind, first match wins: drift " +
    'check; model-version fault or version check: version hash check; oversize-batch: input schema check; restarts ' +
    'or OOM kills: probes and limits; latency fault: circuit breaker and fallback around the feature store; node ' +
    'drain losing replicas: PodDisruptionBudget and spread; pod kill or node drain: probes, graceful shutdown and ' +
    'a PodDisruptionBudget; no fault (load ramp): autoscaler ahead of the p95 breach; anything else: pin the ' +
    `environment and reproduce with the seed. Owner: the suite's metadata.owner; due: game-day date + ${ACTION_ITEM_DUE_DAYS} days.`,
} as const;
