/**
 * Rules across fields (src/scenario/semantic.ts), through parseScenario so each case also checks where the
 * author is sent: the value to fix, or the mapping to add a missing key to. Line numbers refer to
 * test/fixtures/scenarios/valid.yaml.
 */
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../src/scenario/parse.js';
import { scenarioSchema, type ScenarioInput } from '../../../src/scenario/schema.js';
import { semanticIssues } from '../../../src/scenario/semantic.js';
import { parseDurationMs } from '../../../src/scenario/units.js';
import { VALID, edit, edits, expectOk, problems } from './helpers.js';

const FAULTS_BLOCK = /faults:\n( {2}.*\n){3}/;
const RATE = '  rate: 40';
const SLOS_END = '    within: 60s';
const addSlo = (text: string, slo: string) => edit(text, SLOS_END, `${SLOS_END}\n${slo}`);
const addToFault = (text: string, line: string) => edit(text, '    count: 1', `    count: 1\n${line}`);

describe('target and safety', () => {
  it('an empty selector would select every pod', () => {
    expect(problems(edit(VALID, '{ app: fraud-scorer }', '{}'))).toEqual([
      '8:13: target.selector: empty selector would select every pod in the namespace; name at least one label',
    ]);
  });

  it('a protected namespace, even when the scenario allows it', () => {
    expect(
      problems(
        edits(VALID, ['namespace: ml-serving', 'namespace: kube-system'], ['[ml-serving]', '[kube-system]']),
      ),
    ).toEqual(['7:14: target.namespace: kube-system is a system namespace; chaos never runs there']);
    for (const ns of ['kube-public', 'kube-node-lease']) {
      expect(
        problems(edits(VALID, ['namespace: ml-serving', `namespace: ${ns}`], ['[ml-serving]', `[${ns}]`])),
      ).toEqual([`7:14: target.namespace: ${ns} is a system namespace; chaos never runs there`]);
    }
  });

  it('a protected namespace that is also not allowed gets both messages', () => {
    expect(problems(edit(VALID, 'namespace: ml-serving', 'namespace: kube-system'))).toEqual([
      '7:14: target.namespace: kube-system is a system namespace; chaos never runs there',
      '7:14: target.namespace: "kube-system" is not in safety.allowedNamespaces',
    ]);
  });

  it('a namespace outside safety.allowedNamespaces', () => {
    expect(problems(edit(VALID, 'namespace: ml-serving', 'namespace: staging'))).toEqual([
      '7:14: target.namespace: "staging" is not in safety.allowedNamespaces',
    ]);
  });

  it('safety.maxPercent must be a share of the pods', () => {
    expect(problems(edit(VALID, '  maxPods: 1', '  maxPods: 1\n  maxPercent: 150%'))).toEqual([
      '32:15: safety.maxPercent: must be more than 0% and at most 100%',
    ]);
    expect(problems(edit(VALID, '  maxPods: 1', '  maxPods: 1\n  maxPercent: 0%'))).toEqual([
      '32:15: safety.maxPercent: must be more than 0% and at most 100%',
    ]);
  });
});

describe('windows', () => {
  it('each window lasts at least 1s', () => {
    expect(problems(edit(VALID, 'baseline: 60s', 'baseline: 500ms'))).toEqual([
      '17:13: windows.baseline: windows must be at least 1s long',
    ]);
  });

  it('the whole run lasts at most 24h', () => {
    expect(problems(edit(VALID, 'fault: 90s', 'fault: 24h'))).toEqual([
      '17:3: windows: windows add up to more than 24h',
    ]);
  });

  it('absurdly long durations do not overflow into nonsense', () => {
    expect(problems(edit(VALID, 'recovery: 60s', `recovery: ${'9'.repeat(400)}h`))).toEqual([
      '17:3: windows: windows add up to more than 24h',
    ]);
  });
});

describe('load', () => {
  it('constant-arrival-rate needs a rate: points at the load mapping', () => {
    expect(problems(edit(VALID, `${RATE}\n`, ''))).toEqual([
      '13:1: load.rate: required for constant-arrival-rate',
    ]);
  });

  it('constant-vus needs vus and has no rate', () => {
    expect(problems(edit(VALID, 'executor: constant-arrival-rate', 'executor: constant-vus'))).toEqual([
      '13:1: load.vus: required for constant-vus',
      '15:9: load.rate: constant-vus has no arrival rate; use vus or stages',
    ]);
  });

  it('maxVUs below vus', () => {
    expect(problems(edit(VALID, RATE, `${RATE}\n  vus: 20\n  maxVUs: 10`))).toEqual([
      '17:11: load.maxVUs: must be ≥ vus',
    ]);
  });

  it('a ramping executor needs stages', () => {
    expect(
      problems(
        edits(
          VALID,
          ['executor: constant-arrival-rate', 'executor: ramping-arrival-rate'],
          [`${RATE}\n`, ''],
        ),
      ),
    ).toEqual(['13:1: load.stages: required for ramping-arrival-rate']);
  });

  it('ramping stages must add up to the windows', () => {
    const text = edits(
      VALID,
      ['executor: constant-arrival-rate', 'executor: ramping-arrival-rate'],
      [RATE, '  stages:\n    - { duration: 1m, target: 10 }\n    - { duration: 2m, target: 50 }'],
    );
    expect(problems(text)).toEqual([
      '16:5: load.stages: stages last 180s but the windows add up to 210s; they must match so every request falls in a window',
    ]);
    const matching = edit(text, '{ duration: 2m, target: 50 }', '{ duration: 150s, target: 50 }');
    expect(problems(matching)).toEqual([]);
  });

  it('fractional durations add up exactly (4.1m is 246s, not 245.99999999999997s)', () => {
    const text = edits(
      VALID,
      ['executor: constant-arrival-rate', 'executor: ramping-vus'],
      [RATE, '  stages:\n    - { duration: 4.1m, target: 10 }'],
      ['fault: 90s', 'fault: 126s'],
    );
    expect(problems(text)).toEqual([]);
    expect(parseDurationMs('4.1m')).toBe(246_000);
  });

  it('a constant executor takes no stages', () => {
    expect(problems(edit(VALID, RATE, `${RATE}\n  stages: [{ duration: 1m, target: 1 }]`))).toEqual([
      '16:11: load.stages: constant-arrival-rate does not take stages',
    ]);
  });

  it('a payload file with a custom script', () => {
    expect(problems(edit(VALID, RATE, `${RATE}\n  script: my.js\n  payload: { file: rows.json }`))).toEqual([
      '17:20: load.payload.file: payload files feed the built-in script only',
    ]);
  });
});

describe('faults', () => {
  it('a fault scheduled at or after the end of the fault window', () => {
    expect(problems(edit(VALID, '    at: 5s', '    at: 100s'))).toEqual([
      '22:9: faults[0].at: fault starts 100s into a 90s fault window: after the window (and the load) has moved on',
    ]);
    expect(problems(edit(VALID, '    at: 5s', '    at: 90s'))).toEqual([
      '22:9: faults[0].at: fault starts 90s into a 90s fault window: after the window (and the load) has moved on',
    ]);
    expect(problems(edit(VALID, '    at: 5s', '    at: 89s'))).toEqual([]);
  });

  it('pod-kill takes exactly one of count and percent', () => {
    expect(problems(addToFault(VALID, '    percent: 50%'))).toEqual([
      '21:5: faults[0]: give exactly one of count or percent',
    ]);
    expect(problems(edit(VALID, '    count: 1\n', ''))).toEqual([
      '21:5: faults[0]: give exactly one of count or percent',
    ]);
  });

  it('pod-kill percent is a share of the pods', () => {
    for (const p of ['0%', '150%']) {
      expect(problems(edit(VALID, '    count: 1', `    percent: ${p}`))).toEqual([
        '23:14: faults[0].percent: must be more than 0% and at most 100%',
      ]);
    }
  });

  it('pod-kill beyond the safety limits', () => {
    expect(problems(edit(VALID, '    count: 1', '    count: 2'))).toEqual([
      '23:12: faults[0].count: kills 2 pods but safety.maxPods is 1',
    ]);
    expect(
      problems(
        edits(
          VALID,
          ['    count: 1', '    percent: 50%'],
          ['  maxPods: 1', '  maxPods: 1\n  maxPercent: 25%'],
        ),
      ),
    ).toEqual(['23:14: faults[0].percent: kills 50% of the pods but safety.maxPercent is 25%']);
  });

  it('repeated kills need an interval that fits the fault window', () => {
    expect(problems(addToFault(VALID, '    repeat: 3'))).toEqual([
      '21:5: faults[0].interval: required when repeat > 1',
    ]);
    expect(problems(addToFault(VALID, '    repeat: 3\n    interval: 0s'))).toEqual([
      '25:15: faults[0].interval: must be longer than 0s when repeat > 1',
    ]);
    expect(problems(addToFault(VALID, '    repeat: 3\n    interval: 60s'))).toEqual([
      '24:13: faults[0].repeat: the repeated kills run past the end of the fault window',
    ]);
    expect(problems(addToFault(VALID, '    repeat: 3\n    interval: 30s'))).toEqual([]);
  });

  it('model-version needs target.deployment: points at the target mapping', () => {
    const text = edits(
      VALID,
      ['  deployment: fraud-scorer\n', ''],
      ['  - type: recovery\n    within: 60s\n', ''],
      ['  - type: pod-kill\n    at: 5s\n    count: 1', '  - type: model-version\n    version: v3'],
    );
    expect(problems(text)).toEqual(['6:1: target.deployment: required by the model-version fault']);
  });

  it('latency: delay, namespaces', () => {
    const latency = (extra: string) =>
      edit(
        VALID,
        '    count: 1',
        `    count: 1\n  - type: latency\n    selector: { app: feature-store }\n${extra}`,
      );
    expect(problems(latency('    delay: 2m'))).toEqual([
      '26:12: faults[1].delay: delays above 60s are not a latency fault',
    ]);
    expect(problems(latency('    delay: 100ms\n    namespace: kube-system'))).toEqual([
      '27:16: faults[1].namespace: kube-system is a system namespace; chaos never runs there',
      '27:16: faults[1].namespace: "kube-system" is not in safety.allowedNamespaces',
    ]);
    expect(problems(latency('    delay: 100ms\n    namespace: feature-store'))).toEqual([
      '27:16: faults[1].namespace: "feature-store" is not in safety.allowedNamespaces',
    ]);
    expect(
      problems(
        latency('    delay: 100ms\n    selector: {}').replace('    selector: { app: feature-store }\n', ''),
      ),
    ).toEqual(['26:15: faults[1].selector: empty selector would delay every pod']);
  });

  it('at most one oversize-batch fault', () => {
    const text = edit(
      VALID,
      '    count: 1',
      '    count: 1\n  - type: oversize-batch\n  - type: oversize-batch',
    );
    expect(problems(text)).toEqual([
      '25:5: faults[2]: only one oversize-batch fault per scenario: the load sends one oversize mix',
    ]);
  });
});

describe('steady state', () => {
  it('readyReplicas needs target.deployment, endpoints needs target.service', () => {
    const text = edits(
      VALID,
      ['  deployment: fraud-scorer\n  service: fraud-scorer\n', ''],
      ['  - type: recovery\n    within: 60s\n', ''],
      ['load:', 'steadyState:\n  - type: readyReplicas\n    min: 2\n  - type: endpoints\n    min: 2\nload:'],
    );
    expect(problems(text)).toEqual([
      '6:1: target.deployment: required by steadyState[0] (readyReplicas)',
      '6:1: target.service: required by steadyState[1] (endpoints)',
    ]);
  });
});

describe('SLOs', () => {
  it('an error rate above 100%', () => {
    expect(problems(edit(VALID, 'max: 2%', 'max: 200%'))).toEqual([
      '26:10: slos[0].max: an error rate cannot exceed 100%',
    ]);
  });

  it('recovery needs a fault and target.deployment', () => {
    expect(problems(edit(VALID, FAULTS_BLOCK, ''))).toEqual([
      '23:5: slos[1]: recovery is measured from a fault; this scenario has none',
    ]);
    expect(problems(edit(VALID, '  deployment: fraud-scorer\n', ''))).toEqual([
      '6:1: target.deployment: required by the recovery SLO',
    ]);
  });

  it('minReadyReplicas needs target.deployment', () => {
    const text = edits(
      VALID,
      ['  deployment: fraud-scorer\n', ''],
      ['  - type: recovery\n    within: 60s', '  - type: minReadyReplicas\n    min: 2'],
    );
    expect(problems(text)).toEqual(['6:1: target.deployment: required by the minReadyReplicas SLO']);
  });

  describe('scaling', () => {
    const P95 = '  - type: latency\n    percentile: 95\n    max: 250ms';
    const withP95 = addSlo(VALID, P95);

    it('is valid with a deployment, a p95 latency SLO and a level the load reaches', () => {
      expect(problems(addSlo(withP95, '  - type: scaling\n    fromRate: 40\n    within: 60s'))).toEqual([]);
      expect(problems(addSlo(withP95, '  - type: scaling\n    window: fault'))).toEqual([]);
    });

    it('needs target.deployment: the one the HPA scales', () => {
      const text = edit(addSlo(withP95, '  - type: scaling'), '  deployment: fraud-scorer\n', '');
      // The recovery SLO of the fixture needs it too; both point at the target mapping.
      expect(problems(text)).toEqual([
        '6:1: target.deployment: required by the recovery SLO',
        '6:1: target.deployment: required by the scaling SLO (the Deployment the HorizontalPodAutoscaler scales)',
      ]);
    });

    it('refuses a level above the load profile’s peak rate, at the level', () => {
      expect(problems(addSlo(withP95, '  - type: scaling\n    fromRate: 41'))).toEqual([
        '30:15: slos[2].fromRate: the load peaks at 40 requests/s: it never reaches 41',
      ]);
      const ramp = edits(
        addSlo(withP95, '  - type: scaling\n    fromRate: 250'),
        ['executor: constant-arrival-rate', 'executor: ramping-arrival-rate'],
        [
          RATE,
          '  stages:\n    - { duration: 60s, target: 50 }\n    - { duration: 90s, target: 200 }\n    - { duration: 60s, target: 0 }',
        ],
      );
      expect(problems(ramp)).toEqual([
        '33:15: slos[2].fromRate: the load peaks at 200 requests/s: it never reaches 250',
      ]);
    });

    it('refuses a level on a VU executor, which plans no rate', () => {
      const vus = edits(
        addSlo(withP95, '  - type: scaling\n    fromRate: 10'),
        ['executor: constant-arrival-rate', 'executor: constant-vus'],
        [RATE, '  vus: 5'],
      );
      expect(problems(vus)).toEqual([
        '30:15: slos[2].fromRate: constant-vus plans no request rate; fromRate needs an arrival-rate executor',
      ]);
    });

    it('needs a p95 latency SLO to time the breach against', () => {
      expect(problems(addSlo(VALID, '  - type: scaling'))).toEqual([
        '29:5: slos[2]: the scaling SLO is judged against the scenario’s p95 latency SLO; there is none',
      ]);
    });
  });

  it('httpStatus needs expect or never, and oversize needs an oversize-batch fault', () => {
    expect(problems(addSlo(VALID, '  - type: httpStatus'))).toEqual([
      '29:5: slos[2]: give expect, never, or both',
    ]);
    expect(
      problems(addSlo(VALID, "  - type: httpStatus\n    payload: oversize\n    expect: ['413']")),
    ).toEqual(['30:14: slos[2].payload: no oversize-batch fault sends oversize requests']);
    const withFault = edit(VALID, '    count: 1', '    count: 1\n  - type: oversize-batch');
    expect(
      problems(addSlo(withFault, "  - type: httpStatus\n    payload: oversize\n    expect: ['413']")),
    ).toEqual([]);
  });

  it('modelVersion needs the built-in script and, for "unchanged", target.versionUrl', () => {
    expect(problems(edit(addSlo(VALID, '  - type: modelVersion'), RATE, `${RATE}\n  script: my.js`))).toEqual(
      ['30:5: slos[2]: the model version is recorded by the built-in script only'],
    );
    expect(
      problems(
        edit(addSlo(VALID, '  - type: modelVersion'), '  versionUrl: http://127.0.0.1:30080/version\n', ''),
      ),
    ).toEqual([
      '6:1: target.versionUrl: required by the modelVersion SLO with expect: unchanged (the version before the run)',
    ]);
    const pinned = edit(
      addSlo(VALID, '  - type: modelVersion\n    expect: v2'),
      '  versionUrl: http://127.0.0.1:30080/version\n',
      '',
    );
    expect(problems(pinned)).toEqual([]);
  });

  it('podState "new" needs a fault', () => {
    const text = edits(
      VALID,
      [FAULTS_BLOCK, ''],
      ['  - type: recovery\n    within: 60s', '  - type: podState\n    reason: CrashLoopBackOff'],
    );
    expect(problems(text)).toEqual([
      '23:5: slos[1].pods: "new" pods are those created after a fault; there is none',
    ]);
  });

  it('promql needs max or min', () => {
    expect(
      problems(addSlo(VALID, '  - type: promql\n    url: http://prometheus:9090\n    query: up')),
    ).toEqual(['29:5: slos[2]: give max, min, or both']);
  });

  describe('promql', () => {
    const promql = (extra: string, url = '    url: http://prometheus:9090\n') =>
      problems(addSlo(VALID, `  - type: promql\n${url}    max: 1\n${extra}`));

    it('checks the query with Prometheus’s own grammar', () => {
      expect(promql('    query: sum(rate(x[5m]) by')).toEqual([
        '32:12: slos[2].query: PromQL syntax error at character 17, near "by"',
      ]);
      expect(promql('    query: sum(increase(x{code=~"5.."}[$window]))\n    instant: true')).toEqual([]);
    });

    it('needs a Prometheus: its own url or a prometheus section', () => {
      expect(promql('    query: up', '')).toEqual([
        '29:5: slos[2].url: which Prometheus? give url here or a prometheus section',
      ]);
    });

    it('quantile goes with reduce: quantile, and an instant query has nothing to reduce', () => {
      expect(promql('    query: up\n    reduce: quantile')).toEqual([
        '29:5: slos[2].quantile: reduce: quantile needs quantile, e.g. 0.95',
      ]);
      expect(promql('    query: up\n    quantile: 0.9')).toEqual([
        '33:15: slos[2].quantile: quantile applies only with reduce: quantile',
      ]);
      expect(promql('    query: up\n    reduce: avg\n    instant: true')).toEqual([
        '33:13: slos[2].reduce: an instant query has one value: nothing to reduce',
      ]);
    });
  });
});

describe('every rule at once', () => {
  it('reports all semantic problems, in line order', () => {
    const text = edits(
      VALID,
      ['namespace: ml-serving', 'namespace: staging'],
      ['{ app: fraud-scorer }', '{}'],
      ['    at: 5s', '    at: 2m'],
      ['    count: 1', '    count: 1\n    percent: 10%'],
      ['max: 2%', 'max: 101%'],
    );
    expect(problems(text)).toEqual([
      '7:14: target.namespace: "staging" is not in safety.allowedNamespaces',
      '8:13: target.selector: empty selector would select every pod in the namespace; name at least one label',
      '21:5: faults[0]: give exactly one of count or percent',
      '22:9: faults[0].at: fault starts 2m into a 90s fault window: after the window (and the load) has moved on',
      '27:10: slos[0].max: an error rate cannot exceed 100%',
    ]);
  });

  it('semanticIssues returns nothing for the valid fixture and paths that exist in the data', () => {
    const result = parseScenario(VALID, 'v.yaml');
    expectOk(result);
    expect(semanticIssues(result.scenario)).toEqual([]);
    // Back to the input form (durations as text) to change one field and parse again.
    const input = JSON.parse(JSON.stringify(result.scenario)) as ScenarioInput;
    const broken = scenarioSchema.parse({
      ...input,
      target: { ...input.target, selector: {} },
    });
    expect(semanticIssues(broken)).toEqual([
      { path: ['target', 'selector'], message: expect.stringContaining('empty selector') as string },
    ]);
  });
});
