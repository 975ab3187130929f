import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningScorer, startServer } from '../../src/server.js';
import {
  type ControllableFeatureStore,
  LOW_RISK_ROW,
  metricValue,
  postScore,
  scrape,
  silentLogger,
  startControllableFeatureStore,
  testConfig,
} from '../helpers.js';

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

async function timedScore(
  entityId = 'card-9',
): Promise<{ ms: number; status: number; json: Record<string, unknown> }> {
  const started = performance.now();
  const { status, json } = await postScore(scorer!.url, { features: [LOW_RISK_ROW], entityId });
  return { ms: performance.now() - started, status, json };
}

describe('feature-store circuit breaker', () => {
  const RESET_MS = 600;
  const TIMEOUT_MS = 150;

  beforeEach(async () => {
    scorer = await startServer(
      testConfig({
        featureStoreUrl: store.url,
        featureStoreTimeoutMs: TIMEOUT_MS,
        breakerResetMs: RESET_MS,
        breakerVolumeThreshold: 4,
        breakerErrorPercent: 50,
      }),
      { logger: silentLogger },
    );
  });

  it('opens when the store is slow, serves fallbacks fast, and closes once it recovers', async () => {
    const healthy = await timedScore();
    expect(healthy.json.enrichment).toMatchObject({ source: 'feature_store' });

    store.delayMs = 400;
    const degraded = [];
    for (let i = 0; i < 8; i++) degraded.push(await timedScore());
    // Every request still succeeds: a slow dependency costs enrichment, not availability.
    expect(degraded.map((r) => r.status)).toEqual(Array(8).fill(200));
    const reasons = degraded.map((r) => (r.json.enrichment as { reason?: string }).reason);
    // card-9 was looked up before the store slowed down: every fallback uses what the store said then.
    expect(new Set(degraded.map((r) => (r.json.enrichment as { source: string }).source))).toEqual(
      new Set(['last_known']),
    );
    expect(reasons.slice(0, 3)).toEqual(['timeout', 'timeout', 'timeout']);
    expect(reasons.at(-1)).toBe('breaker_open');
    const firstRejected = reasons.indexOf('breaker_open');
    expect(reasons.slice(firstRejected)).toEqual(Array(8 - firstRejected).fill('breaker_open'));
    // Timeouts cost FEATURE_STORE_TIMEOUT_MS; once open, the store is not even called.
    for (const r of degraded.slice(0, firstRejected)) expect(r.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
    for (const r of degraded.slice(firstRejected)) expect(r.ms).toBeLessThan(TIMEOUT_MS - 5);
    expect(store.hits).toBe(1 + firstRejected);

    let text = await scrape(scorer!.url);
    expect(metricValue(text, 'feature_store_breaker_state')).toBe(2);
    expect(metricValue(text, 'feature_store_fallbacks_total', '{reason="timeout",source="last_known"}')).toBe(
      firstRejected,
    );
    expect(
      metricValue(text, 'feature_store_fallbacks_total', '{reason="breaker_open",source="last_known"}'),
    ).toBe(8 - firstRejected);

    store.delayMs = 0;
    await sleep(RESET_MS + 200);
    text = await scrape(scorer!.url);
    expect(metricValue(text, 'feature_store_breaker_state')).toBe(1);

    const probe = await timedScore();
    expect(probe.json.enrichment).toMatchObject({ source: 'feature_store' });
    text = await scrape(scorer!.url);
    expect(metricValue(text, 'feature_store_breaker_state')).toBe(0);
    expect((await timedScore()).json.enrichment).toMatchObject({ source: 'feature_store' });
  });

  it('re-opens when the half-open probe fails, and treats error statuses as failures too', async () => {
    store.failWith = 503;
    for (let i = 0; i < 6; i++) await timedScore();
    expect(metricValue(await scrape(scorer!.url), 'feature_store_breaker_state')).toBe(2);
    expect(
      metricValue(
        await scrape(scorer!.url),
        'feature_store_fallbacks_total',
        '{reason="error",source="request_only"}',
      ),
    ).toBeGreaterThan(0);

    await sleep(RESET_MS + 200);
    const probe = await timedScore();
    // The store never answered for card-9, so there is nothing last known to fall back on.
    expect(probe.json.enrichment).toEqual({ entityId: 'card-9', source: 'request_only', reason: 'error' });
    expect(metricValue(await scrape(scorer!.url), 'feature_store_breaker_state')).toBe(2);
  });
});

describe('with BREAKER_ENABLED=false (the broken variant)', () => {
  beforeEach(async () => {
    scorer = await startServer(
      testConfig({ featureStoreUrl: store.url, breakerEnabled: false, featureStoreTimeoutMs: 50 }),
      {
        logger: silentLogger,
      },
    );
  });

  it('waits for a slow store instead of falling back', async () => {
    store.delayMs = 400;
    const results = await Promise.all([timedScore(), timedScore(), timedScore()]);
    for (const r of results) {
      expect(r.status).toBe(200);
      expect(r.json.enrichment).toMatchObject({ source: 'feature_store' });
      expect(r.ms).toBeGreaterThanOrEqual(390);
    }
    expect(metricValue(await scrape(scorer!.url), 'feature_store_breaker_state')).toBe(0);
  });

  it('fails the request with 502 when the store errors', async () => {
    store.failWith = 500;
    const r = await timedScore();
    expect(r.status).toBe(502);
    expect(r.json.error).toBe('feature_store_unavailable');
  });

  it('fails the request with 504 after the 5 s timeout when the store hangs', async () => {
    store.delayMs = 8_000;
    const r = await timedScore();
    expect(r.status).toBe(504);
    expect(r.ms).toBeGreaterThanOrEqual(4_900);
    expect(r.ms).toBeLessThan(6_500);
  });
});
