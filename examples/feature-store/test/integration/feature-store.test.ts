import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromEnv } from '../../src/config.js';
import { FEATURE_SET_VERSION, featuresFor } from '../../src/entity-features.js';
import { type RunningFeatureStore, startServer } from '../../src/server.js';

let store: RunningFeatureStore;

beforeAll(async () => {
  store = await startServer(
    { ...configFromEnv({}), port: 0, host: '127.0.0.1', shutdownDrainMs: 0 },
    { logger: pino({ level: 'silent' }) },
  );
});
afterAll(() => store.close());

describe('feature-store HTTP API', () => {
  it('serves the deterministic features of an entity', async () => {
    const res = await fetch(`${store.url}/features/card-1234`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-feature-set-version')).toBe(FEATURE_SET_VERSION);
    expect(await res.json()).toEqual({
      entityId: 'card-1234',
      featureSetVersion: FEATURE_SET_VERSION,
      features: featuresFor('card-1234'),
    });
  });

  it('rejects entity ids it would not store', async () => {
    const res = await fetch(`${store.url}/features/${encodeURIComponent('a b')}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_entity_id');
    expect((await fetch(`${store.url}/features/`)).status).toBe(400);
  });

  it('answers probes and 404s unknown paths', async () => {
    expect((await fetch(`${store.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${store.url}/readyz`)).json()).toEqual({ status: 'ready' });
    expect((await fetch(`${store.url}/nope`)).status).toBe(404);
    expect((await fetch(`${store.url}/features/x`, { method: 'POST' })).status).toBe(405);
  });

  it('counts lookups and responses by route in /metrics', async () => {
    await fetch(`${store.url}/features/metrics-check`);
    const text = await (await fetch(`${store.url}/metrics`)).text();
    expect(text).toMatch(/^feature_lookups_total [1-9]\d*$/m);
    expect(text).toMatch(/^http_requests_total\{route="\/features\/:entityId",code="200"\} [1-9]\d*$/m);
    expect(text).toMatch(/^http_requests_total\{route="\/features\/:entityId",code="400"\} 2$/m);
    expect(text).toContain('process_resident_memory_bytes');
  });
});
