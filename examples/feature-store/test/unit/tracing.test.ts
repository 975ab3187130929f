import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createTracing } from '../../../shared/src/tracing.js';
import { configFromEnv } from '../../src/config.js';
import { type RunningFeatureStore, startServer } from '../../src/server.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_SPAN_ID = '00f067aa0ba902b7';
const logger = pino({ level: 'silent' });

let store: RunningFeatureStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

async function tracedStore(env: NodeJS.ProcessEnv) {
  const config = { ...configFromEnv(env), host: '127.0.0.1', port: 0, shutdownDrainMs: 0 };
  const exporter = new InMemorySpanExporter();
  const tracing = await createTracing({
    service: 'feature-store',
    endpoint: config.otlpEndpoint,
    logger,
    exporter,
  });
  store = await startServer(config, { logger, tracing });
  const get = async (path: string): Promise<number> => {
    const res = await fetch(`${store!.url}${path}`, {
      headers: { traceparent: `00-${TRACE_ID}-${PARENT_SPAN_ID}-01` },
    });
    await res.arrayBuffer();
    return res.status;
  };
  return { get, spans: async () => (await tracing.flush(), exporter.getFinishedSpans()) };
}

describe('feature-store traces', () => {
  it("a request is a server span in the caller's trace, with the lookup as its child", async () => {
    const { get, spans } = await tracedStore({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' });
    expect(await get('/features/card-7')).toBe(200);
    expect(await get('/features/bad%2Fid')).toBe(400);

    // In the order they ended: the lookup before its request.
    const [lookup, server, rejected, ...rest] = await spans();
    expect(rest).toEqual([]);
    expect(lookup!.name).toBe('features.lookup');
    expect(lookup!.parentSpanContext?.spanId).toBe(server!.spanContext().spanId);
    expect(lookup!.attributes).toEqual({ 'feature_store.entity_id': 'card-7' });
    expect(server!.name).toBe('GET /features/:entityId');
    expect(server!.kind).toBe(SpanKind.SERVER);
    expect(server!.spanContext().traceId).toBe(TRACE_ID);
    expect(server!.parentSpanContext?.spanId).toBe(PARENT_SPAN_ID);
    expect(server!.attributes).toMatchObject({
      'url.path': '/features/card-7',
      'http.response.status_code': 200,
    });
    // An invalid id is answered without a lookup.
    expect(rejected!.attributes['http.response.status_code']).toBe(400);
  });

  it('records nothing without OTEL_EXPORTER_OTLP_ENDPOINT', async () => {
    const { get, spans } = await tracedStore({});
    expect(await get('/features/card-7')).toBe(200);
    expect(await spans()).toEqual([]);
  });
});
