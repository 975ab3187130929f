import { type Context, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ATTR_HTTP_RESPONSE_STATUS_CODE } from '@opentelemetry/semantic-conventions';
import CircuitBreaker from 'opossum';
import { z } from 'zod';
import type { Logger } from '../../shared/src/logger.js';
import { TRACING_OFF, type Tracing } from '../../shared/src/tracing.js';
import { UNGUARDED_FEATURE_STORE_TIMEOUT_MS } from './config.js';
import { LastKnownFeatures } from './last-known-features.js';
import {
  BREAKER_STATE_VALUE,
  type BreakerState,
  type FallbackReason,
  type ScorerMetrics,
} from './metrics.js';

const EntityFeaturesSchema = z.looseObject({
  entityId: z.string(),
  features: z.looseObject({ merchant_risk: z.number().min(0).max(1) }),
});
export type EntityFeatures = z.infer<typeof EntityFeaturesSchema>;

const WARMUP_TIMEOUT_MS = 1_000;

type StoreFeatures = EntityFeatures['features'];

export type Enrichment =
  | { readonly source: 'feature_store'; readonly features: StoreFeatures }
  /** The lookup failed; the entity's features from its last successful lookup, `ageMs` old, stand in. */
  | {
      readonly source: 'last_known';
      readonly reason: FallbackReason;
      readonly ageMs: number;
      readonly features: StoreFeatures;
    }
  /** The lookup failed and nothing recent was cached: the request is scored on its own features. */
  | { readonly source: 'request_only'; readonly reason: FallbackReason }
  | { readonly source: 'disabled' };

/** Only thrown when the breaker is disabled: without a fallback, a failed lookup fails the request. */
export class FeatureStoreError extends Error {
  constructor(
    readonly kind: 'timeout' | 'error',
    message: string,
  ) {
    super(message);
    this.name = 'FeatureStoreError';
  }
}

export interface FeatureStoreClientOptions {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly breakerEnabled: boolean;
  readonly breakerResetMs: number;
  readonly breakerErrorPercent: number;
  readonly breakerVolumeThreshold: number;
  /** Entities whose last lookup is remembered for failed lookups; 0 is the broken mode (request-only). */
  readonly cacheSize: number;
  readonly cacheTtlMs: number;
  /** Tests pass a fake clock for the cache's TTL. */
  readonly clock?: { now(): number };
}

/** One CLIENT span per lookup, sent or not: breaker_open means no request left the scorer. */
export const LOOKUP_SPAN = 'feature-store GET';
export const ATTR_OUTCOME = 'feature_store.outcome';
export type LookupOutcome = 'hit' | 'timeout' | 'error' | 'breaker_open';
/** Only on lookups that fell back: what the request was scored on instead (last_known or request_only). */
export const ATTR_FALLBACK = 'feature_store.fallback';
/** On the lookup span: the breaker's state when the lookup came, and whether a fallback answered it. */
export const BREAKER_EVENT = 'breaker';

export class FeatureStoreClient {
  private readonly breaker: CircuitBreaker<[string, Context], EntityFeatures> | undefined;
  private readonly lastKnown: LastKnownFeatures<StoreFeatures>;
  private state: BreakerState = 'closed';

  constructor(
    private readonly options: FeatureStoreClientOptions,
    private readonly metrics: ScorerMetrics,
    private readonly logger: Logger,
    private readonly tracing: Tracing = TRACING_OFF,
  ) {
    this.lastKnown = new LastKnownFeatures({
      maxEntries: options.cacheSize,
      ttlMs: options.cacheTtlMs,
      clock: options.clock,
    });
    this.setState('closed');
    if (!options.breakerEnabled) return;

    this.breaker = new CircuitBreaker(
      (entityId: string, ctx: Context) => this.fetchFeatures(entityId, options.timeoutMs, ctx),
      {
        // The fetch carries its own abort timeout, so a timed-out call also frees its socket; opossum's
        // timer would only reject the promise and leave the request running.
        timeout: false,
        resetTimeout: options.breakerResetMs,
        errorThresholdPercentage: options.breakerErrorPercent,
        volumeThreshold: options.breakerVolumeThreshold,
        rollingCountTimeout: 10_000,
        rollingCountBuckets: 10,
      },
    );
    this.breaker.on('open', () => {
      this.setState('open');
      this.logger.warn(
        { event: 'breaker_open', retryAfterMs: options.breakerResetMs },
        'feature store failing: circuit opened, scoring on last known features, request-only where none',
      );
    });
    this.breaker.on('halfOpen', () => {
      this.setState('half_open');
      this.logger.info({ event: 'breaker_half_open' }, 'probing the feature store');
    });
    this.breaker.on('close', () => {
      this.setState('closed');
      this.logger.info({ event: 'breaker_closed' }, 'feature store recovered: circuit closed');
    });
  }

  /**
   * `parent` holds the request's span: the lookup span is its child, and the feature store's server span
   * the lookup span's child.
   */
  async enrich(entityId: string, parent: Context = ROOT_CONTEXT): Promise<Enrichment> {
    const timeoutMs = this.breaker ? this.options.timeoutMs : UNGUARDED_FEATURE_STORE_TIMEOUT_MS;
    const span = this.tracing.tracer.startSpan(
      LOOKUP_SPAN,
      {
        kind: SpanKind.CLIENT,
        attributes: { 'feature_store.entity_count': 1, 'feature_store.timeout_ms': timeoutMs },
      },
      parent,
    );
    try {
      return await this.lookUp(entityId, timeoutMs, trace.setSpan(parent, span), span);
    } finally {
      span.end();
    }
  }

  private async lookUp(entityId: string, timeoutMs: number, ctx: Context, span: Span): Promise<Enrichment> {
    if (!this.breaker) {
      return {
        source: 'feature_store',
        features: (await this.fetchFeatures(entityId, timeoutMs, ctx)).features,
      };
    }
    const state = this.state;
    let features: StoreFeatures;
    try {
      features = (await this.breaker.fire(entityId, ctx)).features;
    } catch (err) {
      const reason: FallbackReason = isBreakerRejection(err)
        ? 'breaker_open'
        : err instanceof FeatureStoreError && err.kind === 'timeout'
          ? 'timeout'
          : 'error';
      if (reason === 'breaker_open') {
        this.metrics.featureStoreRequests.inc({ outcome: 'rejected' });
        span.setAttribute(ATTR_OUTCOME, 'breaker_open' satisfies LookupOutcome);
      }
      const enrichment = this.fallBack(entityId, reason);
      span.setAttribute(ATTR_FALLBACK, enrichment.source);
      span.addEvent(BREAKER_EVENT, { 'breaker.state': state, 'breaker.fallback': true });
      return enrichment;
    }
    span.addEvent(BREAKER_EVENT, { 'breaker.state': state, 'breaker.fallback': false });
    this.lastKnown.remember(entityId, features);
    return { source: 'feature_store', features };
  }

  /**
   * A failed lookup must not change the answer while the store's last word is recent: the cached features
   * give the same score the store would most likely have given. Only without them does the request's own
   * merchant_risk count, which is what changes answers during an outage.
   */
  private fallBack(entityId: string, reason: FallbackReason): Enrichment {
    const recalled = this.lastKnown.recall(entityId);
    const enrichment: Enrichment = recalled
      ? { source: 'last_known', reason, ageMs: recalled.ageMs, features: recalled.features }
      : { source: 'request_only', reason };
    const { source } = enrichment;
    this.metrics.fallbacks.inc({ reason, source });
    this.logger.debug({ event: 'enrichment_fallback', reason, source, entityId }, `using ${source} features`);
    return enrichment;
  }

  /** Opens a connection and loads fetch's internals; the outcome is deliberately ignored. */
  async warmUp(): Promise<void> {
    try {
      const res = await fetch(`${this.options.baseUrl}/healthz`, {
        signal: AbortSignal.timeout(WARMUP_TIMEOUT_MS),
      });
      await res.body?.cancel();
    } catch {
      // The breaker, not start-up, decides what a missing feature store means.
    }
  }

  shutdown(): void {
    this.breaker?.shutdown();
  }

  /** Outcome and failure go on the lookup span in `ctx`, whose trace context the request carries. */
  private async fetchFeatures(entityId: string, timeoutMs: number, ctx: Context): Promise<EntityFeatures> {
    const url = `${this.options.baseUrl}/features/${encodeURIComponent(entityId)}`;
    const span = trace.getSpan(ctx);
    const headers: Record<string, string> = {};
    this.tracing.inject(ctx, headers);
    const stopTimer = this.metrics.featureStoreDuration.startTimer();
    try {
      const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
      span?.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.status);
      if (!res.ok) {
        await res.body?.cancel();
        throw new FeatureStoreError('error', `feature store answered ${res.status} for ${url}`);
      }
      const parsed = EntityFeaturesSchema.safeParse(await res.json());
      if (!parsed.success)
        throw new FeatureStoreError('error', `feature store sent an unexpected body for ${url}`);
      this.metrics.featureStoreRequests.inc({ outcome: 'ok' });
      span?.setAttribute(ATTR_OUTCOME, 'hit' satisfies LookupOutcome);
      return parsed.data;
    } catch (err) {
      const failure =
        err instanceof FeatureStoreError
          ? err
          : isTimeout(err)
            ? new FeatureStoreError('timeout', `feature store did not answer within ${timeoutMs} ms`)
            : new FeatureStoreError('error', `feature store request failed: ${(err as Error).message}`);
      this.metrics.featureStoreRequests.inc({ outcome: failure.kind });
      span?.setAttribute(ATTR_OUTCOME, failure.kind satisfies LookupOutcome);
      span?.recordException(failure);
      span?.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
      throw failure;
    } finally {
      stopTimer();
    }
  }

  private setState(state: BreakerState): void {
    this.state = state;
    this.metrics.breakerState.set(BREAKER_STATE_VALUE[state]);
  }
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
}

function isBreakerRejection(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'EOPENBREAKER' || code === 'ESEMLOCKED';
}
