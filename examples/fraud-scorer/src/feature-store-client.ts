import CircuitBreaker from 'opossum';
import { z } from 'zod';
import type { Logger } from '../../shared/src/logger.js';
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

export class FeatureStoreClient {
  private readonly breaker: CircuitBreaker<[string], EntityFeatures> | undefined;
  private readonly lastKnown: LastKnownFeatures<StoreFeatures>;

  constructor(
    private readonly options: FeatureStoreClientOptions,
    private readonly metrics: ScorerMetrics,
    private readonly logger: Logger,
  ) {
    this.lastKnown = new LastKnownFeatures({
      maxEntries: options.cacheSize,
      ttlMs: options.cacheTtlMs,
      clock: options.clock,
    });
    this.setState('closed');
    if (!options.breakerEnabled) return;

    this.breaker = new CircuitBreaker((entityId: string) => this.fetchFeatures(entityId, options.timeoutMs), {
      // The fetch carries its own abort timeout, so a timed-out call also frees its socket; opossum's
      // timer would only reject the promise and leave the request running.
      timeout: false,
      resetTimeout: options.breakerResetMs,
      errorThresholdPercentage: options.breakerErrorPercent,
      volumeThreshold: options.breakerVolumeThreshold,
      rollingCountTimeout: 10_000,
      rollingCountBuckets: 10,
    });
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

  async enrich(entityId: string): Promise<Enrichment> {
    if (!this.breaker) {
      return {
        source: 'feature_store',
        features: (await this.fetchFeatures(entityId, UNGUARDED_FEATURE_STORE_TIMEOUT_MS)).features,
      };
    }
    let features: StoreFeatures;
    try {
      features = (await this.breaker.fire(entityId)).features;
    } catch (err) {
      const reason: FallbackReason = isBreakerRejection(err)
        ? 'breaker_open'
        : err instanceof FeatureStoreError && err.kind === 'timeout'
          ? 'timeout'
          : 'error';
      if (reason === 'breaker_open') this.metrics.featureStoreRequests.inc({ outcome: 'rejected' });
      return this.fallBack(entityId, reason);
    }
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

  private async fetchFeatures(entityId: string, timeoutMs: number): Promise<EntityFeatures> {
    const url = `${this.options.baseUrl}/features/${encodeURIComponent(entityId)}`;
    const stopTimer = this.metrics.featureStoreDuration.startTimer();
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      if (!res.ok) {
        await res.body?.cancel();
        throw new FeatureStoreError('error', `feature store answered ${res.status} for ${url}`);
      }
      const parsed = EntityFeaturesSchema.safeParse(await res.json());
      if (!parsed.success)
        throw new FeatureStoreError('error', `feature store sent an unexpected body for ${url}`);
      this.metrics.featureStoreRequests.inc({ outcome: 'ok' });
      return parsed.data;
    } catch (err) {
      const failure =
        err instanceof FeatureStoreError
          ? err
          : isTimeout(err)
            ? new FeatureStoreError('timeout', `feature store did not answer within ${timeoutMs} ms`)
            : new FeatureStoreError('error', `feature store request failed: ${(err as Error).message}`);
      this.metrics.featureStoreRequests.inc({ outcome: failure.kind });
      throw failure;
    } finally {
      stopTimer();
    }
  }

  private setState(state: BreakerState): void {
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
