import type { IncomingHttpHeaders } from 'node:http';
import { type Context, ProxyTracerProvider, ROOT_CONTEXT, type Tracer } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Logger } from './logger.js';

/**
 * A service's tracer and the W3C trace-context propagation around it. Nothing is registered globally (no
 * global tracer provider, propagator or context manager): the context travels as an argument from the
 * request's server span to its children, so two services in one test process stay apart, and Node 20 pays
 * no AsyncLocalStorage hook on every promise of the hot path.
 */
export interface Tracing {
  readonly enabled: boolean;
  readonly tracer: Tracer;
  /** The remote parent an incoming request's traceparent/tracestate name; ROOT_CONTEXT when there is none. */
  extract(headers: IncomingHttpHeaders): Context;
  /** Adds traceparent (and tracestate) for the span in `ctx` to an outgoing request's headers. */
  inject(ctx: Context, headers: Record<string, string>): void;
  /** Exports what is queued; tests call it before reading their exporter. */
  flush(): Promise<void>;
  /** Flushes, for a bounded time, and stops. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  readonly service: string;
  /** OTEL_EXPORTER_OTLP_ENDPOINT, e.g. http://jaeger.monitoring.svc:4318. Unset turns tracing off. */
  readonly endpoint: string | undefined;
  readonly logger: Logger;
  /** Tests put an InMemorySpanExporter here; the endpoint still decides whether anything is traced. */
  readonly exporter?: SpanExporter;
}

/** Tracing off: a provider with no delegate hands out non-recording spans; nothing is extracted or sent. */
export const TRACING_OFF: Tracing = {
  enabled: false,
  tracer: new ProxyTracerProvider().getTracer('off'),
  extract: () => ROOT_CONTEXT,
  inject: () => undefined,
  flush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};

/**
 * The SDK and the OTLP exporter are loaded only when tracing is on: they are a third of the bundle, and
 * loading them costs ~130 ms of start-up and a few MB of memory that a service without a collector would
 * spend for nothing.
 */
export async function createTracing(options: TracingOptions): Promise<Tracing> {
  const { endpoint } = options;
  if (endpoint === undefined) return TRACING_OFF;
  const { startTracing } = await import('./tracing-sdk.js');
  return startTracing({ ...options, endpoint });
}
