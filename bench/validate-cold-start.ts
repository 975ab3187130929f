/**
 * Cold-start benchmark: wall time of `node bin/chaos.js validate scenarios/pod-kill.yaml` (a fresh Node process
 * each time: start-up, loading dist/, parsing and validating the scenario, exit) over a number of runs. Builds
 * dist/ first with `npx tsc -p tsconfig.build.json` unless --no-build is given. Prints one JSON line.
 *
 *   npx tsx bench/validate-cold-start.ts [--runs 20] [--warmup 2] [--no-build] [scenario]
 * Goal: median and p90 < 0.5 s.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const GOAL_S = 0.5;

let runs = 20;
let warmup = 2;
let build = true;
let scenario = 'scenarios/pod-kill.yaml';
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i]!;
  if (a === '--runs') runs = Math.max(1, Number(argv[++i]));
  else if (a === '--warmup') warmup = Math.max(0, Number(argv[++i]));
  else if (a === '--no-build') build = false;
  else if (a.startsWith('--')) throw new Error(`unknown argument ${a}`);
  else scenario = a;
}
if (!Number.isInteger(runs) || !Number.isInteger(warmup))
  throw new Error('--runs and --warmup take integers');

let built: boolean | null = null;
if (build) {
  // tsc still writes dist/ on type errors; a failed build is reported, and the timing goes ahead if validate runs.
  const t = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: ['ignore', 2, 2] });
  built = t.status === 0;
  if (!built)
    process.stderr.write(`validate-cold-start: tsc -p tsconfig.build.json exited ${t.status ?? t.signal}\n`);
}

const command = [process.execPath, join('bin', 'chaos.js'), 'validate', scenario];

const TICK_S = 1 / (Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100);

/** CPU seconds of this process's reaped children (cutime + cstime): the chaos processes run so far. */
function childrenCpuS(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) * TICK_S;
}

/** Wall and CPU seconds of one `chaos validate`. */
function once(): { wall: number; cpu: number } {
  const c0 = childrenCpuS();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(command[0]!, command.slice(1), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) {
    throw new Error(
      `chaos validate exited ${r.status ?? r.signal}: ${String(r.stderr).trim() || String(r.stdout)}`,
    );
  }
  return { wall, cpu: childrenCpuS() - c0 };
}

for (let i = 0; i < warmup; i++) once();
const samples = Array.from({ length: runs }, once);
const times = samples.map((x) => x.wall).sort((a, b) => a - b);
const cpus = samples.map((x) => x.cpu).sort((a, b) => a - b);
// Nearest-rank percentiles: with 20 runs p90 is the 18th fastest.
const pct = (xs: number[], p: number): number => xs[Math.max(0, Math.ceil((p / 100) * xs.length) - 1)]!;
const ms = (s: number): number => Math.round(s * 10_000) / 10;
const medianS = pct(times, 50);
const p90S = pct(times, 90);
console.log(
  JSON.stringify({
    bench: 'validate-cold-start',
    command: `node bin/chaos.js validate ${scenario}`,
    built,
    runs,
    warmup,
    medianMs: ms(medianS),
    p90Ms: ms(p90S),
    minMs: ms(times[0]!),
    maxMs: ms(times[times.length - 1]!),
    meanMs: ms(times.reduce((a, b) => a + b, 0) / times.length),
    // CPU (user + system) of the chaos process: unlike wall time, barely affected by other load on the machine.
    medianCpuMs: ms(pct(cpus, 50)),
    goals: { median: medianS < GOAL_S, p90: p90S < GOAL_S },
  }),
);
