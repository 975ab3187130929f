/**
 * Finding and running the real k6 binary. k6 writes its NDJSON to a file in the report dir (kept as the raw
 * record); this module tails that file while k6 runs and feeds it to K6Ingest, so statistics, the load-start
 * time and the live progress line are available during the run, not only after it.
 */
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { findBinary } from '../adapters/binary.js';
import { EnvironmentError } from '../errors.js';
import { K6Ingest } from './ingest.js';
import type { LiveStats, RecentLoad } from './ingest.js';
import type { LoadSummary } from './summary.js';
import type { ThresholdResult } from '../verdict/result.js';
import { formatWindows, totalSeconds } from './windows.js';
import type { WindowSpec } from './windows.js';

const INSTALL_HINT =
  'Install k6 (https://grafana.com/docs/k6/latest/set-up/install-k6/), put it on PATH or set K6_BIN, ' +
  'or build the pinned one with `bash testbed/build-tools.sh`.';

/** K6_BIN, then PATH, then the testbed's build cache (newest first). */
export function findK6(env: NodeJS.ProcessEnv = process.env): string {
  return findBinary(
    {
      name: 'k6',
      envVar: 'K6_BIN',
      hint: INSTALL_HINT,
      notFound: () => 'k6 was not found (K6_BIN, PATH, testbed cache)',
    },
    env,
  );
}

/** The script shipped with chaos; resolved on use so that importing this module touches no file. */
export function builtinScript(): string {
  // src/load/k6.ts and dist/load/k6.js both sit two levels below the package root, next to k6/.
  return fileURLToPath(new URL('../../k6/score.ts', import.meta.url));
}

/** k6's own exit codes (go.k6.io/k6/errext/exitcodes); 99 is data, not a failure. */
export const K6_EXIT_CODES: Readonly<Record<number, string>> = {
  97: 'cloud test run failed',
  98: 'cloud failed to get progress',
  99: 'thresholds crossed',
  100: 'setup timed out',
  101: 'teardown timed out',
  102: 'generic timeout',
  103: 'engine error',
  104: 'invalid config',
  105: 'aborted from outside',
  106: 'cannot start the REST API',
  107: 'script exception',
  108: 'script aborted',
  109: 'k6 panicked',
  110: 'test marked as failed',
};

export const K6_THRESHOLDS_CROSSED = 99;

/**
 * What k6's --summary-export writes: per metric, the stats named in summaryTrendStats (or count/rate/value),
 * and for a metric with thresholds a `thresholds` map of expression → true when CROSSED (k6 1.8; see
 * thresholdResults).
 */
export interface K6SummaryExport {
  metrics: Record<string, Record<string, number>>;
  [key: string]: unknown;
}

/**
 * The thresholds k6 judged, from its summary export. In that file `true` means the threshold was crossed
 * (k6 1.8.1: `{"p(95)<0.0001": true}` beside exit 99), the opposite of the JSON summary's `ok`.
 */
export function thresholdResults(summary: K6SummaryExport | null): ThresholdResult[] {
  const results: ThresholdResult[] = [];
  for (const [metric, stats] of Object.entries(summary?.metrics ?? {})) {
    const thresholds = (stats as Record<string, unknown>).thresholds;
    if (!thresholds || typeof thresholds !== 'object') continue;
    for (const [expression, crossed] of Object.entries(thresholds as Record<string, unknown>)) {
      if (typeof crossed === 'boolean') results.push({ metric, expression, ok: !crossed });
    }
  }
  return results.sort((a, b) => a.metric.localeCompare(b.metric) || a.expression.localeCompare(b.expression));
}

export interface RunK6Options {
  targetUrl: string;
  /** Windows in run order; also the k6 scenario's default duration. */
  windows: readonly WindowSpec[];
  /** One k6 scenario ({executor: 'constant-arrival-rate', rate, ...}) or a whole `scenarios` map. */
  scenario: Record<string, unknown>;
  thresholds?: Record<string, unknown>;
  /** Response header naming the model version; default X-Model-Version; null: none. */
  versionHeader?: string | null;
  /** gjson path of the model version in a response body (V2: model_version). */
  versionField?: string | null;
  /** How the body is built around the rows (src/scenario/protocol.ts); default json. */
  protocol?: 'json' | 'v2' | 'v1';
  /** v2: the input tensor's name and datatype, the outputs asked for by name. */
  v2?: { input: string; datatype: string; outputs: string[] };
  features?: number;
  rows?: number;
  oversizeRows?: number;
  /** 0 = never; N = every Nth iteration posts an oversize batch that should get a 413. */
  oversizeEvery?: number;
  /** Statuses that are the expected refusal of an oversize batch; default [413]. */
  oversizeRefusedWith?: number[];
  payloadFile?: string;
  /** gjson paths of an answer's score and class in a response body; absent: answers are not captured. */
  answerPaths?: { score: string | null; class: string | null; scoreColumn?: number | null };
  /** The range the score histogram divides (target.response.scoreRange). */
  scoreRange?: readonly [number, number];
  /** The longest look-back `recent()` is asked for (stop conditions), in seconds. */
  recentSeconds?: number;
  /** Golden replay: the rows' file and one golden request every `every` iterations. */
  golden?: { file: string; every: number };
  seed?: number;
  /** target.traces: 16 hex digits every request's trace id starts with (plan.ts); absent, no trace context. */
  traceIdPrefix?: string;
  /** k6 duration syntax, e.g. "10s". */
  requestTimeout?: string;
  /** Sent as a Bearer token; passed to k6 by environment only, never on the command line. */
  endpointKey?: string;
  /** Report dir: raw NDJSON, summary export and k6's stdout/stderr go here. Created if missing. */
  outDir: string;
  /** Default: the built-in k6/score.ts. */
  script?: string;
  /** Default: findK6(env). */
  k6Bin?: string;
  /** Where k6 is looked up and the few variables k6 inherits (PATH, HOME, proxies, CA files) come from. */
  env?: NodeJS.ProcessEnv;
  /** More variables for the script (__ENV). */
  extraEnv?: Record<string, string>;
  /** load.remoteWrite: k6's experimental-prometheus-rw output (its K6_PROMETHEUS_RW_* environment and args). */
  remoteWrite?: { env: Record<string, string>; args: string[] };
  signal?: AbortSignal;
  /** Hard limit; default: the windows' total plus 5 minutes. */
  timeoutMs?: number;
  /** After SIGTERM (cancel or timeout), how long k6 gets to flush before SIGKILL. Default 10 s. */
  killGraceMs?: number;
  onLoadStart?: (at: Date) => void;
  /** How often the raw file is polled for new lines. Default 100 ms. */
  pollMs?: number;
}

export interface K6Files {
  raw: string;
  summary: string;
  stdout: string;
  stderr: string;
}

export interface K6Result {
  /** null when k6 was killed by a signal. */
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  isCanceled: boolean;
  /** Exit 99: k6 thresholds failed. The load ran fully; this is a measurement, not a harness failure. */
  thresholdsCrossed: boolean;
  /** Why the load did not run to its end (in words), or null when it did (exit 0 or 99). */
  failure: string | null;
  summary: LoadSummary;
  /** k6's own end-of-test summary (--summary-export), or null when k6 wrote none. */
  k6Summary: K6SummaryExport | null;
  /** The thresholds k6 judged (from k6Summary); empty when none were set or k6 wrote no summary. */
  thresholds: ThresholdResult[];
  files: K6Files;
  /** The argv k6 ran with (holds no secret). */
  command: string[];
  /** The last lines k6 wrote to stderr. */
  stderrTail: string;
  durationMs: number;
}

export interface K6Run {
  readonly pid: number | undefined;
  /** When the first request started (k6's test-run clock zero); null when k6 ended without any request. */
  readonly loadStarted: Promise<Date | null>;
  /** Progress so far: for a status line. */
  readonly live: LiveStats;
  /** The last `seconds` complete seconds of load: for stop conditions. */
  recent(seconds: number): RecentLoad | null;
  readonly result: Promise<K6Result>;
}

// Only these reach k6 from the caller's environment: anything K6_* would silently reconfigure the run.
const PASSTHROUGH = [
  'PATH',
  'HOME',
  'TMPDIR',
  'TZ',
  'LANG',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
];

export const K6_FILES = {
  raw: 'k6-raw.ndjson',
  summary: 'k6-summary.json',
  stdout: 'k6-stdout.log',
  stderr: 'k6-stderr.log',
} as const;

export function k6Env(opts: RunK6Options): Record<string, string> {
  const source = opts.env ?? process.env;
  const env: Record<string, string> = {};
  for (const k of PASSTHROUGH) {
    const v = source[k];
    if (v !== undefined) env[k] = v;
  }
  const set = (k: string, v: string | number | undefined): void => {
    if (v !== undefined) env[k] = String(v);
  };
  env.K6_NO_USAGE_REPORT = 'true';
  set('TARGET_URL', opts.targetUrl);
  // Empty: no header names the version (the script's default is the sample's X-Model-Version).
  set('VERSION_HEADER', opts.versionHeader === null ? '' : opts.versionHeader);
  set('CHAOS_VERSION_PATH', opts.versionField ?? undefined);
  set('CHAOS_PROTOCOL', opts.protocol);
  set('CHAOS_V2_INPUT', opts.v2?.input);
  set('CHAOS_V2_DATATYPE', opts.v2?.datatype);
  if (opts.v2 && opts.v2.outputs.length > 0) set('CHAOS_V2_OUTPUTS', opts.v2.outputs.join(','));
  set('CHAOS_SCENARIO_JSON', JSON.stringify(opts.scenario));
  if (opts.thresholds) set('CHAOS_THRESHOLDS_JSON', JSON.stringify(opts.thresholds));
  set('CHAOS_WINDOWS', formatWindows(opts.windows));
  set('CHAOS_FEATURES', opts.features);
  set('CHAOS_ROWS', opts.rows);
  set('CHAOS_OVERSIZE_ROWS', opts.oversizeRows);
  set('CHAOS_OVERSIZE_EVERY', opts.oversizeEvery);
  set('CHAOS_OVERSIZE_EXPECT', opts.oversizeRefusedWith?.join(','));
  set('CHAOS_PAYLOAD_FILE', opts.payloadFile === undefined ? undefined : resolve(opts.payloadFile));
  set('CHAOS_SCORE_PATH', opts.answerPaths?.score ?? undefined);
  set('CHAOS_CLASS_PATH', opts.answerPaths?.class ?? undefined);
  set('CHAOS_SCORE_COLUMN', opts.answerPaths?.scoreColumn ?? undefined);
  set('CHAOS_GOLDEN_FILE', opts.golden === undefined ? undefined : resolve(opts.golden.file));
  set('CHAOS_GOLDEN_EVERY', opts.golden?.every);
  set('CHAOS_SEED', opts.seed);
  set('CHAOS_TRACE_ID_PREFIX', opts.traceIdPrefix);
  set('CHAOS_REQUEST_TIMEOUT', opts.requestTimeout);
  set('ENDPOINT_KEY', opts.endpointKey);
  Object.assign(env, opts.extraEnv);
  Object.assign(env, opts.remoteWrite?.env);
  return env;
}

/** What every k6 run of the harness passes, whatever its outputs. */
export const K6_RUN_ARGS: readonly string[] = [
  'run',
  '--no-color',
  '--quiet',
  '--no-usage-report',
  // No REST API: two runs would otherwise fight over localhost:6565 (k6 exits 106).
  '--address',
  '',
];

export function k6Args(script: string, files: K6Files, extra: readonly string[] = []): string[] {
  return [
    ...K6_RUN_ARGS,
    '--out',
    `json=${files.raw}`,
    ...extra,
    '--summary-export',
    files.summary,
    '--summary-trend-stats',
    'avg,min,med,max,p(90),p(95),p(99)',
    script,
  ];
}

const STDERR_TAIL_CHARS = 8 * 1024;

/**
 * Starts k6 and returns at once. `result` rejects only when k6 cannot be started at all (EnvironmentError);
 * every other outcome, including cancel, timeout and k6 errors, resolves with what was measured.
 */
export function runK6(opts: RunK6Options): K6Run {
  const started = Date.now();
  const env = k6Env(opts);
  const files: K6Files = {
    raw: resolve(opts.outDir, K6_FILES.raw),
    summary: resolve(opts.outDir, K6_FILES.summary),
    stdout: resolve(opts.outDir, K6_FILES.stdout),
    stderr: resolve(opts.outDir, K6_FILES.stderr),
  };
  const bin = opts.k6Bin ?? findK6(opts.env ?? process.env);
  const script = resolve(opts.script ?? builtinScript());
  const args = k6Args(script, files, opts.remoteWrite?.args);
  const timeoutMs = opts.timeoutMs ?? (totalSeconds(opts.windows) + 300) * 1000;
  const pollMs = opts.pollMs ?? 100;

  let resolveStart!: (d: Date | null) => void;
  const loadStarted = new Promise<Date | null>((r) => (resolveStart = r));
  const ingest = new K6Ingest({
    windows: opts.windows,
    scoreRange: opts.scoreRange,
    recentSeconds: opts.recentSeconds,
    onLoadStart: (ms) => {
      const at = new Date(ms);
      resolveStart(at);
      opts.onLoadStart?.(at);
    },
  });

  let pid: number | undefined;
  const result = (async (): Promise<K6Result> => {
    try {
      await mkdir(opts.outDir, { recursive: true });
      // Created (and emptied) before k6 starts so the tail can open it at once; k6 truncates it again harmlessly.
      await writeFile(files.raw, '');
      await writeFile(files.summary, '');
    } catch (e) {
      throw new EnvironmentError(`cannot write the k6 output in ${opts.outDir}: ${String(e)}`, undefined, {
        cause: e,
      });
    }
    let stderrTail = '';
    const subprocess = execa(bin, args, {
      cwd: opts.outDir,
      env,
      extendEnv: false,
      stdin: 'ignore',
      stdout: { file: files.stdout },
      stderr: ['pipe', { file: files.stderr }],
      buffer: false,
      reject: false,
      cancelSignal: opts.signal,
      timeout: timeoutMs,
      killSignal: 'SIGTERM',
      // k6 stops on the first SIGTERM and flushes its outputs; SIGKILL only if that hangs.
      forceKillAfterDelay: opts.killGraceMs ?? 10_000,
    });
    pid = subprocess.pid;
    subprocess.stderr?.on('data', (chunk: Buffer) => {
      stderrTail = (stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
    });

    let exited = false;
    let wake: (() => void) | null = null;
    const finished = subprocess.then(() => {
      exited = true;
      wake?.();
    });
    let tailError: unknown;
    const tailing = tailFile(
      files.raw,
      ingest,
      () => exited,
      (w) => (wake = w),
      pollMs,
    ).catch((e: unknown) => {
      // Load nobody measures is only risk: stop k6 rather than let it run blind.
      tailError = e;
      subprocess.kill();
    });
    const [r] = await Promise.all([subprocess, finished, tailing]);
    resolveStart(null);
    if (tailError !== undefined) {
      throw new EnvironmentError(
        `reading k6 output ${files.raw} failed: ${tailError instanceof Error ? tailError.message : 'unknown error'}`,
        undefined,
        {
          cause: tailError,
        },
      );
    }

    if (r.exitCode === undefined && r.signal === undefined && !r.isCanceled && !r.timedOut) {
      // execa could not start k6 at all (ENOENT, EACCES, ...).
      throw new EnvironmentError(`could not start k6 (${bin}): ${r.shortMessage}`, INSTALL_HINT, {
        cause: r,
      });
    }
    const exitCode = r.exitCode ?? null;
    const signal = r.signal ?? null;
    const thresholdsCrossed = exitCode === K6_THRESHOLDS_CROSSED;
    const k6Summary = await readSummary(files.summary);
    let failure: string | null = null;
    if (r.isCanceled) failure = 'cancelled';
    else if (r.timedOut)
      failure = `k6 did not finish within ${Math.round(timeoutMs / 1000)} s and was stopped`;
    else if (signal !== null) failure = `k6 was killed by ${signal}`;
    else if (exitCode !== 0 && !thresholdsCrossed) {
      const meaning = exitCode === null ? '' : K6_EXIT_CODES[exitCode];
      const last = lastLine(stderrTail);
      failure = `k6 exited with code ${exitCode}${meaning ? ` (${meaning})` : ''}${last ? `: ${last}` : ''}`;
    }
    return {
      exitCode,
      signal,
      timedOut: r.timedOut,
      isCanceled: r.isCanceled,
      thresholdsCrossed,
      failure,
      summary: ingest.summary(),
      k6Summary,
      thresholds: thresholdResults(k6Summary),
      files,
      command: [bin, ...args],
      stderrTail,
      durationMs: Date.now() - started,
    };
  })();
  // If start-up fails before the subprocess exists, the start promise must still settle.
  result.catch(() => resolveStart(null));

  return {
    get pid() {
      return pid;
    },
    loadStarted,
    get live() {
      return ingest.live();
    },
    recent: (seconds) => ingest.recent(seconds),
    result,
  };
}

/** Reads what k6 appended since the last look, until `done()` holds and the file is drained. */
async function tailFile(
  path: string,
  ingest: K6Ingest,
  done: () => boolean,
  onWake: (wake: (() => void) | null) => void,
  pollMs: number,
): Promise<void> {
  const buf = Buffer.allocUnsafe(1 << 20);
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, 'r');
    for (;;) {
      // Sampled before reading: whatever k6 wrote before exiting is then read by this last pass.
      const last = done();
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, null);
        if (bytesRead === 0) break;
        ingest.write(buf.subarray(0, bytesRead));
      }
      if (last) break;
      await new Promise<void>((r) => {
        const t = setTimeout(() => {
          onWake(null);
          r();
        }, pollMs);
        onWake(() => {
          clearTimeout(t);
          onWake(null);
          r();
        });
      });
    }
  } finally {
    ingest.end();
    await fh?.close();
  }
}

async function readSummary(path: string): Promise<K6SummaryExport | null> {
  try {
    const doc = JSON.parse(await readFile(path, 'utf8')) as unknown;
    if (
      doc &&
      typeof doc === 'object' &&
      'metrics' in doc &&
      doc.metrics &&
      typeof doc.metrics === 'object'
    ) {
      return doc as K6SummaryExport;
    }
  } catch {
    // k6 wrote none (killed, or failed before the end): the ingest's numbers stand alone.
  }
  return null;
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return (lines[lines.length - 1] ?? '').trim().slice(0, 500);
}
