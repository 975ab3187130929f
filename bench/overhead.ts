/**
 * Harness overhead benchmark: the same closed-loop load against the same local target, once as a bare
 * `k6 run … --out json=<file>` and once through runK6() (which tails that file and ingests it live), alternating
 * the order over a few rounds. Prints one JSON line on stdout and a human summary on stderr.
 *
 *   npx tsx bench/overhead.ts [--seconds 20] [--rounds 3] [--vus 16] [--warmup 5] [--target scorer|stub]
 *                             [--new-connections] [--cpu-prof <dir>]
 *
 * Goals: achieved RPS harness/bare >= 0.97; harness process CPU while k6 runs < 5 % of one core.
 *
 * Every process is a child of this one: the target (the real examples/fraud-scorer without a feature store, or a
 * tiny node:http stub) listens on 127.0.0.1 only; each k6 run is driven by its own Node child (`--role bare` or
 * `--role harness`) so both sides have the same process shape and the harness side's CPU is its own
 * (process.cpuUsage over the run). k6 runs constant-vus (no sleep in k6/score.ts), so achieved RPS is the ceiling
 * of this machine; each run is bounded by --seconds (and stopped with SIGTERM 60 s past that). k6's own CPU comes
 * from the driver's /proc/self/stat cutime+cstime (k6 is its only reaped child), the target's from
 * /proc/<pid>/stat. docs/benchmarks.md explains the figures.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { K6Ingest } from '../src/load/ingest.js';
import {
  ROOT,
  child,
  children,
  cpuS,
  firstLine,
  fromSummary,
  machineBusyS,
  procCpu,
  readSummaryFile,
  roleTarget,
  startTarget,
} from './lib.js';
import { K6_FILES, builtinScript, findK6, k6Args, k6Env, runK6 } from '../src/load/k6.js';
import type { K6Files, RunK6Options } from '../src/load/k6.js';

// The sample model's own rows: the scorer answers random numbers with 400s.
const PAYLOAD = join(ROOT, 'scenarios', 'payloads', 'transactions.json');
const GOAL_RATIO = 0.97;
const GOAL_CPU_PCT = 5;

type Mode = 'bare' | 'harness';

interface RunConfig {
  url: string;
  seconds: number;
  vus: number;
  newConnections: boolean;
  outDir: string;
  k6Bin: string;
}

/** What a driver child reports about one k6 run. */
interface RunReport {
  mode: Mode;
  exitCode: number | null;
  wallS: number;
  /** CPU of the driver process itself (the harness, or a Node parent that only waits). */
  driverCpuS: number;
  k6CpuS: number;
  httpReqs: number;
  rps: number;
  failedRate: number;
  p95Ms: number | null;
  rawMb: number;
  /** Harness only: requests the live ingest counted, and NDJSON lines it read. */
  ingestRequests?: number;
  ingestLines?: number;
  /** Harness only: CPU inside K6Ingest.write (the parsing), its calls, and GC pause time; the rest is tailing etc. */
  ingestCpuS?: number;
  ingestWrites?: number;
  gcS?: number;
}

interface RoundRun extends RunReport {
  round: number;
  targetCpuS: number;
  /** CPU used on the machine during the run by everything but k6, the target and the driver. */
  otherCpuS: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Shared by the driver roles: exactly what runK6 would pass to k6 for such a run.

function loadOptions(c: RunConfig): RunK6Options {
  // Three windows like a real scenario, so the ingest does its per-window work too.
  const a = Math.max(1, Math.round(c.seconds * 0.3));
  const b = Math.max(1, c.seconds - 2 * a);
  return {
    targetUrl: c.url,
    windows: [
      { name: 'baseline', seconds: a },
      { name: 'fault', seconds: b },
      { name: 'recovery', seconds: a },
    ],
    scenario: { executor: 'constant-vus', vus: c.vus, duration: `${c.seconds}s`, gracefulStop: '5s' },
    versionHeader: 'X-Model-Version',
    features: 8,
    rows: 1,
    payloadFile: PAYLOAD,
    seed: 1,
    requestTimeout: '10s',
    extraEnv: c.newConnections ? { CHAOS_NO_CONNECTION_REUSE: 'true' } : {},
    outDir: c.outDir,
    k6Bin: c.k6Bin,
    env: process.env,
    timeoutMs: (c.seconds + 60) * 1000,
  };
}

function filesIn(dir: string): K6Files {
  return {
    raw: join(dir, K6_FILES.raw),
    summary: join(dir, K6_FILES.summary),
    stdout: join(dir, K6_FILES.stdout),
    stderr: join(dir, K6_FILES.stderr),
  };
}

function fileMb(path: string): number {
  try {
    return Math.round(statSync(path).size / 2 ** 20);
  } catch {
    return 0;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Role: bare. k6 with the harness's env and argv, nothing reading its output while it runs.

async function roleBare(c: RunConfig): Promise<RunReport> {
  const opts = loadOptions(c);
  const files = filesIn(c.outDir);
  mkdirSync(c.outDir, { recursive: true });
  const out = openSync(files.stdout, 'w');
  const err = openSync(files.stderr, 'w');
  const before = procCpu('self').children;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const child = spawn(c.k6Bin, k6Args(builtinScript(), files), {
    cwd: c.outDir,
    env: k6Env(opts),
    stdio: ['ignore', out, err],
  });
  const stop = (): void => void child.kill('SIGTERM');
  process.once('SIGTERM', stop);
  const timer = setTimeout(stop, opts.timeoutMs);
  const exitCode = await new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  clearTimeout(timer);
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const driverCpuS = cpuS(process.cpuUsage(cpu0));
  closeSync(out);
  closeSync(err);
  return {
    mode: 'bare',
    exitCode,
    wallS,
    driverCpuS,
    k6CpuS: procCpu('self').children - before,
    ...fromSummary(readSummaryFile(files.summary)),
    rawMb: fileMb(files.raw),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Role: harness. runK6() as `chaos run` uses it, including the once-a-second live status read.

/** Splits the harness's CPU: what K6Ingest.write costs, measured around each call (a few per second). */
function meterIngest(): { cpuUs: number; calls: number } {
  const meter = { cpuUs: 0, calls: 0 };
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const write = K6Ingest.prototype.write;
  K6Ingest.prototype.write = function (this: K6Ingest, chunk: Uint8Array | string): void {
    const c = process.cpuUsage();
    write.call(this, chunk);
    const d = process.cpuUsage(c);
    meter.cpuUs += d.user + d.system;
    meter.calls++;
  };
  return meter;
}

function meterGc(): { ms: number; stop: () => void } {
  const gc = { ms: 0, stop: () => obs.disconnect() };
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gc.ms += e.duration;
  });
  obs.observe({ entryTypes: ['gc'] });
  return gc;
}

async function roleHarness(c: RunConfig): Promise<RunReport> {
  const meter = meterIngest();
  const gc = meterGc();
  const abort = new AbortController();
  process.once('SIGTERM', () => abort.abort());
  const before = procCpu('self').children;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const run = runK6({ ...loadOptions(c), signal: abort.signal });
  // The orchestrator's status line reads the live stats once a second.
  const status = setInterval(() => void run.live, 1000);
  const r = await run.result.finally(() => clearInterval(status));
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const driverCpuS = cpuS(process.cpuUsage(cpu0));
  gc.stop();
  const all = r.summary.windows.find((w) => w.window === 'all');
  return {
    mode: 'harness',
    exitCode: r.exitCode,
    wallS,
    driverCpuS,
    k6CpuS: procCpu('self').children - before,
    ...fromSummary(r.k6Summary),
    rawMb: fileMb(r.files.raw),
    ingestRequests: all?.requests ?? 0,
    ingestLines: r.summary.counters.lines,
    ingestCpuS: meter.cpuUs / 1e6,
    ingestWrites: meter.calls,
    gcS: gc.ms / 1000,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// ---------------------------------------------------------------------------------------------------------------
// Orchestrator.

interface Args {
  seconds: number;
  rounds: number;
  vus: number;
  warmup: number;
  target: 'scorer' | 'stub';
  newConnections: boolean;
  cpuProf: string | null;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    seconds: 20,
    rounds: 3,
    vus: 16,
    warmup: 5,
    target: 'scorer',
    newConnections: false,
    cpuProf: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = (): string => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    const int = (min: number, max: number): number => {
      const n = Number(v());
      if (!Number.isInteger(n) || n < min || n > max)
        throw new Error(`${k} must be an integer in ${min}..${max}`);
      return n;
    };
    if (k === '--seconds') a.seconds = int(3, 600);
    else if (k === '--rounds') a.rounds = int(1, 20);
    else if (k === '--vus') a.vus = int(1, 256);
    else if (k === '--warmup') a.warmup = int(0, 60);
    else if (k === '--target') {
      const t = v();
      if (t !== 'scorer' && t !== 'stub') throw new Error('--target must be scorer or stub');
      a.target = t;
    } else if (k === '--new-connections') a.newConnections = true;
    else if (k === '--cpu-prof') a.cpuProf = resolve(v());
    else throw new Error(`unknown argument ${k}`);
  }
  return a;
}

async function drive(mode: Mode, cfg: RunConfig, nodeArgs: string[]): Promise<RunReport> {
  const c = child(['--role', mode, JSON.stringify(cfg)], nodeArgs);
  c.stdin!.end();
  const line = await firstLine(c);
  await new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.once('exit', r)));
  return JSON.parse(line) as RunReport;
}

const round1 = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;
const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);

async function orchestrate(a: Args): Promise<void> {
  const k6Bin = findK6();
  const k6Version = spawnSync(k6Bin, ['version'], { encoding: 'utf8' }).stdout.trim().split('\n')[0] ?? '';
  const log = (s: string): boolean => process.stderr.write(`${s}\n`);
  const target = await startTarget(a.target);
  const work = mkdtempSync(join(tmpdir(), 'chaos-overhead-bench-'));
  const onSignal = (): void => {
    for (const c of children) c.kill('SIGTERM');
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const runs: RoundRun[] = [];
  let backgroundCpuPct = 0;
  try {
    const cfg = (name: string, seconds: number): RunConfig => ({
      url: target.url,
      seconds,
      vus: a.vus,
      newConnections: a.newConnections,
      outDir: join(work, name),
      k6Bin,
    });
    log(
      `overhead: ${a.target} at ${target.url}, k6 ${k6Version}, constant-vus ${a.vus}, ${a.seconds} s × 2 × ${a.rounds} rounds`,
    );
    // How busy the rest of the machine is before any load: other work competes with k6 and the target.
    const b0 = machineBusyS();
    const tb0 = procCpu(target.pid).own;
    await new Promise((r) => setTimeout(r, 3000));
    backgroundCpuPct = (100 * (machineBusyS() - b0 - (procCpu(target.pid).own - tb0))) / 3;
    log(`  background CPU before the load: ${round1(backgroundCpuPct)} % of one core`);
    if (a.warmup > 0) {
      const w = await drive('bare', cfg('warmup', a.warmup), []);
      log(`  warm-up ${a.warmup} s: ${Math.round(w.rps)} req/s`);
      rmSync(join(work, 'warmup'), { recursive: true, force: true });
    }
    for (let round = 1; round <= a.rounds; round++) {
      const order: Mode[] = round % 2 === 1 ? ['bare', 'harness'] : ['harness', 'bare'];
      for (const mode of order) {
        const name = `r${round}-${mode}`;
        const prof = mode === 'harness' && a.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', a.cpuProf] : [];
        const t0 = procCpu(target.pid).own;
        const m0 = machineBusyS();
        const r = await drive(mode, cfg(name, a.seconds), prof);
        const targetCpuS = procCpu(target.pid).own - t0;
        // Includes the driver's start-up and exit, so it is slightly high; it shows how busy the machine was.
        const otherCpuS = Math.max(0, machineBusyS() - m0 - targetCpuS - r.k6CpuS - r.driverCpuS);
        rmSync(join(work, name), { recursive: true, force: true });
        runs.push({ ...r, round, targetCpuS, otherCpuS });
        log(
          `  round ${round} ${mode.padEnd(7)} ${Math.round(r.rps)} req/s, errors ${round1(r.failedRate * 100, 2)} %, ` +
            `p95 ${r.p95Ms === null ? '–' : round1(r.p95Ms, 2)} ms, driver CPU ${round1((100 * r.driverCpuS) / r.wallS)} %, ` +
            `k6 CPU ${round1((100 * r.k6CpuS) / r.wallS)} %, target CPU ${round1((100 * targetCpuS) / r.wallS)} %, ` +
            `other processes ${round1((100 * otherCpuS) / r.wallS)} %, ` +
            `NDJSON ${r.rawMb} MB${r.ingestRequests !== undefined ? `, ingested ${r.ingestRequests}/${r.httpReqs} requests` : ''}`,
        );
        if (r.exitCode !== 0) throw new Error(`${name}: k6 exited with ${r.exitCode}`);
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    target.proc.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  }

  const of = (m: Mode): RoundRun[] => runs.filter((r) => r.mode === m);
  const bare = of('bare');
  const harness = of('harness');
  const rpsBare = mean(bare.map((r) => r.rps));
  const rpsHarness = mean(harness.map((r) => r.rps));
  const ratio = rpsHarness / rpsBare;
  const roundRatios = Array.from({ length: a.rounds }, (_, i) => {
    const h = harness.find((r) => r.round === i + 1)!;
    const b = bare.find((r) => r.round === i + 1)!;
    return h.rps / b.rps;
  });
  // Standard error of the mean round ratio: with other work on the machine the rounds scatter, and a 3 % effect
  // can only be told apart from noise when 2 standard errors are below that.
  const sd = Math.sqrt(
    roundRatios.reduce((acc, x) => acc + (x - mean(roundRatios)) ** 2, 0) /
      Math.max(1, roundRatios.length - 1),
  );
  const stdErr = roundRatios.length > 1 ? sd / Math.sqrt(roundRatios.length) : NaN;
  const conclusive = stdErr <= 0.015;
  const sortedRatios = [...roundRatios].sort((x, y) => x - y);
  const mid = sortedRatios.length >> 1;
  const medianRatio =
    sortedRatios.length % 2 === 1 ? sortedRatios[mid]! : (sortedRatios[mid - 1]! + sortedRatios[mid]!) / 2;
  const pct = (r: RunReport, key: 'driverCpuS' | 'k6CpuS'): number => (100 * r[key]) / r.wallS;
  const harnessCpuPct = mean(harness.map((r) => pct(r, 'driverCpuS')));
  const harnessCpuPctMax = Math.max(...harness.map((r) => pct(r, 'driverCpuS')));
  const bareDriverCpuPct = mean(bare.map((r) => pct(r, 'driverCpuS')));
  // CPU per request: what the ingest costs per request and per NDJSON line, independent of the achieved rate.
  const harnessCpuUsPerReq = mean(harness.map((r) => (1e6 * r.driverCpuS) / Math.max(1, r.httpReqs)));
  const linesPerReq = mean(harness.map((r) => (r.ingestLines ?? 0) / Math.max(1, r.httpReqs)));
  const ingestCpuUsPerReq = mean(harness.map((r) => (1e6 * (r.ingestCpuS ?? 0)) / Math.max(1, r.httpReqs)));
  const ingestShare = mean(harness.map((r) => (r.ingestCpuS ?? 0) / Math.max(1e-9, r.driverCpuS)));
  const gcPct = mean(harness.map((r) => (100 * (r.gcS ?? 0)) / r.wallS));
  const ingestComplete = harness.every((r) => r.ingestRequests === r.httpReqs);
  // CPU per request of k6 and the target barely moves with contention, unlike RPS: if the harness left them
  // unchanged, its only cost is its own CPU, and on a machine with no idle core the ratio tends to this.
  const usPerReq = (rs: RoundRun[], key: 'k6CpuS' | 'targetCpuS'): number =>
    mean(rs.map((r) => (1e6 * r[key]) / Math.max(1, r.httpReqs)));
  const loadUsPerReq = usPerReq(harness, 'k6CpuS') + usPerReq(harness, 'targetCpuS');
  const ratioIfCpuBound = loadUsPerReq / (loadUsPerReq + harnessCpuUsPerReq);
  const result = {
    bench: 'overhead',
    target: a.target,
    k6: k6Version,
    executor: 'constant-vus',
    vus: a.vus,
    seconds: a.seconds,
    rounds: a.rounds,
    newConnectionPerRequest: a.newConnections,
    rpsBare: Math.round(rpsBare),
    rpsHarness: Math.round(rpsHarness),
    rpsRatio: round1(ratio, 3),
    roundRatios: roundRatios.map((x) => round1(x, 3)),
    rpsRatioMedian: round1(medianRatio, 3),
    rpsRatioStdErr: round1(stdErr, 3),
    rpsRatioConclusive: conclusive,
    harnessCpuPct: round1(harnessCpuPct, 2),
    harnessCpuPctMax: round1(harnessCpuPctMax, 2),
    bareDriverCpuPct: round1(bareDriverCpuPct, 2),
    harnessCpuUsPerRequest: round1(harnessCpuUsPerReq, 2),
    ingestWriteCpuUsPerRequest: round1(ingestCpuUsPerReq, 2),
    ingestWriteShareOfHarnessCpu: round1(ingestShare, 2),
    harnessGcPct: round1(gcPct, 2),
    ndjsonLinesPerRequest: round1(linesPerReq, 2),
    k6CpuPctBare: round1(mean(bare.map((r) => pct(r, 'k6CpuS')))),
    k6CpuPctHarness: round1(mean(harness.map((r) => pct(r, 'k6CpuS')))),
    targetCpuPctBare: round1(mean(bare.map((r) => (100 * r.targetCpuS) / r.wallS))),
    targetCpuPctHarness: round1(mean(harness.map((r) => (100 * r.targetCpuS) / r.wallS))),
    k6CpuUsPerRequestBare: round1(usPerReq(bare, 'k6CpuS')),
    k6CpuUsPerRequestHarness: round1(usPerReq(harness, 'k6CpuS')),
    targetCpuUsPerRequestBare: round1(usPerReq(bare, 'targetCpuS')),
    targetCpuUsPerRequestHarness: round1(usPerReq(harness, 'targetCpuS')),
    rpsRatioIfCpuBound: round1(ratioIfCpuBound, 3),
    otherCpuPct: round1(mean(runs.map((r) => (100 * r.otherCpuS) / r.wallS))),
    backgroundCpuPctBefore: round1(backgroundCpuPct),
    /** Up to this rate the harness stays under the CPU goal, at the CPU per request measured here. */
    maxRpsWithinCpuGoal: Math.round((GOAL_CPU_PCT * 1e4) / harnessCpuUsPerReq),
    p95MsBare: round1(mean(bare.map((r) => r.p95Ms ?? 0)), 2),
    p95MsHarness: round1(mean(harness.map((r) => r.p95Ms ?? 0)), 2),
    errorRateMax: Math.max(...runs.map((r) => r.failedRate)),
    ingestComplete,
    runs: runs.map((r) => ({
      round: r.round,
      mode: r.mode,
      rps: Math.round(r.rps),
      httpReqs: r.httpReqs,
      wallS: round1(r.wallS, 2),
      driverCpuS: round1(r.driverCpuS, 2),
      k6CpuS: round1(r.k6CpuS, 2),
      targetCpuS: round1(r.targetCpuS, 2),
      otherCpuS: round1(r.otherCpuS, 2),
      rawMb: r.rawMb,
      ...(r.mode === 'harness'
        ? {
            ingestRequests: r.ingestRequests,
            ingestLines: r.ingestLines,
            ingestWriteCpuS: round1(r.ingestCpuS ?? 0, 2),
            ingestWrites: r.ingestWrites,
            gcS: round1(r.gcS ?? 0, 3),
          }
        : {}),
    })),
    goals: { rpsRatio: ratio >= GOAL_RATIO, harnessCpu: harnessCpuPct < GOAL_CPU_PCT },
  };
  log(
    [
      '',
      `achieved RPS   bare ${result.rpsBare}, harness ${result.rpsHarness}: ratio ${result.rpsRatio} ` +
        `(rounds ${result.roundRatios.join(', ')}, median ${result.rpsRatioMedian}, standard error ` +
        `${result.rpsRatioStdErr}; goal >= ${GOAL_RATIO}) ` +
        `${!conclusive ? 'INCONCLUSIVE (rounds scatter more than the effect sought)' : result.goals.rpsRatio ? 'PASS' : 'MISS'}`,
      `harness CPU    ${result.harnessCpuPct} % of a core (max ${result.harnessCpuPctMax} %; a waiting Node parent: ` +
        `${result.bareDriverCpuPct} %; goal < ${GOAL_CPU_PCT} %) ${result.goals.harnessCpu ? 'PASS' : 'MISS'}`,
      `               = ${result.harnessCpuUsPerRequest} µs per request (${result.ndjsonLinesPerRequest} NDJSON lines each), ` +
        `of which K6Ingest.write ${result.ingestWriteCpuUsPerRequest} µs (${Math.round(100 * result.ingestWriteShareOfHarnessCpu)} %); GC ${result.harnessGcPct} % of wall`,
      `k6 CPU         bare ${result.k6CpuPctBare} %, harness ${result.k6CpuPctHarness} %; target CPU bare ` +
        `${result.targetCpuPctBare} %, harness ${result.targetCpuPctHarness} %; other processes ${result.otherCpuPct} % (of one core)`,
      `per request    k6 ${result.k6CpuUsPerRequestBare} µs bare / ${result.k6CpuUsPerRequestHarness} µs harness, target ` +
        `${result.targetCpuUsPerRequestBare} / ${result.targetCpuUsPerRequestHarness} µs: on a machine without an idle ` +
        `core the ratio would tend to ${result.rpsRatioIfCpuBound}`,
      `               the harness stays under ${GOAL_CPU_PCT} % up to ~${result.maxRpsWithinCpuGoal} req/s at that cost`,
      `background     ${result.backgroundCpuPctBefore} % of one core busy before the load (other work on the machine)`,
      `live ingest    ${ingestComplete ? 'counted every request k6 counted' : 'MISSED requests k6 counted'}`,
    ].join('\n'),
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

// ---------------------------------------------------------------------------------------------------------------

const argv = process.argv.slice(2);
if (argv[0] === '--role') {
  const role = argv[1];
  if (role === 'target') await roleTarget(argv[2] ?? 'scorer');
  else {
    const cfg = JSON.parse(argv[2]!) as RunConfig;
    const report = role === 'bare' ? await roleBare(cfg) : await roleHarness(cfg);
    process.stdout.write(`${JSON.stringify(report)}\n`);
  }
} else {
  await orchestrate(parseArgs(argv));
}
