import { once } from 'node:events';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/model.js';
import {
  type ControllableFeatureStore,
  LOW_RISK_ROW,
  MODELS_DIR,
  type SpawnedScorer,
  TRAINED_VERSIONS,
  batch,
  metricValue,
  postScore,
  scrape,
  spawnScorer,
  startControllableFeatureStore,
} from '../helpers.js';

// Each test spawns the real entry point (src/main.ts) as a separate process, as Kubernetes would.
const spawned: SpawnedScorer[] = [];
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const s of spawned.splice(0)) if (s.child.exitCode === null) s.child.kill('SIGKILL');
  for (const c of cleanups.splice(0)) await c();
});

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

function start(env: Record<string, string>): SpawnedScorer {
  const s = spawnScorer(env);
  spawned.push(s);
  return s;
}

describe('start-up failures: one error line, exit code 1', () => {
  it('a model version that does not exist', async () => {
    const scorer = start({ MODEL_VERSION: 'v9' });
    expect(await scorer.exited).toBe(1);
    expect(scorer.logs).toHaveLength(1);
    expect(scorer.logs[0]).toMatchObject({
      level: 'error',
      service: 'fraud-scorer',
      event: 'model_load_failed',
      reason: 'artifact_missing',
      path: join(MODELS_DIR, 'v9'),
      modelVersion: 'v9',
      availableVersions: TRAINED_VERSIONS,
    });
    expect(scorer.logs[0]!.msg).toContain('v9');
    expect(scorer.stderr()).toBe('');
  });

  it('a model.json that does not match its recorded sha256', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fraud-models-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    cpSync(MODELS_DIR, dir, { recursive: true });
    const modelPath = join(dir, 'v2', 'model.json');
    const original = readFileSync(modelPath, 'utf8');
    writeFileSync(modelPath, original.replace('"threshold": 0.5', '"threshold": 0.05'));

    const scorer = start({ MODEL_DIR: dir, MODEL_VERSION: 'v2' });
    expect(await scorer.exited).toBe(1);
    expect(scorer.logs).toHaveLength(1);
    expect(scorer.logs[0]).toMatchObject({
      level: 'error',
      event: 'model_load_failed',
      reason: 'sha256_mismatch',
      path: modelPath,
      modelVersion: 'v2',
      expectedSha256: sha256Hex(original),
      actualSha256: sha256Hex(readFileSync(modelPath)),
    });
  });

  it('a configuration value it cannot interpret', async () => {
    const scorer = start({ BREAKER_ENABLED: 'maybe' });
    expect(await scorer.exited).toBe(1);
    expect(scorer.logs).toHaveLength(1);
    expect(scorer.logs[0]).toMatchObject({ level: 'error', event: 'invalid_config' });
    expect(String(scorer.logs[0]!.msg)).toContain('BREAKER_ENABLED');
  });
});

describe('start-up', () => {
  it('is live but not ready while the warm-up predictions run', async () => {
    const port = await freePort();
    const scorer = start({ PORT: String(port), WARMUP_PREDICTIONS: '150000' });
    const url = `http://127.0.0.1:${port}`;
    let health: Response | undefined;
    while (!health) health = await fetch(`${url}/healthz`).catch(() => sleep(20).then(() => undefined));
    expect(health.status).toBe(200);

    const readyz = await fetch(`${url}/readyz`);
    expect(readyz.status).toBe(503);
    expect(await readyz.json()).toEqual({ status: 'warming_up' });

    expect(await scorer.ready).toBe(url);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
  });
});

describe('SIGTERM', () => {
  let store: ControllableFeatureStore;

  it('turns unready, drains, finishes the in-flight request, refuses new connections and exits 0', async () => {
    store = await startControllableFeatureStore(1_500);
    cleanups.push(() => store.close());
    const DRAIN_MS = 600;
    // No breaker: the scorer waits for the slow store, which gives a long in-flight request.
    const scorer = start({
      FEATURE_STORE_URL: store.url,
      BREAKER_ENABLED: 'false',
      SHUTDOWN_DRAIN_MS: String(DRAIN_MS),
    });
    const url = await scorer.ready;

    let settled = false;
    const slow = postScore(url, { features: [LOW_RISK_ROW], entityId: 'card-slow' }).finally(
      () => (settled = true),
    );
    while (store.hits === 0) await sleep(10);
    store.delayMs = 0;

    scorer.child.kill('SIGTERM');
    await sleep(100);
    const readyz = await fetch(`${url}/readyz`);
    expect(readyz.status).toBe(503);
    expect(await readyz.json()).toEqual({ status: 'draining' });
    expect(readyz.headers.get('connection')).toBe('close');

    // Inside the drain window traffic that still arrives is served (endpoints may not have caught up yet).
    const late = await postScore(url, { features: [LOW_RISK_ROW] });
    expect(late.status).toBe(200);
    expect(late.headers.get('connection')).toBe('close');

    await sleep(DRAIN_MS + 100);
    const refused = await fetch(`${url}/healthz`).then(
      () => 'connected',
      (err: Error & { cause?: { code?: string } }) => err.cause?.code,
    );
    expect(refused).toBe('ECONNREFUSED');
    expect(settled).toBe(false);

    const done = await slow;
    expect(done.status).toBe(200);
    expect(done.json.enrichment).toMatchObject({ source: 'feature_store', entityId: 'card-slow' });
    expect(await scorer.exited).toBe(0);
    expect(scorer.logs.map((l) => l.event)).toEqual(
      expect.arrayContaining(['ready', 'signal', 'drain_started', 'drain_finished', 'stopped']),
    );
  });
});

describe('oversized requests', () => {
  it('are refused with 413 without the process growing', async () => {
    const scorer = start({ MAX_BATCH: '256' });
    const url = await scorer.ready;
    const tooManyRows = JSON.stringify({ features: batch(2_000) });
    const tooManyBytes = JSON.stringify({ features: batch(100_000) });

    const round = async (batches: number, bodies: number): Promise<void> => {
      const statuses: number[] = [];
      for (let i = 0; i < batches; i += 10) {
        const group = Array.from({ length: 10 }, () => postScore(url, tooManyRows).then((r) => r.status));
        statuses.push(...(await Promise.all(group)));
      }
      for (let i = 0; i < bodies; i++) statuses.push((await postScore(url, tooManyBytes)).status);
      expect(new Set(statuses)).toEqual(new Set([413]));
    };
    const memory = async (): Promise<{ rss: number; heap: number }> => {
      const text = await scrape(url);
      return {
        rss: metricValue(text, 'process_resident_memory_bytes')!,
        heap: metricValue(text, 'nodejs_heap_size_used_bytes')!,
      };
    };

    // A first round reaches steady state (JIT, buffers, sockets); the second must not add to it.
    await round(100, 10);
    const before = await memory();
    await round(600, 40);
    const after = await memory();
    const MiB = 1024 * 1024;
    expect(after.rss - before.rss).toBeLessThan(32 * MiB);
    expect(after.heap - before.heap).toBeLessThan(16 * MiB);
    // And the scorer still serves normal traffic.
    expect((await postScore(url, { features: batch(256) })).status).toBe(200);
  });
});
