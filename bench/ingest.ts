/**
 * Ingest throughput benchmark: writes a 5,000,000-point NDJSON file shaped like k6 1.8's `--out json` of
 * k6/score.ts (14 points per request), then feeds it to K6Ingest the way runK6 tails the real file and prints one
 * JSON line. The file is generated in a child process so that the peak RSS reported is the ingest's alone.
 *
 *   npx tsx bench/ingest.ts [points]
 * Goals: >= 300,000 points/s, peak RSS < 200 MB.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { K6Ingest } from '../src/load/ingest.js';

const RATE = 1000; // simulated requests per second
const WINDOWS = [
  { name: 'baseline', seconds: 100 },
  { name: 'fault', seconds: 150 },
  { name: 'recovery', seconds: 200 },
];

function iso(epochMs: number, nanoExtra: number): string {
  const base = new Date(Math.floor(epochMs)).toISOString(); // 2026-01-01T00:00:00.000Z
  const ns = Math.round((epochMs - Math.floor(epochMs)) * 1e6) + nanoExtra;
  return `${base.slice(0, 23)}${String(ns).padStart(6, '0').slice(0, 6)}Z`;
}

function generate(path: string, points: number): number {
  let requests = 0;
  const fd = openSync(path, 'w');
  const start = Date.UTC(2026, 0, 1, 12, 0, 0);
  const declared = new Set<string>();
  let buf = '';
  let written = 0;
  let rnd = 12345;
  const next = (): number => {
    rnd = (Math.imul(rnd, 1103515245) + 12345) >>> 0;
    return rnd / 4294967296;
  };
  const emit = (metric: string, type: string, time: string, value: number, tags: string): void => {
    if (!declared.has(metric)) {
      declared.add(metric);
      buf += `{"type":"Metric","data":{"name":"${metric}","type":"${type}","contains":"default","thresholds":[],"submetrics":null},"metric":"${metric}"}\n`;
    }
    buf += `{"metric":"${metric}","type":"Point","data":{"time":"${time}","value":${value},"tags":${tags}}}\n`;
    written++;
  };
  let lastSecond = -1;
  for (let i = 0; written < points; i++) {
    const tMs = start + (i * 1000) / RATE + next() * 3;
    const offS = (tMs - start) / 1000;
    const sec = Math.floor(offS);
    if (sec !== lastSecond) {
      lastSecond = sec;
      const ts = iso(tMs, 0);
      emit('vus', 'gauge', ts, 20, '{}');
      emit('vus_max', 'gauge', ts, 50, '{}');
    }
    let acc = 0;
    let window = WINDOWS[WINDOWS.length - 1]!.name;
    for (const w of WINDOWS) {
      acc += w.seconds;
      if (offS < acc) {
        window = w.name;
        break;
      }
    }
    requests++;
    const oversize = i % 100 === 99;
    const fail = !oversize && window === 'fault' && next() < 0.2;
    const status = oversize ? '413' : fail ? '503' : '200';
    const dur = Math.round((2 + next() * 30 + (next() < 0.02 ? 400 : 0)) * 1e6) / 1e6;
    const ts = iso(tMs, i % 997);
    const err = fail ? '"error_code":"1503",' : '';
    const tags = `{${err}"expected_response":"${fail ? 'false' : 'true'}","method":"POST","payload":"${oversize ? 'oversize' : 'normal'}","scenario":"score","status":"${status}","window":"${window}"}`;
    emit('http_reqs', 'counter', ts, 1, tags);
    emit('http_req_duration', 'trend', ts, dur, tags);
    emit('http_req_blocked', 'trend', ts, 0.004512, tags);
    emit('http_req_connecting', 'trend', ts, 0, tags);
    emit('http_req_tls_handshaking', 'trend', ts, 0, tags);
    emit('http_req_sending', 'trend', ts, 0.031245, tags);
    emit('http_req_waiting', 'trend', ts, Math.max(0, dur - 0.1), tags);
    emit('http_req_receiving', 'trend', ts, 0.052311, tags);
    emit('http_req_failed', 'rate', ts, fail ? 1 : 0, tags);
    const version = `{"model_version":"${fail ? 'none' : 'v2'}","scenario":"score","window":"${window}"}`;
    emit('chaos_model_version', 'counter', ts, 1, version);
    const itTags = '{"scenario":"score"}';
    emit('data_sent', 'counter', ts, oversize ? 98042 : 191, itTags);
    emit('data_received', 'counter', ts, 171, itTags);
    emit('iteration_duration', 'trend', ts, dur + 0.2, itTags);
    emit('iterations', 'counter', ts, 1, itTags);
    if (buf.length > 4_000_000) {
      writeSync(fd, buf);
      buf = '';
    }
  }
  writeSync(fd, buf);
  closeSync(fd);
  return requests;
}

function bench(path: string, expectedRequests: number): void {
  const size = statSync(path).size;
  const rssBeforeMb = Math.round(process.memoryUsage().rss / 2 ** 20);
  const ingest = new K6Ingest({ windows: WINDOWS });
  const fd = openSync(path, 'r');
  const chunk = Buffer.allocUnsafe(1 << 20);
  const t = process.hrtime.bigint();
  for (;;) {
    const n = readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) break;
    ingest.write(chunk.subarray(0, n));
  }
  ingest.end();
  const summary = ingest.summary();
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  closeSync(fd);
  const all = summary.windows.find((w) => w.window === 'all')!;
  const pointsPerS = Math.round(summary.counters.lines / seconds);
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  console.log(
    JSON.stringify({
      bench: 'ingest',
      points: summary.counters.lines,
      fileMb: Math.round(size / 2 ** 20),
      seconds: Math.round(seconds * 100) / 100,
      pointsPerS,
      mbPerS: Math.round(size / 2 ** 20 / seconds),
      peakRssMb,
      rssBeforeMb,
      requests: all.requests,
      requestsOk: all.requests === expectedRequests,
      p95Ms: all.p95Ms,
      timelineSeconds: summary.timeline.length,
      goals: { pointsPerS: pointsPerS >= 300_000, peakRss: peakRssMb < 200 },
    }),
  );
}

if (process.argv[2] === '--generate') {
  process.stdout.write(String(generate(process.argv[3]!, Number(process.argv[4]))));
} else {
  const points = Number(process.argv[2] ?? 5_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'chaos-ingest-bench-'));
  try {
    const file = join(dir, 'k6.ndjson');
    const gen = spawnSync(
      process.execPath,
      [...process.execArgv, process.argv[1]!, '--generate', file, String(points)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        encoding: 'utf8',
      },
    );
    if (gen.status !== 0) throw new Error(`generator failed: ${gen.status ?? gen.signal}`);
    bench(file, Number(gen.stdout));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
