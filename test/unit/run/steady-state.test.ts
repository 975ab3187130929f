import { describe, expect, it } from 'vitest';
import type { HttpProbe } from '../../../src/adapters/http.js';
import { checkSteadyState } from '../../../src/run/steady-state.js';
import type { ScenarioInput } from '../../../src/scenario/schema.js';
import { FakeKube, makeDeployment } from '../../fakes/kube.js';
import { makePlan } from '../../fakes/scenario.js';

function probe(statuses: Record<string, number | null>): HttpProbe & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    status: (url) => {
      asked.push(url);
      return Promise.resolve(url in statuses ? statuses[url]! : null);
    },
    modelVersion: () => Promise.resolve('v3'),
  };
}

const steady: ScenarioInput['steadyState'] = [
  { type: 'readyReplicas', min: 3 },
  { type: 'endpoints', min: 3 },
  { type: 'http', status: 200 },
];

function healthy(): FakeKube {
  const kube = new FakeKube();
  kube.addDeployment(makeDeployment({ name: 'fraud-scorer', replicas: 3 }));
  kube.addService('ml-serving', 'fraud-scorer', { app: 'fraud-scorer' });
  kube.addPods({ name: 'fraud-scorer-a' }, { name: 'fraud-scorer-b' }, { name: 'fraud-scorer-c' });
  return kube;
}

describe('checkSteadyState', () => {
  it('holds when every check passes, and says what it saw', async () => {
    const http = probe({ 'http://127.0.0.1:30080/version': 200 });
    const r = await checkSteadyState(makePlan({ steadyState: steady }), healthy().asKube(), http, 'before');
    expect(r).toEqual({
      ok: true,
      failures: [],
      lines: [
        'ok: deployment fraud-scorer has 3 Ready replica(s) (want ≥ 3)',
        'ok: service fraud-scorer has 3 ready endpoint(s) (want ≥ 3)',
        'ok: GET http://127.0.0.1:30080/version → 200 (want 200)',
      ],
    });
    // The http check defaults to the version URL: GET on the scoring URL would be a 405.
    expect(http.asked).toEqual(['http://127.0.0.1:30080/version']);
  });

  it("v2 and v1: the http check defaults to the model's own readiness", async () => {
    const target = (protocol: 'v2' | 'v1') => ({
      namespace: 'ml-serving',
      selector: { app: 'fraud-scorer' },
      url: 'http://127.0.0.1:30090',
      protocol,
      model: { name: 'fraud' },
      deployment: 'fraud-scorer',
      service: 'fraud-scorer',
    });
    for (const [protocol, url] of [
      ['v2', 'http://127.0.0.1:30090/v2/models/fraud/ready'],
      ['v1', 'http://127.0.0.1:30090/v1/models/fraud'],
    ] as const) {
      const http = probe({ [url]: 200 });
      const plan = makePlan({ target: target(protocol), steadyState: [{ type: 'http', status: 200 }] });
      const r = await checkSteadyState(plan, healthy().asKube(), http, 'before');
      expect(r.ok).toBe(true);
      expect(http.asked).toEqual([url]);
    }
  });

  it('fails on too few Ready replicas or endpoints', async () => {
    const kube = healthy();
    kube.deployments.get('ml-serving/fraud-scorer')!.status!.readyReplicas = 2;
    kube.pods.get('ml-serving/fraud-scorer-c')!.metadata!.deletionTimestamp = new Date();
    const r = await checkSteadyState(
      makePlan({ steadyState: steady }),
      kube.asKube(),
      probe({ 'http://127.0.0.1:30080/version': 200 }),
      'after',
    );
    expect(r.ok).toBe(false);
    expect(r.failures).toEqual([
      'deployment fraud-scorer has 2 Ready replica(s) (want ≥ 3)',
      'service fraud-scorer has 2 ready endpoint(s) (want ≥ 3)',
    ]);
    expect(r.lines[0]).toBe('FAILED: deployment fraud-scorer has 2 Ready replica(s) (want ≥ 3)');
  });

  it('fails on a wrong status or no answer, using the URL the check names', async () => {
    const plan = makePlan({
      steadyState: [{ type: 'http', url: 'http://127.0.0.1:30080/healthz', status: 200 }],
    });
    const wrong = await checkSteadyState(
      plan,
      healthy().asKube(),
      probe({ 'http://127.0.0.1:30080/healthz': 503 }),
      'before',
    );
    expect(wrong.failures).toEqual(['GET http://127.0.0.1:30080/healthz → 503 (want 200)']);
    const silent = await checkSteadyState(plan, healthy().asKube(), probe({}), 'before');
    expect(silent.failures).toEqual(['GET http://127.0.0.1:30080/healthz → no answer (want 200)']);
  });

  it('a check that cannot run is a failure with the reason, and the other checks still run', async () => {
    const kube = healthy();
    kube.fail('readDeployment', new Error('connect ECONNREFUSED 127.0.0.1:6443'));
    const r = await checkSteadyState(
      makePlan({ steadyState: steady }),
      kube.asKube(),
      probe({ 'http://127.0.0.1:30080/version': 200 }),
      'after',
    );
    expect(r.ok).toBe(false);
    expect(r.failures).toEqual([
      'readyReplicas check could not run after the experiment: connect ECONNREFUSED 127.0.0.1:6443',
    ]);
    expect(r.lines).toHaveLength(3);
  });

  it('reads from the plan namespace (--namespace), not the scenario one', async () => {
    const kube = healthy();
    const plan = makePlan({ steadyState: [{ type: 'readyReplicas', min: 1 }] }, { namespace: 'ml-canary' });
    const r = await checkSteadyState(plan, kube.asKube(), probe({}), 'before');
    expect(kube.callsTo('readDeployment')).toEqual([['ml-canary', 'fraud-scorer']]);
    expect(r.ok).toBe(false);
  });

  it('holds trivially without checks, and never writes', async () => {
    const kube = healthy();
    const r = await checkSteadyState(makePlan({ steadyState: [] }), kube.asKube(), probe({}), 'before');
    expect(r).toEqual({ ok: true, lines: [], failures: [] });
    await checkSteadyState(makePlan({ steadyState: steady }), kube.asKube(), probe({}), 'before');
    expect(kube.writes).toBe(0);
  });
});
