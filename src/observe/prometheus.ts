/**
 * Server-side truth from Prometheus: how a range query's samples become one number (the reducers), whether the
 * samples cover a window well enough to judge it, and the reconciliation of the requests k6 sent with the
 * requests the servers counted. Pure functions over query results; the queries go through a PromQuerier, so
 * every query and its raw result lands in result.json.
 */
import type { PromConnection, PromSeries } from '../adapters/prometheus.js';
import type { PROMQL_REDUCERS } from '../scenario/schema.js';

export type Reducer = (typeof PROMQL_REDUCERS)[number];

/** One query as it was sent, and what came back: result.json keeps them all. */
export interface PromQueryRecord {
  purpose: string;
  query: string;
  kind: 'range' | 'instant';
  /** ISO instants: the range's bounds, or the instant (as end). */
  start?: string;
  end: string;
  stepS?: number;
  ok: boolean;
  error?: string;
  result?: PromSeries[];
}

export interface PromQuerier {
  range(
    purpose: string,
    conn: PromConnection,
    query: string,
    startMs: number,
    endMs: number,
    stepS: number,
  ): Promise<PromSeries[]>;
  instant(purpose: string, conn: PromConnection, query: string, atMs: number): Promise<PromSeries[]>;
  /** Every query made so far, in order. */
  readonly log: PromQueryRecord[];
}

/** What a run knows about its Prometheus: how to reach it (per url) and its step. */
export interface PrometheusContext {
  querier: PromQuerier;
  /** The connection for a url, or the scenario's prometheus.url when none is given. */
  connection(url?: string): PromConnection;
  stepS: number;
}

/** Reduce a window's samples to one number, as PromQL's *_over_time functions would. */
export function reduceSamples(values: readonly number[], reducer: Reducer, quantile = 0.95): number | null {
  const xs = values.filter((v) => !Number.isNaN(v));
  if (xs.length === 0) return null;
  switch (reducer) {
    case 'max':
      return Math.max(...xs);
    case 'min':
      return Math.min(...xs);
    case 'avg':
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    case 'last':
      return xs[xs.length - 1]!;
    case 'quantile':
      return quantileOf(xs, quantile);
  }
}

/** quantile_over_time's definition: linear interpolation between the closest ranks (φ·(n−1)). */
export function quantileOf(values: readonly number[], q: number): number {
  const xs = [...values].sort((a, b) => a - b);
  const rank = q * (xs.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const w = rank - lo;
  return xs[lo]! * (1 - w) + xs[hi]! * w;
}

/**
 * Why a range query's samples cannot judge the window, or null when they can: fewer than 80 % of the steps
 * have a value, or values are missing for more than two steps in a row (a scrape gap), edges included.
 */
export function coverageProblem(
  timesS: readonly number[],
  startS: number,
  endS: number,
  stepS: number,
): string | null {
  const expected = Math.floor((endS - startS) / stepS + 1e-9) + 1;
  if (timesS.length < Math.ceil(expected * 0.8))
    return `too few samples: ${timesS.length} of ${expected} steps (${stepS}s) in the window have a value`;
  const edges = [startS - stepS, ...timesS, endS + stepS];
  for (let i = 1; i < edges.length; i++) {
    const gap = edges[i]! - edges[i - 1]!;
    if (gap > 3 * stepS + 1e-6) {
      const from = new Date(Math.max(edges[i - 1]!, startS) * 1000).toISOString();
      return `a scrape gap: no value for ${Math.round(gap - stepS)}s after ${from}`;
    }
  }
  return null;
}

// ------------------------------------------------------------------------------------------------------------
// Reconciliation: requests sent (k6) vs requests counted (the servers' request counter)
// ------------------------------------------------------------------------------------------------------------

/**
 * A counter series' value at any instant. Samples are [epoch s, value]. Resets (a restarted container) are
 * folded in, so the function is monotonic. Before its first sample a series that appeared during the range
 * counted from 0 (prom-client creates a labelled series at its first increment, a new pod starts at 0); after
 * its last sample it stays put (a killed pod: what it served after its last scrape is lost to Prometheus).
 */
export function counterAt(
  samples: readonly [number, number][],
  rangeStartS: number,
  stepS: number,
  /** When the traffic being counted began (the load's start): a series born after it counts from then at the earliest. */
  originS = -Infinity,
) {
  const pts: [number, number][] = [];
  let offset = 0;
  let prev = -Infinity;
  for (const [t, v] of samples) {
    if (v < prev) offset += prev;
    prev = v;
    pts.push([t, v + offset]);
  }
  const first = pts[0];
  const bornInRange = first !== undefined && first[0] > rangeStartS + 1.5 * stepS;
  const at = (tS: number): number => {
    if (!first) return 0;
    if (tS <= first[0]) {
      if (!bornInRange) return first[1];
      const t0 = first[0] > originS ? Math.max(first[0] - stepS, originS) : first[0] - stepS;
      return tS <= t0 ? 0 : (first[1] * (tS - t0)) / (first[0] - t0);
    }
    for (let i = 1; i < pts.length; i++) {
      const [t1, v1] = pts[i]!;
      if (tS <= t1) {
        const [t0, v0] = pts[i - 1]!;
        return v0 + ((v1 - v0) * (tS - t0)) / (t1 - t0);
      }
    }
    return pts[pts.length - 1]![1];
  };
  // At the load's own edges nothing is served on the far side, so the scrape on that side is the exact count
  // (interpolating would spread the first and last seconds of traffic over a whole scrape interval).
  const before = (tS: number): number => {
    let v = 0;
    for (const [t, x] of pts) if (t <= tS) v = x;
    return v;
  };
  const after = (tS: number): number => {
    for (const [t, x] of pts) if (t >= tS) return x;
    return pts.length > 0 ? pts[pts.length - 1]![1] : 0;
  };
  /** A series that stopped being scraped before tS (its pod went away): its last rate, per second. */
  const vanishedRate = (fromS: number, tS: number): number => {
    const last = pts[pts.length - 1];
    const prev = pts[pts.length - 2];
    if (!last || !prev || last[0] >= tS - 1.5 * stepS || last[0] < fromS) return 0;
    return Math.max(0, (last[1] - prev[1]) / (last[0] - prev[0]));
  };
  return Object.assign(at, { before, after, vanishedRate });
}

export interface WindowSend {
  window: string;
  startMs: number;
  endMs: number;
  sent: number;
  /** k6 requests without any response, by k6 error code name. */
  connectionErrors: Record<string, number>;
  /** How many of the window's edges fall inside the load (0 for `all`, 1 or 2 for the others). */
  interiorEdges?: number;
}

export interface ReconciliationRow {
  window: string;
  sent: number;
  counted: number;
  /** counted by status code */
  countedByCode: Record<string, number>;
  /** sent − counted */
  gap: number;
  /** k6's connection-level errors (no response): requests no server could have counted. */
  connectionErrors: number;
  connectionErrorsByCode: Record<string, number>;
  /** gap − connectionErrors */
  unexplained: number;
  /**
   * The unexplained requests tolerated before flagging: maxUnexplained of those sent, or, when larger, half a
   * scrape interval of traffic per edge inside the load (a counter is only known at scrapes); plus, for each
   * pod that went away during the window, a scrape interval at its last rate (what it served after its last
   * scrape is invisible to a pull-based count).
   */
  tolerance: number;
  /** unexplained / sent */
  unexplainedShare: number;
  flagged: boolean;
}

/**
 * Counted requests per window from the raw counter samples of every series (pod × code × route), at the
 * window bounds. Edges inside the load are interpolated between scrapes; the last window's end is the load's
 * end plus a second, so requests in flight when the load stopped still count.
 */
export function reconcile(
  series: readonly PromSeries[],
  windows: readonly WindowSend[],
  opts: { rangeStartS: number; stepS: number; statusLabel: string; maxUnexplained: number; originS?: number },
): ReconciliationRow[] {
  const fns = series.map((s) => ({
    code: s.metric[opts.statusLabel] ?? 'none',
    at: counterAt(s.values, opts.rangeStartS, opts.stepS, opts.originS),
  }));
  const loadStartMs = Math.min(...windows.map((w) => w.startMs));
  const loadEndMs = Math.max(...windows.map((w) => w.endMs));
  return windows.map((w) => {
    const countedByCode: Record<string, number> = {};
    let unseen = 0;
    for (const f of fns) {
      const end = w.endMs === loadEndMs ? f.at.after(w.endMs / 1000) : f.at(w.endMs / 1000);
      const start = w.startMs === loadStartMs ? f.at.before(w.startMs / 1000) : f.at(w.startMs / 1000);
      const n = end - start;
      if (n !== 0) countedByCode[f.code] = (countedByCode[f.code] ?? 0) + n;
      // What a pod that went away served after its last scrape: at most a scrape interval at its last rate.
      unseen += f.at.vanishedRate(w.startMs / 1000, w.endMs / 1000) * opts.stepS;
    }
    for (const k of Object.keys(countedByCode)) countedByCode[k] = Math.round(countedByCode[k]!);
    const counted = Object.values(countedByCode).reduce((a, b) => a + b, 0);
    const connectionErrors = Object.values(w.connectionErrors).reduce((a, b) => a + b, 0);
    const gap = w.sent - counted;
    const unexplained = gap - connectionErrors;
    const unexplainedShare = w.sent > 0 ? unexplained / w.sent : 0;
    const lenS = Math.max(1, (w.endMs - w.startMs) / 1000);
    const edgeAllowance = ((w.interiorEdges ?? 0) * (w.sent / lenS) * opts.stepS) / 2;
    const tolerance = Math.ceil(Math.max(opts.maxUnexplained * w.sent, edgeAllowance) + unseen);
    return {
      window: w.window,
      sent: w.sent,
      counted,
      countedByCode,
      gap,
      connectionErrors,
      connectionErrorsByCode: w.connectionErrors,
      unexplained,
      unexplainedShare,
      tolerance,
      flagged: Math.abs(unexplained) > tolerance,
    };
  });
}

/** k6's error codes for requests that got no response (k6 docs: "Error codes"). */
const K6_ERROR_CODES: Record<string, string> = {
  '1000': 'unknown',
  '1010': 'network error',
  '1050': 'request timeout',
  '1100': 'DNS error',
  '1200': 'dial error',
  '1201': 'dial timeout',
  '1202': 'connection refused',
  '1210': 'connection reset',
  '1211': 'broken pipe',
  '1220': 'unexpected EOF',
  '1300': 'TLS error',
  '1400': 'HTTP/2 error',
};

export function k6ErrorName(code: string): string {
  return K6_ERROR_CODES[code] ?? (code === '' || code === 'none' ? 'no code' : `k6 error ${code}`);
}

/** A metric selector: the metric name with the scenario's label matchers and any extra ones. */
export function selectorOf(metric: string, selector: string, extra = ''): string {
  const inner = selector
    .trim()
    .replace(/^\{|\}$/g, '')
    .trim();
  const all = [inner, extra].filter(Boolean).join(',');
  return all ? `${metric}{${all}}` : metric;
}

// ------------------------------------------------------------------------------------------------------------
// Built-in server-side checks: what the servers themselves counted, per window
// ------------------------------------------------------------------------------------------------------------

export interface ServerSideMetrics {
  requests: string;
  statusLabel: string;
  latency: string;
  selector: string;
}

export interface ServerWindowCheck {
  window: string;
  /** p95 from the latency histogram over the window, ms; null when the histogram had no observations. */
  p95Ms: number | null;
  /** 5xx share of the requests the servers counted in the window. */
  errorRatio: number | null;
}

/** A server-side series over the run for the report, `t` in seconds since load start. */
export interface ServerSeries {
  name: string;
  unit: string;
  query: string;
  points: [number, number][];
}

export interface ServerSideRecord {
  url: string;
  stepS: number;
  metrics: ServerSideMetrics;
  maxUnexplained: number;
  /** Why some of the checks could not be made (Prometheus not answering, no series), in words. */
  problems: string[];
  checks: ServerWindowCheck[];
  reconciliation: ReconciliationRow[];
  series: ServerSeries[];
}

export interface ServerSideInput {
  ctx: PrometheusContext;
  metrics: ServerSideMetrics;
  maxUnexplained: number;
  loadStartMs: number;
  loadEndMs: number;
  windows: WindowSend[];
}

const RATE_RANGE_S = 15;

export async function serverSideChecks(input: ServerSideInput): Promise<ServerSideRecord> {
  const { ctx, metrics: m } = input;
  const conn = ctx.connection();
  const q = ctx.querier;
  const stepS = ctx.stepS;
  const problems: string[] = [];
  const requests = selectorOf(m.requests, m.selector);
  const errors = selectorOf(m.requests, m.selector, `${m.statusLabel}=~"5.."`);
  const buckets = selectorOf(`${m.latency}_bucket`, m.selector);
  const ask = async <T>(what: string, f: () => Promise<T>): Promise<T | null> => {
    try {
      return await f();
    } catch (e) {
      problems.push(`${what}: ${(e as Error).message}`);
      return null;
    }
  };

  // Raw counter samples from a minute before the load to now: every pod's series, born or gone in between.
  const rangeStartS = Math.floor(input.loadStartMs / 1000) - 60;
  const rangeS = Math.ceil(Date.now() / 1000) - rangeStartS;
  const raw = await ask('reconciliation', () =>
    q.instant('reconciliation', conn, `${requests}[${rangeS}s]`, Date.now()),
  );
  let reconciliation: ReconciliationRow[] = [];
  if (raw && raw.length === 0) problems.push(`reconciliation: no series match ${requests}`);
  else if (raw)
    reconciliation = reconcile(raw, input.windows, {
      rangeStartS,
      originS: input.loadStartMs / 1000,
      stepS,
      statusLabel: m.statusLabel,
      maxUnexplained: input.maxUnexplained,
    });

  const checks: ServerWindowCheck[] = [];
  for (const w of input.windows) {
    const lenS = Math.max(1, Math.round((w.endMs - w.startMs) / 1000));
    const p95 = await ask(`server-side p95 (${w.window})`, () =>
      q.instant(
        `server p95 ${w.window}`,
        conn,
        `histogram_quantile(0.95, sum by (le) (increase(${buckets}[${lenS}s])))`,
        w.endMs,
      ),
    );
    const v = p95?.[0]?.values[0]?.[1];
    const row = reconciliation.find((r) => r.window === w.window);
    const counted = row?.counted ?? 0;
    const fivexx = row
      ? Object.entries(row.countedByCode)
          .filter(([c]) => c.startsWith('5'))
          .reduce((a, [, n]) => a + n, 0)
      : 0;
    checks.push({
      window: w.window,
      p95Ms: v !== undefined && Number.isFinite(v) ? round(v * 1000) : null,
      errorRatio: row && counted > 0 ? fivexx / counted : null,
    });
  }

  const series: ServerSeries[] = [];
  const chart = async (name: string, unit: string, query: string, scale = 1) => {
    const r = await ask(`series ${name}`, () =>
      q.range(`series ${name}`, conn, query, input.loadStartMs, input.loadEndMs, stepS),
    );
    const s = r?.[0];
    if (!s) return;
    series.push({
      name,
      unit,
      query,
      points: s.values
        .filter(([, v]) => Number.isFinite(v))
        .map(([t, v]) => [round(t - input.loadStartMs / 1000), round(v * scale)]),
    });
  };
  await chart('server requests/s', 'req/s', `sum(rate(${requests}[${RATE_RANGE_S}s]))`);
  await chart(
    'server p95',
    'ms',
    `histogram_quantile(0.95, sum by (le) (rate(${buckets}[${RATE_RANGE_S}s])))`,
    1000,
  );
  await chart('server 5xx/s', 'req/s', `sum(rate(${errors}[${RATE_RANGE_S}s])) or vector(0)`);
  return {
    url: conn.url,
    stepS,
    metrics: m,
    maxUnexplained: input.maxUnexplained,
    problems: [...new Set(problems)],
    checks,
    reconciliation,
    series,
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
