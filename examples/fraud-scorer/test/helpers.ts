import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { RECIPES } from '../../../scripts/train-model.js';
import { featuresFor } from '../../feature-store/src/entity-features.js';
import { type ScorerConfig, configFromEnv } from '../src/config.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const MODELS_DIR = fileURLToPath(new URL('../../../models/fraud', import.meta.url));
/** Every version scripts/train-model.ts writes, as the scorer lists them (sorted). */
export const TRAINED_VERSIONS: readonly string[] = RECIPES.map((r) => r.version).sort();
export const SCORER_MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

export const silentLogger = pino({ level: 'silent' });

/** A config for an in-process scorer on an ephemeral loopback port. */
export function testConfig(overrides: Partial<ScorerConfig> = {}): ScorerConfig {
  return {
    ...configFromEnv({}),
    port: 0,
    host: '127.0.0.1',
    modelDir: MODELS_DIR,
    warmupPredictions: 20,
    shutdownDrainMs: 0,
    ...overrides,
  };
}

/** A realistic, valid row: [amount, hour, merchant_risk, distance_km, txn_count_24h, account_age_days, foreign, device_change]. */
export const LOW_RISK_ROW = [24.5, 14, 0.05, 3.2, 2, 1500, 0, 0];
export const HIGH_RISK_ROW = [980, 3, 0.9, 4200, 25, 3, 1, 1];

export function batch(rows: number, row: readonly number[] = LOW_RISK_ROW): number[][] {
  return Array.from({ length: rows }, () => [...row]);
}

export async function postScore(
  url: string,
  body: unknown,
): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const res = await fetch(`${url}/score`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
}

/** Parses Prometheus text for one sample; labels must match exactly as rendered (e.g. `{class="fraud"}`). */
export function metricValue(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

export async function scrape(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  return res.text();
}

/**
 * A real feature store on loopback whose latency and health the test controls, standing in for tc netem
 * on the real one. Answers with the same features as examples/feature-store.
 */
export interface ControllableFeatureStore {
  readonly url: string;
  delayMs: number;
  failWith: number | undefined;
  hits: number;
  close(): Promise<void>;
}

export async function startControllableFeatureStore(delayMs = 0): Promise<ControllableFeatureStore> {
  const pending = new Set<NodeJS.Timeout>();
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const entityId = decodeURIComponent((req.url ?? '').replace(/^\/features\//, ''));
    if (!req.url?.startsWith('/features/')) {
      res.writeHead(200).end('{"status":"ok"}');
      return;
    }
    store.hits++;
    const status = store.failWith;
    const timer = setTimeout(() => {
      pending.delete(timer);
      if (status !== undefined) {
        res.writeHead(status).end('{"error":"injected"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ entityId, features: featuresFor(entityId) }));
    }, store.delayMs);
    pending.add(timer);
  };
  const server = createServer(handle);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const store: ControllableFeatureStore = {
    url: `http://127.0.0.1:${port}`,
    delayMs,
    failWith: undefined,
    hits: 0,
    close: async () => {
      for (const t of pending) clearTimeout(t);
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
  return store;
}

export interface SpawnedScorer {
  readonly child: ChildProcess;
  /** stdout lines parsed as JSON, in arrival order. */
  readonly logs: Record<string, unknown>[];
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
  /** Resolves with the listen URL from the `ready` log line. */
  readonly ready: Promise<string>;
}

/** Runs the real entry point (src/main.ts) as its own process, configured only through env, like a pod. */
export function spawnScorer(env: Record<string, string>): SpawnedScorer {
  const child = spawn(process.execPath, ['--import', 'tsx', SCORER_MAIN], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0', MODEL_DIR: MODELS_DIR, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  let buffered = '';
  let onReady: (url: string) => void = () => undefined;
  let onEarlyExit: (err: Error) => void = () => undefined;
  const ready = new Promise<string>((resolve, reject) => {
    onReady = resolve;
    onEarlyExit = reject;
  });
  // Tests that expect a failed start never await `ready`; its rejection must not count as unhandled.
  ready.catch(() => undefined);
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const entry = JSON.parse(line) as Record<string, unknown>;
      logs.push(entry);
      if (entry.event === 'ready') onReady(String(entry.url));
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      onEarlyExit(new Error(`scorer exited with ${code} before it was ready; stderr: ${stderr}`));
      resolve(code);
    }),
  );
  return { child, logs, stderr: () => stderr, exited, ready };
}
