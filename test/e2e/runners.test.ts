/**
 * load.runners on the testbed (issue #16): the load as three k6 pods, released together, streamed back and
 * merged into one verdict; golden replay split over the runners and judged on the merged answers; a custom
 * script with a local module, an opened file and a secret on two runners; a runner lost mid-run makes it
 * INCONCLUSIVE; SIGINT stops everything.
 */
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { build } from 'hdr-histogram-js';
import { beforeAll, describe, expect, it } from 'vitest';
import { replayLedger } from '../../src/ledger/ledger.js';
import { LEASE_UNDO } from '../../src/run/lease.js';
import { RUNNERS_UNDO } from '../../src/runners/pool.js';
import type { RunResult } from '../../src/verdict/result.js';
import {
  editedScenario,
  env,
  explain,
  kubectl,
  kubectlJson,
  loosenP95,
  NS,
  repo,
  resetStack,
  runScenario,
} from './helpers.js';

const ORIGIN = 'http://fraud-scorer.ml-serving.svc:80';
const RUNNERS = ['--runners', '3', '--runners-origin', ORIGIN];

async function runnerPods(): Promise<{ name: string; index: string; phase: string }[]> {
  const list = await kubectlJson<{
    items: { metadata: { name: string; labels: Record<string, string> }; status: { phase: string } }[];
  }>('-n', NS, 'get', 'pods', '-l', 'app.kubernetes.io/name=chaos-runner');
  return list.items.map((p) => ({
    name: p.metadata.name,
    index: p.metadata.labels['chaos.runner/index'] ?? '',
    phase: p.status.phase,
  }));
}

async function noRunnerLeft(): Promise<void> {
  for (let i = 0; i < 20 && (await runnerPods()).length > 0; i++)
    await new Promise((r) => setTimeout(r, 500));
  expect(await runnerPods()).toEqual([]);
  expect(
    await kubectl('-n', NS, 'get', 'configmaps', '-l', 'app.kubernetes.io/name=chaos-runner', '-o', 'name'),
  ).toBe('');
  expect(
    await kubectl('-n', NS, 'get', 'secrets', '-l', 'app.kubernetes.io/name=chaos-runner', '-o', 'name'),
  ).toBe('');
}

/** Every file under dir, recursively, as bytes. */
async function filesUnder(dir: string): Promise<{ file: string; bytes: Buffer }[]> {
  const out: { file: string; bytes: Buffer }[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push({ file: p, bytes: await readFile(p) });
  }
  return out;
}

/** Golden-tagged answer points in one runner's raw NDJSON. */
function goldenPoints(raw: string): number {
  let n = 0;
  for (const line of raw.split('\n')) {
    if (!line.includes('"golden"')) continue;
    const p = JSON.parse(line) as { type: string; data: { tags?: Record<string, string> } };
    if (p.type === 'Point' && p.data.tags?.golden !== undefined) n++;
  }
  return n;
}

/** Open ledger entries by kind of undo: the runners' pods, and the run's namespace lease. */
async function openLedgerEntries(stateDir: string): Promise<string[]> {
  const dir = path.join(stateDir, 'runs');
  const open: string[] = [];
  for (const f of await readdir(dir))
    open.push(...replayLedger(f, await readFile(path.join(dir, f), 'utf8')).open.map((i) => i.undo.fault));
  return open.sort();
}

/** p95 as k6 interpolates it, from an HDR histogram built here from the runners' raw NDJSON alone. */
function independentP95(raws: string[]): { p95: number; exact: number; count: number } {
  const opts = {
    bitBucketSize: 32 as const,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 120_000_000,
    numberOfSignificantValueDigits: 3 as const,
    useWebAssembly: false,
  };
  const merged = build(opts);
  const all: number[] = [];
  for (const raw of raws) {
    const h = build(opts);
    for (const line of raw.split('\n')) {
      if (!line.includes('"http_req_duration"')) continue;
      const p = JSON.parse(line) as { type: string; metric: string; data: { value: number } };
      if (p.type !== 'Point' || p.metric !== 'http_req_duration') continue;
      const us = Math.round(p.data.value * 1000);
      h.recordValue(us);
      all.push(us);
    }
    merged.add(h);
  }
  all.sort((a, b) => a - b);
  const n = all.length;
  const pos = 0.95 * (n - 1);
  const lo = Math.floor(pos);
  const at = (rank: number): number =>
    rank <= 1
      ? all[0]!
      : rank >= n
        ? all[n - 1]!
        : Math.min(all[n - 1]!, Math.max(all[0]!, merged.getValueAtPercentile((100 * rank) / n)));
  const a = at(lo + 1);
  const v = pos - lo === 0 ? a : a + (at(lo + 2) - a) * (pos - lo);
  const exact = all[lo]! + (all[Math.min(lo + 1, n - 1)]! - all[lo]!) * (pos - lo);
  return { p95: Math.round(v) / 1000, exact: exact / 1000, count: n };
}

describe('load runners', () => {
  beforeAll(async () => {
    await resetStack();
  });

  it('pod-kill with 3 runners PASSes, one exact merge of the three streams, thresholds and golden answers judged on it', async () => {
    const scale = 0.3;
    // k6 would judge these on each runner's share; the harness judges them once, on the merged load. The
    // golden rows ride along (no extra run): split over the runners, judged on their merged answers.
    const golden = path.join(repo, 'scenarios/payloads/golden.json');
    // At 30/s, not the scenario's 40: three k6 pods share the workers' two cores with the scorers, and what is
    // proven here is the merge, not the stack's headroom on a busy machine. Still ≈ 160 golden answers in the
    // fault window, where a 99 % agreement goal needs 100. For the same reason the latency goal and threshold
    // are 2 s (scenarios.test.ts holds the stack to 250 ms): a fresh-clone .ci/run (2026-12-03) measured p95
    // 340 ms here, p99 602 ms, with no error. Merged thresholds failing is test/unit/verdict/merged-thresholds.test.ts.
    const { file } = await editedScenario('pod-kill', (y) =>
      loosenP95(y)
        .replace('\n  rate: 40\n', '\n  rate: 30\n')
        .replace(
          '\nload:\n',
          "\nload:\n  thresholds:\n    http_req_duration: ['p(95)<2000']\n    'http_req_failed{window:fault}': ['rate<0.01']\n",
        )
        .replace('\nwindows:\n', `\n  golden: { file: ${golden}, every: 5 }\nwindows:\n`)
        .replace('\nslos:\n', '\nslos:\n  - { type: predictionAgreement, window: fault, min: 99% }\n'),
    );
    const run = await runScenario(file, scale, RUNNERS);
    expect(run.exitCode, explain(run)).toBe(0);
    const result = JSON.parse(await readFile(path.join(run.reportDir, 'result.json'), 'utf8')) as RunResult;
    expect(result.verdict).toBe('PASS');
    expect(result.thresholds).toEqual([
      { metric: 'http_req_duration', expression: 'p(95)<2000', ok: true },
      { metric: 'http_req_failed{window:fault}', expression: 'rate<0.01', ok: true },
    ]);
    const runners = result.load?.runners ?? [];
    expect(runners).toHaveLength(3);
    const all = result.windows.find((w) => w.window === 'all')!;
    // rate × duration: 30/s over the scaled 210 s.
    const expected = 30 * 210 * scale;
    expect(Math.abs(all.requests - expected) / expected).toBeLessThanOrEqual(0.01);
    expect(runners.reduce((s, r) => s + r.requests, 0)).toBe(all.requests);
    for (const r of runners) {
      expect(r.node).toMatch(/^chaos-/);
      expect(r.requests).toBe(r.k6Requests);
      expect(r.complete).toBe(true);
      expect(r.startSkewMs).not.toBeNull();
    }
    // Spread over the nodes, not all on one.
    expect(new Set(runners.map((r) => r.node)).size).toBeGreaterThan(1);
    const raws = await Promise.all(
      runners.map((r) => readFile(path.join(run.reportDir, `k6-raw-${r.pod}.ndjson`), 'utf8')),
    );
    const ind = independentP95(raws);
    expect(ind.count).toBe(all.requests);
    expect(all.p95Ms).toBe(ind.p95);
    expect(Math.abs(all.p95Ms! - ind.exact)).toBeLessThanOrEqual(ind.exact / 1024 + 0.001);
    // Golden replay: every runner sent its share of the golden rows, every window got them, and the quality
    // SLO judged the sum of the three runners' golden answers.
    const perRunner = raws.map(goldenPoints);
    for (const n of perRunner) expect(n).toBeGreaterThan(0);
    expect(all.quality?.goldenAnswers).toBe(perRunner.reduce((a, b) => a + b, 0));
    // One golden request in 5 (k6 numbers iterations across the runners' segments): a fifth of the load, less
    // the few that failed while a pod was replaced (no answer to count).
    expect(all.quality!.goldenAnswers).toBeLessThanOrEqual(Math.ceil(all.requests / 5));
    expect(all.quality!.goldenAnswers).toBeGreaterThanOrEqual(0.97 * (all.requests / 5));
    for (const w of ['baseline', 'fault', 'recovery'])
      expect(result.windows.find((x) => x.window === w)!.quality!.goldenAnswers, w).toBeGreaterThan(0);
    const agreement = result.slos.find((x) => x.kind === 'predictionAgreement')!;
    expect(agreement.verdict, agreement.evidence).toBe('PASS');
    expect(agreement.evidence).toContain(
      `of ${result.windows.find((x) => x.window === 'fault')!.quality!.goldenAnswers} golden answers`,
    );
    await noRunnerLeft();
  }, 300_000);

  it('a custom script with a local module, an opened file and load.secretEnv on 2 runners: PASS, the secret only in a Secret, nothing left', async () => {
    const SECRET = `e2e-runner-key-${Date.now().toString(36)}`;
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'chaos-e2e-runners-custom-state-'));
    const dir = await mkdtemp(path.join(os.tmpdir(), 'chaos-e2e-runners-custom-'));
    // The README's example, grown the way real scripts grow: a module of its own, a data file, a key.
    await writeFile(path.join(dir, 'customers.json'), JSON.stringify({ ids: ['customer-42'] }));
    await writeFile(
      path.join(dir, 'customers.js'),
      "export const CUSTOMERS = JSON.parse(open('./customers.json')).ids;\n",
    );
    await writeFile(
      path.join(dir, 'load.js'),
      [
        "import http from 'k6/http';",
        "import { check } from 'k6';",
        "import { CUSTOMERS } from './customers.js';",
        // Without the key no runner would even load the script: a PASS proves the Secret reached k6.
        "if (!__ENV.FEATURES_API_KEY) throw new Error('FEATURES_API_KEY is not set');",
        "const base = __ENV.TARGET_URL.replace(/[^/]*$/, '');",
        'export default function () {',
        "  const res = http.get(base + CUSTOMERS[0], { headers: { 'X-Api-Key': __ENV.FEATURES_API_KEY } });",
        "  check(res, { 'status is 200': (r) => r.status === 200 });",
        '}',
      ].join('\n'),
    );
    const source = await readFile(
      path.join(repo, 'examples/custom-script/feature-store-pod-kill.yaml'),
      'utf8',
    );
    const file = path.join(dir, 'scenario.yaml');
    await writeFile(
      file,
      source
        .replace('$schema=../../scenarios/schema.json', `$schema=${path.join(repo, 'scenarios/schema.json')}`)
        .replace(
          '\n  rate: 30\n',
          '\n  rate: 30\n  secretEnv: [FEATURES_API_KEY]\n  runners: { count: 2, targetOrigin: "http://feature-store.ml-serving.svc:80" }\n',
        ),
    );
    const scale = 0.25;
    const running = runScenario(file, scale, [], {
      env: { CHAOS_STATE_DIR: stateDir, FEATURES_API_KEY: SECRET },
    });
    // While it runs: the runners' objects as the API server has them.
    let seen: { configMap: string; secret: string; pods: string } | null = null;
    for (let i = 0; i < 240 && !seen; i++) {
      const pods = await runnerPods();
      if (pods.length === 2 && pods.every((p) => p.phase === 'Running')) {
        const sel = ['-l', 'app.kubernetes.io/name=chaos-runner'];
        seen = {
          configMap: await kubectl('-n', NS, 'get', 'configmaps', ...sel, '-o', 'json'),
          secret: await kubectl('-n', NS, 'get', 'secrets', ...sel, '-o', 'json'),
          pods: await kubectl('-n', NS, 'get', 'pods', ...sel, '-o', 'json'),
        };
      } else await new Promise((r) => setTimeout(r, 500));
    }
    const run = await running;
    expect(run.exitCode, explain(run)).toBe(0);
    const result = JSON.parse(await readFile(path.join(run.reportDir, 'result.json'), 'utf8')) as RunResult;
    expect(result.verdict).toBe('PASS');

    // The ConfigMap carries k6's archive (script, module, data file), not the key; the pods name the Secret.
    expect(seen).not.toBeNull();
    const cms = JSON.parse(seen!.configMap) as {
      items: { data?: Record<string, string>; binaryData?: Record<string, string> }[];
    };
    expect(cms.items).toHaveLength(1);
    const archive = Buffer.from(cms.items[0]!.binaryData!['script.tar']!, 'base64');
    expect(archive.includes(Buffer.from('customer-42'))).toBe(true);
    expect(archive.includes(Buffer.from(SECRET))).toBe(false);
    expect(JSON.stringify(cms.items[0]!.data)).not.toContain(SECRET);
    expect(seen!.configMap).not.toContain(Buffer.from(SECRET).toString('base64'));
    expect(seen!.pods).not.toContain(SECRET);
    const secrets = JSON.parse(seen!.secret) as {
      items: { metadata: { name: string }; data: Record<string, string> }[];
    };
    expect(secrets.items).toHaveLength(1);
    expect(Buffer.from(secrets.items[0]!.data.FEATURES_API_KEY!, 'base64').toString()).toBe(SECRET);
    const pods = JSON.parse(seen!.pods) as {
      items: { spec: { containers: { envFrom?: { secretRef?: { name: string } }[] }[] } }[];
    };
    for (const p of pods.items)
      expect(p.spec.containers[0]!.envFrom).toEqual([
        { secretRef: { name: secrets.items[0]!.metadata.name } },
      ]);

    // Each runner ran its segment: their counts add up to the merged count, the profile's rate × duration.
    const runners = result.load?.runners ?? [];
    expect(runners).toHaveLength(2);
    const all = result.windows.find((w) => w.window === 'all')!;
    expect(runners.reduce((n, r) => n + r.requests, 0)).toBe(all.requests);
    for (const r of runners) {
      expect(r.requests).toBe(r.k6Requests);
      expect(r.requests).toBeGreaterThan(0);
      expect(r.complete).toBe(true);
    }
    const expected = 30 * 140 * scale;
    expect(Math.abs(all.requests - expected) / expected).toBeLessThanOrEqual(0.01);

    // The key nowhere in the reports, the output or the ledger (which names the Secret, to delete it).
    for (const f of await filesUnder(run.reportDir))
      expect(f.bytes.includes(Buffer.from(SECRET)), f.file).toBe(false);
    expect(run.stdout + run.stderr).not.toContain(SECRET);
    const ledgers = await filesUnder(path.join(stateDir, 'runs'));
    const ledgerText = ledgers.map((l) => l.bytes.toString()).join('\n');
    expect(ledgerText).not.toContain(SECRET);
    expect(ledgerText).toMatch(new RegExp(`"secret":\\s*"${secrets.items[0]!.metadata.name}"`));
    expect(await openLedgerEntries(stateDir)).toEqual([]);
    await noRunnerLeft();
  }, 300_000);

  it('a runner pod deleted mid-run: never a PASS, the windows it missed INCONCLUSIVE naming it, nothing left behind', async () => {
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'chaos-e2e-runners-state-'));
    const running = runScenario('scenarios/pod-kill.yaml', 0.15, RUNNERS, {
      env: { CHAOS_STATE_DIR: stateDir },
    });
    let victim = '';
    for (let i = 0; i < 120 && !victim; i++) {
      const pod = (await runnerPods()).find((p) => p.index === '1' && p.phase === 'Running');
      if (pod) victim = pod.name;
      else await new Promise((r) => setTimeout(r, 500));
    }
    expect(victim).not.toBe('');
    await new Promise((r) => setTimeout(r, 12_000));
    await kubectl('-n', NS, 'delete', 'pod', victim, '--wait=false');
    const run = await running;
    // INCONCLUSIVE (4), unless a breach was measured on the requests that did arrive: that FAIL stands (1), as
    // it does for one local k6 (src/verdict/coverage.ts). A slow machine makes p95 breach in these 30 s.
    expect([4, 1], explain(run)).toContain(run.exitCode);
    expect(run.result?.verdict).not.toBe('PASS');
    const verdicts = Object.fromEntries(run.result!.slos.map((s) => [s.id, s.verdict]));
    // No error was counted in the fault window, and still it cannot PASS: a third of its load is missing.
    expect(verdicts['error-rate-fault'], explain(run)).toBe('INCONCLUSIVE');
    expect(run.result?.reasons.join('\n')).toContain(victim);
    expect(await openLedgerEntries(stateDir)).toEqual([]);
    await noRunnerLeft();
  }, 300_000);

  it('the harness killed (SIGKILL): the runners stop by themselves within 5 s of silence; chaos recover deletes them', async () => {
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'chaos-e2e-runners-kill-'));
    const reportDir = await mkdtemp(path.join(os.tmpdir(), 'chaos-e2e-runners-kill-report-'));
    const child = execa(
      'node',
      [
        path.join(repo, 'bin/chaos.js'),
        'run',
        'scenarios/pod-kill.yaml',
        '--time-scale',
        '0.3',
        '--report-dir',
        reportDir,
        ...RUNNERS,
      ],
      { env: { ...env, CHAOS_STATE_DIR: stateDir }, cwd: repo, reject: false },
    );
    let log = '';
    child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    for (let i = 0; i < 240 && !log.includes('baseline window'); i++)
      await new Promise((r) => setTimeout(r, 250));
    expect(log).toContain('baseline window');
    await new Promise((r) => setTimeout(r, 3000));
    child.kill('SIGKILL');
    await child;
    const t = Date.now();
    let running = (await runnerPods()).filter((p) => p.phase === 'Running');
    while (running.length > 0 && Date.now() - t < 20_000) {
      await new Promise((r) => setTimeout(r, 250));
      running = (await runnerPods()).filter((p) => p.phase === 'Running');
    }
    // 5 s of silence, k6's stop and the pod's status reaching the API server.
    expect(running).toEqual([]);
    expect(Date.now() - t).toBeLessThan(12_000);
    expect((await runnerPods()).length).toBe(3);
    // The runners' pods, and the namespace lease the dead harness still holds.
    expect(await openLedgerEntries(stateDir)).toEqual([RUNNERS_UNDO, LEASE_UNDO].sort());
    const recover = await execa('node', [path.join(repo, 'bin/chaos.js'), 'recover'], {
      env: { ...env, CHAOS_STATE_DIR: stateDir },
      cwd: repo,
      reject: false,
    });
    expect(recover.exitCode, recover.stderr).toBe(0);
    expect(await openLedgerEntries(stateDir)).toEqual([]);
    await noRunnerLeft();
  }, 300_000);

  it('SIGINT mid-run: exit 130 within 15 s, no runner pod left', async () => {
    const reportDir = await mkdtemp(path.join(os.tmpdir(), 'chaos-e2e-runners-sigint-'));
    const child = execa(
      'node',
      [
        path.join(repo, 'bin/chaos.js'),
        'run',
        'scenarios/pod-kill.yaml',
        '--time-scale',
        '0.3',
        '--report-dir',
        reportDir,
        ...RUNNERS,
      ],
      { env, cwd: repo, reject: false },
    );
    let log = '';
    child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    for (let i = 0; i < 240 && !log.includes('baseline window'); i++)
      await new Promise((r) => setTimeout(r, 250));
    expect(log).toContain('baseline window');
    await new Promise((r) => setTimeout(r, 3000));
    const t = Date.now();
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode, log.split('\n').slice(-30).join('\n')).toBe(130);
    expect(Date.now() - t).toBeLessThan(15_000);
    await noRunnerLeft();
  }, 300_000);
});
