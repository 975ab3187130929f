/*
 * chaos built-in load script: POSTs feature rows to a model-serving endpoint while the harness injects faults.
 * Everything comes from environment variables set by the harness (src/load/k6.ts); nothing is hard-coded here.
 * The load profile and the windows (CHAOS_SCENARIO_JSON, CHAOS_THRESHOLDS_JSON, CHAOS_WINDOWS,
 * CHAOS_NO_CONNECTION_REUSE) are read by k6/harness.ts, which custom scripts share.
 *
 *   TARGET_URL             required. Full URL the rows are POSTed to (for v2/v1 the harness has added the model's path).
 *   CHAOS_PROTOCOL         the body around the rows: json (default) {"features": rows}; v2 (Open Inference Protocol)
 *                          {"inputs": [{name, shape: [rows, width], datatype, data: row-major}], "outputs": [{name}]};
 *                          v1 (KServe V1) {"instances": rows}.
 *   CHAOS_V2_INPUT         v2: the input tensor's name (default input-0).
 *   CHAOS_V2_DATATYPE      v2: its datatype (default FP32).
 *   CHAOS_V2_OUTPUTS       v2: comma-separated outputs to ask for by name (default: none named, the server's own).
 *   VERSION_HEADER         response header naming the model version (default X-Model-Version; empty: none).
 *   CHAOS_VERSION_PATH     gjson path of the model version in a response body (V2: model_version); the header wins.
 *   ENDPOINT_KEY           optional secret, sent as `Authorization: Bearer <key>`. Env only, never argv.
 *   CHAOS_FEATURES         features per row (default 8).
 *   CHAOS_ROWS             rows per normal request (default 1).
 *   CHAOS_OVERSIZE_ROWS    rows in an oversize batch (default 1000).
 *   CHAOS_OVERSIZE_EVERY   0 = never (default); N = every Nth iteration sends an oversize batch.
 *   CHAOS_OVERSIZE_EXPECT  comma-separated statuses that are the expected answer to an oversize batch (default 413,
 *                          the sample's); any other answer to one is a failed request.
 *   CHAOS_PAYLOAD_FILE     optional absolute path of a JSON file {"features": [[...], ...]} (or one flat row) used
 *                          instead of generated rows; oversize batches repeat its rows.
 *   CHAOS_SEED             seed of the generated rows (default 1), so runs send identical payloads.
 *   CHAOS_REQUEST_TIMEOUT  optional per-request timeout, k6 duration syntax (default k6's 60s).
 *   CHAOS_SCORE_PATH       gjson path of the answers' scores in a response body (e.g. predictions.#.fraudProbability).
 *   CHAOS_CLASS_PATH       gjson path of the answers' class labels. Without either, answers are not captured.
 *   CHAOS_SCORE_COLUMN     the score path finds rows (nested arrays, or a V2 tensor {shape, data} in row-major order):
 *                          the score is this column of each row (e.g. 1: the positive class of predict_proba).
 *   CHAOS_GOLDEN_FILE      optional JSON file {"features": [[...], ...]}: golden rows, one per golden request.
 *   CHAOS_GOLDEN_EVERY     with a golden file: every Nth iteration sends the next golden row instead (default 10).
 *
 * Requests carry tags `window` and `payload` ("normal" | "oversize"); each response's model version is counted in
 * the Counter `chaos_model_version` tagged `model_version` (the header's value, else the body's at
 * CHAOS_VERSION_PATH, else "none") and `window`, or, for a
 * response whose answers are captured, as the `model_version` tag of its first answer (or missing-answer) sample.
 *
 * Answers of successful normal requests are captured as the README's "Prediction quality" section documents, the
 * same way a custom script reports them: each prediction's score into the Trend `chaos_prediction_score` (tagged
 * `class` when a class path is set, `golden` with the row's index for golden rows), or with a class only, 1 into
 * the Counter `chaos_prediction_class`; a response without any answer adds 1 to `chaos_prediction_missing`
 * tagged `reason` (unparsable_body | path_not_found | not_a_number | not_a_class).
 */
import http from 'k6/http';
import type { RefinedParams, ResponseType } from 'k6/http';
import exec from 'k6/execution';
import { Counter, Trend } from 'k6/metrics';
import { builtinOptions, currentWindow, fail, noteTrace, traceparent, TRACING } from './harness.ts';

function intEnv(name: string, fallback: number, min: number): number {
  const raw = __ENV[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) fail(`${name} must be an integer >= ${min}, got "${raw}"`);
  return n;
}

const TARGET_URL = __ENV.TARGET_URL || fail('TARGET_URL is required');
const FEATURES = intEnv('CHAOS_FEATURES', 8, 1);
const ROWS = intEnv('CHAOS_ROWS', 1, 1);
const OVERSIZE_ROWS = intEnv('CHAOS_OVERSIZE_ROWS', 1000, 1);
const OVERSIZE_EVERY = intEnv('CHAOS_OVERSIZE_EVERY', 0, 0);
const SEED = intEnv('CHAOS_SEED', 1, 0);
const SCORE_PATH = __ENV.CHAOS_SCORE_PATH || '';
const CLASS_PATH = __ENV.CHAOS_CLASS_PATH || '';
const CAPTURE = SCORE_PATH !== '' || CLASS_PATH !== '';
const SCORE_COLUMN = intEnv('CHAOS_SCORE_COLUMN', -1, 0);
const VERSION_PATH = __ENV.CHAOS_VERSION_PATH || '';
const READ_BODY = CAPTURE || VERSION_PATH !== '';
const PROTOCOL = __ENV.CHAOS_PROTOCOL || 'json';
if (PROTOCOL !== 'json' && PROTOCOL !== 'v2' && PROTOCOL !== 'v1')
  fail(`CHAOS_PROTOCOL must be json, v2 or v1, got "${PROTOCOL}"`);
const V2_INPUT = __ENV.CHAOS_V2_INPUT || 'input-0';
const V2_DATATYPE = __ENV.CHAOS_V2_DATATYPE || 'FP32';
const V2_OUTPUTS = (__ENV.CHAOS_V2_OUTPUTS || '').split(',').filter((o) => o !== '');
const GOLDEN_EVERY = intEnv('CHAOS_GOLDEN_EVERY', 10, 2);

export const options = builtinOptions();

// mulberry32: tiny, seedable, good enough to make rows look like real features.
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Row = number[];

function generatedRows(count: number, seed: number): Row[] {
  const next = rng(seed);
  const rows: Row[] = [];
  for (let r = 0; r < count; r++) {
    const row: Row = [];
    for (let f = 0; f < FEATURES; f++) row.push(Math.round((next() * 20 - 10) * 10000) / 10000);
    rows.push(row);
  }
  return rows;
}

function fileRows(path: string): Row[] {
  let doc: unknown;
  try {
    doc = JSON.parse(open(path));
  } catch (e) {
    return fail(`CHAOS_PAYLOAD_FILE ${path}: ${String(e)}`);
  }
  const f = doc && typeof doc === 'object' ? (doc as { features?: unknown }).features : undefined;
  if (!Array.isArray(f) || f.length === 0)
    return fail(`CHAOS_PAYLOAD_FILE ${path}: needs a non-empty "features" array`);
  return (Array.isArray(f[0]) ? f : [f]) as Row[];
}

function repeatRows(rows: Row[], count: number, offset = 0): Row[] {
  const out: Row[] = [];
  for (let i = 0; i < count; i++) out.push(rows[(offset + i) % rows.length]!);
  return out;
}

/** The protocol's request body around plain rows. */
function body(rows: Row[]): string {
  if (PROTOCOL === 'v1') return JSON.stringify({ instances: rows });
  if (PROTOCOL === 'json') return JSON.stringify({ features: rows });
  // V2 tensors are row-major flat data with their shape beside them.
  const data: number[] = [];
  for (const row of rows) for (const v of row) data.push(v);
  const request: Record<string, unknown> = {
    inputs: [{ name: V2_INPUT, shape: [rows.length, rows[0]!.length], datatype: V2_DATATYPE, data }],
  };
  if (V2_OUTPUTS.length > 0) request.outputs = V2_OUTPUTS.map((name) => ({ name }));
  return JSON.stringify(request);
}

// Bodies are serialised once in init so an iteration only picks a prebuilt string.
const POOL = 16;
const FILE_ROWS = __ENV.CHAOS_PAYLOAD_FILE ? fileRows(__ENV.CHAOS_PAYLOAD_FILE) : null;
const NORMAL_BODIES: string[] = [];
// With CHAOS_ROWS, successive requests walk through the file's rows instead of resending the first ones.
if (FILE_ROWS && __ENV.CHAOS_ROWS)
  for (let i = 0; i < Math.min(POOL, FILE_ROWS.length); i++)
    NORMAL_BODIES.push(body(repeatRows(FILE_ROWS, ROWS, i * ROWS)));
else if (FILE_ROWS) NORMAL_BODIES.push(body(FILE_ROWS));
else for (let i = 0; i < POOL; i++) NORMAL_BODIES.push(body(generatedRows(ROWS, SEED * 7919 + i)));
const OVERSIZE_BODY =
  OVERSIZE_EVERY > 0
    ? body(
        FILE_ROWS ? repeatRows(FILE_ROWS, OVERSIZE_ROWS) : generatedRows(OVERSIZE_ROWS, SEED * 7919 + POOL),
      )
    : '';

// One request per golden row, so each answer belongs to exactly one row.
const GOLDEN_BODIES: string[] = __ENV.CHAOS_GOLDEN_FILE
  ? fileRows(__ENV.CHAOS_GOLDEN_FILE).map((row) => body([row]))
  : [];

const HEADERS: Record<string, string> = { 'Content-Type': 'application/json' };
if (__ENV.ENDPOINT_KEY) HEADERS.Authorization = `Bearer ${__ENV.ENDPOINT_KEY}`;
const TIMEOUT = __ENV.CHAOS_REQUEST_TIMEOUT || undefined;
const OVERSIZE_EXPECT = (__ENV.CHAOS_OVERSIZE_EXPECT || '413').split(',').map((s) => {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 100 || n > 599)
    fail(`CHAOS_OVERSIZE_EXPECT must list HTTP statuses, got "${s}"`);
  return n;
});
const EXPECT_REFUSAL = http.expectedStatuses(...OVERSIZE_EXPECT);

// k6 exposes response headers in Go's canonical form (X-Model-Version), whatever case the server used.
const VERSION_KEY = (__ENV.VERSION_HEADER === undefined ? 'X-Model-Version' : __ENV.VERSION_HEADER)
  .split('-')
  .map((p) => p.charAt(0).toUpperCase() + p.slice(1).toLowerCase())
  .join('-');

const modelVersion = new Counter('chaos_model_version');
const predictionScore = new Trend('chaos_prediction_score');
const predictionClass = new Counter('chaos_prediction_class');
const predictionMissing = new Counter('chaos_prediction_missing');

// Every distinct class label is a k6 time series: a class path that points at something unbounded (an id, a
// float) must not grow k6's memory per request.
const MAX_CLASSES = 50;
const seenClasses: Record<string, true> = {};
let classCount = 0;
function classTag(v: unknown): string | null {
  if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return null;
  const c = String(v);
  if (seenClasses[c]) return c;
  if (classCount >= MAX_CLASSES) return '(other)';
  seenClasses[c] = true;
  classCount++;
  return c;
}

const NONE: unknown[] = [];

/** A value found at a path, as a flat list: arrays (nested too) give their items; nothing gives []. */
function flat(v: unknown): unknown[] {
  if (!Array.isArray(v)) return v === null || v === undefined ? NONE : [v];
  // The common case, a flat array of answers, is returned as it is.
  for (let i = 0; i < v.length; i++) {
    const x: unknown = v[i];
    if (x === null || x === undefined || Array.isArray(x)) return flatInto(v, []);
  }
  return v;
}

function flatInto(v: unknown[], out: unknown[]): unknown[] {
  for (let i = 0; i < v.length; i++) {
    const x: unknown = v[i];
    if (Array.isArray(x)) flatInto(x, out);
    else if (x !== null && x !== undefined) out.push(x);
  }
  return out;
}

function missingReason(res: { json(selector?: string): unknown }): string {
  try {
    res.json();
  } catch {
    return 'unparsable_body';
  }
  return 'path_not_found';
}

/**
 * The score column of rows found at the score path: nested rows give row[column]; a V2 tensor (an object with
 * `shape` and `data`) gives data[row * width + column], its width being the shape's last dimension.
 */
function columnOf(v: unknown): unknown[] {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const t = v as { shape?: unknown; data?: unknown };
    if (!Array.isArray(t.shape) || !Array.isArray(t.data)) return NONE;
    const data = flat(t.data);
    const width = Number(t.shape[t.shape.length - 1]);
    if (!(width > SCORE_COLUMN)) return NONE;
    const out: unknown[] = [];
    for (let i = SCORE_COLUMN; i < data.length; i += width) out.push(data[i]);
    return out;
  }
  if (!Array.isArray(v)) return NONE;
  const out: unknown[] = [];
  for (let i = 0; i < v.length; i++) {
    const row: unknown = v[i];
    // A flat list of numbers has no columns to pick: not a score, counted as not_a_number.
    out.push(Array.isArray(row) ? row[SCORE_COLUMN] : null);
  }
  return out;
}

function scoresOf(v: unknown): unknown[] {
  return SCORE_COLUMN >= 0 ? columnOf(v) : flat(v);
}

// Every path in one gjson multipath, so a body is scanned once: {"s": <at score path>, "c": <at class path>,
// "v": <at version path>}, a key left out when its path finds nothing.
const PARTS: string[] = [];
if (SCORE_PATH) PARTS.push(`"s":${SCORE_PATH}`);
if (CLASS_PATH) PARTS.push(`"c":${CLASS_PATH}`);
if (VERSION_PATH) PARTS.push(`"v":${VERSION_PATH}`);
const ALL_PATHS = PARTS.length > 1 ? `{${PARTS.join(',')}}` : '';

function versionOf(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' ? String(v) : '';
}

/**
 * Reports the answers of one response. The first sample it writes also carries the response's model version,
 * standing in for that response's chaos_model_version point: one line per response instead of two. A version
 * from a header wins over one in the body.
 */
function captureAnswers(
  res: { json(selector?: string): unknown },
  window: string,
  golden: string | null,
  headerVersion: string,
): void {
  let scores: unknown[];
  let classes: unknown[];
  let version = headerVersion;
  if (ALL_PATHS) {
    let both: unknown;
    try {
      both = res.json(ALL_PATHS);
    } catch {
      both = null;
    }
    const found = (both !== null && typeof both === 'object' ? both : {}) as {
      s?: unknown;
      c?: unknown;
      v?: unknown;
    };
    scores = SCORE_PATH ? scoresOf(found.s) : NONE;
    classes = flat(found.c);
    if (!version) version = versionOf(found.v);
  } else {
    scores = SCORE_PATH ? pathValue(res, SCORE_PATH, scoresOf) : NONE;
    classes = CLASS_PATH ? pathValue(res, CLASS_PATH, flat) : NONE;
    if (!version && VERSION_PATH) version = versionOf(pathValue(res, VERSION_PATH, (v) => [v])[0]);
  }
  if (!version) version = 'none';
  if (!CAPTURE) {
    modelVersion.add(1, { model_version: version, window });
    return;
  }
  const n = Math.max(scores.length, classes.length);
  if (n === 0) {
    predictionMissing.add(1, { reason: missingReason(res), window, model_version: version });
    return;
  }
  for (let i = 0; i < n; i++) {
    const raw = scores[i];
    const score = typeof raw === 'number' && isFinite(raw) ? raw : null;
    const cls = i < classes.length ? classTag(classes[i]) : null;
    const tags: Record<string, string> = { window };
    if (i === 0) tags.model_version = version;
    if (score === null && cls === null) {
      tags.reason = SCORE_PATH ? 'not_a_number' : 'not_a_class';
      predictionMissing.add(1, tags);
      continue;
    }
    if (cls !== null) tags.class = cls;
    if (golden !== null) tags.golden = golden;
    if (score !== null) predictionScore.add(score, tags);
    else predictionClass.add(1, tags);
  }
}

/** The values at one gjson path, shaped by `shape`; [] when the path finds nothing or the body is not JSON. */
function pathValue(
  res: { json(selector?: string): unknown },
  path: string,
  shape: (v: unknown) => unknown[],
): unknown[] {
  try {
    return shape(res.json(path));
  } catch {
    return NONE;
  }
}

export default function score(): void {
  const window = currentWindow();
  const iteration = exec.scenario.iterationInTest;
  const oversize = OVERSIZE_EVERY > 0 && (iteration + 1) % OVERSIZE_EVERY === 0;
  const goldenRow =
    !oversize && GOLDEN_BODIES.length > 0 && iteration % GOLDEN_EVERY === 0
      ? Math.floor(iteration / GOLDEN_EVERY) % GOLDEN_BODIES.length
      : -1;
  const params: RefinedParams<ResponseType> = {
    headers: HEADERS,
    tags: { window, payload: oversize ? 'oversize' : 'normal' },
  };
  if (TIMEOUT) params.timeout = TIMEOUT;
  // The key must be absent (not undefined) for normal requests: an explicit undefined disables http_req_failed.
  if (oversize) params.responseCallback = EXPECT_REFUSAL;
  // Bodies are discarded (harness options) except where an answer is read from them.
  if (READ_BODY && !oversize) params.responseType = 'binary';
  const body =
    goldenRow >= 0
      ? GOLDEN_BODIES[goldenRow]!
      : oversize
        ? OVERSIZE_BODY
        : NORMAL_BODIES[iteration % NORMAL_BODIES.length]!;
  const trace = TRACING ? (HEADERS.traceparent = traceparent(iteration, 'score')) : '';
  const res = http.post(TARGET_URL, body, params);
  if (TRACING) {
    const failed = oversize ? OVERSIZE_EXPECT.indexOf(res.status) < 0 : res.status === 0 || res.status >= 400;
    noteTrace(trace, res, window, failed);
  }
  const version = (VERSION_KEY && res.headers[VERSION_KEY]) || '';
  if (READ_BODY && !oversize && res.status >= 200 && res.status < 300)
    captureAnswers(res, window, goldenRow >= 0 ? String(goldenRow) : null, version);
  else modelVersion.add(1, { model_version: version || 'none', window });
}
