/**
 * Where a request's time went, from its trace: time per service and operation (self time: a span's duration
 * less its children's), the span that errored, and the critical path (the chain of spans the request waited
 * on, walked back from the root's end). Pure functions over backend-neutral spans (adapters/jaeger.ts).
 */
import type { Span } from '../adapters/jaeger.js';

export interface TraceStep {
  service: string;
  operation: string;
  /** Time on the critical path spent in this (service, operation) itself, not in its children. */
  ms: number;
}

export interface WaterfallBar {
  service: string;
  operation: string;
  /** From the trace's first span start. */
  startMs: number;
  durationMs: number;
  depth: number;
  error: boolean;
}

export interface TraceSummary {
  traceId: string;
  /** From the first span's start to the last span's end. */
  durationMs: number;
  spans: number;
  services: string[];
  /** Self time per service and operation, largest first. */
  selfTime: TraceStep[];
  /** The critical path's steps in the order the request met them; each step's own share of the wait. */
  criticalPath: TraceStep[];
  /** The largest step of the critical path: where the time went. */
  bottleneck: TraceStep | null;
  /** The deepest span marked as an error: where the failure started. */
  errorSpan: { service: string; operation: string; message: string | null } | null;
  /** Up to WATERFALL_BARS spans in start order, for the report's waterfall. */
  waterfall: WaterfallBar[];
}

export const WATERFALL_BARS = 24;

const round = (n: number): number => Math.round(n * 100) / 100;

export function summariseTrace(traceId: string, spans: readonly Span[]): TraceSummary {
  const children = new Map<string, Span[]>();
  for (const s of spans)
    if (s.parentId !== null) {
      const list = children.get(s.parentId) ?? [];
      list.push(s);
      children.set(s.parentId, list);
    }
  const start = Math.min(...spans.map((s) => s.startUs));
  const end = Math.max(...spans.map((s) => s.startUs + s.durationUs));
  const roots = spans.filter((s) => s.parentId === null).sort((a, b) => b.durationUs - a.durationUs);

  const self = new Map<string, TraceStep>();
  for (const s of spans) addTo(self, s, (s.durationUs - covered(s, children.get(s.spanId) ?? [])) / 1000);

  const path: { span: Span; us: number }[] = [];
  if (roots[0]) walkCritical(roots[0], roots[0].startUs + roots[0].durationUs, children, path);
  const steps = new Map<string, TraceStep>();
  const order: string[] = [];
  for (const { span, us } of path.reverse()) {
    const key = `${span.service}\u0000${span.operation}`;
    if (!steps.has(key)) order.push(key);
    addTo(steps, span, us / 1000);
  }
  const criticalPath = order.map((k) => steps.get(k)!).filter((s) => s.ms > 0);
  const bottleneck = criticalPath.reduce<TraceStep | null>(
    (b, s) => (b === null || s.ms > b.ms ? s : b),
    null,
  );

  const depth = new Map<string, number>();
  const depthOf = (s: Span): number => {
    let d = depth.get(s.spanId);
    if (d !== undefined) return d;
    const parent = s.parentId === null ? undefined : spans.find((p) => p.spanId === s.parentId);
    d = parent && parent !== s ? depthOf(parent) + 1 : 0;
    depth.set(s.spanId, d);
    return d;
  };
  const errored = spans.filter((s) => s.error).sort((a, b) => depthOf(b) - depthOf(a));
  const firstError = errored[0];

  return {
    traceId,
    durationMs: round((end - start) / 1000),
    spans: spans.length,
    services: [...new Set(spans.map((s) => s.service))].sort(),
    selfTime: [...self.values()].map((s) => ({ ...s, ms: round(s.ms) })).sort((a, b) => b.ms - a.ms),
    criticalPath: criticalPath.map((s) => ({ ...s, ms: round(s.ms) })),
    bottleneck: bottleneck ? { ...bottleneck, ms: round(bottleneck.ms) } : null,
    errorSpan: firstError
      ? { service: firstError.service, operation: firstError.operation, message: firstError.errorMessage }
      : null,
    waterfall: [...spans]
      .sort((a, b) => a.startUs - b.startUs)
      .slice(0, WATERFALL_BARS)
      .map((s) => ({
        service: s.service,
        operation: s.operation,
        startMs: round((s.startUs - start) / 1000),
        durationMs: round(s.durationUs / 1000),
        depth: depthOf(s),
        error: s.error,
      })),
  };
}

function addTo(into: Map<string, TraceStep>, s: Span, ms: number): void {
  const key = `${s.service}\u0000${s.operation}`;
  const step = into.get(key) ?? { service: s.service, operation: s.operation, ms: 0 };
  step.ms += Math.max(0, ms);
  into.set(key, step);
}

/** Microseconds of `s` its children cover (overlaps counted once, clipped to `s`). */
function covered(s: Span, kids: readonly Span[]): number {
  const from = s.startUs;
  const to = s.startUs + s.durationUs;
  const spans = kids
    .map((k) => [Math.max(from, k.startUs), Math.min(to, k.startUs + k.durationUs)] as const)
    .filter(([a, b]) => b > a)
    .sort((a, b) => a[0] - b[0]);
  let total = 0;
  let at = from;
  for (const [a, b] of spans) {
    const lo = Math.max(a, at);
    if (b > lo) total += b - lo;
    at = Math.max(at, b);
  }
  return total;
}

/**
 * From `until` back to the span's start: the child that ended last before the cursor is what the span waited
 * on; its own critical path is walked, and the cursor moves to that child's start. The gaps are the span's own.
 * Contributions are pushed latest first.
 */
function walkCritical(
  span: Span,
  until: number,
  children: ReadonlyMap<string, Span[]>,
  out: { span: Span; us: number }[],
): void {
  let cursor = Math.min(until, span.startUs + span.durationUs);
  const kids = [...(children.get(span.spanId) ?? [])].sort(
    (a, b) => b.startUs + b.durationUs - (a.startUs + a.durationUs),
  );
  for (const kid of kids) {
    if (cursor <= span.startUs) break;
    if (kid.startUs >= cursor) continue;
    const kidEnd = Math.min(kid.startUs + kid.durationUs, cursor);
    out.push({ span, us: cursor - kidEnd });
    walkCritical(kid, kidEnd, children, out);
    cursor = Math.max(span.startUs, kid.startUs);
  }
  out.push({ span, us: Math.max(0, cursor - span.startUs) });
}

/** "fraud-scorer › feature-store GET 301 ms of 306 ms (98 %)": where one trace's time went. */
export function describeBottleneck(t: TraceSummary): string {
  if (!t.bottleneck) return `no span timings in trace ${t.traceId}`;
  const b = t.bottleneck;
  const share = t.durationMs > 0 ? ` (${Math.round((b.ms / t.durationMs) * 100)} %)` : '';
  return `${b.service} › ${b.operation} ${Math.round(b.ms)} ms of ${Math.round(t.durationMs)} ms${share}`;
}
