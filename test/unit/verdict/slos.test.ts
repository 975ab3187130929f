/**
 * The SLO registry: one judge module per kind the scenario language has, each handed only the observations
 * it declares. How each kind judges is in slo.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { PodObserver } from '../../../src/observe/pods.js';
import { scenarioSchema, type ScenarioInput, type SloSpec } from '../../../src/scenario/schema.js';
import { budgetTarget, judgeSlos, type Observations } from '../../../src/verdict/slo.js';
import { SLO_KINDS, sloJudge } from '../../../src/verdict/slos/index.js';
import { makePlan, makeScenario } from '../../fakes/scenario.js';

type SloInput = NonNullable<ScenarioInput['slos']>[number];

/** One valid SLO of every kind (on the base scenario: a pod-kill fault, a deployment, a versionUrl). */
const ONE_OF_EACH: SloInput[] = [
  { type: 'latency', max: '250ms' },
  { type: 'errorRate', max: '2%' },
  { type: 'availability', maxGap: '2s' },
  { type: 'throughput', min: 10 },
  { type: 'recovery', within: '60s' },
  { type: 'minReadyReplicas', min: 2 },
  { type: 'restarts', max: 0 },
  { type: 'oomKilled' },
  { type: 'podState', reason: 'CrashLoopBackOff' },
  { type: 'httpStatus', never: ['5xx'] },
  { type: 'modelVersion' },
  { type: 'predictionAgreement', min: '99%' },
  { type: 'predictionShift', max: 0.1 },
  { type: 'promql', url: 'http://127.0.0.1:9090', query: 'up', min: 1 },
  { type: 'scaling', fromRate: 10, within: '60s' },
];

// Every kind's requirements met: predictionAgreement needs golden rows.
const WITH_ALL = {
  slos: ONE_OF_EACH,
  load: { executor: 'constant-arrival-rate' as const, rate: 40, golden: { file: 'golden.json' } },
};

const schemaKinds = scenarioSchema.shape.slos.element.options.map((o) => o.shape.type.value);

describe('the SLO registry', () => {
  it('has exactly one judge for every SLO kind of the scenario language', () => {
    expect([...SLO_KINDS].sort()).toEqual([...schemaKinds].sort());
    expect(ONE_OF_EACH.map((s) => s.type).sort()).toEqual([...schemaKinds].sort());
    const specs = makeScenario(WITH_ALL).slos;
    for (const spec of specs) expect(sloJudge(spec).kind).toBe(spec.type);
  });

  it('hands each judge only the observations it declares it needs', async () => {
    const plan = makePlan(WITH_ALL);
    for (const spec of plan.scenario.slos) {
      const read = new Set<string>();
      const obs = new Proxy(everything(), {
        get: (target, key, receiver) => {
          read.add(String(key));
          return Reflect.get(target, key, receiver) as unknown;
        },
        has: (target, key) => {
          read.add(String(key));
          return Reflect.has(target, key);
        },
      });
      await judgeSlos({ ...plan, scenario: { ...plan.scenario, slos: [spec] } }, obs);
      expect([...read].sort(), spec.type).toEqual([...sloJudge(spec).needs].sort());
    }
  });
});

describe('budgetTarget', () => {
  const slos = (...s: SloInput[]): SloSpec[] => makeScenario({ slos: s }).slos;

  it('is 1 − the whole-run error-rate limit', () => {
    expect(budgetTarget(slos({ type: 'latency', max: '250ms' }, { type: 'errorRate', max: '2%' }))).toBe(
      0.98,
    );
  });

  it('is null without a whole-run error-rate SLO: a per-window limit is not the budget', () => {
    expect(budgetTarget(slos({ type: 'errorRate', max: '1%', window: 'fault' }))).toBeNull();
    expect(budgetTarget(slos({ type: 'latency', max: '250ms' }))).toBeNull();
  });
});

/** Observations with every field present, so whatever a judge reads is there to be recorded. */
function everything(): Observations {
  return {
    load: {},
    pods: new PodObserver(),
    faults: [],
    loadStartMs: null,
    desiredReplicas: 3,
    versionBefore: 'v3',
    previousLogs: {},
    prometheus: null,
    scaling: null,
    perSecond: [],
  };
}
