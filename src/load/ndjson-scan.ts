/**
 * One line of k6's `--out json` NDJSON → the point it carries, if the ingest needs it. This is where the ingest's
 * CPU goes, so the common case is read on bytes and by hand: k6 1.x writes points in one fixed layout, most of
 * its lines are metrics the ingest ignores (dismissed on their first bytes, never decoded), and the few it needs
 * are read without JSON.parse. Anything outside that layout goes to JSON.parse, which stays the definition of
 * what a line means: the fast path must agree with it exactly (test/unit/load/ndjson-scan.test.ts).
 */

/** Which of the needed metrics a line carries. */
export const Metric = {
  None: 0,
  Duration: 1,
  Failed: 2,
  Version: 3,
  Dropped: 4,
  Score: 5,
  Class: 6,
  Missing: 7,
  Trace: 8,
} as const;
export type MetricKind = (typeof Metric)[keyof typeof Metric];
/** scan()'s answer for a line that is not JSON, or a needed point without a string time and a numeric value. */
export const MALFORMED = -1;
export type ScanResult = MetricKind | typeof MALFORMED;

interface K6Line {
  type?: unknown;
  metric?: unknown;
  data?: { time?: unknown; value?: unknown; tags?: Record<string, unknown> | null };
}

// k6 1.x's layout of a point, piece by piece:
//   {"metric":"<name>","type":"Point","data":{"time":"<time>","value":<number>,"tags":{"k":"v",...}}}
const METRIC_HEAD = '{"metric":"';
const POINT_HEAD = ',"type":"Point","data":{"time":"';
const VALUE_KEY = ',"value":';
const TAGS_KEY = ',"tags":{';
const POINT_TAIL = '}}}';
// k6 declares each metric once in a line that starts like this: never a point.
const METRIC_DECLARATION_HEAD = '{"type":"Metric"';

// Each needed metric's name with its closing quote, indexed by kind: the quote makes `http_req_duration_x` differ.
const NAMES = [
  '',
  'http_req_duration"',
  'http_req_failed"',
  'chaos_model_version"',
  'dropped_iterations"',
  'chaos_prediction_score"',
  'chaos_prediction_class"',
  'chaos_prediction_missing"',
  'chaos_trace"',
];
// The harness's own metrics, all starting with `chaos_`, tried in this order after their first byte.
const CHAOS_KINDS = [Metric.Version, Metric.Score, Metric.Class, Metric.Missing, Metric.Trace] as const;
// Tags the ingest reads; the fast path skips the others.
const READ_TAGS = new Set([
  'status',
  'error_code',
  'payload',
  'window',
  'model_version',
  'class',
  'golden',
  'reason',
  'trace_id',
  'cause',
]);
const HTTP_REQ = 'http_req_';

const B_METRIC_HEAD = Buffer.from(METRIC_HEAD);
const B_METRIC_DECLARATION_HEAD = Buffer.from(METRIC_DECLARATION_HEAD);
const B_NAMES = NAMES.map((n) => Buffer.from(n));
// Where the fast parser picks up in a line of each kind: just after `{"metric":"<name>"`.
const AFTER_NAME = NAMES.map((n) => METRIC_HEAD.length + n.length);
const NAME_AT = METRIC_HEAD.length;
// The first byte after `http_req_` tells duration from failed.
const HTTP_REQ_SUFFIX_AT = HTTP_REQ.length;

const C_OPEN_BRACE = 123;
const C_CLOSE_BRACE = 125;
const C_QUOTE = 34;
const C_COLON = 58;
const C_COMMA = 44;
const C_H = 104;
const C_C = 99;
const C_D = 100;
const C_F = 102;
const C_DOT = 46;
const C_ZERO = 48;

// `YYYY-MM-DDTHH:MM:SS`: what a time has before its fraction and zone.
const TIME_SECONDS_LENGTH = 19;

function bytesAt(buf: Buffer, at: number, what: Buffer): boolean {
  if (at + what.length > buf.length) return false;
  for (let i = 0; i < what.length; i++) if (buf[at + i] !== what[i]) return false;
  return true;
}

function metricKind(name: unknown): MetricKind {
  if (name === 'http_req_duration') return Metric.Duration;
  if (name === 'http_req_failed') return Metric.Failed;
  if (name === 'chaos_model_version') return Metric.Version;
  if (name === 'dropped_iterations') return Metric.Dropped;
  if (name === 'chaos_prediction_score') return Metric.Score;
  if (name === 'chaos_prediction_class') return Metric.Class;
  if (name === 'chaos_prediction_missing') return Metric.Missing;
  if (name === 'chaos_trace') return Metric.Trace;
  return Metric.None;
}

export interface ScannerOptions {
  /** Reads every line with JSON.parse: the reference the fast path is tested against, not for production. */
  jsonOnly?: boolean;
}

/**
 * Reads lines one at a time. After scan() returns a metric kind, `time`, `value` and `tags` hold that point's
 * fields until the next call (`tags` may be an object reused for every line: read it synchronously).
 */
export class PointScanner {
  time = '';
  value = 0;
  tags: Record<string, unknown> = {};

  private readonly jsonOnly: boolean;
  private readonly fastTags: Record<string, unknown> = {};

  constructor(opts: ScannerOptions = {}) {
    this.jsonOnly = opts.jsonOnly ?? false;
  }

  /** The line in buf[s, e), without its line break; Metric.None for a line the ingest does not need. */
  scan(buf: Buffer, s: number, e: number): ScanResult {
    if (buf[s] !== C_OPEN_BRACE) return buf.toString('utf8', s, e).trim() === '' ? Metric.None : MALFORMED;
    // The name is at a fixed offset, so the ~11 of 14 lines per request that are not needed are dismissed on
    // their bytes.
    let kind: MetricKind = Metric.None;
    if (this.jsonOnly) {
      // no byte-level shortcuts
    } else if (bytesAt(buf, s, B_METRIC_HEAD)) {
      const n = s + NAME_AT;
      const c0 = buf[n];
      if (c0 === C_H) {
        const c = buf[n + HTTP_REQ_SUFFIX_AT];
        if (c === C_D && bytesAt(buf, n, B_NAMES[Metric.Duration]!)) kind = Metric.Duration;
        else if (c === C_F && bytesAt(buf, n, B_NAMES[Metric.Failed]!)) kind = Metric.Failed;
        else return Metric.None;
      } else if (c0 === C_C) {
        for (const k of CHAOS_KINDS) {
          if (bytesAt(buf, n, B_NAMES[k]!)) {
            kind = k;
            break;
          }
        }
        if (kind === Metric.None) return Metric.None;
      } else if (c0 === C_D && bytesAt(buf, n, B_NAMES[Metric.Dropped]!)) kind = Metric.Dropped;
      else return Metric.None;
    } else if (bytesAt(buf, s, B_METRIC_DECLARATION_HEAD)) {
      return Metric.None;
    }
    const text = buf.toString('utf8', s, e);
    if (kind !== Metric.None && this.fastPoint(text, AFTER_NAME[kind]!)) return kind;
    return this.jsonPoint(text);
  }

  /**
   * JSON.parse's reading of a line, the definition the fast path follows. The kind is taken from the parsed
   * object even when the bytes named a metric: a line in another layout may still not be a point (a Metric
   * line written metric first) or name its metric twice.
   */
  private jsonPoint(text: string): ScanResult {
    let doc: K6Line;
    try {
      doc = JSON.parse(text) as K6Line;
    } catch {
      return MALFORMED;
    }
    if (doc.type !== 'Point') return Metric.None;
    const kind = metricKind(doc.metric);
    if (kind === Metric.None) return Metric.None;
    const time = doc.data?.time;
    const value = doc.data?.value;
    if (typeof time !== 'string' || typeof value !== 'number') return MALFORMED;
    this.time = time;
    this.value = value;
    this.tags = doc.data?.tags ?? {};
    return kind;
  }

  /**
   * k6 1.x's exact layout read by hand from `at` (just after the metric's name); anything else (escapes,
   * another order, null tags) returns false for JSON.parse.
   */
  private fastPoint(t: string, at: number): boolean {
    if (!t.startsWith(POINT_HEAD, at)) return false;
    const ts = at + POINT_HEAD.length;
    if (t.indexOf('\\', ts) >= 0) return false;
    const te = t.indexOf('"', ts);
    if (te < 0 || !t.startsWith(VALUE_KEY, te + 1)) return false;
    const vs = te + 1 + VALUE_KEY.length;
    const ve = t.indexOf(',', vs);
    if (ve <= vs || !t.startsWith(TAGS_KEY, ve)) return false;
    const v = Number(t.slice(vs, ve));
    if (Number.isNaN(v)) return false;
    const tags = this.fastTags;
    tags.status = tags.payload = tags.window = tags.model_version = undefined;
    tags.class = tags.golden = tags.reason = tags.error_code = tags.trace_id = tags.cause = undefined;
    let k = ve + TAGS_KEY.length;
    if (t.charCodeAt(k) !== C_CLOSE_BRACE) {
      for (;;) {
        if (t.charCodeAt(k) !== C_QUOTE) return false;
        const ke = t.indexOf('"', k + 1);
        if (ke < 0 || t.charCodeAt(ke + 1) !== C_COLON) return false;
        const key = t.slice(k + 1, ke);
        k = ke + 2;
        // k6's tags are strings; anything else (an object may hold commas and keys of its own) is JSON.parse's.
        if (t.charCodeAt(k) !== C_QUOTE) return false;
        const vq = t.indexOf('"', k + 1);
        if (vq < 0) return false;
        const val = t.slice(k + 1, vq);
        k = vq + 1;
        if (READ_TAGS.has(key)) tags[key] = val;
        const c = t.charCodeAt(k);
        if (c === C_COMMA) k++;
        else if (c === C_CLOSE_BRACE) break;
        else return false;
      }
    }
    // ...and nothing after it: two lines run together are not one point.
    if (k + POINT_TAIL.length !== t.length || !t.startsWith(POINT_TAIL, k)) return false;
    this.time = t.slice(ts, te);
    this.value = v;
    this.tags = tags;
    return true;
  }
}

/**
 * Epoch ms (with the fraction below a millisecond) of k6's RFC 3339 times. Date.parse per line is costly; the
 * part up to the second changes once a second, so its epoch is cached and only the fraction is parsed by hand.
 */
export class K6TimeParser {
  private prefix = '';
  private zone = '';
  private base = 0;

  /** YYYY-MM-DDTHH:MM:SS[.fffffffff](Z|±hh:mm); NaN when not a time. */
  parse(t: string): number {
    if (t.length <= TIME_SECONDS_LENGTH) return Date.parse(t);
    let i = TIME_SECONDS_LENGTH;
    let frac = 0;
    if (t.charCodeAt(i) === C_DOT) {
      i++;
      // ms per digit: the first fraction digit is hundreds of ms; digits past nanoseconds are ignored
      let scale = 100;
      for (; i < t.length; i++) {
        const c = t.charCodeAt(i) - C_ZERO;
        if (c < 0 || c > 9) break;
        if (scale >= 1e-6) {
          frac += c * scale;
          scale /= 10;
        }
      }
    }
    const cached =
      this.prefix !== '' &&
      t.startsWith(this.prefix) &&
      t.length - i === this.zone.length &&
      t.endsWith(this.zone);
    if (!cached) {
      const prefix = t.slice(0, TIME_SECONDS_LENGTH);
      const zone = t.slice(i);
      const base = Date.parse(prefix + zone);
      if (Number.isNaN(base)) return NaN;
      this.prefix = prefix;
      this.zone = zone;
      this.base = base;
    }
    return this.base + frac;
  }
}
