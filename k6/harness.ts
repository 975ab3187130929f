/*
 * What every load chaos runs shares, whichever script sends the requests: the windows each request is tagged
 * with, and the k6 options a scenario's load profile becomes. Imported by the built-in k6/score.ts and by the
 * entry module the harness generates around a custom script (src/load/entry.ts), so a custom script gets the
 * same profile and the same window tags as the built-in one without writing any glue.
 *
 * Everything comes from environment variables set by the harness (src/load/k6.ts):
 *   CHAOS_SCENARIO_JSON    one k6 scenario object ({"executor": "constant-arrival-rate", "rate": 50, ...}) or a
 *                          whole `scenarios` map. Supported executors: constant-arrival-rate, ramping-arrival-rate,
 *                          ramping-vus, constant-vus. A missing duration (and no stages) defaults to the sum of
 *                          CHAOS_WINDOWS. Default: constant-arrival-rate 10/s.
 *   CHAOS_THRESHOLDS_JSON  optional k6 thresholds map, e.g. {"http_req_failed": ["rate<0.01"]}.
 *   CHAOS_WINDOWS          ordered "name:seconds" list, e.g. "baseline:30,fault:60,recovery:30" (default
 *                          "baseline:60"). Every request is tagged `window` by elapsed test-run time at the start
 *                          of its iteration; time past the last window still counts as the last window.
 *   CHAOS_NO_CONNECTION_REUSE  "true": a new TCP connection per request, like many independent clients.
 *   CHAOS_TRACE_ID_PREFIX  16 hex digits (from the run's seed; target.traces): every request carries a sampled W3C
 *                          `traceparent` whose trace id starts with them, and the requests worth a look (failed,
 *                          or among their VU's slowest in a window) are reported as `chaos_trace` points.
 */
import exec from 'k6/execution';
import type http from 'k6/http';
import { Trend } from 'k6/metrics';
import type { Options, Scenario } from 'k6/options';

export function fail(message: string): never {
  throw new Error(`chaos: ${message}`);
}

export function jsonEnv(name: string): unknown {
  const raw = __ENV[name];
  if (raw === undefined || raw === '') return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch (e) {
    return fail(`${name} is not valid JSON: ${String(e)}`);
  }
}

interface Window {
  name: string;
  seconds: number;
}

const WINDOWS: Window[] = (__ENV.CHAOS_WINDOWS || 'baseline:60').split(',').map((part) => {
  const m = /^\s*([A-Za-z0-9_-]+)\s*:\s*(\d+(?:\.\d+)?)\s*$/.exec(part);
  if (!m) return fail(`CHAOS_WINDOWS entry "${part}" is not name:seconds`);
  return { name: m[1]!, seconds: Number(m[2]) };
});
// Window ends in ms of test-run time, precomputed so the per-iteration lookup is a short scan.
const WINDOW_ENDS_MS: number[] = [];
{
  let acc = 0;
  for (const w of WINDOWS) {
    acc += w.seconds * 1000;
    WINDOW_ENDS_MS.push(acc);
  }
}
const TOTAL_S = WINDOW_ENDS_MS[WINDOW_ENDS_MS.length - 1]! / 1000;
const LAST_WINDOW = WINDOWS[WINDOWS.length - 1]!.name;

export function windowAt(elapsedMs: number): string {
  for (let i = 0; i < WINDOW_ENDS_MS.length; i++) if (elapsedMs < WINDOW_ENDS_MS[i]!) return WINDOWS[i]!.name;
  return LAST_WINDOW;
}

export function currentWindow(): string {
  return windowAt(exec.instance.currentTestRunDuration);
}

/**
 * Tags everything this VU emits from now on (requests, checks, custom metrics) with the current window: the
 * same tag the built-in script puts on its requests, for code the harness did not write.
 */
export function tagWindow(): string {
  const window = currentWindow();
  exec.vu.metrics.tags.window = window;
  iterationWindow = window;
  return window;
}
let iterationWindow = '';

/*
 * Trace context. A trace id is the seed's 16 hex digits, the scenario's 2, the iteration's 10 (iterationInTest is
 * unique across runners' execution segments) and the request's index in its iteration, 4: the same seed gives
 * the same ids, so a rerun's traces line up with the first run's, and no two requests of a run share one. Every
 * request is sampled: the harness cannot know in advance which one it will want to look at.
 *
 * Which trace ids reach the harness is decided here, per VU and window, so the NDJSON grows by a handful of
 * lines per VU and window rather than one per request: its first FAILED_PER_WINDOW failed requests, and its
 * SLOW_PER_WINDOW slowest (see noteTrace). The harness keeps the window's best of them.
 */
const TRACE_PREFIX = __ENV.CHAOS_TRACE_ID_PREFIX || '';
export const TRACING = TRACE_PREFIX !== '';
if (TRACING && !/^[0-9a-f]{16}$/.test(TRACE_PREFIX))
  fail(`CHAOS_TRACE_ID_PREFIX must be 16 lowercase hex digits, got "${TRACE_PREFIX}"`);
const traceExemplar = TRACING ? new Trend('chaos_trace', true) : null;
const SLOW_PER_WINDOW = 3;
const FAILED_PER_WINDOW = 5;
const ZEROS = '0000000000';

function hex(n: number, width: number): string {
  const s = n.toString(16);
  return s.length >= width ? s.slice(s.length - width) : ZEROS.slice(0, width - s.length) + s;
}

const scenarioHex: Record<string, string> = {};
let scenarioCount = 0;
let idIteration = -1;
let idScenario = '';
let idBase = '';
let idRequest = 0;
/**
 * The next request's `traceparent` header: version 00, sampled. The built-in script passes the iteration it
 * already read (each read of exec.scenario crosses into Go); a custom script's wrapper reads it here.
 */
export function traceparent(iteration?: number, name?: string): string {
  if (iteration === undefined || name === undefined) {
    const scenario = exec.scenario;
    iteration = scenario.iterationInTest;
    name = scenario.name;
  }
  if (iteration !== idIteration || name !== idScenario) {
    let s = scenarioHex[name];
    if (s === undefined) s = scenarioHex[name] = hex(scenarioCount++, 2);
    idIteration = iteration;
    idScenario = name;
    idBase = s + hex(iteration, 10);
    idRequest = 0;
  } else idRequest++;
  // The span id is k6's side of the call: unique within the trace, never all zeros (the request index + 1).
  const span = idBase + hex(idRequest + 1, 4);
  return '00-' + TRACE_PREFIX + idBase + hex(idRequest, 4) + '-' + span + '-01';
}

interface Slow {
  ms: number;
  header: string;
  status: number;
}

let exemplarWindow = '';
// This VU's slowest requests in exemplarWindow, slowest first. Reported when the VU moves on to a later window,
// so a window costs SLOW_PER_WINDOW points per VU; in the last window, which has no later one to wait for, each
// is reported as it qualifies.
let slowest: Slow[] = [];
let failedSent = 0;

/**
 * Reports the request sent with `header` (its traceparent) to the harness when it failed or is among this VU's
 * slowest in `window`.
 */
export function noteTrace(
  header: string,
  res: http.RefinedResponse<http.ResponseType | undefined>,
  window: string,
  failed: boolean,
): void {
  if (window !== exemplarWindow) {
    if (exemplarWindow !== LAST_WINDOW) for (const s of slowest) emitExemplar(s, exemplarWindow, 'slow');
    exemplarWindow = window;
    slowest = [];
    failedSent = 0;
  }
  const ms = res.timings.duration;
  if (failed && failedSent < FAILED_PER_WINDOW) {
    failedSent++;
    emitExemplar({ ms, header, status: res.status }, window, 'failed');
  }
  if (slowest.length === SLOW_PER_WINDOW && ms <= slowest[SLOW_PER_WINDOW - 1]!.ms) return;
  let i = slowest.length;
  while (i > 0 && ms > slowest[i - 1]!.ms) i--;
  const s = { ms, header, status: res.status };
  slowest.splice(i, 0, s);
  if (slowest.length > SLOW_PER_WINDOW) slowest.pop();
  if (window === LAST_WINDOW) emitExemplar(s, window, 'slow');
}

function emitExemplar(request: Slow, window: string, cause: string): void {
  // A tag, although each point's unique id costs k6 a time series: carried as k6 metadata instead
  // (exec.vu.metrics.metadata, set and deleted around the add), trace capture measured 1.12–1.37× the harness's
  // CPU per request in bench/cost.ts, against a median of 0.99× this way.
  // version-traceid-spanid-flags: the id is the 32 digits after "00-".
  traceExemplar!.add(request.ms, {
    window,
    cause,
    status: String(request.status),
    trace_id: request.header.slice(3, 35),
  });
}

// Where each k6/http function takes its params.
const PARAMS_AT: Record<string, number> = {
  get: 1,
  head: 1,
  post: 2,
  put: 2,
  patch: 2,
  del: 2,
  options: 2,
  request: 3,
};

/**
 * A custom script's requests get the same trace context as the built-in script's: the k6/http module's
 * functions are wrapped in place (k6 hands every importer, default or named, the same functions). A
 * `traceparent` the script sets itself is kept and its trace id recorded. http.batch and asyncRequest are not
 * wrapped: their requests carry no trace context.
 */
export function traceHttp(module: typeof http): void {
  if (!TRACING) return;
  const target = module as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of Object.keys(PARAMS_AT)) {
    const original = target[name];
    if (typeof original !== 'function') continue;
    const at = PARAMS_AT[name]!;
    target[name] = function traced(...args: unknown[]): unknown {
      const params = (args[at] ?? {}) as { headers?: Record<string, string> };
      let header = params.headers?.traceparent ?? params.headers?.Traceparent;
      if (typeof header !== 'string') {
        header = traceparent();
        args[at] = { ...params, headers: { ...params.headers, traceparent: header } };
      }
      const res = original.apply(module, args) as http.RefinedResponse<http.ResponseType | undefined>;
      noteTrace(header, res, iterationWindow, res.status === 0 || res.status >= 400);
      return res;
    };
  }
}

const EXECUTORS = ['constant-arrival-rate', 'ramping-arrival-rate', 'ramping-vus', 'constant-vus'];

function harnessScenarios(exec?: string): Record<string, Scenario> {
  const parsed = jsonEnv('CHAOS_SCENARIO_JSON');
  const given =
    parsed === undefined
      ? { executor: 'constant-arrival-rate', rate: 10, timeUnit: '1s', preAllocatedVUs: 10, maxVUs: 100 }
      : parsed;
  if (given === null || typeof given !== 'object' || Array.isArray(given))
    fail('CHAOS_SCENARIO_JSON must be a JSON object');
  const obj = given as Record<string, unknown>;
  const map = (typeof obj.executor === 'string' ? { score: obj } : obj) as Record<
    string,
    Record<string, unknown>
  >;
  for (const name of Object.keys(map)) {
    const s = map[name];
    if (!s || EXECUTORS.indexOf(String(s.executor)) < 0)
      fail(`scenario "${name}": executor must be one of ${EXECUTORS.join(', ')}`);
    // The harness sizes windows, so a scenario without its own length runs exactly as long as the windows.
    const hasLength = s.duration !== undefined || Array.isArray(s.stages);
    if (!hasLength && (s.executor === 'constant-arrival-rate' || s.executor === 'constant-vus'))
      s.duration = `${TOTAL_S}s`;
    if (exec !== undefined) s.exec = exec;
  }
  return map as unknown as Record<string, Scenario>;
}

// The tags the harness reads; url/name/group vary per request in many scripts and only make every NDJSON
// line longer, so they are left out unless a custom script asks for them.
const SYSTEM_TAGS = ['status', 'method', 'scenario', 'expected_response', 'error', 'error_code'];
const SUMMARY_TREND_STATS = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'];

function harnessThresholds(): NonNullable<Options['thresholds']> {
  return (jsonEnv('CHAOS_THRESHOLDS_JSON') as Options['thresholds']) || {};
}

/** The built-in script's options. */
export function builtinOptions(): Options {
  return {
    scenarios: harnessScenarios(),
    // Many independent clients open their own connections; one k6 VU reusing a socket would pin its traffic
    // to one pod and hide how new pods are admitted to the Service.
    noConnectionReuse: __ENV.CHAOS_NO_CONNECTION_REUSE === 'true',
    thresholds: harnessThresholds(),
    // Bodies are never read; discarding them keeps k6's per-request cost and memory flat.
    discardResponseBodies: true,
    summaryTrendStats: SUMMARY_TREND_STATS,
    systemTags: SYSTEM_TAGS,
  };
}

/**
 * Options that decide how much load runs and for how long. The scenario owns them: a custom script's own
 * values are dropped (the harness reports them before the run, src/load/entry.ts).
 */
export const PROFILE_OPTIONS = ['scenarios', 'duration', 'vus', 'iterations', 'stages', 'rps'] as const;

/**
 * A custom script's options under the scenario's profile: its compatible options (thresholds, tags,
 * discardResponseBodies, ...) are kept, the profile is the harness's, and `exec` runs the harness's wrapper.
 */
export function customOptions(user: Options | undefined, exec: string): Options {
  const own: Record<string, unknown> = { ...(user ?? {}) };
  for (const k of PROFILE_OPTIONS) delete own[k];
  const thresholds = { ...(user?.thresholds ?? {}), ...harnessThresholds() };
  const tags = user?.systemTags ? [...user.systemTags] : [];
  for (const t of SYSTEM_TAGS) if (tags.indexOf(t) < 0) tags.push(t);
  const options: Options = {
    ...own,
    scenarios: harnessScenarios(exec),
    thresholds,
    systemTags: tags,
    summaryTrendStats: SUMMARY_TREND_STATS,
  };
  if (__ENV.CHAOS_NO_CONNECTION_REUSE === 'true') options.noConnectionReuse = true;
  return options;
}
