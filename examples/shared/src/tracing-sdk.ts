/** The OpenTelemetry SDK side of tracing.ts, imported by it only when tracing is on. */
import { ROOT_CONTEXT, defaultTextMapGetter, defaultTextMapSetter } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Logger } from './logger.js';
import type { Tracing, TracingOptions } from './tracing.js';

// The batch processor's defaults, spelled out because they are the memory bound: at most MAX_QUEUE finished
// spans wait for the collector; past that new spans are dropped, never queued or waited for.
const MAX_QUEUE = 2_048;
const MAX_BATCH = 512;
const SCHEDULED_DELAY_MS = 5_000;
/** Per export, retries included: a collector that hangs costs one pending request, not a growing backlog. */
const EXPORT_TIMEOUT_MS = 5_000;
/** Leaves most of terminationGracePeriodSeconds to the drain; a dead collector must not hold up the exit. */
const SHUTDOWN_FLUSH_MS = 2_000;
const FAILURE_LOG_INTERVAL_MS = 60_000;

const propagator = new W3CTraceContextPropagator();

export function startTracing(options: TracingOptions & { readonly endpoint: string }): Tracing {
  const { service, endpoint, logger } = options;
  const exporter =
    options.exporter ??
    new OTLPTraceExporter({ url: tracesUrl(endpoint).href, timeoutMillis: EXPORT_TIMEOUT_MS });
  const provider = new BasicTracerProvider({
    resource: defaultResource().merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: service })),
    // Only what the caller asks for is traced: a sampled traceparent is obeyed, and a request without one
    // starts no trace. The load generator decides, and a scenario without target.traces (200 req/s in the load
    // ramp, on two cores) pays nothing for spans nobody will look at.
    sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }),
    spanProcessors: [
      new BatchSpanProcessor(new RarelyLoggedFailures(exporter, logger), {
        maxQueueSize: MAX_QUEUE,
        maxExportBatchSize: MAX_BATCH,
        scheduledDelayMillis: SCHEDULED_DELAY_MS,
        exportTimeoutMillis: EXPORT_TIMEOUT_MS,
      }),
    ],
  });
  let stopped: Promise<void> | undefined;
  return {
    enabled: true,
    tracer: provider.getTracer(service),
    extract: (headers) => propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter),
    inject: (ctx, headers) => propagator.inject(ctx, headers, defaultTextMapSetter),
    // A failed export is RarelyLoggedFailures' to report; flushing only waits for it.
    flush: () => provider.forceFlush().catch(() => undefined),
    shutdown: () => {
      stopped ??= withDeadline(provider.shutdown(), SHUTDOWN_FLUSH_MS).catch((err: unknown) => {
        logger.warn({ event: 'trace_flush_failed', err }, 'could not flush the last spans');
      });
      return stopped;
    },
  };
}

/** The OTLP/HTTP rule: the signal's path is appended to the base endpoint, keeping any path it has. */
function tracesUrl(endpoint: string): URL {
  return new URL('v1/traces', endpoint.endsWith('/') ? endpoint : `${endpoint}/`);
}

function withDeadline(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not done within ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/**
 * The SDK reports a failed export to its global error handler, which is silent unless a diag logger is
 * installed. A collector outage is worth knowing about, but as one line a minute with what was lost, not a
 * line per batch on a pod that is busy serving.
 */
class RarelyLoggedFailures implements SpanExporter {
  private failedBatches = 0;
  private failedSpans = 0;
  private lastLoggedAt = -Infinity;

  constructor(
    private readonly inner: SpanExporter,
    private readonly logger: Logger,
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      if (result.code !== ExportResultCode.SUCCESS) this.failed(spans.length, result.error);
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }

  private failed(spans: number, error: Error | undefined): void {
    this.failedBatches++;
    this.failedSpans += spans;
    const now = performance.now();
    if (now - this.lastLoggedAt < FAILURE_LOG_INTERVAL_MS) return;
    this.logger.warn(
      {
        event: 'trace_export_failed',
        batches: this.failedBatches,
        spans: this.failedSpans,
        error: error?.message,
      },
      'trace export failing: spans dropped (logged at most once a minute)',
    );
    this.lastLoggedAt = now;
    this.failedBatches = 0;
    this.failedSpans = 0;
  }
}
