/**
 * The Prometheus API client against a fake Prometheus on loopback: what it sends (form parameters, bearer
 * token, a path prefix), how it reads each result type, and how it classifies failures.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusError, queryInstant, queryRange } from '../../../src/adapters/prometheus.js';

interface Seen {
  path: string;
  method: string;
  auth: string | undefined;
  params: Record<string, string>;
}

let server: Server;
let base: string;
const seen: Seen[] = [];
let answer: (params: Record<string, string>) => { status: number; body: string } = () => ({
  status: 200,
  body: '',
});

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => resolve(text));
  });
}

beforeAll(async () => {
  server = createServer((req, res) => {
    void readBody(req).then((body) => {
      const params = Object.fromEntries(new URLSearchParams(body));
      seen.push({ path: req.url ?? '', method: req.method ?? '', auth: req.headers.authorization, params });
      const a = answer(params);
      res.writeHead(a.status, { 'Content-Type': 'application/json' });
      res.end(a.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const ok = (data: unknown) => ({ status: 200, body: JSON.stringify({ status: 'success', data }) });

describe('queryRange', () => {
  it('POSTs query, bounds and step, with the bearer token, under the base URL’s path', async () => {
    seen.length = 0;
    answer = () =>
      ok({
        resultType: 'matrix',
        result: [
          {
            metric: { pod: 'a' },
            values: [
              [100, '1'],
              [105, '2.5'],
              [110, 'NaN'],
            ],
          },
        ],
      });
    const r = await queryRange({ url: `${base}/prom`, bearerToken: 's3cret' }, 'sum(up)', 100, 110.5, 5);
    expect(r).toEqual([
      {
        metric: { pod: 'a' },
        values: [
          [100, 1],
          [105, 2.5],
          [110, Number.NaN],
        ],
      },
    ]);
    expect(seen).toEqual([
      {
        path: '/prom/api/v1/query_range',
        method: 'POST',
        auth: 'Bearer s3cret',
        params: { query: 'sum(up)', start: '100.000', end: '110.500', step: '5' },
      },
    ]);
  });
});

describe('queryInstant', () => {
  it('reads vectors, scalars and range vectors as series', async () => {
    answer = () => ok({ resultType: 'vector', result: [{ metric: { a: '1' }, value: [200, '3'] }] });
    expect(await queryInstant({ url: base }, 'x', 200)).toEqual([{ metric: { a: '1' }, values: [[200, 3]] }]);
    answer = () => ok({ resultType: 'scalar', result: [200, '0.5'] });
    expect(await queryInstant({ url: base }, 'vector(1)', 200)).toEqual([
      { metric: {}, values: [[200, 0.5]] },
    ]);
    answer = () =>
      ok({
        resultType: 'matrix',
        result: [
          {
            metric: {},
            values: [
              [1, '1'],
              [6, '2'],
            ],
          },
        ],
      });
    expect(await queryInstant({ url: base }, 'x[10s]', 200)).toEqual([
      {
        metric: {},
        values: [
          [1, 1],
          [6, 2],
        ],
      },
    ]);
    expect(seen.at(-1)).toMatchObject({
      path: '/api/v1/query',
      auth: undefined,
      params: { time: '200.000' },
    });
  });
});

describe('failures', () => {
  it('a refused query carries Prometheus’s own error text', async () => {
    answer = () => ({
      status: 400,
      body: JSON.stringify({
        status: 'error',
        errorType: 'bad_data',
        error: 'invalid parameter "query": 1:5: parse error',
      }),
    });
    const e = await queryInstant({ url: base }, 'sum(', 1).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PrometheusError);
    expect(e).toMatchObject({
      kind: 'query',
      message: 'Prometheus 400 bad_data: invalid parameter "query": 1:5: parse error',
    });
  });

  it('a server error or a body that is not Prometheus’s is the server not answering', async () => {
    answer = () => ({ status: 503, body: 'Service Unavailable' });
    await expect(queryInstant({ url: base }, 'up', 1)).rejects.toMatchObject({ kind: 'unreachable' });
    answer = () => ({
      status: 503,
      body: JSON.stringify({ status: 'error', errorType: 'unavailable', error: 'TSDB not ready' }),
    });
    await expect(queryInstant({ url: base }, 'up', 1)).rejects.toMatchObject({
      kind: 'unreachable',
      message: 'Prometheus 503 unavailable: TSDB not ready',
    });
  });

  it('nothing listening, or no answer in time, is unreachable', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await expect(queryInstant({ url: `http://127.0.0.1:${port}` }, 'up', 1)).rejects.toMatchObject({
      kind: 'unreachable',
      message: `Prometheus at http://127.0.0.1:${port} did not answer: ECONNREFUSED`,
    });
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    await expect(queryInstant({ url, timeoutMs: 200 }, 'up', 1)).rejects.toMatchObject({
      kind: 'unreachable',
      message: `Prometheus at ${url} did not answer: no answer within 200 ms`,
    });
    silent.closeAllConnections();
    await new Promise<void>((r) => silent.close(() => r()));
  });
});
