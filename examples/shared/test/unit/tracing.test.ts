import { once } from 'node:events';
import { type IncomingMessage, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpService } from '../../src/http-service.js';
import { createLogger } from '../../src/logger.js';
import { type Tracing, createTracing } from '../../src/tracing.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_SPAN_ID = '00f067aa0ba902b7';
const sampled = `00-${TRACE_ID}-${PARENT_SPAN_ID}-01`;
const silent = pino({ level: 'silent' });

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** An HttpService answering `/things/<status>` with that status; everything else is a probe answering 200. */
async function serve(tracing: Tracing): Promise<string> {
  const service: HttpService = new HttpService({
    logger: silent,
    registry: new Registry(),
    shutdownDrainMs: 0,
    shutdownTimeoutMs: 0,
    tracing,
    routeOf: (_method, pathname) => (pathname.startsWith('/things/') ? '/things/:status' : pathname),
    handle: (_req, res, route, url) => {
      if (route !== '/things/:status') return service.sendJson(res, 200, { status: 'ok' });
      if (url.pathname.endsWith('/throw')) throw new Error('handler bug');
      service.sendJson(res, Number(url.pathname.slice('/things/'.length)), {});
    },
  });
  const url = await service.listen(0, '127.0.0.1');
  cleanups.push(() => service.close());
  return url;
}

async function get(url: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(url, { headers });
  await res.arrayBuffer();
  return res.status;
}

/** A served service with tracing on, its spans kept in memory. */
async function tracedService(): Promise<{ exporter: InMemorySpanExporter; tracing: Tracing; url: string }> {
  const exporter = new InMemorySpanExporter();
  const tracing = await createTracing({
    service: 'svc',
    endpoint: 'http://127.0.0.1:9',
    logger: silent,
    exporter,
  });
  return { exporter, tracing, url: await serve(tracing) };
}

describe('server spans', () => {
  it('continue the trace an incoming traceparent names, one SERVER span per request', async () => {
    const { exporter, tracing, url } = await tracedService();

    expect(await get(`${url}/things/201`, { traceparent: sampled, tracestate: 'vendor=1' })).toBe(201);
    await tracing.flush();

    const [span, ...rest] = exporter.getFinishedSpans();
    expect(rest).toEqual([]);
    expect(span!.name).toBe('GET /things/:status');
    expect(span!.kind).toBe(SpanKind.SERVER);
    expect(span!.spanContext().traceId).toBe(TRACE_ID);
    expect(span!.parentSpanContext).toMatchObject({
      traceId: TRACE_ID,
      spanId: PARENT_SPAN_ID,
      isRemote: true,
    });
    expect(span!.parentSpanContext?.traceState?.get('vendor')).toBe('1');
    expect(span!.attributes).toEqual({
      'http.request.method': 'GET',
      'http.route': '/things/:status',
      'url.path': '/things/201',
      'http.response.status_code': 201,
    });
    expect(span!.status.code).toBe(SpanStatusCode.UNSET);
    expect(span!.resource.attributes['service.name']).toBe('svc');
  });

  it('mark 5xx and unhandled errors as errors, 4xx not', async () => {
    const { exporter, tracing, url } = await tracedService();

    for (const path of ['404', '503', 'throw']) await get(`${url}/things/${path}`, { traceparent: sampled });
    await tracing.flush();

    const byPath = new Map(exporter.getFinishedSpans().map((s) => [s.attributes['url.path'], s]));
    expect(byPath.get('/things/404')?.status.code).toBe(SpanStatusCode.UNSET);
    expect(byPath.get('/things/503')?.status.code).toBe(SpanStatusCode.ERROR);
    const thrown = byPath.get('/things/throw');
    expect(thrown?.status.code).toBe(SpanStatusCode.ERROR);
    expect(thrown?.attributes['http.response.status_code']).toBe(500);
    expect(thrown?.events.map((e) => [e.name, e.attributes?.['exception.message']])).toEqual([
      ['exception', 'handler bug'],
    ]);
  });

  it('trace only what the caller samples: no trace without a traceparent or with an unsampled one, none for probes', async () => {
    const { exporter, tracing, url } = await tracedService();

    await get(`${url}/things/200`);
    await get(`${url}/things/200`, { traceparent: `00-${TRACE_ID}-${PARENT_SPAN_ID}-00` });
    for (const probe of ['/healthz', '/readyz', '/metrics'])
      await get(`${url}${probe}`, { traceparent: sampled });
    await get(`${url}/things/200`, { traceparent: sampled });
    await tracing.flush();

    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(1);
    expect(spans[0]!.spanContext().traceId).toBe(TRACE_ID);
  });
});

describe('createTracing', () => {
  it('records and exports nothing without OTEL_EXPORTER_OTLP_ENDPOINT', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = await createTracing({ service: 'svc', endpoint: undefined, logger: silent, exporter });
    expect(tracing.enabled).toBe(false);
    const url = await serve(tracing);

    expect(await get(`${url}/things/200`, { traceparent: sampled })).toBe(200);
    await tracing.flush();
    await tracing.shutdown();

    expect(exporter.getFinishedSpans()).toEqual([]);
    const headers: Record<string, string> = {};
    tracing.inject(tracing.extract({ traceparent: sampled }), headers);
    expect(headers).toEqual({});
  });

  it('sends OTLP protobuf to <endpoint>/v1/traces; a collector refusing it fails no request and is logged once', async () => {
    const received: { url: string | undefined; type: string | undefined; bytes: number }[] = [];
    const sink = createServer((req: IncomingMessage, res) => {
      let bytes = 0;
      req.on('data', (chunk: Buffer) => (bytes += chunk.length));
      req.on('end', () => {
        received.push({ url: req.url, type: req.headers['content-type'], bytes });
        res.writeHead(400).end(); // not retryable: each export fails at once
      });
    });
    sink.listen(0, '127.0.0.1');
    await once(sink, 'listening');
    cleanups.push(async () => {
      sink.closeAllConnections();
      await new Promise<void>((resolve) => sink.close(() => resolve()));
    });
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('svc', 'info', {
      write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>),
    });
    const { port } = sink.address() as AddressInfo;
    const tracing = await createTracing({
      service: 'svc',
      endpoint: `http://127.0.0.1:${port}/otlp`,
      logger,
    });
    const url = await serve(tracing);

    for (let i = 0; i < 3; i++) {
      expect(await get(`${url}/things/200`, { traceparent: sampled })).toBe(200);
      await tracing.flush();
    }
    await tracing.shutdown();

    expect(received).toHaveLength(3);
    for (const r of received) {
      expect(r).toMatchObject({ url: '/otlp/v1/traces', type: 'application/x-protobuf' });
      expect(r.bytes).toBeGreaterThan(0);
    }
    expect(lines.filter((l) => l.event === 'trace_export_failed')).toEqual([
      expect.objectContaining({ level: 'warn', batches: 1, spans: 1 }),
    ]);
  });
});
