import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jaegerBackend, TraceBackendError, toSpans } from '../../../src/adapters/jaeger.js';

const ID = 'ab'.repeat(16);
// Jaeger's query API answer, as v1.75's jaeger_query serves it (trimmed).
const TRACE = {
  data: [
    {
      traceID: ID,
      spans: [
        {
          traceID: ID,
          spanID: '01',
          operationName: 'POST /score',
          references: [{ refType: 'CHILD_OF', traceID: ID, spanID: 'k6-client-span' }],
          startTime: 1000,
          duration: 500,
          tags: [
            { key: 'otel.status_code', type: 'string', value: 'ERROR' },
            { key: 'http.response.status_code', type: 'int64', value: 503 },
          ],
          logs: [
            {
              timestamp: 1200,
              fields: [{ key: 'exception.message', type: 'string', value: 'breaker open' }],
            },
          ],
          processID: 'p1',
        },
        {
          traceID: ID,
          spanID: '02',
          operationName: 'feature-store lookup',
          references: [{ refType: 'CHILD_OF', traceID: ID, spanID: '01' }],
          startTime: 1010,
          duration: 400,
          tags: [],
          processID: 'p1',
        },
      ],
      processes: { p1: { serviceName: 'fraud-scorer', tags: [] } },
    },
  ],
};

describe('jaegerBackend', () => {
  let server: Server;
  let url: string;
  const seen: (string | undefined)[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req.headers.authorization);
      if (req.url === `/api/traces/${ID}`) res.end(JSON.stringify(TRACE));
      else if (req.url?.startsWith('/api/traces/')) {
        res.statusCode = 404;
        res.end(JSON.stringify({ data: null, errors: [{ code: 404, msg: 'trace not found' }] }));
      } else {
        res.statusCode = 500;
        res.end('oops');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('reads a trace into spans, with the bearer token sent', async () => {
    const got = await jaegerBackend({ url, bearerToken: 's3cret' }).trace(ID);
    expect(seen.at(-1)).toBe('Bearer s3cret');
    expect(got!.spans).toEqual([
      expect.objectContaining({
        spanId: '01',
        parentId: null,
        service: 'fraud-scorer',
        error: true,
        errorMessage: 'breaker open',
      }),
      expect.objectContaining({
        spanId: '02',
        parentId: '01',
        operation: 'feature-store lookup',
        startUs: 1010,
        durationUs: 400,
        error: false,
      }),
    ]);
  });

  it('keeps only the spans that start within the range asked for, in the spans and the document alike', async () => {
    const got = await jaegerBackend({ url }).trace(ID, [0, 1.005]);
    expect(got!.spans.map((s) => s.spanId)).toEqual(['01']);
    expect((got!.raw as typeof TRACE).data[0]!.spans.map((s) => s.spanID)).toEqual(['01']);
    expect(await jaegerBackend({ url }).trace(ID, [2, 3])).toBeNull();
  });

  it('answers null for a trace it does not hold', async () => {
    expect(await jaegerBackend({ url }).trace('cd'.repeat(16))).toBeNull();
  });

  it('throws TraceBackendError when nothing answers', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await expect(jaegerBackend({ url: `http://127.0.0.1:${port}` }).trace(ID)).rejects.toThrow(
      new TraceBackendError(`the trace backend at http://127.0.0.1:${port} did not answer: ECONNREFUSED`),
    );
  });

  it('keeps a parent the trace does not hold out of the tree', () => {
    expect(toSpans(TRACE.data[0]!)[0]!.parentId).toBeNull();
  });
});
