/**
 * The scenarios in scenarios/mlserver/ against MLServer (deploy/mlserver), a model server nobody here wrote,
 * over the Open Inference Protocol with the real k6: each gives the verdict the README states for it, failing
 * on exactly the SLOs the README names, and leaves the cluster as it found it. pod-kill also proves the load
 * spoke V2 throughout, from k6's own raw output.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  explain,
  failedCases,
  MLSERVER_NS,
  pauseSampleStack,
  resetMlserver,
  runHealthy,
  runScenario,
  snapshot,
  type ChaosRun,
  type ClusterSnapshot,
} from './helpers.js';

interface Case {
  scenario: string;
  verdict: 'PASS' | 'FAIL';
  /** junit testcases that fail: exactly these (none for a PASS)... */
  failed: string[];
  /** ...and these may fail too, or not, from run to run (see the case). */
  mayFail?: string[];
  /** Short enough for the file's budget, long enough for the scenario to mean something (see each). */
  timeScale: number;
  check?: (run: ChaosRun) => void | Promise<void>;
}

interface SloResult {
  id: string;
  verdict: string;
  measured: number | string | null;
  evidence: string;
}

const slo = (run: ChaosRun, id: string): SloResult => {
  const found = (run.result?.slos as unknown as SloResult[] | undefined)?.find((s) => s.id === id);
  expect(found, `${id} in ${JSON.stringify(run.result?.slos.map((s) => s.id))}`).toBeDefined();
  return found!;
};

interface RawPoint {
  metric: string;
  type: string;
  data: { tags: Record<string, string> };
}

/** k6's raw NDJSON output in the report dir: the points of the given metrics. */
async function rawPoints(reportDir: string, metrics: string[]): Promise<RawPoint[]> {
  const raw = await readFile(path.join(reportDir, 'k6-raw.ndjson'), 'utf8');
  return raw
    .split('\n')
    .filter((l) => l.includes('"Point"') && metrics.some((m) => l.includes(`"metric":"${m}"`)))
    .map((l) => JSON.parse(l) as RawPoint)
    .filter((p) => p.type === 'Point' && metrics.includes(p.metric));
}

const cases: Case[] = [
  {
    // The second kill waits for the first one's replacement to be Ready (pod-kill's waitReady) at any scale.
    scenario: 'pod-kill',
    verdict: 'PASS',
    failed: [],
    timeScale: 0.2,
    async check(run) {
      // Every request a POST answered 200, and every answer a V2 inference response: MLServer sends no
      // version header, so a class (outputs[name=predict]) tagged with model_version v1 can only come from
      // the body of a V2 answer, one per request; a non-V2 body would have earned a 422 and no answer.
      const points = await rawPoints(run.reportDir, [
        'http_reqs',
        'chaos_prediction_class',
        'chaos_prediction_missing',
      ]);
      const requests = points.filter((p) => p.metric === 'http_reqs');
      const answers = points.filter((p) => p.metric === 'chaos_prediction_class');
      expect(requests.length).toBeGreaterThan(1200);
      expect(requests.filter((p) => p.data.tags.method !== 'POST' || p.data.tags.status !== '200')).toEqual(
        [],
      );
      expect(points.filter((p) => p.metric === 'chaos_prediction_missing')).toEqual([]);
      expect(answers.length).toBe(requests.length);
      expect(
        answers.filter((p) => p.data.tags.model_version !== 'v1' || !['0', '1'].includes(p.data.tags.class!)),
      ).toEqual([]);
      expect(run.result?.faults.every((f) => f.confirmed)).toBe(true);
    },
  },
  {
    // Starts from the servers spread over both workers (resetMlserver), as a real cluster's would be.
    scenario: 'node-drain',
    verdict: 'PASS',
    failed: [],
    timeScale: 0.2,
    check(run) {
      expect(slo(run, 'min-ready-replicas-fault').measured).toBeGreaterThanOrEqual(2);
    },
  },
  {
    // The runbook's ramp to 200 requests/s on three fixed replicas (no autoscaler in deploy/mlserver).
    scenario: 'load-ramp',
    verdict: 'PASS',
    failed: [],
    timeScale: 0.2,
  },
  {
    // The new pod exits (code 0) ~2 s after each start, so at 0.2 (a 24 s fault window) it is in
    // CrashLoopBackOff (after its first restart's 10 s back-off) well before the template is put back.
    scenario: 'missing-model-artifact',
    verdict: 'PASS',
    failed: [],
    timeScale: 0.2,
    check(run) {
      expect(slo(run, 'pod-state-crashloopbackoff').evidence).toContain(
        'Invalid URI specified for model fraud (/models/v2/model.joblib)',
      );
      expect(slo(run, 'model-version-all').evidence).toMatch(/^\d+ responses by version: v1×\d+$/);
      expect(slo(run, 'min-ready-replicas-fault').measured).toBe(3);
    },
  },
  {
    // Stock MLServer has no batch limit: every 1000-row batch is answered 200, which the load counts as a
    // failed request (it expects 413), so the error rate fails with it. Normal traffic is unharmed.
    scenario: 'oversize-batch',
    verdict: 'FAIL',
    failed: ['http-status-oversize-all', 'error-rate-all'],
    timeScale: 0.2,
    check(run) {
      const oversize = slo(run, 'http-status-oversize-all');
      expect(oversize.evidence).toMatch(/oversize requests: 200×\d+; \d+ break the rule/);
      expect(oversize.measured).toBeGreaterThan(50);
      expect(slo(run, 'http-status-normal-all').verdict).toBe('PASS');
      expect(slo(run, 'latency-p95-all').verdict).toBe('PASS');
      expect(slo(run, 'restarts').verdict).toBe('PASS');
    },
  },
  {
    // One slow replica of three: nothing routes around it, so a third of the requests take 300 ms more and
    // p95 breaches. Through the delay proxy (kernels without netem) a few percent of the delayed requests
    // also end in EOF, not reliably above the error budget: the error-rate SLOs may go either way.
    scenario: 'latency',
    verdict: 'FAIL',
    failed: ['latency-p95-all', 'latency-p95-fault'],
    mayFail: ['error-rate-all', 'error-rate-fault'],
    timeScale: 0.2,
    check(run) {
      expect(Number(slo(run, 'latency-p95-fault').measured)).toBeGreaterThan(300);
      expect(run.result?.faults.every((f) => f.confirmed)).toBe(true);
    },
  },
];

// MLServer alone on the workers: no sample-stack pod restarts beside it when a drain moves pods.
let resumeSampleStack: (() => Promise<void>) | undefined;
beforeAll(async () => {
  resumeSampleStack = await pauseSampleStack();
});
afterAll(async () => {
  await resumeSampleStack?.();
});

describe.each(cases)('mlserver/$scenario', ({ scenario, verdict, failed, mayFail, timeScale, check }) => {
  let before: ClusterSnapshot;

  beforeAll(async () => {
    await resetMlserver();
    before = await snapshot(MLSERVER_NS);
  });
  afterAll(async () => {
    await resetMlserver();
  });

  it(`${verdict === 'PASS' ? 'PASSes' : `FAILs on ${failed.join(', ')}`} and leaves the cluster as it found it`, async () => {
    const file = `scenarios/mlserver/${scenario}.yaml`;
    const run = verdict === 'PASS' ? await runHealthy(file, timeScale) : await runScenario(file, timeScale);
    expect(run.exitCode, explain(run)).toBe(verdict === 'PASS' ? 0 : 1);
    expect(run.result?.verdict).toBe(verdict);
    const failing = failedCases(run.junit);
    for (const id of failed) expect(failing, explain(run)).toContain(id);
    expect(
      failing.filter((id) => !failed.includes(id) && !mayFail?.includes(id)),
      explain(run),
    ).toEqual([]);
    await check?.(run);
    expect(await snapshot(MLSERVER_NS)).toEqual(before);
  });
});
