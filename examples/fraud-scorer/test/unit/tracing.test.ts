import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { type Tracing, createTracing } from '../../../shared/src/tracing.js';
import { configFromEnv as featureStoreConfigFromEnv } from '../../../feature-store/src/config.js';
import { startServer as startFeatureStore } from '../../../feature-store/src/server.js';
import { ATTR_FALLBACK, ATTR_OUTCOME, BREAKER_EVENT, LOOKUP_SPAN } from '../../src/feature-store-client.js';
import { startServer } from '../../src/server.js';
import {
  type ControllableFeatureStore,
  LOW_RISK_ROW,
  silentLogger,
  startControllableFeatureStore,
  testConfig,
} from '../helpers.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_SPAN_ID = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_SPAN_ID}-01`;
/** Where the spans would go; never contacted, the tests' exporters stand in for the OTLP one. */
const ENDPOINT = 'http://127.0.0.1:9';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function traced(
  service: string,
  endpoint: string | undefined,
): Promise<[Tracing, InMemorySpanExporter]> {
  const exporter = new InMemorySpanExporter();
  return [await createTracing({ service, endpoint, logger: silentLogger, exporter }), exporter];
}

async function score(
  url: string,
  entityId: string,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${url}/score`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', traceparent: TRACEPARENT },
    body: JSON.stringify({ features: [LOW_RISK_ROW, LOW_RISK_ROW], entityId }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function finished(tracing: Tracing, exporter: InMemorySpanExporter): Promise<ReadableSpan[]> {
  await tracing.flush();
  return exporter.getFinishedSpans();
}

const named = (spans: ReadableSpan[], name: string): ReadableSpan[] => spans.filter((s) => s.name === name);

async function startScorer(
  tracing: Tracing,
  featureStoreUrl: string,
  overrides: Parameters<typeof testConfig>[0] = {},
): Promise<string> {
  const scorer = await startServer(testConfig({ featureStoreUrl, ...overrides }), {
    logger: silentLogger,
    tracing,
  });
  cleanups.push(() => scorer.close());
  return scorer.url;
}

/** The real feature store on loopback, traced into memory. */
async function tracedStore() {
  const [storeTracing, storeExporter] = await traced('feature-store', ENDPOINT);
  const store = await startFeatureStore(
    { ...featureStoreConfigFromEnv({}), host: '127.0.0.1', port: 0, shutdownDrainMs: 0 },
    { logger: silentLogger, tracing: storeTracing },
  );
  cleanups.push(() => store.close());
  return { store, storeTracing, storeExporter };
}

describe('fraud-scorer traces', () => {
  it('one trace from the caller through the scorer into the feature store', async () => {
    const { store, storeTracing, storeExporter } = await tracedStore();
    const [tracing, exporter] = await traced('fraud-scorer', ENDPOINT);
    // Generous, so a busy test machine cannot turn the hit into a timeout.
    const url = await startScorer(tracing, store.url, { featureStoreTimeoutMs: 2_000 });

    expect((await score(url, 'card-1')).status).toBe(200);
    const spans = await finished(tracing, exporter);
    const storeSpans = await finished(storeTracing, storeExporter);

    const [server] = named(spans, 'POST /score');
    expect(server!.kind).toBe(SpanKind.SERVER);
    expect(server!.spanContext().traceId).toBe(TRACE_ID);
    expect(server!.parentSpanContext?.spanId).toBe(PARENT_SPAN_ID);
    const serverSpanId = server!.spanContext().spanId;

    const [lookup] = named(spans, LOOKUP_SPAN);
    expect(lookup!.kind).toBe(SpanKind.CLIENT);
    expect(lookup!.parentSpanContext?.spanId).toBe(serverSpanId);
    expect(lookup!.attributes).toMatchObject({
      [ATTR_OUTCOME]: 'hit',
      'feature_store.entity_count': 1,
      'feature_store.timeout_ms': 2_000,
      'http.response.status_code': 200,
    });
    expect(lookup!.attributes[ATTR_FALLBACK]).toBeUndefined();
    expect(lookup!.events.map((e) => [e.name, e.attributes])).toEqual([
      [BREAKER_EVENT, { 'breaker.state': 'closed', 'breaker.fallback': false }],
    ]);

    const [predict] = named(spans, 'model.predict');
    expect(predict!.parentSpanContext?.spanId).toBe(serverSpanId);
    expect(predict!.attributes).toEqual({ 'ml.model.version': 'v1', 'ml.batch_size': 2 });

    // The lookup's request carried its traceparent: the store's server span is the lookup span's child.
    const [storeServer] = named(storeSpans, 'GET /features/:entityId');
    expect(storeServer!.spanContext().traceId).toBe(TRACE_ID);
    expect(storeServer!.parentSpanContext).toMatchObject({
      spanId: lookup!.spanContext().spanId,
      isRemote: true,
    });
    const [storeLookup] = named(storeSpans, 'features.lookup');
    expect(storeLookup!.parentSpanContext?.spanId).toBe(storeServer!.spanContext().spanId);
    expect(storeLookup!.attributes).toEqual({ 'feature_store.entity_id': 'card-1' });
    expect(spans.every((s) => s.resource.attributes['service.name'] === 'fraud-scorer')).toBe(true);
    expect(storeSpans.every((s) => s.resource.attributes['service.name'] === 'feature-store')).toBe(true);
  });

  describe('lookup outcomes', () => {
    let store: ControllableFeatureStore;

    it('records a timeout as an error with its fallback, then the open breaker that skips the call', async () => {
      store = await startControllableFeatureStore();
      cleanups.push(() => store.close());
      const [tracing, exporter] = await traced('fraud-scorer', ENDPOINT);
      const url = await startScorer(tracing, store.url, {
        featureStoreTimeoutMs: 250,
        breakerVolumeThreshold: 2,
        breakerErrorPercent: 50,
        breakerResetMs: 60_000,
      });

      expect((await score(url, 'card-1')).status).toBe(200); // remembered for later fallbacks
      store.delayMs = 1_000;
      const slow = [await score(url, 'card-1'), await score(url, 'card-2'), await score(url, 'card-1')];
      expect(slow.map((r) => r.status)).toEqual([200, 200, 200]);
      expect(slow.map((r) => (r.json.enrichment as { source: string }).source)).toEqual([
        'last_known',
        'request_only',
        'last_known',
      ]);

      const lookups = named(await finished(tracing, exporter), LOOKUP_SPAN).sort(
        (a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1],
      );
      expect(lookups.map((s) => [s.attributes[ATTR_OUTCOME], s.attributes[ATTR_FALLBACK]])).toEqual([
        ['hit', undefined],
        ['timeout', 'last_known'],
        ['timeout', 'request_only'],
        ['breaker_open', 'last_known'],
      ]);
      expect(lookups.map((s) => s.events.find((e) => e.name === BREAKER_EVENT)?.attributes)).toEqual([
        { 'breaker.state': 'closed', 'breaker.fallback': false },
        { 'breaker.state': 'closed', 'breaker.fallback': true },
        { 'breaker.state': 'closed', 'breaker.fallback': true },
        { 'breaker.state': 'open', 'breaker.fallback': true },
      ]);
      const [, timedOut, , rejected] = lookups;
      expect(timedOut!.status).toEqual({
        code: SpanStatusCode.ERROR,
        message: 'feature store did not answer within 250 ms',
      });
      expect(timedOut!.events.map((e) => e.name)).toContain('exception');
      // The breaker doing its job is not a failed call.
      expect(rejected!.status.code).toBe(SpanStatusCode.UNSET);
    });

    it('without the breaker, a failed lookup fails the request: both spans are errors', async () => {
      store = await startControllableFeatureStore();
      cleanups.push(() => store.close());
      store.failWith = 503;
      const [tracing, exporter] = await traced('fraud-scorer', ENDPOINT);
      const url = await startScorer(tracing, store.url, { breakerEnabled: false });

      expect((await score(url, 'card-1')).status).toBe(502);
      const spans = await finished(tracing, exporter);
      const [lookup] = named(spans, LOOKUP_SPAN);
      expect(lookup!.attributes).toMatchObject({
        [ATTR_OUTCOME]: 'error',
        'feature_store.timeout_ms': 5_000,
        'http.response.status_code': 503,
      });
      expect(lookup!.status.code).toBe(SpanStatusCode.ERROR);
      expect(lookup!.events.map((e) => e.name)).toEqual(['exception']);
      const [server] = named(spans, 'POST /score');
      expect(server!.status.code).toBe(SpanStatusCode.ERROR);
      expect(server!.attributes['http.response.status_code']).toBe(502);
      expect(server!.events.map((e) => e.name)).toEqual(['exception']);
      expect(named(spans, 'model.predict')).toEqual([]);
    });
  });

  it('records, exports and propagates nothing without OTEL_EXPORTER_OTLP_ENDPOINT', async () => {
    const { store, storeTracing, storeExporter } = await tracedStore();
    const endpoint = testConfig().otlpEndpoint;
    expect(endpoint).toBeUndefined();
    const [tracing, exporter] = await traced('fraud-scorer', endpoint);
    const url = await startScorer(tracing, store.url, { featureStoreTimeoutMs: 2_000 });

    expect((await score(url, 'card-1')).status).toBe(200);
    expect(await finished(tracing, exporter)).toEqual([]);
    // The store is traced, but the caller's sampled traceparent never reached it: it traces nothing.
    expect(await finished(storeTracing, storeExporter)).toEqual([]);
  });
});
