/**
 * Scenarios and plans for unit tests: the pod-kill scenario from scenarios/ as a base, parsed by the real
 * schema so defaults are the ones users get, with any part overridden per test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { afterAll, afterEach, beforeEach, vi } from 'vitest';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FaultContext } from '../../src/faults/fault.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { buildPlan, type Plan, type PlanOptions } from '../../src/plan/plan.js';
import {
  scenarioSchema,
  type FaultSpec,
  type Scenario,
  type ScenarioInput,
} from '../../src/scenario/schema.js';
import { semanticIssues } from '../../src/scenario/semantic.js';
import { seededRandom } from '../../src/run/random.js';
import { clock } from './clock.js';
import type { FakeKube } from './kube.js';

export function baseScenarioInput(): ScenarioInput {
  return {
    apiVersion: 'chaos/v1',
    kind: 'Scenario',
    metadata: { name: 'pod-kill' },
    target: {
      namespace: 'ml-serving',
      selector: { app: 'fraud-scorer' },
      url: 'http://127.0.0.1:30080/score',
      versionUrl: 'http://127.0.0.1:30080/version',
      deployment: 'fraud-scorer',
      service: 'fraud-scorer',
    },
    load: { executor: 'constant-arrival-rate', rate: 40 },
    windows: { baseline: '60s', fault: '90s', recovery: '60s' },
    faults: [{ type: 'pod-kill', at: '5s', count: 1 }],
    slos: [{ type: 'errorRate', max: '2%' }],
    safety: { allowedNamespaces: ['ml-serving'] },
  };
}

/** Parses through the real schema and refuses scenarios the loader would refuse, so tests stay realistic. */
export function makeScenario(patch: Partial<ScenarioInput> = {}): Scenario {
  const scenario = scenarioSchema.parse({ ...baseScenarioInput(), ...patch });
  const issues = semanticIssues(scenario);
  if (issues.length > 0) throw new Error(`test scenario is invalid: ${JSON.stringify(issues)}`);
  return scenario;
}

export function makePlan(patch: Partial<ScenarioInput> = {}, opts: Partial<PlanOptions> = {}): Plan {
  return buildPlan(makeScenario(patch), { file: 'scenarios/test.yaml', seed: 42, timeScale: 1, ...opts });
}

/** The plan's first fault of a type, typed for its plugin. */
export function faultOf<T extends FaultSpec['type']>(plan: Plan, type: T): Extract<FaultSpec, { type: T }> {
  const f = plan.scenario.faults.find((x): x is Extract<FaultSpec, { type: T }> => x.type === type);
  if (!f) throw new Error(`the test plan has no ${type} fault`);
  return f;
}

/** A temporary directory removed by the returned cleanup. */
export function tempDir(prefix = 'chaos-unit-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TestFaultContext extends FaultContext {
  lines: string[];
  abort: AbortController;
}

/** A fault context over the fake cluster and a real ledger file in `dir`. */
export async function faultContext(
  kube: FakeKube,
  plan: Plan,
  dir: string,
  opts: { seed?: number; abort?: AbortController } = {},
): Promise<TestFaultContext> {
  const lines: string[] = [];
  const abort = opts.abort ?? new AbortController();
  const ledger = await Ledger.create(path.join(dir, `run-${Math.random().toString(36).slice(2)}.jsonl`));
  return {
    kube: kube.asKube(),
    ledger,
    plan,
    runId: '20260101T120000-pod-kill-a1b2c3',
    namespace: plan.namespace,
    random: seededRandom(opts.seed ?? plan.seed),
    log: (line) => lines.push(line),
    signal: abort.signal,
    lines,
    abort,
  };
}

/**
 * The hooks every fault test file needs: a temp dir for ledgers (removed at the end), the wall clock pinned
 * at `at` for each test (plus any other timers to fake), the instant-sleep clock reset, and the ledgers of
 * the contexts a test pushed closed after it. Call at file or describe level.
 */
export function faultTestHooks(opts: {
  prefix: string;
  at: string;
  fake?: ('setTimeout' | 'clearTimeout')[];
}): { tmp: { dir: string }; contexts: TestFaultContext[]; T: number } {
  const tmp = tempDir(opts.prefix);
  const T = Date.parse(opts.at);
  const contexts: TestFaultContext[] = [];
  afterAll(() => tmp.cleanup());
  beforeEach(() => {
    vi.useFakeTimers({ toFake: [...(opts.fake ?? []), 'Date'] });
    vi.setSystemTime(T);
    clock.reset();
  });
  afterEach(async () => {
    vi.useRealTimers();
    for (const c of contexts.splice(0)) await c.ledger.close();
  });
  return { tmp, contexts, T };
}
