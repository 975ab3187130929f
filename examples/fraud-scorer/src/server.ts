import type { IncomingMessage, ServerResponse } from 'node:http';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { type Context, trace } from '@opentelemetry/api';
import { DISCARD_FACTOR, PayloadTooLargeError, readBody } from '../../shared/src/body.js';
import { HttpService } from '../../shared/src/http-service.js';
import { type Logger, createLogger } from '../../shared/src/logger.js';
import { type Tracing, createTracing } from '../../shared/src/tracing.js';
import type { ScorerConfig } from './config.js';
import { type Enrichment, FeatureStoreClient, FeatureStoreError } from './feature-store-client.js';
import { CLASS_LABELS, FEATURE_NAMES, MERCHANT_RISK_INDEX } from './features.js';
import { createScorerMetrics } from './metrics.js';
import { type LogisticModel, ModelLoadError, loadModel } from './model.js';
import { ScoreRequestSchema, toFieldErrors } from './schema.js';
import { mulberry32, sampleTransaction } from './synthetic.js';

export interface RunningScorer {
  readonly url: string;
  readonly modelVersion: string;
  /** SIGTERM behaviour: unready at once, serve through the drain window, then finish in-flight and stop. */
  shutdown(): Promise<void>;
  /** Stop now, cutting open connections (tests, second signal). */
  close(): Promise<void>;
}

export interface StartOptions {
  readonly logger?: Logger;
  /** Default: from config.otlpEndpoint. shutdown() flushes it; close(), which waits for nothing, does not. */
  readonly tracing?: Tracing;
}

const ROUTES = new Map<string, string>([
  ['/score', 'POST'],
  ['/healthz', 'GET'],
  ['/readyz', 'GET'],
  ['/version', 'GET'],
  ['/metrics', 'GET'],
]);

/**
 * Loads and verifies the model before the socket opens: a pod whose model cannot load never accepts a
 * connection, and the caller (main.ts) turns the ModelLoadError into one log line and exit code 1.
 */
export async function startServer(config: ScorerConfig, options: StartOptions = {}): Promise<RunningScorer> {
  const logger = options.logger ?? createLogger('fraud-scorer', config.logLevel);
  const { model, metadata, modelPath } = loadModel(config.modelDir, config.modelVersion);
  const metrics = createScorerMetrics();
  metrics.modelInfo.set({ version: model.version, sha256: model.sha256 }, 1);
  const tracing =
    options.tracing ??
    (await createTracing({ service: 'fraud-scorer', endpoint: config.otlpEndpoint, logger }));

  const featureStore = config.featureStoreUrl
    ? new FeatureStoreClient(
        {
          baseUrl: config.featureStoreUrl,
          timeoutMs: config.featureStoreTimeoutMs,
          breakerEnabled: config.breakerEnabled,
          breakerResetMs: config.breakerResetMs,
          breakerErrorPercent: config.breakerErrorPercent,
          breakerVolumeThreshold: config.breakerVolumeThreshold,
          cacheSize: config.featureCacheSize,
          cacheTtlMs: config.featureCacheTtlMs,
        },
        metrics,
        logger,
        tracing,
      )
    : undefined;

  let ready = false;
  const service: HttpService = new HttpService({
    logger,
    registry: metrics.registry,
    shutdownDrainMs: config.shutdownDrainMs,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    defaultHeaders: { 'X-Model-Version': model.version },
    tracing,
    routeOf: (_method, pathname) => (ROUTES.has(pathname) ? pathname : 'unmatched'),
    handle: async (req, res, route, _url, ctx) => {
      const method = ROUTES.get(route);
      if (method === undefined) return service.sendJson(res, 404, { error: 'not_found' });
      if (req.method !== method) {
        res.setHeader('Allow', method);
        return service.sendJson(res, 405, { error: 'method_not_allowed' });
      }
      switch (route) {
        case '/healthz':
          return service.sendJson(res, 200, { status: 'ok' });
        case '/readyz':
          if (service.isDraining) return service.sendJson(res, 503, { status: 'draining' });
          return service.sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'warming_up' });
        case '/version':
          return service.sendJson(res, 200, {
            modelVersion: model.version,
            sha256: model.sha256,
            features: FEATURE_NAMES,
            classLabels: CLASS_LABELS,
            trainingAccuracy: metadata.trainingAccuracy,
          });
        case '/metrics':
          return service.send(res, 200, await metrics.registry.metrics(), metrics.registry.contentType);
        case '/score':
          return score(req, res, ctx);
      }
    },
  });

  async function score(req: IncomingMessage, res: ServerResponse, ctx: Context): Promise<void> {
    // Like real model servers: until warm-up is done, inference is refused, not queued behind it. Only a
    // readiness probe keeps traffic away from a pod in this state.
    if (!ready) {
      res.setHeader('Retry-After', '1');
      return service.sendJson(res, 503, { error: 'model_warming_up' });
    }
    const bodyLimit = config.batchGuard ? config.maxBodyBytes : undefined;
    const payloadTooLarge = (bodyConsumed: boolean): void => {
      // An upload abandoned part-way leaves unread bytes on the socket: it cannot carry another request.
      if (!bodyConsumed) res.setHeader('Connection', 'close');
      service.sendJson(res, 413, { error: 'payload_too_large', limitBytes: bodyLimit });
    };

    // A declared length far past the limit is refused without reading; a moderately oversized body is
    // drained first (unbuffered) so the client gets its 413 instead of a reset mid-upload.
    if (bodyLimit !== undefined && Number(req.headers['content-length']) > bodyLimit * DISCARD_FACTOR) {
      return payloadTooLarge(false);
    }
    let body: Buffer;
    try {
      body = await readBody(req, bodyLimit);
    } catch (err) {
      if (err instanceof PayloadTooLargeError) return payloadTooLarge(err.bodyConsumed);
      throw err;
    }

    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (err) {
      return service.sendJson(res, 400, { error: 'invalid_json', message: (err as Error).message });
    }
    // Counted before validation, so an oversized batch costs one JSON.parse and nothing per row.
    const rows = rowCount(json);
    if (config.batchGuard && rows > config.maxBatch) {
      return service.sendJson(res, 413, { error: 'batch_too_large', maxBatch: config.maxBatch, rows });
    }

    const parsed = ScoreRequestSchema.safeParse(json);
    if (!parsed.success) {
      return service.sendJson(res, 400, {
        error: 'invalid_request',
        issueCount: parsed.error.issues.length,
        issues: toFieldErrors(parsed.error),
      });
    }
    const { features } = parsed.data;
    const entityId = parsed.data.entityId ?? deriveEntityId(features[0]!);

    let enrichment: Enrichment = { source: 'disabled' };
    if (featureStore) {
      try {
        enrichment = await featureStore.enrich(entityId, ctx);
      } catch (err) {
        if (!(err instanceof FeatureStoreError)) throw err;
        logger.debug({ event: 'feature_store_failed', kind: err.kind, entityId }, err.message);
        trace.getSpan(ctx)?.recordException(err);
        return service.sendJson(res, err.kind === 'timeout' ? 504 : 502, {
          error: 'feature_store_unavailable',
          message: err.message,
        });
      }
    }

    const inference = tracing.tracer.startSpan(
      'model.predict',
      { attributes: { 'ml.model.version': model.version, 'ml.batch_size': features.length } },
      ctx,
    );
    const stopTimer = metrics.inferenceDuration.startTimer();
    const predictions = features.map((row) => model.predict(enrich(row, enrichment)));
    stopTimer();
    inference.end();
    metrics.batchSize.observe(features.length);
    for (const p of predictions) metrics.predictions.inc({ class: p.label });

    service.sendJson(res, 200, {
      modelVersion: model.version,
      predictions,
      enrichment: { entityId, ...enrichment },
    });
  }

  const url = await service.listen(config.port, config.host);
  try {
    await warmUp(model, config.warmupPredictions);
    // Best effort and not a readiness condition: a feature-store outage must degrade scoring, not take
    // every scorer out of the Service. It only pays fetch's one-time setup before real traffic does.
    await featureStore?.warmUp();
  } catch (err) {
    featureStore?.shutdown();
    await service.close();
    throw new ModelLoadError('warmup_failed', modelPath, model.version, (err as Error).message);
  }
  ready = true;
  logger.info(
    {
      event: 'ready',
      url,
      modelVersion: model.version,
      sha256: model.sha256,
      warmupPredictions: config.warmupPredictions,
      featureStore: config.featureStoreUrl ?? null,
      breakerEnabled: config.breakerEnabled,
      featureCacheSize: config.featureCacheSize,
      featureCacheTtlMs: config.featureCacheTtlMs,
      batchGuard: config.batchGuard,
    },
    'fraud-scorer ready',
  );

  return {
    url,
    modelVersion: model.version,
    shutdown: async () => {
      await service.shutdown();
      featureStore?.shutdown();
      await tracing.shutdown();
    },
    close: async () => {
      featureStore?.shutdown();
      await service.close();
    },
  };
}

function rowCount(json: unknown): number {
  if (typeof json !== 'object' || json === null) return 0;
  const features = (json as { features?: unknown }).features;
  return Array.isArray(features) ? features.length : 0;
}

/**
 * The store knows a merchant's current risk better than the client's cached copy: its value wins, and so
 * does its last known value while it cannot be reached.
 */
function enrich(row: readonly number[], enrichment: Enrichment): readonly number[] {
  if (enrichment.source !== 'feature_store' && enrichment.source !== 'last_known') return row;
  const copy = row.slice();
  copy[MERCHANT_RISK_INDEX] = enrichment.features.merchant_risk;
  return copy;
}

/** Requests without an entityId still get enriched, keyed by their first row, so the dependency is always on the hot path. */
function deriveEntityId(row: readonly number[]): string {
  let hash = 0x811c9dc5;
  for (const ch of row.join(',')) {
    hash ^= ch.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193);
  }
  return `derived-${(hash >>> 0).toString(16).padStart(8, '0')}`;
}

const WARMUP_SEED = 20_240_601;
const WARMUP_CHUNK = 50;

/**
 * Real predictions on realistic rows before readiness, so the first user request does not pay for JIT
 * compilation, and a model that yields NaN is caught here instead of in production.
 */
async function warmUp(model: LogisticModel, count: number): Promise<void> {
  const rng = mulberry32(WARMUP_SEED);
  for (let done = 0; done < count;) {
    const end = Math.min(count, done + WARMUP_CHUNK);
    for (; done < end; done++) {
      const { fraudProbability } = model.predict(sampleTransaction(rng));
      if (!Number.isFinite(fraudProbability) || fraudProbability < 0 || fraudProbability > 1) {
        throw new Error(`warm-up prediction ${done} returned ${fraudProbability}`);
      }
    }
    // Liveness probes keep being answered during a long warm-up.
    await yieldToEventLoop();
  }
}
