import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EnvironmentError, ExitCode } from '../../../src/errors.js';
import { builtinScript, findK6, k6Args, k6Env, runK6, thresholdResults } from '../../../src/load/k6.js';
import type { RunK6Options } from '../../../src/load/k6.js';

const root = mkdtempSync(join(tmpdir(), 'chaos-k6-unit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
function dir(): string {
  const d = join(root, String(++n));
  mkdirSync(d, { recursive: true });
  return d;
}

function executable(path: string, body = '#!/bin/sh\nexit 0\n'): string {
  writeFileSync(path, body);
  chmodSync(path, 0o755);
  return path;
}

function opts(over: Partial<RunK6Options> = {}): RunK6Options {
  return {
    targetUrl: 'http://127.0.0.1:9/score',
    windows: [
      { name: 'baseline', seconds: 1 },
      { name: 'fault', seconds: 1 },
    ],
    scenario: { executor: 'constant-arrival-rate', rate: 5 },
    outDir: dir(),
    env: { PATH: '/usr/bin:/bin', HOME: '/nowhere' },
    ...over,
  };
}

describe('findK6', () => {
  it('prefers K6_BIN', () => {
    const bin = executable(join(dir(), 'my-k6'));
    expect(findK6({ K6_BIN: bin, PATH: '' })).toBe(bin);
  });

  it('rejects a K6_BIN that is not executable, with exit code 3 and a hint', () => {
    const notExec = join(dir(), 'k6');
    writeFileSync(notExec, '');
    for (const bad of [notExec, join(root, 'missing')]) {
      try {
        findK6({ K6_BIN: bad });
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(EnvironmentError);
        expect((e as EnvironmentError).exitCode).toBe(ExitCode.Environment);
        expect((e as EnvironmentError).hint).toMatch(/K6_BIN/);
      }
    }
  });

  it('searches PATH, then the newest testbed cache entry', () => {
    const d = dir();
    const onPath = executable(join(d, 'k6'));
    expect(findK6({ PATH: `/definitely/not:${d}` })).toBe(onPath);

    const cache = dir();
    const older = join(cache, 'aaa', 'bin');
    const newer = join(cache, 'bbb', 'bin');
    mkdirSync(older, { recursive: true });
    mkdirSync(newer, { recursive: true });
    executable(join(older, 'k6'));
    executable(join(newer, 'k6'));
    utimesSync(join(older, 'k6'), new Date(2030, 0, 1), new Date(2030, 0, 1));
    utimesSync(join(newer, 'k6'), new Date(2020, 0, 1), new Date(2020, 0, 1));
    expect(findK6({ PATH: '', CHAOS_TESTBED_CACHE: cache })).toBe(join(older, 'k6'));
    const home = dir();
    mkdirSync(join(home, '.cache', 'chaos-testbed', 'k', 'bin'), { recursive: true });
    const inHome = executable(join(home, '.cache', 'chaos-testbed', 'k', 'bin', 'k6'));
    expect(findK6({ PATH: '', HOME: home })).toBe(inHome);
  });

  it('throws EnvironmentError when k6 is nowhere', () => {
    expect(() => findK6({ PATH: '', CHAOS_TESTBED_CACHE: join(root, 'none') })).toThrow(EnvironmentError);
  });
});

describe('k6 invocation', () => {
  it('passes only allow-listed variables plus the script settings, secrets by environment only', () => {
    const o = opts({
      env: {
        PATH: '/bin',
        HOME: '/h',
        K6_OUT: 'cloud',
        K6_DURATION: '1h',
        AWS_SECRET_ACCESS_KEY: 'x',
        HTTPS_PROXY: 'p',
      },
      endpointKey: 's3cr3t',
      oversizeEvery: 10,
      thresholds: { http_req_failed: ['rate<0.01'] },
      payloadFile: 'rel/payload.json',
      extraEnv: { MY_VAR: '1' },
    });
    const env = k6Env(o);
    expect(env).toMatchObject({
      PATH: '/bin',
      HOME: '/h',
      HTTPS_PROXY: 'p',
      K6_NO_USAGE_REPORT: 'true',
      TARGET_URL: 'http://127.0.0.1:9/score',
      CHAOS_WINDOWS: 'baseline:1,fault:1',
      CHAOS_OVERSIZE_EVERY: '10',
      ENDPOINT_KEY: 's3cr3t',
      MY_VAR: '1',
    });
    expect(env.CHAOS_PAYLOAD_FILE).toMatch(/^\/.*rel\/payload\.json$/);
    expect(JSON.parse(env.CHAOS_SCENARIO_JSON!)).toEqual(o.scenario);
    expect(JSON.parse(env.CHAOS_THRESHOLDS_JSON!)).toEqual(o.thresholds);
    expect(env).not.toHaveProperty('K6_OUT');
    expect(env).not.toHaveProperty('K6_DURATION');
    expect(env).not.toHaveProperty('AWS_SECRET_ACCESS_KEY');
    expect(env).not.toHaveProperty('VERSION_HEADER');

    const args = k6Args('/s.js', { raw: '/o/raw', summary: '/o/sum', stdout: '/o/out', stderr: '/o/err' });
    expect(args).toContain('json=/o/raw');
    expect(args.join(' ')).not.toContain('s3cr3t');
    expect(args.at(-1)).toBe('/s.js');
  });

  it('ships the built-in script', () => {
    expect(readFileSync(builtinScript(), 'utf8')).toContain('chaos_model_version');
  });
});

const line = (metric: string, value: number, tags: string): string =>
  `{"metric":"${metric}","type":"Point","data":{"time":"'"$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)"'","value":${value},"tags":${tags}}}`;
const TAGS = '{"status":"200","payload":"normal","window":"baseline","expected_response":"true"}';

/** A stand-in for k6: appends points to the json= file over ~0.6 s, records its env, then exits 99. */
function fakeK6(d: string, exit: number): string {
  return executable(
    join(d, 'fake-k6'),
    [
      '#!/bin/sh',
      'for a in "$@"; do case "$a" in json=*) out="${a#json=}";; esac; done',
      'env > "$PWD/env.txt"',
      'echo "some warning" >&2',
      `echo '${line('http_req_duration', 3, TAGS)}' >> "$out"`,
      `echo '${line('http_req_failed', 0, TAGS)}' >> "$out"`,
      'sleep 0.6',
      // a line split across two writes, as k6's buffered writer may leave it
      `printf '%s' '${line('http_req_duration', 5, TAGS).slice(0, 40)}' >> "$out"`,
      'sleep 0.3',
      `echo '${line('http_req_duration', 5, TAGS).slice(40)}' >> "$out"`,
      `echo '{"metrics":{"http_reqs":{"count":2}}}' > "$PWD/k6-summary.json"`,
      `exit ${exit}`,
    ].join('\n') + '\n',
  );
}

describe('runK6 (with a stand-in binary)', () => {
  it('streams the file while the process runs and reports load start before it ends', async () => {
    const d = dir();
    const o = opts({ outDir: d, k6Bin: fakeK6(d, 99), endpointKey: 'k' });
    const run = runK6(o);
    const started = await run.loadStarted;
    const exited = await Promise.race([run.result.then(() => true), Promise.resolve(false)]);
    expect(exited).toBe(false);
    expect(started).toBeInstanceOf(Date);
    expect(run.live.requests).toBe(1);
    const r = await run.result;
    expect(r).toMatchObject({ exitCode: 99, thresholdsCrossed: true, failure: null, signal: null });
    expect(r.summary.windows.at(-1)!.requests).toBe(2);
    expect(r.k6Summary).toEqual({ metrics: { http_reqs: { count: 2 } } });
    expect(r.stderrTail).toContain('some warning');
    expect(readFileSync(r.files.stderr, 'utf8')).toContain('some warning');
    const env = readFileSync(join(d, 'env.txt'), 'utf8');
    expect(env).toContain('ENDPOINT_KEY=k');
    expect(env).toContain('CHAOS_WINDOWS=baseline:1,fault:1');
  });

  it('classifies other exit codes as failures with k6 meaning and stderr', async () => {
    const d = dir();
    const r = await runK6(opts({ outDir: d, k6Bin: fakeK6(d, 104) })).result;
    expect(r.exitCode).toBe(104);
    expect(r.failure).toBe('k6 exited with code 104 (invalid config): some warning');
  });

  it('stops a hung k6 at the timeout', async () => {
    const d = dir();
    const bin = executable(join(d, 'hang'), '#!/bin/sh\nexec sleep 30\n');
    const t = Date.now();
    const run = runK6(opts({ outDir: d, k6Bin: bin, timeoutMs: 300 }));
    const r = await run.result;
    expect(Date.now() - t).toBeLessThan(5_000);
    expect(r).toMatchObject({ timedOut: true, signal: 'SIGTERM', exitCode: null });
    expect(r.failure).toMatch(/did not finish/);
    expect(await run.loadStarted).toBeNull();
  });

  it('rejects with EnvironmentError when the binary cannot be started', async () => {
    const run = runK6(opts({ k6Bin: join(root, 'no-such-k6') }));
    await expect(run.result).rejects.toBeInstanceOf(EnvironmentError);
    expect(await run.loadStarted).toBeNull();
  });

  it('throws EnvironmentError up front when k6 cannot be found', () => {
    expect(() => runK6(opts({ env: { PATH: '', CHAOS_TESTBED_CACHE: join(root, 'none') } }))).toThrow(
      EnvironmentError,
    );
  });
});

describe('thresholdResults', () => {
  it('reads k6 1.8 summary-export thresholds, where true means crossed', () => {
    // As k6 v1.8.1 wrote it for a run that exited 99 (test/integration/load/k6.test.ts runs the real one).
    const summary = {
      metrics: {
        http_req_failed: { passes: 0, fails: 5, thresholds: { 'rate<0.5': false }, value: 0 },
        http_req_duration: {
          avg: 1.2,
          'p(95)': 3.5,
          thresholds: { 'p(95)<0.0001': true, 'p(95)<100000': false },
        },
        'http_req_duration{window:fault}': { 'p(95)': 4.1, thresholds: { 'p(95)<250': false } },
        http_reqs: { count: 5, rate: 582.8 },
      },
    } as unknown as Parameters<typeof thresholdResults>[0];
    expect(thresholdResults(summary)).toEqual([
      { metric: 'http_req_duration', expression: 'p(95)<0.0001', ok: false },
      { metric: 'http_req_duration', expression: 'p(95)<100000', ok: true },
      { metric: 'http_req_duration{window:fault}', expression: 'p(95)<250', ok: true },
      { metric: 'http_req_failed', expression: 'rate<0.5', ok: true },
    ]);
  });

  it('is empty without a summary or without thresholds', () => {
    expect(thresholdResults(null)).toEqual([]);
    expect(thresholdResults({ metrics: { http_reqs: { count: 2 } } })).toEqual([]);
  });
});
