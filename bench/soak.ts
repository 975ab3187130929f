/**
 * Soak: the harness itself over a long run. A real `chaos run` on the testbed: 200 req/s of the built-in load
 * against the fraud scorer for 60 minutes, a pod killed every 5 minutes. Judged from the run's own
 * result.json (`harness`: RSS samples every 5 s, event-loop delay), not from outside:
 *
 *   - RSS growth after the warm-up (the first 5 minutes): (max RSS after it − RSS at its end) / RSS at its end
 *     ≤ 10 %; the end-of-run figure is printed too;
 *   - event-loop delay p99 over the whole run < 50 ms.
 *
 *   flock /tmp/chaos-run/cluster.lock npx tsx bench/soak.ts                      # the full hour
 *   flock /tmp/chaos-run/cluster.lock npx tsx bench/soak.ts --minutes 6 --kill-every 1   # shortened
 *
 * Options: --check (only validate the generated scenario), --minutes (60), --kill-every (5, minutes; also the
 * warm-up and the baseline and recovery windows), --rate (200), --report-dir (reports/soak-<UTC time>). Needs the
 * testbed up and dist/ built; k6's raw output is about 2 GB for the hour (1.9–2.0 GB measured). Prints one JSON
 * line and writes it to bench/soak.json. A benchmark, not a test: a missed goal is a MISS in the output, exit 0
 * unless the run could not be made. bench/heap-log.cjs logs the heap behind the RSS figures.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunResult } from '../src/verdict/result.js';
import { ROOT } from './lib.js';

const RSS_GROWTH_GOAL = 0.1;
const LOOP_P99_GOAL_MS = 50;

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
  return n;
}

const minutes = option('minutes', 60);
const killEvery = option('kill-every', 5);
const rate = option('rate', 200);
const faultMinutes = minutes - 2 * killEvery;
if (faultMinutes < killEvery) throw new Error('--minutes must be at least 3 × --kill-every');
const kills = Math.floor(faultMinutes / killEvery);
const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
const rdIndex = process.argv.indexOf('--report-dir');
const reportDir = rdIndex >= 0 ? process.argv[rdIndex + 1]! : join(ROOT, 'reports', `soak-${stamp}Z`);

// The committed pod-kill scenario at the soak's rate, windows and kill rhythm: kills at the start of the fault
// window and every `killEvery` minutes after, for `kills` rounds.
const scenario = readFileSync(join(ROOT, 'scenarios/pod-kill.yaml'), 'utf8')
  .replace(/^# yaml-language-server.*\n/, '')
  .replace('name: pod-kill', 'name: soak')
  .replace(/rate: 40\n/, `rate: ${rate}\n`)
  .replace('file: payloads/', `file: ${join(ROOT, 'scenarios/payloads')}/`)
  .replace(
    /windows:\n( {2}.*\n)+?faults:\n( {2,4}.*\n)+?slos:/,
    [
      'windows:',
      `  baseline: ${killEvery}m`,
      `  fault: ${faultMinutes}m`,
      `  recovery: ${killEvery}m`,
      'faults:',
      '  - type: pod-kill',
      '    at: 0s',
      '    count: 1',
      `    repeat: ${kills}`,
      `    interval: ${killEvery}m`,
      'slos:',
    ].join('\n'),
  );
if (!scenario.includes(`repeat: ${kills}`) || !scenario.includes(`rate: ${rate}`))
  throw new Error('scenarios/pod-kill.yaml changed shape: update bench/soak.ts');
const file = join(mkdtempSync(join(tmpdir(), 'chaos-soak-')), 'soak.yaml');
writeFileSync(file, scenario);

// --check: only validate the generated scenario (no cluster, no load).
if (process.argv.includes('--check')) {
  const v = spawnSync(process.execPath, [join(ROOT, 'bin/chaos.js'), 'validate', file], { encoding: 'utf8' });
  process.stdout.write(scenario);
  process.stdout.write(v.stdout + v.stderr);
  process.exit(v.status ?? 1);
}

const started = Date.now();
const run = spawnSync(
  process.execPath,
  [join(ROOT, 'bin/chaos.js'), 'run', file, '--report-dir', reportDir, '--seed', '1'],
  { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
);
const result = JSON.parse(readFileSync(join(reportDir, 'result.json'), 'utf8')) as RunResult;
const h = result.harness;
if (!h) throw new Error(`${reportDir}/result.json has no harness metrics`);

const warmupS = killEvery * 60;
const atWarmup = h.rss.find((s) => s.t >= warmupS) ?? h.rss.at(-1)!;
const after = h.rss.filter((s) => s.t >= atWarmup.t);
const maxAfter = Math.max(...after.map((s) => s.bytes));
const growth = (maxAfter - atWarmup.bytes) / atWarmup.bytes;
const endGrowth = (h.rss.at(-1)!.bytes - atWarmup.bytes) / atWarmup.bytes;
const mb = (b: number) => Math.round((b / 1024 / 1024) * 10) / 10;
const all = result.windows.find((w) => w.window === 'all');

const summary = {
  bench: 'soak',
  at: new Date(started).toISOString(),
  shortened: minutes !== 60 || killEvery !== 5 || rate !== 200,
  minutes,
  killEveryMinutes: killEvery,
  rate,
  wallS: Math.round((Date.now() - started) / 1000),
  chaosExit: run.status,
  verdict: result.verdict,
  reportDir,
  requests: all?.requests ?? null,
  achievedRps: all ? Math.round((all.requests / (minutes * 60)) * 10) / 10 : null,
  podsKilled: result.faults.reduce((n, f) => n + f.targets.length, 0),
  rssMb: {
    atWarmup: mb(atWarmup.bytes),
    maxAfterWarmup: mb(maxAfter),
    end: mb(h.rss.at(-1)!.bytes),
    max: mb(h.rssMaxBytes),
  },
  rssGrowthAfterWarmup: Math.round(growth * 1000) / 10,
  rssGrowthAtEnd: Math.round(endGrowth * 1000) / 10,
  eventLoopDelayMs: h.eventLoopDelayMs,
  goals: {
    rssGrowth: growth <= RSS_GROWTH_GOAL ? 'PASS' : 'MISS',
    eventLoopP99: h.eventLoopDelayMs.p99 < LOOP_P99_GOAL_MS ? 'PASS' : 'MISS',
  },
};
writeFileSync(join(ROOT, 'bench/soak.json'), `${JSON.stringify(summary, null, 2)}\n`);
console.log(JSON.stringify(summary));
