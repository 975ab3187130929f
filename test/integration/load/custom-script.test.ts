/**
 * Custom k6 scripts under the scenario's load profile, run by the real k6 against a node:http server on
 * 127.0.0.1: the generated entry module applies the rate, tags windows, keeps the script's setup, teardown,
 * handleSummary and compatible options, and reports the options it replaced. Each run is a few seconds.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PROFILE_OPTIONS,
  ScriptRejected,
  lastK6Error,
  prepareCustomScript,
} from '../../../src/load/entry.js';
import { findK6, k6Env, runK6 } from '../../../src/load/k6.js';
import type { RunK6Options } from '../../../src/load/k6.js';
import type { LoadSummary } from '../../../src/load/summary.js';

const k6 = findK6();
const WINDOWS = [
  { name: 'baseline', seconds: 2 },
  { name: 'fault', seconds: 2 },
  { name: 'recovery', seconds: 2 },
];
const RATE = 30;

function requests(s: LoadSummary, window: string): number {
  return s.windows.find((w) => w.window === window)?.requests ?? 0;
}

describe('custom k6 scripts under the scenario profile (real k6)', () => {
  let server: Server;
  let base = '';
  let slowMs = 0;
  const hits: string[] = [];
  const traceparents: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'chaos-custom-it-'));

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      const tp = req.headers.traceparent;
      if (typeof tp === 'string') traceparents.push(tp);
      const status = req.url?.startsWith('/fail') ? 503 : 200;
      const delay = req.url?.startsWith('/slow') ? 150 : slowMs;
      setTimeout(
        () => res.writeHead(status, { 'content-type': 'application/json' }).end('{"ok":true}'),
        delay,
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  const options = (out: string): RunK6Options => ({
    targetUrl: `${base}/features/42`,
    windows: WINDOWS,
    scenario: {
      executor: 'constant-arrival-rate',
      rate: RATE,
      timeUnit: '1s',
      duration: '6s',
      preAllocatedVUs: 5,
      maxVUs: 20,
      gracefulStop: '2s',
    },
    k6Bin: k6,
    outDir: out,
  });

  /** Writes a script, prepares it the way `chaos run` does, runs it; returns what was measured. */
  async function run(name: string, source: string, exec = 'default', extra: Partial<RunK6Options> = {}) {
    const script = join(dir, name);
    writeFileSync(script, source);
    const out = mkdtempSync(join(dir, 'out-'));
    const opts = { ...options(out), ...extra };
    const prepared = await prepareCustomScript({ k6Bin: k6, script, exec, env: k6Env(opts) });
    const entry = await prepared.writeEntry(out);
    const result = await runK6({ ...opts, script: entry }).result;
    return { prepared, result, out };
  }

  it('applies the rate and tags windows for a plain script with no options', async () => {
    const { prepared, result, out } = await run(
      'plain.js',
      `import http from 'k6/http';
import { check } from 'k6';
export function setup() { return { path: '/features/7' }; }
export default function (data) {
  const res = http.get(__ENV.TARGET_URL.replace('/features/42', data.path));
  check(res, { 'status is 200': (r) => r.status === 200 });
}
export function handleSummary() { return { 'custom-summary.txt': 'kept' }; }
`,
    );
    expect(prepared.ignoredOptions).toEqual([]);
    expect(result.failure).toBeNull();
    const total = requests(result.summary, 'all');
    // 6 s at 30/s: within 2 % of 180 (a request or two at the edges).
    expect(Math.abs(total - RATE * 6) / (RATE * 6)).toBeLessThanOrEqual(0.02);
    for (const w of WINDOWS) expect(requests(result.summary, w.name)).toBeGreaterThanOrEqual(RATE * 2 - 3);
    // setup's data reached the iterations, and handleSummary ran.
    expect(hits.filter((h) => h === '/features/7').length).toBe(total);
    expect(readFileSync(join(out, 'custom-summary.txt'), 'utf8')).toBe('kept');
  });

  it('gives its k6/http requests trace context and reports the failed and slowest ones (target.traces)', async () => {
    traceparents.length = 0;
    const { result } = await run(
      'traced.js',
      `import http from 'k6/http';
import { get } from 'k6/http';
import exec from 'k6/execution';
export default function () {
  const n = exec.scenario.iterationInTest;
  const base = __ENV.TARGET_URL.replace('/features/42', '');
  // Two requests per iteration, one through a named import; every 10th fails, every 25th is slow.
  http.post(base + (n % 10 === 0 ? '/fail' : '/ok'), '{}');
  get(base + (n % 25 === 1 ? '/slow' : '/ok'), { headers: { 'x-user': 'kept' } });
}
`,
      'default',
      { traceIdPrefix: '0123456789abcdef' },
    );
    expect(result.failure).toBeNull();
    const all = result.summary.windows.find((w) => w.window === 'all')!;
    // Every request carried a sampled traceparent under the prefix, no two the same trace id.
    expect(traceparents.length).toBe(all.requests);
    for (const tp of traceparents) expect(tp).toMatch(/^00-0123456789abcdef[0-9a-f]{16}-[0-9a-f]{16}-01$/);
    const ids = traceparents.map((tp) => tp.slice(3, 35));
    expect(new Set(ids).size).toBe(ids.length);
    const sent = new Set(ids);
    const fault = result.summary.windows.find((w) => w.window === 'fault')!.exemplars;
    expect(fault.failed.length).toBeGreaterThan(0);
    for (const e of fault.failed) expect([sent.has(e.traceId), e.status]).toEqual([true, '503']);
    // The slowest traced requests are the slow path's (150 ms against ~1 ms).
    expect(fault.slowest[0]!.ms).toBeGreaterThanOrEqual(150);
    expect(sent.has(fault.slowest[0]!.traceId)).toBe(true);
  });

  it("reports the script's own profile options and runs the scenario's, keeping its thresholds", async () => {
    const { prepared, result } = await run(
      'own-options.js',
      `import http from 'k6/http';
export const options = { iterations: 1, vus: 1, thresholds: { http_req_duration: ['p(95)<0'] } };
export default function () { http.get(__ENV.TARGET_URL); }
`,
    );
    expect(prepared.ignoredOptions).toEqual(['vus', 'iterations']);
    expect(requests(result.summary, 'all')).toBeGreaterThanOrEqual(RATE * 6 - 4);
    // The script's threshold (impossible to meet) was kept: k6 says it was crossed.
    expect(result.thresholdsCrossed).toBe(true);
  });

  it('runs a TypeScript script and a named function (load.exec)', async () => {
    const { result } = await run(
      'named.ts',
      `import http from 'k6/http';
interface Target { url: string }
const target: Target = { url: __ENV.TARGET_URL as string };
export function browse(): void { http.get(target.url); }
`,
      'browse',
    );
    expect(result.failure).toBeNull();
    expect(requests(result.summary, 'fault')).toBeGreaterThanOrEqual(RATE * 2 - 3);
  });

  it('shows a script that starts throwing: the later windows get nothing, and k6 logged why', async () => {
    const { result } = await run(
      'throws.js',
      `import http from 'k6/http';
import exec from 'k6/execution';
export default function () {
  if (exec.instance.currentTestRunDuration > 2000) throw new Error('feature store client broke');
  http.get(__ENV.TARGET_URL);
}
`,
    );
    expect(requests(result.summary, 'baseline')).toBeGreaterThanOrEqual(RATE * 2 - 3);
    expect(requests(result.summary, 'fault')).toBe(0);
    expect(lastK6Error(result.stderrTail)).toMatch(/^Error: feature store client broke at .*throws\.js:4/);
  });

  it("counts k6's dropped iterations when the script has too few VUs for the rate", async () => {
    slowMs = 400;
    try {
      const script = join(dir, 'slow.js');
      writeFileSync(
        script,
        `import http from 'k6/http';\nexport default function () { http.get(__ENV.TARGET_URL); }\n`,
      );
      const out = mkdtempSync(join(dir, 'out-'));
      const opts: RunK6Options = {
        ...options(out),
        scenario: { ...options(out).scenario, preAllocatedVUs: 1, maxVUs: 2 },
      };
      const prepared = await prepareCustomScript({ k6Bin: k6, script, exec: 'default', env: k6Env(opts) });
      const r = await runK6({ ...opts, script: await prepared.writeEntry(out) }).result;
      const all = r.summary.windows.find((w) => w.window === 'all')!;
      // Two VUs at 400 ms each serve 5/s of the 30/s asked: most arrivals are dropped.
      expect(all.dropped).toBeGreaterThan(RATE * 6 * 0.5);
      expect(all.requests + all.dropped).toBeGreaterThanOrEqual(RATE * 6 - 4);
    } finally {
      slowMs = 0;
    }
  });

  it('refuses, before any load, a script k6 cannot load or a function it does not export', async () => {
    const entryDirs = () => readdirSync(tmpdir()).filter((n) => n.startsWith('chaos-entry-'));
    const before = entryDirs();
    const bad = join(dir, 'syntax.js');
    writeFileSync(bad, 'export default function ( {\n');
    const env = k6Env(options(dir));
    await expect(
      prepareCustomScript({ k6Bin: k6, script: bad, exec: 'default', env }),
    ).rejects.toBeInstanceOf(ScriptRejected);
    const ok = join(dir, 'ok.js');
    writeFileSync(ok, 'export default function () {}\n');
    await expect(prepareCustomScript({ k6Bin: k6, script: ok, exec: 'nope', env })).rejects.toThrow(
      /exports no function "nope"/,
    );
    // The entry written to check the script is gone again, refused or not.
    expect(entryDirs().filter((n) => !before.includes(n))).toEqual([]);
  });

  it('names the same profile options as k6/harness.ts', () => {
    const harness = readFileSync(new URL('../../../k6/harness.ts', import.meta.url), 'utf8');
    const m = /export const PROFILE_OPTIONS = \[([^\]]*)\]/.exec(harness);
    expect(m?.[1]?.split(',').map((x) => x.trim().replace(/'/g, ''))).toEqual([...PROFILE_OPTIONS]);
  });
});
