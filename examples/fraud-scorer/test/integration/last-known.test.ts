import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { featuresFor } from '../../../feature-store/src/entity-features.js';
import { type Enrichment, FeatureStoreClient } from '../../src/feature-store-client.js';
import { createScorerMetrics } from '../../src/metrics.js';
import { type RunningScorer, startServer } from '../../src/server.js';
import {
  type ControllableFeatureStore,
  HIGH_RISK_ROW,
  LOW_RISK_ROW,
  metricValue,
  postScore,
  scrape,
  silentLogger,
  startControllableFeatureStore,
  testConfig,
} from '../helpers.js';

// The store says 0.506 for card-2, the rows say 0.05 and 0.9: request-only features change every answer.
const ENTITY = 'card-2';
const ROWS = [LOW_RISK_ROW, HIGH_RISK_ROW];

let store: ControllableFeatureStore;
let scorer: RunningScorer | undefined;

beforeEach(async () => {
  store = await startControllableFeatureStore();
});
afterEach(async () => {
  await scorer?.close();
  scorer = undefined;
  await store.close();
});

interface Scored {
  readonly probabilities: number[];
  readonly enrichment: Record<string, unknown>;
}

async function score(entityId = ENTITY): Promise<Scored> {
  const { status, json } = await postScore(scorer!.url, { features: ROWS, entityId });
  expect(status).toBe(200);
  return {
    probabilities: (json.predictions as { fraudProbability: number }[]).map((p) => p.fraudProbability),
    enrichment: json.enrichment as Record<string, unknown>,
  };
}

const fallbacks = async (labels: string): Promise<number | undefined> =>
  metricValue(await scrape(scorer!.url), 'feature_store_fallbacks_total', labels);

describe('last known features on a failed lookup (the healthy scorer)', () => {
  beforeEach(async () => {
    scorer = await startServer(
      testConfig({ featureStoreUrl: store.url, featureStoreTimeoutMs: 100, breakerVolumeThreshold: 3 }),
      { logger: silentLogger },
    );
  });

  it('answers exactly as before the failure, and says so in the response and the metrics', async () => {
    const before = await score();
    expect(before.enrichment).toEqual({
      entityId: ENTITY,
      source: 'feature_store',
      features: featuresFor(ENTITY),
    });

    store.failWith = 503;
    const failed = await score();
    expect(failed.probabilities).toEqual(before.probabilities);
    expect(failed.enrichment).toMatchObject({
      entityId: ENTITY,
      source: 'last_known',
      reason: 'error',
      features: featuresFor(ENTITY),
    });
    expect(failed.enrichment.ageMs).toBeGreaterThanOrEqual(0);

    store.failWith = undefined;
    store.delayMs = 300;
    const slow = await score();
    expect(slow.probabilities).toEqual(before.probabilities);
    expect(slow.enrichment).toMatchObject({ source: 'last_known', reason: 'timeout' });

    // Two failures in three calls (volume 3, 50 %) opened the breaker; the cache still answers.
    const open = await score();
    expect(open.enrichment).toMatchObject({ source: 'last_known', reason: 'breaker_open' });
    expect(open.probabilities).toEqual(before.probabilities);

    expect(await fallbacks('{reason="error",source="last_known"}')).toBe(1);
    expect(await fallbacks('{reason="timeout",source="last_known"}')).toBe(1);
    expect(await fallbacks('{reason="breaker_open",source="last_known"}')).toBe(1);
    expect(await fallbacks('{reason="breaker_open",source="request_only"}')).toBeUndefined();
  });

  it('falls back to request-only features for an entity it never looked up', async () => {
    await score('card-1');
    store.failWith = 500;
    const unseen = await score(ENTITY);
    expect(unseen.enrichment).toEqual({ entityId: ENTITY, source: 'request_only', reason: 'error' });
    expect(await fallbacks('{reason="error",source="request_only"}')).toBe(1);
    expect(await fallbacks('{reason="error",source="last_known"}')).toBeUndefined();
  });
});

describe('with FEATURE_CACHE_SIZE=0 (the fallback-defaults variant)', () => {
  beforeEach(async () => {
    scorer = await startServer(
      testConfig({ featureStoreUrl: store.url, featureStoreTimeoutMs: 100, featureCacheSize: 0 }),
      { logger: silentLogger },
    );
  });

  it('keeps latency and status but changes the answers', async () => {
    const before = await score();
    store.failWith = 503;
    const failed = await score();
    expect(failed.enrichment).toEqual({ entityId: ENTITY, source: 'request_only', reason: 'error' });
    // Each row's own merchant_risk (0.05, 0.9) replaces the store's 0.506: one score falls, the other rises.
    expect(failed.probabilities[0]).toBeLessThan(before.probabilities[0]!);
    expect(failed.probabilities[1]).toBeGreaterThan(before.probabilities[1]!);
    expect(await fallbacks('{reason="error",source="request_only"}')).toBe(1);
  });
});

describe('FeatureStoreClient: how long last known features stand in', () => {
  const TTL_MS = 1_000;
  let t = 0;
  const clock = { now: () => t };
  let metrics: ReturnType<typeof createScorerMetrics>;
  let client: FeatureStoreClient;

  beforeEach(() => {
    t = 50_000;
    metrics = createScorerMetrics();
    client = new FeatureStoreClient(
      {
        baseUrl: store.url,
        timeoutMs: 100,
        breakerEnabled: true,
        breakerResetMs: 5_000,
        breakerErrorPercent: 50,
        // High enough that these few failures never open the breaker: every lookup reaches the store.
        breakerVolumeThreshold: 100,
        cacheSize: 10,
        cacheTtlMs: TTL_MS,
        clock,
      },
      metrics,
      silentLogger,
    );
  });
  afterEach(() => client.shutdown());

  const sourceOf = async (entityId = ENTITY): Promise<Enrichment> => client.enrich(entityId);

  it('serves cached features until the TTL, then request-only features', async () => {
    expect((await sourceOf()).source).toBe('feature_store');
    store.failWith = 503;
    t += TTL_MS - 1;
    expect(await sourceOf()).toEqual({
      source: 'last_known',
      reason: 'error',
      ageMs: TTL_MS - 1,
      features: featuresFor(ENTITY),
    });
    t += 2;
    expect(await sourceOf()).toEqual({ source: 'request_only', reason: 'error' });

    const text = await metrics.registry.metrics();
    expect(metricValue(text, 'feature_store_fallbacks_total', '{reason="error",source="last_known"}')).toBe(
      1,
    );
    expect(metricValue(text, 'feature_store_fallbacks_total', '{reason="error",source="request_only"}')).toBe(
      1,
    );
  });

  it('restarts the age on every successful lookup', async () => {
    await sourceOf();
    t += 900;
    await sourceOf(); // succeeds again: the entry is fresh
    t += 900;
    store.failWith = 503;
    // 1 800 ms after the first lookup, past the TTL, but only 900 ms after the last one.
    expect(await sourceOf()).toMatchObject({ source: 'last_known', ageMs: 900 });
  });

  it('remembers per entity, within the size bound', async () => {
    for (let i = 0; i < 11; i++) await sourceOf(`card-${i}`);
    store.failWith = 503;
    // Size 10: card-0 was the least recently used when card-10 arrived.
    expect((await sourceOf('card-0')).source).toBe('request_only');
    expect(await sourceOf('card-10')).toMatchObject({
      source: 'last_known',
      features: featuresFor('card-10'),
    });
    expect(await sourceOf('card-1')).toMatchObject({ source: 'last_known', features: featuresFor('card-1') });
  });
});
