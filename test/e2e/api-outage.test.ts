/**
 * The API server goes away under the harness: the testbed's control-plane container is paused for 30 s while
 * all four mutating faults (pod-kill, node-drain, latency, model-version) are in place, and again for 30 s
 * from 2 s before the fault window ends, so the end-of-window triage and the revert meet the outage. The load
 * keeps going, the revert waits for the API server and happens once it answers, the run is INCONCLUSIVE saying
 * how long contact was lost, and the cluster is left as it was.
 *
 * Pausing the control plane stops the API server for everyone on the cluster: this file runs only under the
 * cluster lock, and every pause is undone in a `finally` (and again after the file).
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/verdict/result.js';
import { env, repo, resetStack, snapshot } from './helpers.js';

const CONTROL_PLANE = 'chaos-control-plane';
const OUTAGE_MS = 30_000;

async function unpause(): Promise<void> {
  const r = await execa('docker', ['unpause', CONTROL_PLANE], { reject: false });
  // "is not paused" is fine: this runs in every finally.
  if (r.exitCode !== 0 && !/not paused/.test(r.stderr)) throw new Error(`docker unpause: ${r.stderr}`);
}

/** The API server silent for `ms`; always answering again afterwards, whatever happens meanwhile. */
async function outage(ms: number): Promise<{ from: number; to: number }> {
  const from = Date.now();
  try {
    await execa('docker', ['pause', CONTROL_PLANE]);
    await new Promise((r) => setTimeout(r, ms));
  } finally {
    await unpause();
  }
  return { from, to: Date.now() };
}

const SCENARIO = `apiVersion: chaos/v1
kind: Scenario
metadata: { name: api-outage, description: 'Four faults in place while the API server goes away, twice.' }
target:
  namespace: ml-serving
  selector: { app: fraud-scorer }
  url: http://127.0.0.1:30080/score
  deployment: fraud-scorer
  service: fraud-scorer
steadyState: [{ type: readyReplicas, min: 3 }, { type: endpoints, min: 3 }]
load:
  executor: constant-arrival-rate
  rate: 20
  payload: { rows: 1, features: 8, file: ${path.join(repo, 'scenarios/payloads/transactions.json')} }
windows: { baseline: 10s, fault: 75s, recovery: 40s }
faults:
  - { type: model-version, at: 0s, version: v1r }
  - { type: latency, at: 0s, selector: { app: feature-store }, delay: 100ms }
  - { type: pod-kill, at: 0s, count: 1 }
  - { type: node-drain, at: 0s, evictionTimeout: 20s, backoff: 2s }
slos:
  - { type: errorRate, max: 50% }
safety: { allowedNamespaces: [ml-serving], allowedContexts: [kind-chaos] }
`;

describe('API server outage while faults are in place, and during the revert', () => {
  beforeAll(async () => {
    await unpause();
    await resetStack();
  });
  afterAll(async () => {
    await unpause();
    await resetStack();
  });

  it('keeps the load, reverts once the API answers, INCONCLUSIVE with the contact lost, nothing left behind', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'chaos-e2e-outage-'));
    const file = path.join(dir, 'api-outage.yaml');
    await writeFile(file, SCENARIO);
    const before = await snapshot();
    const reportDir = path.join(dir, 'report');
    const run = execa(
      'node',
      [path.join(repo, 'bin/chaos.js'), 'run', file, '--seed', '42', '--report-dir', reportDir],
      {
        env: { ...env, CHAOS_STATE_DIR: path.join(dir, 'state') },
        cwd: repo,
        reject: false,
        all: true,
      },
    );
    let output = '';
    run.all.on('data', (d: Buffer) => (output += d.toString()));
    const waitFor = async (re: RegExp, timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      while (!re.test(output)) {
        if (Date.now() > deadline || run.exitCode !== null) throw new Error(`never saw ${re}:\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    let during: { from: number; to: number };
    let revert: { from: number; to: number };
    try {
      await waitFor(/^\d\d:\d\d:\d\d fault window$/m, 120_000);
      const faultWindowAt = Date.now();
      // All four in place (their notes follow each injection), then the first outage.
      for (const type of ['model-version', 'latency', 'pod-kill', 'node-drain'])
        await waitFor(new RegExp(`^\\d\\d:\\d\\d:\\d\\d ${type}: `, 'm'), 60_000);
      expect(output).not.toMatch(/NOT CONFIRMED/);
      during = await outage(OUTAGE_MS);
      // The second outage begins 2 s before the fault window ends: the revert starts while it lasts.
      const revertAt = faultWindowAt + 75_000 - 2_000;
      expect(Date.now()).toBeLessThan(revertAt);
      await new Promise((r) => setTimeout(r, revertAt - Date.now()));
      revert = await outage(OUTAGE_MS);
    } finally {
      await unpause();
    }
    const done = await run;
    expect(done.exitCode, output.slice(-4000)).toBe(4);
    const result = JSON.parse(await readFile(path.join(reportDir, 'result.json'), 'utf8')) as RunResult;
    expect(result.verdict).toBe('INCONCLUSIVE');

    // Two outages measured, each close to what the test did.
    const outages = result.apiContact!.outages;
    expect(outages, JSON.stringify(outages)).toHaveLength(2);
    for (const [i, o] of outages.entries()) {
      const real = [during, revert][i]!;
      expect(o.seconds).toBeGreaterThan(25);
      expect(o.seconds).toBeLessThan(40);
      expect(Math.abs(Date.parse(o.from) - real.from)).toBeLessThan(5_000);
    }
    expect(result.apiContact!.lostS).toBeGreaterThan(50);
    expect(result.reasons.join('\n')).toMatch(/lost contact with the API server for \d+(\.\d+)? s/);
    expect(output).toMatch(/lost contact with the API server for \d+(\.\d+)? s/);

    // The revert waited for the API server and happened once it answered: within 10 s of the unpause.
    for (const f of result.faults.filter(
      (f) => f.nothingToRevert === null || f.nothingToRevert === undefined,
    )) {
      expect(f.revertedAt, `${f.type} reverted`).not.toBeNull();
      const at = Date.parse(f.revertedAt!);
      expect(at, `${f.type} reverted after the API answered`).toBeGreaterThanOrEqual(revert.to - 1_000);
      expect(at - revert.to, `${f.type} reverted soon after`).toBeLessThan(10_000);
    }
    expect(result.reasons.join('\n')).not.toMatch(/REVERT FAILED/);

    // The load kept going through both outages.
    const t0 = Date.parse(result.loadStartedAt!);
    for (const o of [during, revert]) {
      const seconds = result.timeline.filter((p) => {
        const at = t0 + p.t * 1000;
        return at >= o.from + 2_000 && at <= o.to - 2_000;
      });
      expect(seconds.length).toBeGreaterThan(20);
      expect(seconds.filter((p) => p.requests > 0).length).toBeGreaterThan(seconds.length * 0.9);
    }

    await resetStackKeepingNodes();
    expect(await snapshot()).toEqual(before);
    console.log(
      `outages: ${outages.map((o) => `${o.seconds} s at t=${o.t}`).join(', ')}; reverted ${result.faults
        .filter((f) => f.revertedAt)
        .map((f) => `${f.type} +${((Date.parse(f.revertedAt!) - revert.to) / 1000).toFixed(1)} s`)
        .join(', ')} after the API answered`,
    );
  });
});

/** The rollout back to the recorded template may still be finishing: wait for it before comparing. */
async function resetStackKeepingNodes(): Promise<void> {
  await execa(
    'kubectl',
    [
      '--context',
      'kind-chaos',
      '-n',
      'ml-serving',
      'rollout',
      'status',
      'deploy/fraud-scorer',
      '--timeout=180s',
    ],
    { env },
  );
}
