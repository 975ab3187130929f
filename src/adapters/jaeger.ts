/**
 * The trace backend: Jaeger's query API (`GET /api/traces/{id}`, served by Jaeger v1's query service and by
 * Jaeger v2's jaeger_query extension alike). A trace comes back as backend-neutral spans; a trace the backend
 * does not hold is null; a backend that does not answer, or answers something that is not Jaeger, throws
 * TraceBackendError, which callers note and never let end a run.
 */

export interface TraceConnection {
  url: string;
  bearerToken?: string;
  timeoutMs?: number;
}

export interface Span {
  spanId: string;
  /** The span this one is a child of; null for a root (or one whose parent the backend does not hold). */
  parentId: string | null;
  service: string;
  operation: string;
  /** Epoch microseconds. */
  startUs: number;
  durationUs: number;
  error: boolean;
  /** Why it errored, when a span says (an exception's message, otel.status_description). */
  errorMessage: string | null;
  attributes: Record<string, string>;
}

export interface TraceBackend {
  readonly url: string;
  /**
   * The trace's spans that start within `withinMs` (epoch ms, when given) and the backend's own document with
   * only those (kept as evidence), or null when it holds no such trace.
   */
  trace(
    traceId: string,
    withinMs?: readonly [number, number],
  ): Promise<{ spans: Span[]; raw: unknown } | null>;
}

export class TraceBackendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TraceBackendError';
  }
}

interface JaegerKeyValue {
  key?: string;
  value?: unknown;
}

interface JaegerSpan {
  spanID?: string;
  operationName?: string;
  references?: { refType?: string; spanID?: string }[];
  startTime?: number;
  duration?: number;
  tags?: JaegerKeyValue[];
  logs?: { fields?: JaegerKeyValue[] }[];
  processID?: string;
}

interface JaegerTrace {
  spans?: JaegerSpan[];
  processes?: Record<string, { serviceName?: string }>;
}

export function jaegerBackend(conn: TraceConnection): TraceBackend {
  const base = conn.url.endsWith('/') ? conn.url : `${conn.url}/`;
  const timeoutMs = conn.timeoutMs ?? 5000;
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (conn.bearerToken) headers.Authorization = `Bearer ${conn.bearerToken}`;
  return {
    url: conn.url,
    async trace(traceId, withinMs) {
      const url = new URL(`api/traces/${encodeURIComponent(traceId)}`, base);
      let status: number;
      let text: string;
      try {
        const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
        status = res.status;
        text = await res.text();
      } catch (error) {
        const e = error as Error & { cause?: { code?: string } };
        const why =
          e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.message);
        throw new TraceBackendError(`the trace backend at ${url.origin} did not answer: ${why}`);
      }
      if (status === 404) return null;
      let doc: { data?: JaegerTrace[] | null };
      try {
        doc = JSON.parse(text) as { data?: JaegerTrace[] | null };
      } catch {
        throw new TraceBackendError(
          `the trace backend at ${url.origin} answered ${status} without a Jaeger body: ${text.slice(0, 200)}`,
        );
      }
      if (status !== 200)
        throw new TraceBackendError(
          `the trace backend at ${url.origin} answered ${status}: ${text.slice(0, 200)}`,
        );
      const trace = doc.data?.[0];
      if (!trace?.spans) return null;
      if (withinMs) {
        const [from, to] = [withinMs[0] * 1000, withinMs[1] * 1000];
        trace.spans = trace.spans.filter((s) => (s.startTime ?? 0) >= from && (s.startTime ?? 0) <= to);
      }
      if (trace.spans.length === 0) return null;
      return { spans: toSpans(trace), raw: doc };
    },
  };
}

/** Jaeger's JSON model → spans: the process's service, the CHILD_OF reference, the OTel error conventions. */
export function toSpans(trace: JaegerTrace): Span[] {
  const held = new Set((trace.spans ?? []).map((s) => s.spanID));
  return (trace.spans ?? []).map((s) => {
    const attributes: Record<string, string> = {};
    for (const t of s.tags ?? []) if (t.key) attributes[t.key] = String(t.value);
    const parent = s.references?.find((r) => r.refType === 'CHILD_OF')?.spanID ?? null;
    const exception = s.logs
      ?.flatMap((l) => l.fields ?? [])
      .find((f) => f.key === 'exception.message')?.value;
    const message = typeof exception === 'string' ? exception : null;
    const error = attributes.error === 'true' || attributes['otel.status_code'] === 'ERROR';
    return {
      spanId: s.spanID ?? '',
      parentId: parent !== null && held.has(parent) ? parent : null,
      service: trace.processes?.[s.processID ?? '']?.serviceName ?? 'unknown',
      operation: s.operationName ?? '',
      startUs: s.startTime ?? 0,
      durationUs: s.duration ?? 0,
      error,
      errorMessage: error ? (attributes['otel.status_description'] ?? message) : null,
      attributes,
    };
  });
}
