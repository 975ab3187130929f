/**
 * What runners run, proven with the real k6 on this machine (no cluster): k6's execution segments of one test,
 * run side by side as the runner pods run them, against a node:http server on 127.0.0.1.
 *
 * - Golden replay: the built-in script picks a golden row from exec.scenario.iterationInTest, which k6 numbers
 *   across all segments. Three segments together send each golden row exactly as often as one unsegmented k6,
 *   and every window of the merged load holds every golden row.
 * - A custom script as `k6 archive` packs it (what the runners' ConfigMap carries): its local module and the
 *   file it open()s travel inside, the secret its init code reads does not, and its segments together send the
 *   whole profile.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareCustomScript } from '../../../src/load/entry.js';
import { K6Ingest } from '../../../src/load/ingest.js';
import { builtinScript, findK6, k6Args, k6Env, type RunK6Options } from '../../../src/load/k6.js';
import type { LoadSummary } from '../../../src/load/summary.js';
import { SecondTimeline } from '../../../src/load/timeline.js';
import { executionSegments } from '../../../src/runners/manifests.js';
import { AnswerPath } from '../../../src/scenario/answer-path.js';

const k6 = findK6();
const WINDOWS = [
  { name: 'baseline', seconds: 2 },
  { name: 'fault', seconds: 2 },
  { name: 'recovery', seconds: 2 },
];
const RATE = 30;
const SECRET = 'runner-secret-5d2e9c';

/** Runs k6 once per segment, all at once (none when `segments` is null: one unsegmented k6). */
async function runSegments(
  dir: string,
  script: string,
  env: Record<string, string>,
  n: number | null,
): Promise<{ ingests: K6Ingest[]; counts: number[] }> {
  const plan = n === null ? null : executionSegments(n);
  const parts = plan ? plan.segments : [null];
  const timeline = new SecondTimeline(86_400, 30);
  const runs = parts.map(async (segment, i) => {
    const files = {
      raw: join(dir, `raw-${n ?? 0}-${i}.ndjson`),
      summary: join(dir, `summary-${n ?? 0}-${i}.json`),
      stdout: join(dir, 'stdout.log'),
      stderr: join(dir, 'stderr.log'),
    };
    const extra = segment
      ? ['--execution-segment', segment, '--execution-segment-sequence', plan!.sequence]
      : [];
    const r = await execa(k6, k6Args(script, files, extra), { env, extendEnv: false, reject: false });
    expect(r.exitCode, String(r.stderr).slice(-2000)).toBe(0);
    const ingest = new K6Ingest({ windows: WINDOWS, timeline });
    ingest.write(await readFile(files.raw));
    ingest.end();
    const summary = JSON.parse(await readFile(files.summary, 'utf8')) as {
      metrics: { http_reqs: { count: number } };
    };
    return { ingest, count: summary.metrics.http_reqs.count };
  });
  const done = await Promise.all(runs);
  return { ingests: done.map((d) => d.ingest), counts: done.map((d) => d.count) };
}

const window = (s: LoadSummary, name: string) => s.windows.find((w) => w.window === name)!;
/** Golden answers per row, over every answer key. */
const goldenRows = (s: LoadSummary, name: string): Record<string, number> =>
  Object.fromEntries(
    Object.entries(window(s, name).answers.golden).map(([row, byKey]) => [
      row,
      Object.values(byKey).reduce((a, b) => a + b, 0),
    ]),
  );

describe('runner segments with the real k6', () => {
  let server: Server;
  let base = '';
  const dir = mkdtempSync(join(tmpdir(), 'chaos-segments-it-'));

  beforeAll(async () => {
    // Answers each row with its first value /100: a golden row's answer is its own.
    server = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        let rows: number[][] = [];
        try {
          rows = (JSON.parse(Buffer.concat(parts).toString('utf8')) as { features: number[][] }).features;
        } catch {
          // a GET from a custom script: no body
        }
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ predictions: rows.map((r) => ({ p: r[0]! / 100 })) }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  const options = (extra: Partial<RunK6Options> = {}): RunK6Options => ({
    targetUrl: `${base}/score`,
    windows: WINDOWS,
    scenario: {
      executor: 'constant-arrival-rate',
      rate: RATE,
      timeUnit: '1s',
      preAllocatedVUs: 10,
      maxVUs: 20,
    },
    outDir: dir,
    env: { PATH: process.env.PATH },
    ...extra,
  });

  it('three segments send each golden row exactly as often as one k6, every row in every window', async () => {
    const golden = join(dir, 'golden.json');
    writeFileSync(golden, JSON.stringify({ features: [[10], [20], [30], [40]] }));
    const env = k6Env(
      options({
        features: 1,
        answerPaths: { score: AnswerPath.parse('predictions[*].p').gjson, class: null },
        golden: { file: golden, every: 7 },
      }),
    );
    const [one, three] = await Promise.all([
      runSegments(dir, builtinScript(), env, null),
      runSegments(dir, builtinScript(), env, 3),
    ]);
    const local = K6Ingest.merged(one.ingests);
    const merged = K6Ingest.merged(three.ingests);
    // The whole profile, split: 30/s for 6 s. Iteration 180 starts at t = 6 s exactly, on the edge of the
    // test's end: k6 may or may not start it, in one process as in three.
    for (const s of [local, merged]) expect([RATE * 6, RATE * 6 + 1]).toContain(window(s, 'all').requests);
    expect(three.counts.reduce((a, b) => a + b, 0)).toBe(window(merged, 'all').requests);
    // Iterations 0, 7, ..., 175 are golden (180 is not), the rows in turn: 7, 7, 6, 6, the same in both.
    const rows = goldenRows(local, 'all');
    expect(rows).toEqual({ '0': 7, '1': 7, '2': 6, '3': 6 });
    expect(goldenRows(merged, 'all')).toEqual(rows);
    // And each segment sent some: the golden rows are split, not left to one runner.
    for (const ingest of three.ingests) {
      const s = K6Ingest.merged([ingest]);
      expect(Object.keys(goldenRows(s, 'all')).length).toBeGreaterThan(0);
    }
    for (const w of ['baseline', 'fault', 'recovery'])
      expect(Object.keys(goldenRows(merged, w)).sort(), w).toEqual(['0', '1', '2', '3']);
  }, 60_000);

  it("a custom script's archive carries its module and opened file, not its secret, and splits the profile", async () => {
    const scriptDir = mkdtempSync(join(dir, 'script-'));
    writeFileSync(join(scriptDir, 'ids.json'), JSON.stringify({ ids: ['a', 'b', 'c'] }));
    writeFileSync(join(scriptDir, 'lib.js'), "export const IDS = JSON.parse(open('./ids.json')).ids;\n");
    writeFileSync(
      join(scriptDir, 'load.js'),
      [
        "import http from 'k6/http';",
        "import { IDS } from './lib.js';",
        "if (!__ENV.API_KEY) throw new Error('API_KEY is required');",
        'export default function () {',
        "  http.get(`${__ENV.TARGET_URL}?id=${IDS[0]}`, { headers: { 'X-Key': __ENV.API_KEY } });",
        '}',
      ].join('\n'),
    );
    const env = { ...k6Env(options({ targetUrl: `${base}/features` })), API_KEY: SECRET };
    const prepared = await prepareCustomScript({
      k6Bin: k6,
      script: join(scriptDir, 'load.js'),
      exec: 'default',
      env,
    });
    const archive = await prepared.archive(env);
    const tar = Buffer.from(archive);
    expect(tar.includes(Buffer.from(SECRET))).toBe(false);
    expect(tar.includes(Buffer.from('"ids":["a","b","c"]'))).toBe(true);
    expect(tar.includes(Buffer.from('./lib.js'))).toBe(true);

    // Run where the script is not: only the archive, as a runner pod has it.
    const runDir = mkdtempSync(join(tmpdir(), 'chaos-archive-run-'));
    try {
      const file = join(runDir, 'script.tar');
      writeFileSync(file, tar);
      rmSync(scriptDir, { recursive: true, force: true });
      const two = await runSegments(dir, file, env, 2);
      const merged = K6Ingest.merged(two.ingests);
      const total = window(merged, 'all').requests;
      expect(total).toBeGreaterThanOrEqual(RATE * 6);
      expect(total).toBeLessThanOrEqual(RATE * 6 + 1);
      expect(two.counts.reduce((a, b) => a + b, 0)).toBe(total);
      // Both segments sent: the profile is split, not run twice or by one.
      for (const n of two.counts) expect(n).toBeGreaterThan(RATE);
      for (const w of ['baseline', 'fault', 'recovery'])
        expect(window(merged, w).requests, w).toBeGreaterThan(0);
    } finally {
      rmSync(runDir, { recursive: true, force: true });
    }
  }, 60_000);
});
