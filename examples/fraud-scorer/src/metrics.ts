import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type BreakerState = 'closed' | 'half_open' | 'open';
export const BREAKER_STATE_VALUE: Readonly<Record<BreakerState, number>> = {
  closed: 0,
  half_open: 1,
  open: 2,
};

export type FallbackReason = 'breaker_open' | 'timeout' | 'error';
/** What a request was scored on when its lookup failed: the entity's cached features, or only its own. */
export type FallbackSource = 'last_known' | 'request_only';

export interface ScorerMetrics {
  readonly registry: Registry;
  readonly predictions: Counter<'class'>;
  readonly inferenceDuration: Histogram;
  readonly batchSize: Histogram;
  readonly breakerState: Gauge;
  readonly fallbacks: Counter<'reason' | 'source'>;
  readonly featureStoreRequests: Counter<'outcome'>;
  readonly featureStoreDuration: Histogram;
  readonly modelInfo: Gauge<'version' | 'sha256'>;
}

/** A registry per server instance, so tests can run several scorers in one process. */
export function createScorerMetrics(): ScorerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    predictions: new Counter({
      name: 'ml_predictions_total',
      help: 'Predictions served, by predicted class',
      labelNames: ['class'],
      registers,
    }),
    inferenceDuration: new Histogram({
      name: 'ml_inference_duration_seconds',
      help: 'Model inference time per request (all rows of the batch, explanations included)',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0],
      registers,
    }),
    batchSize: new Histogram({
      name: 'ml_batch_rows',
      help: 'Rows per accepted scoring request',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers,
    }),
    breakerState: new Gauge({
      name: 'feature_store_breaker_state',
      help: 'Feature-store circuit breaker: 0 closed, 1 half-open, 2 open',
      registers,
    }),
    fallbacks: new Counter({
      name: 'feature_store_fallbacks_total',
      help:
        'Requests whose feature-store lookup failed, by reason, and what they were scored on instead ' +
        '(source: last_known cached features, or request_only)',
      labelNames: ['reason', 'source'],
      registers,
    }),
    featureStoreRequests: new Counter({
      name: 'feature_store_requests_total',
      help: 'Feature-store lookups by outcome (ok, timeout, error, rejected = not attempted, breaker open)',
      labelNames: ['outcome'],
      registers,
    }),
    featureStoreDuration: new Histogram({
      name: 'feature_store_request_duration_seconds',
      help: 'Feature-store lookup latency as seen by the scorer, timeouts included',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    modelInfo: new Gauge({
      name: 'ml_model_info',
      help: 'Always 1; labels identify the model being served',
      labelNames: ['version', 'sha256'],
      registers,
    }),
  };
}
