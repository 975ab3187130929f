/*
 * chaos built-in load script: POSTs feature rows to a model-serving endpoint while the harness injects faults.
 * Everything comes from environment variables set by the harness (src/load/k6.ts); nothing is hard-coded here.
 *
 *   TARGET_URL             required. Full URL of the scoring endpoint (POSTed JSON {"features": [[...], ...]}).
 *   VERSION_HEADER         response header naming the model version (default X-Model-Version).
 *   ENDPOINT_KEY           optional secret, sent as `Authorization: Bearer <key>`. Env only, never argv.
 *   CHAOS_SCENARIO_JSON    one k6 scenario object ({"executor": "constant-arrival-rate", "rate": 50, ...}) or a
 *                          whole `scenarios` map. Supported executors: constant-arrival-rate, ramping-arrival-rate,
 *                          ramping-vus, constant-vus. A missing duration (and no stages) defaults to the sum of
 *                          CHAOS_WINDOWS. Default: constant-arrival-rate 10/s.
 *   CHAOS_THRESHOLDS_JSON  optional k6 thresholds map, e.g. {"http_req_failed": ["rate<0.01"]}.
 *   CHAOS_WINDOWS          ordered "name:seconds" list, e.g. "baseline:30,fault:60,recovery:30" (default
 *                          "baseline:60"). Every request is tagged `window` by elapsed test-run time; time past
 *                          the last window still counts as the last window.
 *   CHAOS_FEATURES         features per row (default 8).
 *   CHAOS_ROWS             rows per normal request (default 1).
 *   CHAOS_OVERSIZE_ROWS    rows in an oversize batch (default 1000).
 *   CHAOS_OVERSIZE_EVERY   0 = never (default); N = every Nth iteration sends an oversize batch, for which 413 is
 *                          the expected status.
 *   CHAOS_PAYLOAD_FILE     optional absolute path of a JSON file {"features": [[...], ...]} (or one flat row) used
 *                          instead of generated rows; oversize batches repeat its rows.
 *   CHAOS_SEED             seed of the generated rows (default 1), so runs send identical payloads.
 *   CHAOS_REQUEST_TIMEOUT  optional per-request timeout, k6 duration syntax (default k6's 60s).
 *   CHAOS_NO_CONNECTION_REUSE  "true": a new TCP connection per request, like many independent clients.
 *
 * Requests carry tags `window` and `payload` ("normal" | "oversize"); each response's model version is counted in
 * the Counter `chaos_model_version` tagged `model_version` (header value or "none") and `window`.
 */
import http from 'k6/http';
import exec from 'k6/execution';
import { Counter } from 'k6/metrics';

function fail(message) {
  throw new Error(`chaos score.js: ${message}`);
}

function intEnv(name, fallback, min) {
  const raw = __ENV[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) fail(`${name} must be an integer >= ${min}, got "${raw}"`);
  return n;
}

function jsonEnv(name) {
  const raw = __ENV[name];
  if (raw === undefined || raw === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch (e) {
    return fail(`${name} is not valid JSON: ${e}`);
  }
}

const TARGET_URL = __ENV.TARGET_URL || fail('TARGET_URL is required');
const FEATURES = intEnv('CHAOS_FEATURES', 8, 1);
const ROWS = intEnv('CHAOS_ROWS', 1, 1);
const OVERSIZE_ROWS = intEnv('CHAOS_OVERSIZE_ROWS', 1000, 1);
const OVERSIZE_EVERY = intEnv('CHAOS_OVERSIZE_EVERY', 0, 0);
const SEED = intEnv('CHAOS_SEED', 1, 0);

// Window ends in ms of test-run time, precomputed so the per-request lookup is a short scan.
const WINDOWS = (__ENV.CHAOS_WINDOWS || 'baseline:60').split(',').map((part) => {
  const m = /^\s*([A-Za-z0-9_-]+)\s*:\s*(\d+(?:\.\d+)?)\s*$/.exec(part);
  if (!m) fail(`CHAOS_WINDOWS entry "${part}" is not name:seconds`);
  return { name: m[1], seconds: Number(m[2]) };
});
const WINDOW_ENDS_MS = [];
{
  let acc = 0;
  for (const w of WINDOWS) {
    acc += w.seconds * 1000;
    WINDOW_ENDS_MS.push(acc);
  }
}
const TOTAL_S = WINDOW_ENDS_MS[WINDOW_ENDS_MS.length - 1] / 1000;
const LAST_WINDOW = WINDOWS[WINDOWS.length - 1].name;

function windowAt(elapsedMs) {
  for (let i = 0; i < WINDOW_ENDS_MS.length; i++) if (elapsedMs < WINDOW_ENDS_MS[i]) return WINDOWS[i].name;
  return LAST_WINDOW;
}

function buildScenarios() {
  const parsed = jsonEnv('CHAOS_SCENARIO_JSON');
  const given =
    parsed === undefined
      ? { executor: 'constant-arrival-rate', rate: 10, timeUnit: '1s', preAllocatedVUs: 10, maxVUs: 100 }
      : parsed;
  if (given === null || typeof given !== 'object' || Array.isArray(given))
    fail('CHAOS_SCENARIO_JSON must be a JSON object');
  const map = typeof given.executor === 'string' ? { score: given } : given;
  const allowed = ['constant-arrival-rate', 'ramping-arrival-rate', 'ramping-vus', 'constant-vus'];
  for (const name of Object.keys(map)) {
    const s = map[name];
    if (!s || allowed.indexOf(s.executor) < 0)
      fail(`scenario "${name}": executor must be one of ${allowed.join(', ')}`);
    // The harness sizes windows, so a scenario without its own length runs exactly as long as the windows.
    const hasLength = s.duration !== undefined || Array.isArray(s.stages);
    if (!hasLength && (s.executor === 'constant-arrival-rate' || s.executor === 'constant-vus'))
      s.duration = `${TOTAL_S}s`;
  }
  return map;
}

export const options = {
  scenarios: buildScenarios(),
  // Many independent clients open their own connections; one k6 VU reusing a socket would pin its traffic to
  // one pod and hide how new pods are admitted to the Service.
  noConnectionReuse: __ENV.CHAOS_NO_CONNECTION_REUSE === 'true',
  thresholds: jsonEnv('CHAOS_THRESHOLDS_JSON') || {},
  // Bodies are never read; discarding them keeps k6's per-request cost and memory flat.
  discardResponseBodies: true,
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'],
  // url/name/group/proto are constant here; dropping them shrinks every NDJSON line the harness must parse.
  systemTags: ['status', 'method', 'scenario', 'expected_response', 'error', 'error_code'],
};

// mulberry32: tiny, seedable, good enough to make rows look like real features.
function rng(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generatedRows(count, seed) {
  const next = rng(seed);
  const rows = [];
  for (let r = 0; r < count; r++) {
    const row = [];
    for (let f = 0; f < FEATURES; f++) row.push(Math.round((next() * 20 - 10) * 10000) / 10000);
    rows.push(row);
  }
  return rows;
}

function fileRows(path) {
  let doc;
  try {
    doc = JSON.parse(open(path));
  } catch (e) {
    return fail(`CHAOS_PAYLOAD_FILE ${path}: ${e}`);
  }
  const f = doc && doc.features;
  if (!Array.isArray(f) || f.length === 0)
    fail(`CHAOS_PAYLOAD_FILE ${path}: needs a non-empty "features" array`);
  return Array.isArray(f[0]) ? f : [f];
}

function repeatRows(rows, count, offset = 0) {
  const out = [];
  for (let i = 0; i < count; i++) out.push(rows[(offset + i) % rows.length]);
  return out;
}

// Bodies are serialised once in init so an iteration only picks a prebuilt string.
const POOL = 16;
const FILE_ROWS = __ENV.CHAOS_PAYLOAD_FILE ? fileRows(__ENV.CHAOS_PAYLOAD_FILE) : null;
const NORMAL_BODIES = [];
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

const HEADERS = { 'Content-Type': 'application/json' };
if (__ENV.ENDPOINT_KEY) HEADERS.Authorization = `Bearer ${__ENV.ENDPOINT_KEY}`;
const TIMEOUT = __ENV.CHAOS_REQUEST_TIMEOUT || undefined;
const EXPECT_413 = http.expectedStatuses(413);

// k6 exposes response headers in Go's canonical form (X-Model-Version), whatever case the server used.
const VERSION_KEY = (__ENV.VERSION_HEADER || 'X-Model-Version')
  .split('-')
  .map((p) => p.charAt(0).toUpperCase() + p.slice(1).toLowerCase())
  .join('-');

const modelVersion = new Counter('chaos_model_version');

export default function score() {
  const window = windowAt(exec.instance.currentTestRunDuration);
  const iteration = exec.scenario.iterationInTest;
  const oversize = OVERSIZE_EVERY > 0 && (iteration + 1) % OVERSIZE_EVERY === 0;
  const params = { headers: HEADERS, tags: { window, payload: oversize ? 'oversize' : 'normal' } };
  if (TIMEOUT) params.timeout = TIMEOUT;
  // The key must be absent (not undefined) for normal requests: an explicit undefined disables http_req_failed.
  if (oversize) params.responseCallback = EXPECT_413;
  const res = http.post(
    TARGET_URL,
    oversize ? OVERSIZE_BODY : NORMAL_BODIES[iteration % NORMAL_BODIES.length],
    params,
  );
  modelVersion.add(1, { model_version: res.headers[VERSION_KEY] || 'none', window });
}
