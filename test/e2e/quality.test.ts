/**
 * Prediction quality on the real testbed: the failure only a quality check can see (a fallback to default
 * features with every latency and error SLO green), a retrained model caught by the shift while a rebuild of the
 * same model is not, and answers the harness cannot read reported as INCONCLUSIVE with the reason.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyStack,
  editedScenario,
  explain,
  failedCases,
  holdScorers,
  loosenP95,
  resetStack,
  runScenario,
  snapshot,
} from './helpers.js';

const sloVerdicts = (run: Awaited<ReturnType<typeof runScenario>>): Record<string, string> =>
  Object.fromEntries((run.result?.slos ?? []).map((s) => [s.id, s.verdict]));

describe('prediction quality', () => {
  beforeAll(async () => {
    await resetStack();
  });
  afterAll(async () => {
    await resetStack();
  });

  it('feature-store-latency on fallback-defaults FAILs a prediction SLO while latency and errors PASS', async () => {
    await applyStack('fallback-defaults');
    const broken = await snapshot();
    // 0.2: ~960 answers a window, enough for the PSI against 0.1; the defaults disagree on most golden rows.
    const run = await runScenario('scenarios/feature-store-latency.yaml', 0.2);
    expect(run.exitCode, explain(run)).toBe(1);
    const v = sloVerdicts(run);
    expect(v, explain(run)).toMatchObject({
      'latency-p95-all': 'PASS',
      'latency-p95-fault': 'PASS',
      'error-rate-all': 'PASS',
      'error-rate-fault': 'PASS',
    });
    expect(failedCases(run.junit), explain(run)).toContain('prediction-agreement-fault');
    expect(failedCases(run.junit), explain(run)).toContain('prediction-shift-score-fault');
    expect(run.result?.windows.find((w) => w.window === 'fault')?.quality?.answers).toBeGreaterThan(0);
    expect(await snapshot()).toEqual(broken);
  });

  it('a rollout of a rebuilt model (v1r) PASSes; of a retrained one (v2), predictionShift FAILs', async () => {
    await resetStack();
    // How much of the fault window is the new model's depends on how long the rollout takes: with maxSurge 1 and
    // the HPA at 6, the v2 rollout was still going when the window ended, and the PSI measured 0.098 (a
    // fresh-clone .ci/run, 2026-12-03). The scorer now starts every new pod at once (maxSurge 100 %); it is held
    // at 3 all the same, since the answers are under test, not the autoscaler.
    await holdScorers(3);
    const before = await snapshot();
    // The answers are under test here. Each of the three pods the rollout starts burns CPU on the workers' shared
    // cores, and on a busy machine those seconds alone can lift p95 over 250 ms in a 75 s run: the latency goal
    // is loosened (scenarios.test.ts holds the stack to 250 ms), so only the quality SLOs decide.
    const { file: rollout } = await editedScenario('model-rollout', (y) => loosenP95(y));
    const rebuild = await runScenario(rollout, 0.5);
    expect(rebuild.exitCode, explain(rebuild)).toBe(0);
    expect(sloVerdicts(rebuild)['prediction-shift-score-fault']).toBe('PASS');
    expect(await snapshot()).toEqual(before);

    // The fault window holds answers from before the rollout finished (old pods serve until replaced). With every
    // new pod started at once the rollout took 4.6 s of the window (2026-12-03), so at the scenario's own 60 s
    // (30 s here) the window is mostly v2's: PSI 0.37 measured (0.41 with a 90 s window), against the 0.1 goal.
    const { file } = await editedScenario('model-rollout', (y) =>
      loosenP95(y.replace('version: v1r', 'version: v2')),
    );
    const retrained = await runScenario(file, 0.5);
    expect(retrained.exitCode, explain(retrained)).toBe(1);
    expect(failedCases(retrained.junit), explain(retrained)).toContain('prediction-shift-score-fault');
    const v = sloVerdicts(retrained);
    expect(v['error-rate-fault']).toBe('PASS');
    expect(await snapshot()).toEqual(before);
  });

  describe('answers the harness cannot read', () => {
    let server: Server;
    let url: string;
    beforeAll(async () => {
      // A 200 whose body is not JSON, as a misconfigured gateway gives: on 127.0.0.1, like every target here.
      server = createServer((req, res) => {
        req.resume();
        req.on('end', () => res.writeHead(200, { 'Content-Type': 'text/plain' }).end('scored: ok'));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/score`;
    });
    afterAll(async () => {
      await new Promise((r) => server.close(r));
    });

    const quick = (y: string): string =>
      y
        .replace(
          /windows:\n {2}baseline: \d+s\n {2}fault: \d+s\n {2}recovery: \d+s/,
          'windows:\n  baseline: 6s\n  fault: 6s\n  recovery: 3s',
        )
        .replace(/faults:\n(?: {2}- [^\n]*\n(?: {4}[^\n]*\n)*)/, 'faults: []\n');

    it('a body that is not JSON: INCONCLUSIVE, counted as unparsable', async () => {
      const { file } = await editedScenario('feature-store-latency', (y) =>
        quick(y).replace('url: http://127.0.0.1:30080/score', `url: ${url}`),
      );
      const run = await runScenario(file, 1);
      expect(run.exitCode, explain(run)).toBe(4);
      expect(run.result?.windows.find((w) => w.window === 'fault')?.quality?.missing).toMatchObject({
        unparsable_body: expect.any(Number) as number,
      });
      expect(run.result?.reasons.join('\n')).toMatch(
        /had no answer to judge: \d+ without one \(unparsable body ×\d+\)/,
      );
    });

    it('answers without the path: INCONCLUSIVE, counted as path not found', async () => {
      const { file } = await editedScenario('feature-store-latency', (y) =>
        quick(y).replace(
          '  service: fraud-scorer\n',
          '  service: fraud-scorer\n  response: { score: "outputs[*].data" }\n',
        ),
      );
      const run = await runScenario(file, 1);
      expect(run.exitCode, explain(run)).toBe(4);
      expect(run.result?.reasons.join('\n')).toMatch(/\(path not found ×\d+\)/);
    });
  });
});
