/**
 * The Prometheus HTTP API client: range and instant queries, with an optional bearer token and TLS options for
 * a real staging server. node:http(s) rather than fetch, because fetch cannot take a CA bundle per request.
 * Failures are classified by what they mean for a verdict: the server not answering is `unreachable`; the
 * server refusing the query is `query`, with Prometheus's own error text verbatim.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface PromConnection {
  url: string;
  bearerToken?: string;
  /** PEM CA bundle to trust. */
  ca?: string;
  insecureSkipVerify?: boolean;
  timeoutMs?: number;
}

/** One series: its labels, and its samples as [epoch seconds, value]. */
export interface PromSeries {
  metric: Record<string, string>;
  values: [number, number][];
}

export class PrometheusError extends Error {
  constructor(
    readonly kind: 'unreachable' | 'query',
    message: string,
  ) {
    super(message);
    this.name = 'PrometheusError';
  }
}

interface ApiBody {
  status?: string;
  error?: string;
  errorType?: string;
  data?: { resultType?: string; result?: unknown };
}

/** `query_range` over [startS, endS] every stepS seconds. */
export async function queryRange(
  conn: PromConnection,
  query: string,
  startS: number,
  endS: number,
  stepS: number,
): Promise<PromSeries[]> {
  const data = await call(conn, 'query_range', {
    query,
    start: startS.toFixed(3),
    end: endS.toFixed(3),
    step: String(stepS),
  });
  return toSeries(data);
}

/** `query` at one instant: a vector (or scalar) as series of one sample; a range vector keeps its samples. */
export async function queryInstant(
  conn: PromConnection,
  query: string,
  timeS: number,
): Promise<PromSeries[]> {
  return toSeries(await call(conn, 'query', { query, time: timeS.toFixed(3) }));
}

function toSeries(data: ApiBody['data']): PromSeries[] {
  const result = data?.result;
  const num = (v: unknown): number => Number(v);
  if (data?.resultType === 'scalar' && Array.isArray(result))
    return [{ metric: {}, values: [[num(result[0]), num(result[1])]] }];
  if (!Array.isArray(result))
    throw new PrometheusError('query', `unexpected result type ${data?.resultType}`);
  return result.map((r: { metric?: Record<string, string>; value?: unknown[]; values?: unknown[][] }) => ({
    metric: r.metric ?? {},
    values: (r.values ?? (r.value ? [r.value] : [])).map((v) => [num(v[0]), num(v[1])] as [number, number]),
  }));
}

async function call(
  conn: PromConnection,
  endpoint: string,
  params: Record<string, string>,
): Promise<ApiBody['data']> {
  const base = conn.url.endsWith('/') ? conn.url : `${conn.url}/`;
  const url = new URL(`api/v1/${endpoint}`, base);
  const form = new URLSearchParams(params).toString();
  const { status, text } = await post(conn, url, form);
  let body: ApiBody;
  try {
    body = JSON.parse(text) as ApiBody;
  } catch {
    // A proxy's error page, or a server that is not Prometheus.
    throw new PrometheusError(
      status >= 500 ? 'unreachable' : 'query',
      `${url.origin} answered ${status} without a Prometheus body: ${text.slice(0, 200)}`,
    );
  }
  if (body.status === 'success') return body.data;
  // 400 bad_data / 422 execution errors are about the query; 503 and the like are the server's state.
  const kind = status === 400 || status === 422 ? 'query' : 'unreachable';
  throw new PrometheusError(
    kind,
    `Prometheus ${status} ${body.errorType ?? ''}: ${body.error ?? text.slice(0, 200)}`,
  );
}

function post(conn: PromConnection, url: URL, form: string): Promise<{ status: number; text: string }> {
  const timeoutMs = conn.timeoutMs ?? 10_000;
  const headers: Record<string, string> = {
    'Content-Type': 'application/x-www-form-urlencoded',
    'Content-Length': String(Buffer.byteLength(form)),
    Accept: 'application/json',
  };
  if (conn.bearerToken) headers.Authorization = `Bearer ${conn.bearerToken}`;
  return new Promise((resolve, reject) => {
    const options = { method: 'POST', headers, timeout: timeoutMs };
    const done = (res: IncomingMessage) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', (e) => reject(unreachable(url, e)));
    };
    const req =
      url.protocol === 'https:'
        ? httpsRequest(url, { ...options, ca: conn.ca, rejectUnauthorized: !conn.insecureSkipVerify }, done)
        : httpRequest(url, options, done);
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => reject(unreachable(url, e)));
    req.end(form);
  });
}

function unreachable(url: URL, e: Error & { code?: string }): PrometheusError {
  return new PrometheusError(
    'unreachable',
    `Prometheus at ${url.origin} did not answer: ${e.code ?? e.message}`,
  );
}
