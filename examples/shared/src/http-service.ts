import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
} from '@opentelemetry/semantic-conventions';
import { Counter, Histogram, type Registry } from 'prom-client';
import { ClientAbortedError } from './body.js';
import type { Logger } from './logger.js';
import { TRACING_OFF, type Tracing } from './tracing.js';

export interface HttpServiceOptions {
  readonly logger: Logger;
  readonly registry: Registry;
  /** How long to keep serving after SIGTERM while endpoints stop routing here. */
  readonly shutdownDrainMs: number;
  /** After the drain, how long in-flight requests get before their connections are cut. */
  readonly shutdownTimeoutMs: number;
  /** Bounded route name for metrics; unknown paths must map to one constant label. */
  readonly routeOf: (method: string, pathname: string) => string;
  /** `ctx` holds the request's server span: the parent for the handler's own spans. */
  readonly handle: (
    req: IncomingMessage,
    res: ServerResponse,
    route: string,
    url: URL,
    ctx: Context,
  ) => Promise<void> | void;
  /** Set on every response, errors included. */
  readonly defaultHeaders?: Readonly<Record<string, string>>;
  /** A server span per request (probes and scrapes excepted); off when omitted. */
  readonly tracing?: Tracing;
}

/**
 * Kubelet probes and Prometheus scrapes come every few seconds per pod: not traced even when a caller sends a
 * sampled traceparent, so a trace holds only the requests under test.
 */
const UNTRACED_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

export const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * node:http plus the lifecycle a Kubernetes pod needs: a draining flag readiness can report, `Connection:
 * close` on every response while draining so keep-alive clients move to other pods, and a shutdown that
 * stops accepting only after the drain window and then waits for in-flight requests.
 */
export class HttpService {
  readonly server: Server;
  private draining = false;
  private shutdownPromise: Promise<void> | undefined;
  private activeRequests = 0;
  private readonly requests: Counter<'route' | 'code'>;
  private readonly duration: Histogram<'route'>;

  constructor(private readonly options: HttpServiceOptions) {
    this.requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP responses by route and status code',
      labelNames: ['route', 'code'],
      registers: [options.registry],
    });
    this.duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from request arrival to the last byte of the response',
      labelNames: ['route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [options.registry],
    });
    this.server = createServer((req, res) => this.dispatch(req, res));
  }

  get isDraining(): boolean {
    return this.draining;
  }

  async listen(port: number, host: string): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${shownHost}:${address.port}`;
  }

  send(res: ServerResponse, status: number, body: string | Buffer, contentType = JSON_TYPE): void {
    if (res.headersSent) return;
    if (this.draining) res.setHeader('Connection', 'close');
    res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }

  sendJson(res: ServerResponse, status: number, value: unknown): void {
    this.send(res, status, JSON.stringify(value));
  }

  /**
   * SIGTERM path. Readiness flips at once, but the listener stays open for the drain window because
   * kube-proxy and clients still send here until the endpoint removal propagates.
   */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.runShutdown();
    return this.shutdownPromise;
  }

  /** Immediate stop (tests, second signal): no drain window, open connections are cut. */
  async close(): Promise<void> {
    this.draining = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private async runShutdown(): Promise<void> {
    const { logger, shutdownDrainMs, shutdownTimeoutMs } = this.options;
    this.draining = true;
    logger.info(
      { event: 'drain_started', drainMs: shutdownDrainMs, inFlight: this.activeRequests },
      'draining',
    );
    await sleep(shutdownDrainMs);

    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const deadline = setTimeout(() => {
      logger.warn(
        { event: 'drain_deadline', inFlight: this.activeRequests },
        'cutting remaining connections',
      );
      this.server.closeAllConnections();
    }, shutdownTimeoutMs);
    await closed;
    clearTimeout(deadline);
    logger.info({ event: 'drain_finished' }, 'all connections closed');
  }

  private dispatch(req: IncomingMessage, res: ServerResponse): void {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = this.options.routeOf(req.method ?? 'GET', url.pathname);
    for (const [name, value] of Object.entries(this.options.defaultHeaders ?? {})) res.setHeader(name, value);
    const { tracing = TRACING_OFF } = this.options;
    let ctx = ROOT_CONTEXT;
    let span: Span | undefined;
    if (tracing.enabled && !UNTRACED_ROUTES.has(route)) {
      const parent = tracing.extract(req.headers);
      span = startServerSpan(tracing.tracer, parent, req.method ?? 'GET', route, url);
      ctx = trace.setSpan(parent, span);
    }

    this.activeRequests++;
    res.once('close', () => {
      this.activeRequests--;
      if (span) endServerSpan(span, res);
      if (!res.writableFinished) return;
      this.requests.inc({ route, code: String(res.statusCode) });
      this.duration.observe({ route }, Number(process.hrtime.bigint() - started) / 1e9);
    });

    Promise.resolve()
      .then(() => this.options.handle(req, res, route, url, ctx))
      .catch((err: unknown) => {
        if (err instanceof ClientAbortedError) {
          // Nobody is left to answer; under chaos (killed clients, resets) this is routine, not an error.
          this.options.logger.debug({ event: 'client_aborted', route }, err.message);
          return;
        }
        span?.recordException(err as Error);
        this.options.logger.error(
          { event: 'request_failed', route, err },
          'unhandled error while serving request',
        );
        if (res.headersSent) res.destroy();
        else this.sendJson(res, 500, { error: 'internal_error' });
      });
  }
}

function startServerSpan(tracer: Tracer, parent: Context, method: string, route: string, url: URL): Span {
  // Named by route, like the metrics: `GET /features/:entityId`, one name however many entities there are.
  return tracer.startSpan(
    `${method} ${route}`,
    {
      kind: SpanKind.SERVER,
      attributes: {
        [ATTR_HTTP_REQUEST_METHOD]: method,
        [ATTR_HTTP_ROUTE]: route,
        [ATTR_URL_PATH]: url.pathname,
      },
    },
    parent,
  );
}

function endServerSpan(span: Span, res: ServerResponse): void {
  if (res.writableFinished) {
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.statusCode);
    // 4xx is the client's error, not the server's (HTTP semantic conventions).
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  } else {
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'connection closed before the response was sent' });
  }
  span.end();
}
