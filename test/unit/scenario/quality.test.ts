/**
 * The prediction-quality parts of a scenario: where answers are (target.response), golden replay (load.golden),
 * and the two quality SLOs. Line numbers refer to test/fixtures/scenarios/valid.yaml.
 */
import { describe, expect, it } from 'vitest';
import { AnswerPath } from '../../../src/scenario/answer-path.js';
import { parseScenario } from '../../../src/scenario/parse.js';
import { VALID, edit, edits, expectOk, problems } from './helpers.js';

const QUALITY_SLOS = `slos:
  - type: predictionShift
    max: 0.1
  - type: predictionAgreement
    min: 99%
`;
const WITH_GOLDEN = edits(
  VALID,
  ['  rate: 40', '  rate: 40\n  golden: { file: golden.json, every: 5 }'],
  ['slos:\n', QUALITY_SLOS],
);

describe('answer paths', () => {
  it.each([
    ['predictions[*].score', 'predictions.#.score'],
    ['outputs[0].data[*]', 'outputs.0.data'],
    ['outputs[0].data[*][*]', 'outputs.0.data'],
    ['a.b-c[2].d', 'a.b-c.2.d'],
    ['score', 'score'],
  ])('%s reads as the gjson path %s', (text, gjson) => {
    expect(AnswerPath.parse(text)).toEqual(new AnswerPath(text, gjson));
  });

  it('defaults to the sample’s answers, and only the paths given when target.response is set', () => {
    const r = parseScenario(WITH_GOLDEN, 's.yaml');
    expectOk(r);
    expect(JSON.parse(JSON.stringify(r.scenario.target.response))).toEqual({
      score: 'predictions[*].fraudProbability',
      class: 'predictions[*].label',
      scoreRange: [0, 1],
    });
    const own = parseScenario(
      edit(
        VALID,
        '  service: fraud-scorer',
        '  service: fraud-scorer\n  response: { class: "outputs[0].data[*]" }',
      ),
      's.yaml',
    );
    expectOk(own);
    expect(own.scenario.target.response.score).toBeUndefined();
    expect(own.scenario.target.response.class?.gjson).toBe('outputs.0.data');
  });

  it('refuses a path that is not one, at its position', () => {
    const text = edit(
      VALID,
      '  service: fraud-scorer',
      '  service: fraud-scorer\n  response: { score: "predictions[].x" }',
    );
    expect(problems(text)).toEqual([
      '13:22: target.response.score: expected a path like predictions[*].score or outputs[name=predict].data: keys joined by dots, each optionally followed by [*], [index] or [field=value], got "predictions[].x"',
    ]);
    const nested = edit(
      VALID,
      '  service: fraud-scorer',
      '  service: fraud-scorer\n  response: { score: "a[*][*].b" }',
    );
    expect(problems(nested)).toEqual([
      '13:22: target.response.score: [*][*] is only supported at the end of a path, got "a[*][*].b"',
    ]);
  });

  it('refuses a response with no path and an empty score range', () => {
    const text = edit(
      VALID,
      '  service: fraud-scorer',
      '  service: fraud-scorer\n  response: { scoreRange: [1, 1] }',
    );
    expect(problems(text)).toEqual([
      '13:13: target.response: give score, class, or both',
      '13:27: target.response.scoreRange: expected [low, high] with low < high',
    ]);
  });
});

describe('quality SLOs', () => {
  it('accept the documented fields, judging the fault window by default', () => {
    const r = parseScenario(WITH_GOLDEN, 's.yaml');
    expectOk(r);
    expect(r.scenario.load.golden).toEqual({ file: 'golden.json', every: 5 });
    expect(JSON.parse(JSON.stringify(r.scenario.slos))).toEqual([
      { type: 'predictionShift', max: 0.1, on: 'score', bins: 10, window: 'fault' },
      { type: 'predictionAgreement', min: '99%', tolerance: 0.01, window: 'fault' },
      { type: 'errorRate', max: '2%', window: 'all' },
      { type: 'recovery', within: '60s' },
    ]);
  });

  it('predictionAgreement needs golden rows', () => {
    expect(problems(edit(VALID, 'slos:\n', QUALITY_SLOS))).toEqual([
      '13:1: load.golden: required by the predictionAgreement SLO: the golden rows whose answers are compared',
    ]);
  });

  it('the baseline is the reference, not a window to judge', () => {
    expect(problems(edit(WITH_GOLDEN, '    max: 0.1', '    max: 0.1\n    window: baseline'))).toEqual([
      '28:13: slos[0].window: the baseline is what other windows are compared with; pick fault, recovery or all',
    ]);
  });

  it('shift bins must divide the score grid, and a class shift needs a class path', () => {
    expect(problems(edit(WITH_GOLDEN, '    max: 0.1', '    max: 0.1\n    bins: 7'))).toEqual([
      '28:11: slos[0].bins: must divide 1000 (2, 4, 5, 8, 10, 20, 25, 40, 50, 100), got 7',
    ]);
    const noClass = edits(
      WITH_GOLDEN,
      ['  service: fraud-scorer', '  service: fraud-scorer\n  response: { score: "p[*].s" }'],
      ['    max: 0.1', '    max: 0.1\n    on: class'],
    );
    expect(problems(noClass)).toEqual([
      "13:3: target.response.class: required by the predictionShift SLO on class: where the answer's class is",
    ]);
  });

  it('golden rows are the built-in script’s', () => {
    const text = edit(WITH_GOLDEN, '  rate: 40', '  rate: 40\n  script: load.js');
    expect(problems(text)).toEqual([
      '17:11: load.golden: golden rows are replayed by the built-in script; a custom script tags its own',
    ]);
  });
});
