/**
 * load.runners rules (src/scenario/runner-rules.ts), through parseScenario so each case checks the
 * `line:col` the author is sent to. Line numbers refer to test/fixtures/scenarios/valid.yaml.
 */
import { describe, expect, it } from 'vitest';
import { VALID, edit, edits, problems } from './helpers.js';

const RATE = '  rate: 40';
const withRunners = (text: string, runners: string) => edit(text, RATE, `${RATE}\n  runners: ${runners}`);
const LOOPBACK = (n: string) =>
  `${n}: load.runners: runners send the load from pods in the cluster, where 127.0.0.1 is the pod itself: give the target's in-cluster address as load.runners.targetOrigin (or --runners-origin), e.g. http://fraud-scorer.ml-serving.svc:80`;

describe('load.runners', () => {
  it('needs the in-cluster address when target.url is loopback', () => {
    expect(problems(withRunners(VALID, '3'))).toEqual([LOOPBACK('16:12')]);
    expect(
      problems(withRunners(VALID, '{ count: 3, targetOrigin: "http://fraud-scorer.ml-serving.svc:80" }')),
    ).toEqual([]);
    expect(
      problems(
        edit(
          withRunners(VALID, '2'),
          'http://127.0.0.1:30080/score',
          'http://fraud-scorer.ml-serving.svc/score',
        ),
      ),
    ).toEqual([]);
  });

  it('runners: 0 is refused at its value', () => {
    const p = problems(withRunners(VALID, '0'));
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^16:12: load\.runners: /);
  });

  it('more runners than the rate splits into', () => {
    const text = edits(
      withRunners(VALID, '{ count: 41, targetOrigin: "http://fraud-scorer.ml-serving.svc:80" }'),
    );
    expect(problems(text)).toEqual([
      '16:21: load.runners.count: 41 runners cannot split a rate of 40 iterations/s: each runner needs a share of at least 1 (at most 40 runners)',
    ]);
  });

  it('a namespace outside safety.allowedNamespaces; thresholds the merged load cannot judge', () => {
    const text = edit(
      withRunners(
        VALID,
        '{ count: 2, namespace: load, targetOrigin: "http://fraud-scorer.ml-serving.svc:80" }',
      ),
      RATE,
      `${RATE}\n  thresholds: { http_req_duration: ["p(95)<250", "p(97)<300"], "http_req_failed{window:fault}": ["rate<0.01"], "http_req_waiting": ["avg<10"], "http_reqs{window:later}": ["count>1"] }`,
    );
    expect(problems(text)).toEqual([
      '16:50: load.thresholds.http_req_duration[1]: "p(97)<300": with runners, http_req_duration takes p(50), p(90), p(95), p(99), med, avg, min, max compared with a number, e.g. p(95)<250',
      '16:133: load.thresholds.http_req_waiting[0]: http_req_waiting: with runners the harness judges thresholds itself: http_req_duration, http_req_failed, http_reqs, alone or with {window:<name>}',
      '16:172: load.thresholds["http_reqs{window:later}"][0]: http_reqs{window:later}: no window named later (windows: baseline, fault, recovery)',
      '17:12: load.runners: runner namespace "load" is not in safety.allowedNamespaces',
    ]);
  });

  it('takes a custom script and load.secretEnv: they are shipped to the runners, not refused', () => {
    const text = edit(
      withRunners(VALID, '{ count: 2, targetOrigin: "http://fraud-scorer.ml-serving.svc:80" }'),
      RATE,
      `  script: load.js\n  secretEnv: [ENDPOINT_KEY]\n${RATE}`,
    );
    expect(problems(text)).toEqual([]);
  });
});
