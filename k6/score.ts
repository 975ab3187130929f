/*
 * chaos built-in load script: POSTs feature rows to a model-serving endpoint while the harness injects faults.
 * Everything comes from environment variables set by the harness (src/load/k6.ts); nothing is hard-coded here.
 * The load profile and the windows (CHAOS_SCENARIO_JSON, CHAOS_THRESHOLDS_JSON, CHAOS_WINDOWS,
 * CHAOS_NO_CONNECTION_REUSE) are read by k6/harness.ts, which custom scripts share.
 *
 *   TARGET_URL             required. Full URL of the scoring endpoint (POSTed JSON {"features": [[...], ...]}).
 *   VERSION_HEADER         response header naming the model version (default X-Model-Version).
 *   ENDPOINT_KEY           optional secret, sent as `Authorization: Bearer <key>`. Env only, never argv.
 *   CHAOS_FEATURES         features per row (default 8).
 *   CHAOS_ROWS             rows per normal request (default 1).
 *   CHAOS_OVERSIZE_ROWS    rows in an oversize batch (default 1000).
 *   CHAOS_OVERSIZE_EVERY   0 = never (default); N = every Nth iteration sends an oversize batch, for which 413 is
 *                          the expected status.
 *   CHAOS_PAYLOAD_FILE     optional absolute path of a JSON file {"features": [[...], ...]} (or one flat row) used
 *                          instead of generated rows; oversize batches repeat its rows.
 *   CHAOS_SEED             seed of the generated rows (default 1), so runs send identical payloads.
 *   CHAOS_REQUEST_TIMEOUT  optional per-request timeout, k6 duration syntax (default k6's 60s).
 *   CHAOS_SCORE_PATH       gjson path of the answers' scores in a response body (e.g. predictions.#.fraudProbability).
 *   CHAOS_CLASS_PATH       gjson path of the answers' class labels. Without either, answers are not captured.
 *   CHAOS_GOLDEN_FILE      optional JSON file {"features": [[...], ...]}: golden rows, one per golden request.
 *   CHAOS_GOLDEN_EVERY     with a golden file: every Nth iteration sends the next golden row instead (default 10).
 *
 * Requests carry tags `window` and `payload` ("normal" | "oversize"); each response's model version is counted in
 * the Counter `chaos_model_version` tagged `model_version` (header value or "none") and `window`, or, for a
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
import { builtinOptions, currentWindow, fail } from './harness.ts';

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

// Bodies are serialised once in init so an iteration only picks a prebuilt string.
const POOL = 16;
const FILE_ROWS = __ENV.CHAOS_PAYLOAD_FILE ? fileRows(__ENV.CHAOS_PAYLOAD_FILE) : null;
const NORMAL_BODIES: string[] = [];
// With CHAOS_ROWS, successive requests walk through the file's rows instead of resending the first ones.
if (FILE_ROWS && __ENV.CHAOS_ROWS)
  for (let i = 0; i < Math.min(POOL, FILE_ROWS.length); i++)
    NORMAL_BODIES.push(JSON.stringify({ features: repeatRows(FILE_ROWS, ROWS, i * ROWS) }));
else if (FILE_ROWS) NORMAL_BODIES.push(JSON.stringify({ features: FILE_ROWS }));
else
  for (let i = 0; i < POOL; i++)
    NORMAL_BODIES.push(JSON.stringify({ features: generatedRows(ROWS, SEED * 7919 + i) }));
const OVERSIZE_BODY =
  OVERSIZE_EVERY > 0
    ? JSON.stringify({
        features: FILE_ROWS
          ? repeatRows(FILE_ROWS, OVERSIZE_ROWS)
          : generatedRows(OVERSIZE_ROWS, SEED * 7919 + POOL),
      })
    : '';

// One request per golden row, so each answer belongs to exactly one row.
const GOLDEN_BODIES: string[] = __ENV.CHAOS_GOLDEN_FILE
  ? fileRows(__ENV.CHAOS_GOLDEN_FILE).map((row) => JSON.stringify({ features: [row] }))
  : [];

const HEADERS: Record<string, string> = { 'Content-Type': 'application/json' };
if (__ENV.ENDPOINT_KEY) HEADERS.Authorization = `Bearer ${__ENV.ENDPOINT_KEY}`;
const TIMEOUT = __ENV.CHAOS_REQUEST_TIMEOUT || undefined;
const EXPECT_413 = http.expectedStatuses(413);

// k6 exposes response headers in Go's canonical form (X-Model-Version), whatever case the server used.
const VERSION_KEY = (__ENV.VERSION_HEADER || 'X-Model-Version')
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

/** The values at a gjson path, flattened; [] when the path finds nothing or the body is not JSON. */
function valuesAt(res: { json(selector?: string): unknown }, path: string): unknown[] {
  try {
    return flat(res.json(path));
  } catch {
    return [];
  }
}

function missingReason(res: { json(selector?: string): unknown }): string {
  try {
    res.json();
  } catch {
    return 'unparsable_body';
  }
  return 'path_not_found';
}

// Both paths in one gjson multipath, so a body is scanned once: {"s": <at score path>, "c": <at class path>},
// a key left out when its path finds nothing.
const BOTH_PATHS = SCORE_PATH && CLASS_PATH ? `{"s":${SCORE_PATH},"c":${CLASS_PATH}}` : '';

/**
 * Reports the answers of one response. The first sample it writes also carries the response's model version,
 * standing in for that response's chaos_model_version point: one line per response instead of two.
 */
function captureAnswers(
  res: { json(selector?: string): unknown },
  window: string,
  golden: string | null,
  version: string,
): void {
  let scores: unknown[];
  let classes: unknown[];
  if (BOTH_PATHS) {
    let both: unknown;
    try {
      both = res.json(BOTH_PATHS);
    } catch {
      both = null;
    }
    const found = (both !== null && typeof both === 'object' ? both : {}) as { s?: unknown; c?: unknown };
    scores = flat(found.s);
    classes = flat(found.c);
  } else {
    scores = SCORE_PATH ? valuesAt(res, SCORE_PATH) : [];
    classes = CLASS_PATH ? valuesAt(res, CLASS_PATH) : [];
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
  if (oversize) params.responseCallback = EXPECT_413;
  // Bodies are discarded (harness options) except where an answer is read from them.
  if (CAPTURE && !oversize) params.responseType = 'binary';
  const body =
    goldenRow >= 0
      ? GOLDEN_BODIES[goldenRow]!
      : oversize
        ? OVERSIZE_BODY
        : NORMAL_BODIES[iteration % NORMAL_BODIES.length]!;
  const res = http.post(TARGET_URL, body, params);
  const version = res.headers[VERSION_KEY] || 'none';
  if (CAPTURE && !oversize && res.status >= 200 && res.status < 300)
    captureAnswers(res, window, goldenRow >= 0 ? String(goldenRow) : null, version);
  else modelVersion.add(1, { model_version: version, window });
}
