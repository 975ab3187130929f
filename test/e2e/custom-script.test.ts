/**
 * A custom k6 script, as a user writes one from the README, against a target other than the scorer: the
 * scenario's load profile applies to it whatever it exports, and a window the load misses is INCONCLUSIVE,
 * never PASS. The example is the README's own (examples/custom-script/).
 */
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  explain,
  failedCases,
  repo,
  resetStack,
  runScenario,
  snapshot,
  type ClusterSnapshot,
} from './helpers.js';

const EXAMPLE = path.join(repo, 'examples/custom-script');
const SCALE = 0.25;
const RATE = 30;
// The example's windows, 40 s + 60 s + 40 s, at SCALE.
const SECONDS = (40 + 60 + 40) * SCALE;

interface LoadResult {
  verdict: string;
  reasons: string[];
  windows: { window: string; requests: number }[];
  load?: {
    script: string | null;
    ignoredOptions: string[];
    coverage: { window: string; ok: boolean; expected: number; measured: number }[];
    k6Error: string | null;
  };
}

/** The example in a temp dir, with its script replaced. */
async function exampleWith(script: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'chaos-e2e-custom-'));
  await cp(EXAMPLE, dir, { recursive: true });
  await writeFile(path.join(dir, 'load.js'), script);
  const file = path.join(dir, 'feature-store-pod-kill.yaml');
  const yaml = await readFile(file, 'utf8');
  await writeFile(
    file,
    yaml.replace('../../scenarios/schema.json', path.join(repo, 'scenarios/schema.json')),
  );
  return file;
}

describe('a custom k6 script', () => {
  let before: ClusterSnapshot;

  beforeAll(async () => {
    await resetStack();
    before = await snapshot();
  });
  afterAll(async () => {
    await resetStack();
  });

  it("runs at the scenario's rate through a pod kill and PASSes (the README's example)", async () => {
    const run = await runScenario('examples/custom-script/feature-store-pod-kill.yaml', SCALE);
    expect(run.exitCode, explain(run)).toBe(0);
    const result = run.result as unknown as LoadResult;
    expect(result.verdict).toBe('PASS');
    expect(failedCases(run.junit)).toEqual([]);
    const all = result.windows.find((w) => w.window === 'all')!;
    // Within 2 % of rate × duration: the profile, not the script, decided how much load ran.
    expect(Math.abs(all.requests - RATE * SECONDS) / (RATE * SECONDS), explain(run)).toBeLessThanOrEqual(
      0.02,
    );
    expect(result.load?.coverage.map((c) => [c.window, c.ok])).toEqual([
      ['baseline', true],
      ['fault', true],
      ['recovery', true],
    ]);
    expect(result.load?.script).toBe('load.js');
    expect(await snapshot()).toEqual(before);
  });

  it("reports a script's own iterations once and runs the scenario's profile instead", async () => {
    const file = await exampleWith(`import http from 'k6/http';
import { check } from 'k6';
export const options = { iterations: 1 };
export default function () {
  check(http.get(__ENV.TARGET_URL), { 'status is 200': (r) => r.status === 200 });
}
`);
    const run = await runScenario(file, SCALE);
    expect(run.exitCode, explain(run)).toBe(0);
    const result = run.result as unknown as LoadResult;
    expect(result.load?.ignoredOptions).toEqual(['iterations']);
    const warnings = run.stderr.split('\n').filter((l) => l.includes("the scenario's load profile"));
    expect(warnings).toEqual([
      "warning: load.js sets iterations; the scenario's load profile (constant-arrival-rate) replaces them",
    ]);
    const all = result.windows.find((w) => w.window === 'all')!;
    expect(Math.abs(all.requests - RATE * SECONDS) / (RATE * SECONDS), explain(run)).toBeLessThanOrEqual(
      0.02,
    );
  });

  it("is INCONCLUSIVE, naming the fault window and k6's error, when the script throws after 10 s", async () => {
    const file = await exampleWith(`import http from 'k6/http';
import exec from 'k6/execution';
export default function () {
  if (exec.instance.currentTestRunDuration > 10000) throw new Error('lookup client gave up');
  http.get(__ENV.TARGET_URL);
}
`);
    const run = await runScenario(file, SCALE);
    expect(run.exitCode, explain(run)).toBe(4);
    const result = run.result as unknown as LoadResult;
    expect(result.verdict).toBe('INCONCLUSIVE');
    const fault = result.reasons.find((r) => r.startsWith('load coverage: the fault window got 0 of'));
    expect(fault, result.reasons.join('\n')).toBeDefined();
    expect(fault).toContain('k6 logged: Error: lookup client gave up');
    expect(result.load?.coverage.find((c) => c.window === 'baseline')?.ok).toBe(true);
    expect(await snapshot()).toEqual(before);
  });
});
