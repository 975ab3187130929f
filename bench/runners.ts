/**
 * Runners benchmark (issue #16), two figures:
 *
 * 1. Merge throughput, no cluster: three k6-shaped NDJSON streams (8 points per request, as k6/score.ts writes
 *    them without answer capture) fed interleaved, in 64 KiB chunks as the pod proxy delivers them, into one
 *    K6Ingest per runner sharing one timeline, then merged (K6Ingest.merged). Points/s over the whole.
 * 2. The harness's CPU per request with 3 runners, on the testbed (needs it up; take the cluster lock):
 *    `chaos run scenarios/pod-kill.yaml --runners 3` at two time scales; the difference in the chaos process's
 *    CPU (user + sys, /usr/bin/time) over the difference in requests is the marginal cost of a request, without
 *    the fixed cost of start-up, steady-state checks and reports.
 *
 *   npx tsx bench/runners.ts [--merge-only] [requests per stream, default 300000]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { K6Ingest } from '../src/load/ingest.js';
import { SecondTimeline } from '../src/load/timeline.js';

const ROOT = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const mergeOnly = args.includes('--merge-only');
const perStream = Number(args.find((a) => /^\d+$/.test(a)) ?? 300_000);
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const RATE = 1000; // requests/s per stream
const WINDOWS = [
  { name: 'baseline', seconds: 100 },
  { name: 'fault', seconds: 100 },
  { name: 'recovery', seconds: 200 },
];

function stream(seed: number, n: number): Buffer {
  let rnd = seed;
  const next = (): number => {
    rnd = (Math.imul(rnd, 1103515245) + 12345) >>> 0;
    return rnd / 4294967296;
  };
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const ms = 5 + next() * 40 + (next() < 0.01 ? 500 : 0);
    const at = T0 + (i / RATE) * 1000 + ms;
    const time = new Date(at).toISOString().replace('Z', '000000Z');
    const status = next() < 0.005 ? '503' : '200';
    const tags = `{"expected_response":"${status === '200'}","method":"POST","payload":"normal","scenario":"score","status":"${status}"}`;
    const pt = (metric: string, value: number, t = tags) =>
      `{"metric":"${metric}","type":"Point","data":{"time":"${time}","value":${value},"tags":${t}}}`;
    parts.push(
      pt('http_reqs', 1),
      pt('http_req_duration', Math.round(ms * 1000) / 1000),
      pt('http_req_blocked', 0.01),
      pt('http_req_waiting', ms - 0.1),
      pt('http_req_failed', status === '200' ? 0 : 1),
      pt('chaos_model_version', 1, '{"model_version":"v1","scenario":"score"}'),
      pt('iterations', 1, '{"scenario":"score"}'),
      pt('iteration_duration', ms + 0.5, '{"scenario":"score"}'),
    );
  }
  return Buffer.from(parts.join('\n') + '\n');
}

function mergeBench(): Record<string, number> {
  const streams = [1, 2, 3].map((s) => stream(s * 7919, perStream));
  const points = perStream * 8 * 3;
  const bytes = streams.reduce((a, s) => a + s.length, 0);
  const before = process.cpuUsage();
  const t = performance.now();
  const timeline = new SecondTimeline(86_400, 30);
  const ingests = streams.map(
    () => new K6Ingest({ windows: WINDOWS, loadStartMs: T0, windowByTime: true, timeline }),
  );
  const CHUNK = 64 * 1024;
  for (let off = 0; streams.some((s) => off < s.length); off += CHUNK)
    streams.forEach((s, i) => {
      if (off < s.length) ingests[i]!.write(s.subarray(off, off + CHUNK));
    });
  ingests.forEach((g) => g.end());
  const tMerge = performance.now();
  const summary = K6Ingest.merged(ingests);
  const end = performance.now();
  const cpu = process.cpuUsage(before);
  const all = summary.windows.find((w) => w.window === 'all')!;
  if (all.requests !== perStream * 3)
    throw new Error(`merged ${all.requests} requests, sent ${perStream * 3}`);
  return {
    streams: 3,
    points,
    megabytes: Math.round(bytes / 1e5) / 10,
    seconds: Math.round(end - t) / 1000,
    pointsPerSecond: Math.round(points / ((end - t) / 1000)),
    cpuPointsPerSecond: Math.round(points / ((cpu.user + cpu.system) / 1e6)),
    finalMergeMs: Math.round((end - tMerge) * 10) / 10,
  };
}

function harnessCpu(scale: number): { cpuS: number; requests: number; exit: number | null } {
  const dir = mkdtempSync(join(tmpdir(), 'chaos-bench-runners-'));
  const r = spawnSync(
    '/usr/bin/time',
    [
      '-f',
      'CPU %U %S',
      'node',
      join(ROOT, 'bin/chaos.js'),
      'run',
      join(ROOT, 'scenarios/pod-kill.yaml'),
      '--runners',
      '3',
      '--runners-origin',
      'http://fraud-scorer.ml-serving.svc:80',
      '--time-scale',
      String(scale),
      '--report-dir',
      dir,
    ],
    { encoding: 'utf8', cwd: ROOT },
  );
  const m = /CPU ([\d.]+) ([\d.]+)/.exec(r.stderr);
  const result = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as {
    windows: { window: string; requests: number }[];
  };
  return {
    cpuS: m ? Number(m[1]) + Number(m[2]) : NaN,
    requests: result.windows.find((w) => w.window === 'all')?.requests ?? 0,
    exit: r.status,
  };
}

const out: Record<string, unknown> = { merge: mergeBench() };
if (!mergeOnly) {
  const short = harnessCpu(0.1);
  const long = harnessCpu(0.4);
  out.harness = {
    short,
    long,
    marginalCpuUsPerRequest: Math.round(((long.cpuS - short.cpuS) / (long.requests - short.requests)) * 1e6),
    wholeRunCpuUsPerRequest: Math.round((long.cpuS / long.requests) * 1e6),
  };
}
console.log(JSON.stringify(out));
