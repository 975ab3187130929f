import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import { HttpService } from '../../shared/src/http-service.js';
import { type Logger, createLogger } from '../../shared/src/logger.js';
import { type Tracing, createTracing } from '../../shared/src/tracing.js';
import type { FeatureStoreConfig } from './config.js';
import { FEATURE_SET_VERSION, featuresFor } from './entity-features.js';

export interface RunningFeatureStore {
  readonly url: string;
  shutdown(): Promise<void>;
  close(): Promise<void>;
}

const ENTITY_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const FEATURES_PREFIX = '/features/';
const STATIC_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Deliberately has no fault switches: chaos runs slow it down from outside (tc netem on the pod), which is
 * how a real dependency degrades.
 */
export async function startServer(
  config: FeatureStoreConfig,
  /** tracing: default from config.otlpEndpoint; shutdown() flushes it, close() does not. */
  options: { logger?: Logger; tracing?: Tracing } = {},
): Promise<RunningFeatureStore> {
  const logger = options.logger ?? createLogger('feature-store', config.logLevel);
  const tracing =
    options.tracing ??
    (await createTracing({ service: 'feature-store', endpoint: config.otlpEndpoint, logger }));
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const lookups = new Counter({
    name: 'feature_lookups_total',
    help: 'Entity feature lookups served',
    registers: [registry],
  });

  const service: HttpService = new HttpService({
    logger,
    registry,
    shutdownDrainMs: config.shutdownDrainMs,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    defaultHeaders: { 'X-Feature-Set-Version': FEATURE_SET_VERSION },
    tracing,
    routeOf: (_method, pathname) =>
      pathname.startsWith(FEATURES_PREFIX)
        ? '/features/:entityId'
        : STATIC_ROUTES.has(pathname)
          ? pathname
          : 'unmatched',
    handle: async (req, res, route, url, ctx) => {
      if (route === 'unmatched') return service.sendJson(res, 404, { error: 'not_found' });
      if (req.method !== 'GET') {
        res.setHeader('Allow', 'GET');
        return service.sendJson(res, 405, { error: 'method_not_allowed' });
      }
      switch (route) {
        case '/healthz':
          return service.sendJson(res, 200, { status: 'ok' });
        case '/readyz':
          return service.isDraining
            ? service.sendJson(res, 503, { status: 'draining' })
            : service.sendJson(res, 200, { status: 'ready' });
        case '/metrics':
          return service.send(res, 200, await registry.metrics(), registry.contentType);
      }
      let entityId: string;
      try {
        entityId = decodeURIComponent(url.pathname.slice(FEATURES_PREFIX.length));
      } catch {
        entityId = '';
      }
      if (!ENTITY_ID.test(entityId)) {
        return service.sendJson(res, 400, {
          error: 'invalid_entity_id',
          message: 'entity ids are 1-128 letters, digits or . _ : -',
        });
      }
      lookups.inc();
      const lookup = tracing.tracer.startSpan(
        'features.lookup',
        { attributes: { 'feature_store.entity_id': entityId } },
        ctx,
      );
      const features = featuresFor(entityId);
      lookup.end();
      return service.sendJson(res, 200, { entityId, featureSetVersion: FEATURE_SET_VERSION, features });
    },
  });

  const url = await service.listen(config.port, config.host);
  logger.info({ event: 'ready', url }, 'feature-store ready');
  return {
    url,
    shutdown: async () => {
      await service.shutdown();
      await tracing.shutdown();
    },
    close: () => service.close(),
  };
}
