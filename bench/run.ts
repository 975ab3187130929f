/**
 * Runs every benchmark and records the figures the README quotes.
 *
 *   npx tsx bench/run.ts [--only ingest,overhead,cost,cold-start] [-- <extra bench/overhead.ts arguments>]
 *
 * Each bench (bench/ingest.ts, bench/overhead.ts, bench/validate-cold-start.ts) runs in its own child through
 * `npx tsx`, prints one JSON line, and is summarised here:
 * bench/results.json gets the machine, every bench's full JSON and the table; stdout gets the table in Markdown
 * (metric, goal, measured, verdict). Needs k6 (K6_BIN, PATH or `bash testbed/build-tools.sh`), ~1 GB free in the
 * temp dir, and about 4 minutes; it builds dist/ (`npx tsc -p tsconfig.build.json`) for the cold-start bench.
 * Figures, not assertions: a missed goal shows as MISS (INCONCLUSIVE when the overhead rounds scatter more than
 * the 3 % sought), and the exit code stays 0 unless a bench fails to run.
 * docs/benchmarks.md explains each figure and records a run.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, release, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { findK6 } from '../src/load/k6.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BENCHES = ['ingest', 'overhead', 'cost', 'cold-start'] as const;
type Bench = (typeof BENCHES)[number];
const FILES: Record<Bench, string> = {
  ingest: 'bench/ingest.ts',
  overhead: 'bench/overhead.ts',
  cost: 'bench/cost.ts',
  'cold-start': 'bench/validate-cold-start.ts',
};

const argv = process.argv.slice(2);
const dashdash = argv.indexOf('--');
const own = dashdash < 0 ? argv : argv.slice(0, dashdash);
const overheadArgs = dashdash < 0 ? [] : argv.slice(dashdash + 1);
let only: Bench[] = [...BENCHES];
for (let i = 0; i < own.length; i++) {
  if (own[i] === '--only') {
    only = (own[++i] ?? '').split(',').filter((b): b is Bench => (BENCHES as readonly string[]).includes(b));
    if (only.length === 0) throw new Error(`--only takes a list of ${BENCHES.join(', ')}`);
  } else throw new Error(`unknown argument ${own[i]}`);
}

function text(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
}

const k6Bin = findK6();
const machine = {
  nproc: availableParallelism(),
  cpu: cpus()[0]?.model ?? 'unknown',
  memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  kernel: release(),
  node: process.version,
  k6: text(k6Bin, ['version']).split('\n')[0] ?? '',
  commit:
    text('git', ['rev-parse', '--short', 'HEAD']) + (text('git', ['status', '--porcelain']) ? '+dirty' : ''),
  date: new Date().toISOString(),
};
process.stderr.write(
  `bench: ${machine.nproc} CPUs (${machine.cpu}), ${machine.memoryGb} GB, node ${machine.node}, ${machine.k6}\n`,
);

type Json = Record<string, unknown> & { goals?: Record<string, boolean> };

function runBench(name: Bench, extra: string[]): Json {
  process.stderr.write(`\n== ${name}: npx tsx ${FILES[name]} ${extra.join(' ')}\n`);
  const t0 = Date.now();
  const r = spawnSync('npx', ['tsx', FILES[name], ...extra], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 16 * 2 ** 20,
  });
  const line = r.stdout
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{"bench":'));
  if (r.status !== 0 || line === undefined) {
    throw new Error(`${FILES[name]} failed (${r.status ?? r.signal}): ${r.stdout.trim().slice(-2000)}`);
  }
  process.stderr.write(`${line}\n(${Math.round((Date.now() - t0) / 1000)} s)\n`);
  return JSON.parse(line) as Json;
}

const results: Partial<Record<Bench, Json>> = {};
for (const b of only) results[b] = runBench(b, b === 'overhead' ? overheadArgs : []);

interface Row {
  metric: string;
  goal: string;
  measured: string;
  verdict: 'PASS' | 'MISS' | 'INCONCLUSIVE' | '';
}
const rows: Row[] = [];
const num = (x: unknown): number => (typeof x === 'number' ? x : NaN);
const fmt = (x: unknown, digits = 0): string =>
  num(x).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const verdict = (ok: boolean | undefined): Row['verdict'] => (ok === undefined ? '' : ok ? 'PASS' : 'MISS');

const ing = results.ingest;
if (ing) {
  rows.push(
    {
      metric: 'NDJSON ingest throughput (5 M k6 points)',
      goal: '≥ 300,000 points/s',
      measured: `${fmt(ing.pointsPerS)} points/s (${fmt(ing.mbPerS)} MB/s)`,
      verdict: verdict(ing.goals?.pointsPerS),
    },
    {
      metric: 'NDJSON ingest peak RSS',
      goal: '< 200 MB',
      measured: `${fmt(ing.peakRssMb)} MB`,
      verdict: verdict(ing.goals?.peakRss),
    },
  );
}
const ov = results.overhead;
if (ov) {
  const load = `${String(ov.target)}, constant-vus ${fmt(ov.vus)}, ${fmt(ov.seconds)} s × ${fmt(ov.rounds)} rounds`;
  rows.push(
    {
      metric: `Achieved RPS, harness (runK6 + live ingest) / bare k6 (${load})`,
      goal: '≥ 0.97',
      measured:
        `${fmt(ov.rpsRatio, 3)} (${fmt(ov.rpsHarness)} / ${fmt(ov.rpsBare)} req/s; rounds ` +
        `${(ov.roundRatios as number[]).map((x) => fmt(x, 3)).join(', ')}; other load on the machine ` +
        `${fmt(ov.otherCpuPct)} % of a core; standard error ${fmt(ov.rpsRatioStdErr, 3)})`,
      verdict: ov.rpsRatioConclusive === false ? 'INCONCLUSIVE' : verdict(ov.goals?.rpsRatio),
    },
    {
      metric: 'Harness process CPU while k6 runs at that ceiling',
      goal: '< 5 % of a core',
      measured: `${fmt(ov.harnessCpuPct, 1)} % (max ${fmt(ov.harnessCpuPctMax, 1)} %)`,
      verdict: verdict(ov.goals?.harnessCpu),
    },
    {
      metric: 'Harness CPU per request (14 NDJSON lines), of which K6Ingest.write',
      goal: '',
      measured: `${fmt(ov.harnessCpuUsPerRequest, 1)} µs, ${fmt(ov.ingestWriteCpuUsPerRequest, 1)} µs`,
      verdict: '',
    },
    {
      metric: 'k6 + target CPU per request, bare / harness (the harness does not slow them down)',
      goal: '',
      measured:
        `${fmt(num(ov.k6CpuUsPerRequestBare) + num(ov.targetCpuUsPerRequestBare))} µs / ` +
        `${fmt(num(ov.k6CpuUsPerRequestHarness) + num(ov.targetCpuUsPerRequestHarness))} µs`,
      verdict: '',
    },
    {
      metric: 'RPS ratio to expect on a machine with no idle core (k6+target µs ÷ (that + harness µs))',
      goal: '',
      measured: fmt(ov.rpsRatioIfCpuBound, 3),
      verdict: '',
    },
    {
      metric: 'Highest rate at which the harness stays under 5 % of a core',
      goal: '',
      measured: `~${fmt(ov.maxRpsWithinCpuGoal)} req/s`,
      verdict: '',
    },
  );
}
const co = results.cost;
if (co) {
  rows.push({
    metric:
      `CPU per request, k6 + chaos / a plain \`k6 run\` with no outputs (same script, ` +
      `${fmt(co.rate)} req/s, ${fmt(co.seconds)} s × ${fmt(co.rounds)} interleaved rounds)`,
    goal: '≤ 1.10',
    measured:
      `median ${fmt(co.ratioMedian, 3)} (quartiles ${fmt(co.ratioQ1, 3)}–${fmt(co.ratioQ3, 3)}, range ` +
      `${fmt(co.ratioMin, 3)}–${fmt(co.ratioMax, 3)}); plain ${fmt(co.plainUsPerRequest)} µs, through chaos ` +
      `${fmt(co.harnessK6UsPerRequest)} µs in k6 + ${fmt(co.harnessOwnUsPerRequest)} µs in chaos`,
    verdict: co.pass === true ? 'PASS' : 'MISS',
  });
  if (co.captureRatioMedian !== undefined)
    rows.push({
      metric:
        'CPU per request with answers captured (score and class of every response, a golden row every 5th) / ' +
        'the harness without capture, same rounds',
      goal: '≤ 1.10',
      measured:
        `median ${fmt(co.captureRatioMedian, 3)} (quartiles ${fmt(co.captureRatioQ1, 3)}–${fmt(co.captureRatioQ3, 3)}); ` +
        `${fmt(co.captureUsPerRequest)} µs per request; ${fmt(co.captureRps)} vs ${fmt(co.harnessRps)} req/s`,
      verdict: co.capturePass === true ? 'PASS' : 'MISS',
    });
}
const cs = results['cold-start'];
if (cs) {
  rows.push(
    {
      metric: `\`${String(cs.command)}\` wall time, median of ${fmt(cs.runs)}`,
      goal: '< 0.5 s',
      measured: `${fmt(num(cs.medianMs) / 1000, 3)} s`,
      verdict: verdict(cs.goals?.median),
    },
    {
      metric: 'same, p90',
      goal: '< 0.5 s',
      measured: `${fmt(num(cs.p90Ms) / 1000, 3)} s`,
      verdict: verdict(cs.goals?.p90),
    },
    {
      metric: 'same, CPU time (user + system), median',
      goal: '',
      measured: `${fmt(num(cs.medianCpuMs) / 1000, 3)} s`,
      verdict: '',
    },
  );
}

const esc = (s: string): string => s.replace(/\|/g, '\\|');
const table = [
  '| Metric | Goal | Measured | Verdict |',
  '| --- | --- | --- | --- |',
  ...rows.map((r) => `| ${esc(r.metric)} | ${esc(r.goal)} | ${esc(r.measured)} | ${r.verdict} |`),
].join('\n');

const resultsFile = join(ROOT, 'bench', 'results.json');
const doc = { command: ['npx', 'tsx', 'bench/run.ts', ...argv].join(' '), machine, table: rows, results };
// Formatted as the repo's prettier would, so `prettier --check bench` stays clean after a run.
const style = (await resolveConfig(resultsFile)) ?? {};
writeFileSync(resultsFile, await format(JSON.stringify(doc), { ...style, parser: 'json' }));
process.stderr.write('\nwrote bench/results.json\n\n');
console.log(table);
