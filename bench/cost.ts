/**
 * What chaos costs against what a user would run instead: CPU seconds per request of k6 plus the harness
 * (`runK6`, which has k6 write NDJSON and ingests it live) vs a plain `k6 run` of the same script at the same
 * arrival rate with no outputs. CPU per request, not wall-clock RPS: on a 2-core VM achieved RPS swings ±15 %
 * between rounds, while CPU accounting measures the work itself. Rounds are interleaved (plain first in odd
 * rounds, harness first in even ones) so drift hits both sides alike.
 *
 *   npx tsx bench/cost.ts [--rounds 10] [--seconds 10] [--rate 300] [--target stub|scorer]
 *
 * A third run per round captures the model's answers as prediction-quality scenarios do (score and class read from
 * every response, golden rows every 5th request): what that capture costs on top of the harness. A fourth sends
 * trace context as target.traces does (a traceparent on every request, failed and slow ones reported as
 * exemplars): what trace capture costs on top of the harness.
 *
 * Goals (medians over the rounds): harness / plain ≤ 1.10; capture / harness ≤ 1.10; traces / harness ≤ 1.05. Every process is a child of
 * this one; the target listens on 127.0.0.1 only; each k6 run is bounded by --seconds. Prints one JSON line on
 * stdout, a summary on stderr.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { K6_FILES, K6_RUN_ARGS, builtinScript, findK6, k6Env, runK6 } from '../src/load/k6.js';
import type { RunK6Options } from '../src/load/k6.js';
import {
  ROOT,
  child,
  children,
  cpuS,
  firstLine,
  fromSummary,
  procCpu,
  readSummaryFile,
  roleTarget,
  startTarget,
} from './lib.js';

const GOAL = 1.1;
const CAPTURE_GOAL = 1.1;
const TRACES_GOAL = 1.05;

type Mode = 'plain' | 'harness' | 'capture' | 'traces';
const MODES: readonly Mode[] = ['plain', 'harness', 'capture', 'traces'];

interface Config {
  url: string;
  seconds: number;
  rate: number;
  outDir: string;
  k6Bin: string;
}

interface Report {
  mode: Mode;
  exitCode: number | null;
  httpReqs: number;
  k6CpuS: number;
  /** The harness's own CPU; 0 for plain k6, which has no Node process around it. */
  harnessCpuS: number;
}

function options(c: Config, mode: Mode = 'plain'): RunK6Options {
  const capture = mode === 'capture';
  const third = Math.max(1, Math.round(c.seconds / 3));
  const answers: Partial<RunK6Options> = capture
    ? {
        answerPaths: { score: 'predictions.#.fraudProbability', class: 'predictions.#.label' },
        scoreRange: [0, 1],
        golden: { file: join(ROOT, 'scenarios', 'payloads', 'golden.json'), every: 5 },
      }
    : {};
  return {
    ...answers,
    ...(mode === 'traces' ? { traceIdPrefix: '0123456789abcdef' } : {}),
    targetUrl: c.url,
    windows: [
      { name: 'baseline', seconds: third },
      { name: 'fault', seconds: Math.max(1, c.seconds - 2 * third) },
      { name: 'recovery', seconds: third },
    ],
    scenario: {
      executor: 'constant-arrival-rate',
      rate: c.rate,
      timeUnit: '1s',
      duration: `${c.seconds}s`,
      preAllocatedVUs: 20,
      maxVUs: 200,
      gracefulStop: '5s',
    },
    payloadFile: join(ROOT, 'scenarios', 'payloads', 'transactions.json'),
    rows: 1,
    seed: 1,
    requestTimeout: '10s',
    outDir: c.outDir,
    k6Bin: c.k6Bin,
    env: process.env,
    timeoutMs: (c.seconds + 60) * 1000,
  };
}

/** `k6 run` as a user would: same script, same environment, no --out. The summary export is written once. */
async function rolePlain(c: Config): Promise<Report> {
  mkdirSync(c.outDir, { recursive: true });
  const summary = join(c.outDir, K6_FILES.summary);
  const out = openSync(join(c.outDir, K6_FILES.stdout), 'w');
  const before = procCpu('self').children;
  const args = [...K6_RUN_ARGS, '--summary-export', summary];
  const k6 = spawn(c.k6Bin, [...args, builtinScript()], {
    cwd: c.outDir,
    env: k6Env(options(c)),
    stdio: ['ignore', out, out],
  });
  const exitCode = await new Promise<number | null>((r) => k6.on('close', (code) => r(code)));
  closeSync(out);
  return {
    mode: 'plain',
    exitCode,
    httpReqs: fromSummary(readSummaryFile(summary)).httpReqs,
    k6CpuS: procCpu('self').children - before,
    harnessCpuS: 0,
  };
}

/** runK6() as `chaos run` uses it, with the status line's once-a-second read of the live figures. */
async function roleHarness(c: Config, mode: Mode): Promise<Report> {
  const before = procCpu('self').children;
  const cpu0 = process.cpuUsage();
  const run = runK6(options(c, mode));
  const status = setInterval(() => void run.live, 1000);
  const r = await run.result.finally(() => clearInterval(status));
  return {
    mode,
    exitCode: r.exitCode,
    httpReqs: fromSummary(r.k6Summary).httpReqs,
    k6CpuS: procCpu('self').children - before,
    harnessCpuS: cpuS(process.cpuUsage(cpu0)),
  };
}

async function drive(mode: Mode, c: Config): Promise<Report> {
  const p = child(['--role', mode, JSON.stringify(c)]);
  p.stdin!.end();
  const line = await firstLine(p);
  await new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r(null) : p.once('exit', r)));
  return JSON.parse(line) as Report;
}

function quantile(sorted: number[], q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

const r3 = (x: number): number => Math.round(x * 1000) / 1000;

interface Args {
  rounds: number;
  seconds: number;
  rate: number;
  target: 'stub' | 'scorer';
}

function parseArgs(argv: string[]): Args {
  const a: Args = { rounds: 10, seconds: 10, rate: 300, target: 'stub' };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = argv[++i];
    const n = Number(v);
    if (k === '--rounds' && Number.isInteger(n) && n >= 2) a.rounds = n;
    else if (k === '--seconds' && Number.isInteger(n) && n >= 3) a.seconds = n;
    else if (k === '--rate' && Number.isInteger(n) && n >= 1) a.rate = n;
    else if (k === '--target' && (v === 'stub' || v === 'scorer')) a.target = v;
    else throw new Error(`bad argument ${k} ${v ?? ''}`);
  }
  return a;
}

async function orchestrate(a: Args): Promise<void> {
  const log = (s: string): boolean => process.stderr.write(`${s}\n`);
  const k6Bin = findK6();
  const target = await startTarget(a.target);
  const work = mkdtempSync(join(tmpdir(), 'chaos-cost-bench-'));
  const stop = (): void => {
    for (const c of children) c.kill('SIGTERM');
  };
  process.once('SIGINT', stop);
  const rounds: Record<Mode, Report>[] = [];
  try {
    log(
      `cost: ${a.target} at ${target.url}, ${a.rate} req/s for ${a.seconds} s, ${a.rounds} interleaved rounds`,
    );
    for (let round = 1; round <= a.rounds; round++) {
      // Rotated, so no mode always runs first or last in a round.
      const order = MODES.map((_, i) => MODES[(i + round) % MODES.length]!);
      const got: Partial<Record<Mode, Report>> = {};
      for (const mode of order) {
        const outDir = join(work, `r${round}-${mode}`);
        const r = await drive(mode, { url: target.url, seconds: a.seconds, rate: a.rate, outDir, k6Bin });
        rmSync(outDir, { recursive: true, force: true });
        if (r.exitCode !== 0 || r.httpReqs === 0)
          throw new Error(`round ${round} ${mode}: k6 exited ${r.exitCode}`);
        got[mode] = r;
      }
      const { plain, harness, capture, traces } = got as Record<Mode, Report>;
      rounds.push({ plain, harness, capture, traces });
      const perReq = (r: Report): number => (1e6 * (r.k6CpuS + r.harnessCpuS)) / r.httpReqs;
      log(
        `  round ${round}: plain ${perReq(plain).toFixed(1)} µs/request, harness ${perReq(harness).toFixed(1)} ` +
          `(k6 ${((1e6 * harness.k6CpuS) / harness.httpReqs).toFixed(1)} + chaos ` +
          `${((1e6 * harness.harnessCpuS) / harness.httpReqs).toFixed(1)}): ${(perReq(harness) / perReq(plain)).toFixed(3)}×; ` +
          `capturing answers ${perReq(capture).toFixed(1)} (k6 ${((1e6 * capture.k6CpuS) / capture.httpReqs).toFixed(1)} + chaos ` +
          `${((1e6 * capture.harnessCpuS) / capture.httpReqs).toFixed(1)}): ${(perReq(capture) / perReq(harness)).toFixed(3)}× the harness; ` +
          `tracing ${perReq(traces).toFixed(1)}: ${(perReq(traces) / perReq(harness)).toFixed(3)}× the harness`,
      );
    }
  } finally {
    process.off('SIGINT', stop);
    target.proc.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  }
  const us = (r: Report, part: 'all' | 'k6' | 'harness'): number =>
    (1e6 * (part === 'all' ? r.k6CpuS + r.harnessCpuS : part === 'k6' ? r.k6CpuS : r.harnessCpuS)) /
    r.httpReqs;
  const ratios = rounds.map((r) => us(r.harness, 'all') / us(r.plain, 'all')).sort((x, y) => x - y);
  const captureRatios = rounds.map((r) => us(r.capture, 'all') / us(r.harness, 'all')).sort((x, y) => x - y);
  const tracesRatios = rounds.map((r) => us(r.traces, 'all') / us(r.harness, 'all')).sort((x, y) => x - y);
  const rps = (r: Report): number => r.httpReqs / a.seconds;
  const med = (f: (r: Record<Mode, Report>) => number): number =>
    quantile(
      rounds.map(f).sort((x, y) => x - y),
      0.5,
    );
  const result = {
    bench: 'cost',
    target: a.target,
    rate: a.rate,
    seconds: a.seconds,
    rounds: a.rounds,
    ratioMedian: r3(quantile(ratios, 0.5)),
    ratioQ1: r3(quantile(ratios, 0.25)),
    ratioQ3: r3(quantile(ratios, 0.75)),
    ratioMin: r3(ratios[0]!),
    ratioMax: r3(ratios[ratios.length - 1]!),
    plainUsPerRequest: r3(med((r) => us(r.plain, 'all'))),
    harnessK6UsPerRequest: r3(med((r) => us(r.harness, 'k6'))),
    harnessOwnUsPerRequest: r3(med((r) => us(r.harness, 'harness'))),
    goal: GOAL,
    pass: quantile(ratios, 0.5) <= GOAL,
    captureUsPerRequest: r3(med((r) => us(r.capture, 'all'))),
    captureRatioMedian: r3(quantile(captureRatios, 0.5)),
    captureRatioQ1: r3(quantile(captureRatios, 0.25)),
    captureRatioQ3: r3(quantile(captureRatios, 0.75)),
    harnessRps: r3(med((r) => rps(r.harness))),
    captureRps: r3(med((r) => rps(r.capture))),
    captureGoal: CAPTURE_GOAL,
    capturePass: quantile(captureRatios, 0.5) <= CAPTURE_GOAL,
    tracesUsPerRequest: r3(med((r) => us(r.traces, 'all'))),
    tracesK6UsPerRequest: r3(med((r) => us(r.traces, 'k6'))),
    tracesRatioMedian: r3(quantile(tracesRatios, 0.5)),
    tracesRatioQ1: r3(quantile(tracesRatios, 0.25)),
    tracesRatioQ3: r3(quantile(tracesRatios, 0.75)),
    tracesRps: r3(med((r) => rps(r.traces))),
    tracesGoal: TRACES_GOAL,
    tracesPass: quantile(tracesRatios, 0.5) <= TRACES_GOAL,
  };
  log(
    `\nCPU per request: plain k6 ${result.plainUsPerRequest} µs; through chaos ${result.harnessK6UsPerRequest} µs in k6 ` +
      `(it also writes the NDJSON) + ${result.harnessOwnUsPerRequest} µs in the harness\n` +
      `ratio median ${result.ratioMedian}× (quartiles ${result.ratioQ1}–${result.ratioQ3}, range ${result.ratioMin}–` +
      `${result.ratioMax}); goal ≤ ${GOAL}× ${result.pass ? 'PASS' : 'MISS'}\n` +
      `capturing answers: ${result.captureUsPerRequest} µs per request, ${result.captureRatioMedian}× the harness ` +
      `without capture (quartiles ${result.captureRatioQ1}–${result.captureRatioQ3}); ${result.captureRps} vs ` +
      `${result.harnessRps} req/s; goal ≤ ${CAPTURE_GOAL}× ${result.capturePass ? 'PASS' : 'MISS'}\n` +
      `trace capture: ${result.tracesUsPerRequest} µs per request (k6 ${result.tracesK6UsPerRequest}), ` +
      `${result.tracesRatioMedian}× the harness without it (quartiles ${result.tracesRatioQ1}–${result.tracesRatioQ3}); ` +
      `goal ≤ ${TRACES_GOAL}× ${result.tracesPass ? 'PASS' : 'MISS'}`,
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

const argv = process.argv.slice(2);
if (argv[0] === '--role') {
  if (argv[1] === 'target') await roleTarget(argv[2] ?? 'stub');
  else {
    const c = JSON.parse(argv[2]!) as Config;
    const report = argv[1] === 'plain' ? await rolePlain(c) : await roleHarness(c, argv[1] as Mode);
    process.stdout.write(`${JSON.stringify(report)}\n`);
  }
} else {
  await orchestrate(parseArgs(argv));
}
