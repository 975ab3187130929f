/**
 * The SLO registry: kind name → judge module. A new SLO kind is its schema entry and one module listed here;
 * the mapped type makes a kind without a judge a compile error.
 */
import { availability } from './availability.js';
import { errorRate } from './error-rate.js';
import { httpStatus } from './http-status.js';
import type { SloJudge, SloKind, SloOf } from './judge.js';
import { latency } from './latency.js';
import { minReadyReplicas } from './min-ready-replicas.js';
import { modelVersion } from './model-version.js';
import { oomKilled } from './oom-killed.js';
import { podState } from './pod-state.js';
import { predictionAgreement } from './prediction-agreement.js';
import { predictionShift } from './prediction-shift.js';
import { promql } from './promql.js';
import { recovery } from './recovery.js';
import { restarts } from './restarts.js';
import { scaling } from './scaling.js';
import { throughput } from './throughput.js';

const judges: { [K in SloKind]: SloJudge<K> } = {
  latency,
  errorRate,
  availability,
  throughput,
  recovery,
  minReadyReplicas,
  restarts,
  oomKilled,
  podState,
  httpStatus,
  modelVersion,
  predictionAgreement,
  predictionShift,
  promql,
  scaling,
};

export function sloJudge<K extends SloKind>(spec: SloOf<K>): SloJudge<K> {
  return judges[spec.type];
}

export const SLO_KINDS = Object.keys(judges) as SloKind[];

/** The judge of a judged result's kind (`SloResult.kind`), for what reads results after judging. */
export function judgeOfKind(kind: string): SloJudge<SloKind> | undefined {
  return (judges as Record<string, SloJudge<SloKind>>)[kind];
}
