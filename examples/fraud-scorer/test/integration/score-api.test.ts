import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { featuresFor } from '../../../feature-store/src/entity-features.js';
import {
  type RunningFeatureStore,
  startServer as startFeatureStore,
} from '../../../feature-store/src/server.js';
import { configFromEnv as featureStoreConfig } from '../../../feature-store/src/config.js';
import { FEATURE_NAMES, MERCHANT_RISK_INDEX } from '../../src/features.js';
import { loadModel, sha256Hex } from '../../src/model.js';
import { type RunningScorer, startServer } from '../../src/server.js';
import {
  HIGH_RISK_ROW,
  LOW_RISK_ROW,
  MODELS_DIR,
  batch,
  metricValue,
  postScore,
  scrape,
  silentLogger,
  testConfig,
} from '../helpers.js';

let featureStore: RunningFeatureStore;
let scorer: RunningScorer;
const { model } = loadModel(MODELS_DIR, 'v1');

beforeAll(async () => {
  featureStore = await startFeatureStore(
    { ...featureStoreConfig({}), port: 0, host: '127.0.0.1', shutdownDrainMs: 0 },
    { logger: silentLogger },
  );
  scorer = await startServer(testConfig({ featureStoreUrl: featureStore.url, maxBatch: 64 }), {
    logger: silentLogger,
  });
});
afterAll(async () => {
  await scorer?.close();
  await featureStore?.close();
});

describe('POST /score', () => {
  it('scores a batch with the model, enriched by the feature store', async () => {
    const { status, headers, json } = await postScore(scorer.url, {
      features: [LOW_RISK_ROW, HIGH_RISK_ROW],
      entityId: 'card-77',
    });
    expect(status).toBe(200);
    expect(headers.get('x-model-version')).toBe('v1');
    expect(json.modelVersion).toBe('v1');
    expect(json.enrichment).toMatchObject({ source: 'feature_store', entityId: 'card-77' });

    // The store's merchant_risk replaces the request's, so the expected score is computed with it.
    const storeRisk = featuresFor('card-77').merchant_risk;
    const expected = [LOW_RISK_ROW, HIGH_RISK_ROW].map((row) => {
      const enriched = [...row];
      enriched[MERCHANT_RISK_INDEX] = storeRisk;
      return model.predict(enriched);
    });
    expect(json.predictions).toEqual(expected);
    const [low, high] = json.predictions as { fraudProbability: number; label: string }[];
    expect(low!.label).toBe('legit');
    expect(high!.label).toBe('fraud');
  });

  it('lets the enrichment change the score: different entities, different merchant risk', async () => {
    const scores = await Promise.all(
      ['card-1', 'card-2', 'card-3', 'card-4'].map(async (entityId) => {
        const { json } = await postScore(scorer.url, { features: [LOW_RISK_ROW], entityId });
        return (json.predictions as { fraudProbability: number }[])[0]!.fraudProbability;
      }),
    );
    expect(new Set(scores).size).toBe(4);
  });

  it('enriches requests without an entity id under a derived id', async () => {
    const { json } = await postScore(scorer.url, { features: [LOW_RISK_ROW] });
    expect(json.enrichment).toMatchObject({
      source: 'feature_store',
      entityId: expect.stringMatching(/^derived-[0-9a-f]{8}$/) as string,
    });
  });

  it('answers schema errors with 400 and the path of every bad field', async () => {
    const bad: unknown[] = [...LOW_RISK_ROW];
    bad[2] = 'high';
    const { status, headers, json } = await postScore(scorer.url, {
      features: [LOW_RISK_ROW, LOW_RISK_ROW.slice(0, 6), bad, [...LOW_RISK_ROW.slice(0, 7), 2]],
    });
    expect(status).toBe(400);
    expect(headers.get('x-model-version')).toBe('v1');
    expect(json.error).toBe('invalid_request');
    expect(json.issues).toEqual([
      { path: 'features.1', message: expect.stringContaining('got 6') as string },
      { path: 'features.2.2', message: 'expected a finite number, got string' },
      { path: 'features.3.7', message: 'device_change must be between 0 and 1, got 2' },
    ]);
  });

  it('answers malformed JSON with 400', async () => {
    const { status, json } = await postScore(scorer.url, '{"features": [[1,2');
    expect(status).toBe(400);
    expect(json.error).toBe('invalid_json');
  });

  it('answers a batch over MAX_BATCH with 413 before validating a single row', async () => {
    // Rows are invalid on purpose: a 413 (not a 400) proves the size check runs first.
    const { status, headers, json } = await postScore(scorer.url, { features: batch(65, [1]) });
    expect(status).toBe(413);
    expect(headers.get('x-model-version')).toBe('v1');
    expect(json).toEqual({ error: 'batch_too_large', maxBatch: 64, rows: 65 });
    expect((await postScore(scorer.url, { features: batch(64) })).status).toBe(200);
  });

  it('answers a body over MAX_BODY_BYTES with 413, without buffering it', async () => {
    const body = JSON.stringify({ features: batch(100_000) });
    expect(body.length).toBeGreaterThan(2 * 1024 * 1024);
    const { status, headers, json } = await postScore(scorer.url, body);
    expect(status).toBe(413);
    expect(headers.get('x-model-version')).toBe('v1');
    expect(json).toEqual({ error: 'payload_too_large', limitBytes: 2 * 1024 * 1024 });
    // The body was drained, so the connection stays usable.
    expect(headers.get('connection')).toBe('keep-alive');
  });

  it('refuses a declared length far beyond the limit before reading a byte of it', async () => {
    const { port } = new URL(scorer.url);
    const socket = connect(Number(port), '127.0.0.1');
    await once(socket, 'connect');
    socket.write('POST /score HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n{"features":');
    let response = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (response += chunk));
    await once(socket, 'end');
    socket.destroy();
    expect(response).toMatch(/^HTTP\/1\.1 413 /);
    expect(response).toMatch(/^Connection: close\r$/im);
    expect(response).toMatch(/^X-Model-Version: v1\r$/im);
    expect(response).toContain('"error":"payload_too_large"');
  });
});

describe('with BATCH_GUARD=false (the broken variant)', () => {
  it('never answers 413, however large the batch', async () => {
    const unguarded = await startServer(testConfig({ batchGuard: false, maxBatch: 64 }), {
      logger: silentLogger,
    });
    try {
      const { status, json } = await postScore(unguarded.url, { features: batch(3_000) });
      expect(status).toBe(200);
      expect(json.predictions).toHaveLength(3_000);
    } finally {
      await unguarded.close();
    }
  });
});

describe('service endpoints', () => {
  it('GET /version names the model, its sha256 and features', async () => {
    const res = await fetch(`${scorer.url}/version`);
    const sha = sha256Hex(readFileSync(join(MODELS_DIR, 'v1', 'model.json')));
    expect(res.headers.get('x-model-version')).toBe('v1');
    expect(await res.json()).toMatchObject({ modelVersion: 'v1', sha256: sha, features: FEATURE_NAMES });
  });

  it('serves another version when configured to', async () => {
    const v2 = await startServer(testConfig({ modelVersion: 'v2' }), { logger: silentLogger });
    try {
      const res = await fetch(`${v2.url}/version`);
      expect(res.headers.get('x-model-version')).toBe('v2');
      expect(((await res.json()) as { sha256: string }).sha256).toBe(
        sha256Hex(readFileSync(join(MODELS_DIR, 'v2', 'model.json'))),
      );
    } finally {
      await v2.close();
    }
  });

  it('probes: /healthz and /readyz are 200 once warmed up; unknown paths 404, wrong methods 405', async () => {
    expect(await (await fetch(`${scorer.url}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${scorer.url}/readyz`)).json()).toEqual({ status: 'ready' });
    const missing = await fetch(`${scorer.url}/nope`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-model-version')).toBe('v1');
    const wrongMethod = await fetch(`${scorer.url}/score`);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
  });

  it('GET /metrics reflects exactly what was served', async () => {
    const fresh = await startServer(testConfig({ featureStoreUrl: featureStore.url }), {
      logger: silentLogger,
    });
    try {
      await postScore(fresh.url, {
        features: [LOW_RISK_ROW, LOW_RISK_ROW, HIGH_RISK_ROW],
        entityId: 'card-0',
      });
      await postScore(fresh.url, { features: [[1]] });
      const text = await scrape(fresh.url);
      expect(metricValue(text, 'ml_predictions_total', '{class="legit"}')).toBe(2);
      expect(metricValue(text, 'ml_predictions_total', '{class="fraud"}')).toBe(1);
      expect(metricValue(text, 'ml_inference_duration_seconds_count')).toBe(1);
      for (const le of ['0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '+Inf']) {
        expect(metricValue(text, 'ml_inference_duration_seconds_bucket', `{le="${le}"}`)).toBe(1);
      }
      expect(metricValue(text, 'http_requests_total', '{route="/score",code="200"}')).toBe(1);
      expect(metricValue(text, 'http_requests_total', '{route="/score",code="400"}')).toBe(1);
      expect(metricValue(text, 'feature_store_breaker_state')).toBe(0);
      expect(metricValue(text, 'feature_store_requests_total', '{outcome="ok"}')).toBe(1);
      expect(text).toContain('# TYPE feature_store_fallbacks_total counter');
      expect(metricValue(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
      expect(text).toContain('nodejs_eventloop_lag_seconds');
    } finally {
      await fresh.close();
    }
  });
});

describe('a client that disconnects mid-upload', () => {
  it('is logged at debug, not as a server error, and leaves the scorer serving', async () => {
    const lines: { level: number; event?: string }[] = [];
    const logger = pino(
      { level: 'debug' },
      { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) },
    );
    const target = await startServer(testConfig(), { logger });
    try {
      const { port } = new URL(target.url);
      const socket = connect(Number(port), '127.0.0.1');
      await once(socket, 'connect');
      socket.write(
        'POST /score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n',
      );
      socket.write('{"features":[[1,2,');
      await sleep(50);
      socket.destroy();
      await sleep(50);

      expect(lines.filter((l) => l.event === 'client_aborted')).toHaveLength(1);
      expect(lines.filter((l) => l.level >= 50)).toEqual([]);
      expect((await postScore(target.url, { features: [LOW_RISK_ROW] })).status).toBe(200);
    } finally {
      await target.close();
    }
  });
});
