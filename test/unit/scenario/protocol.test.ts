/**
 * target.protocol: the URL the load POSTs to, the answer and model-version defaults of each protocol, and what
 * validation refuses (unknown protocol, v2/v1 without a model, a protocol path written into target.url, payload
 * and golden rows of the wrong width, pointed at in their own file). Line numbers refer to
 * test/fixtures/scenarios/valid.yaml.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlan } from '../../../src/plan/plan.js';
import { AnswerPath, firstAt } from '../../../src/scenario/answer-path.js';
import { formatDiagnostic } from '../../../src/scenario/diagnostics.js';
import { loadScenarioFile, parseScenario } from '../../../src/scenario/parse.js';
import { metadataUrl, readyUrl, requestUrl } from '../../../src/scenario/protocol.js';
import { checkRows } from '../../../src/scenario/rows.js';
import { VALID, edit, edits, expectOk, problems } from './helpers.js';

const URL_LINE = '  url: http://127.0.0.1:30080/score';
const VERSION_LINE = '  versionUrl: http://127.0.0.1:30080/version\n';

/** The valid fixture turned into a V2 scenario against MLServer's port, with `model` as the model's YAML. */
function v2(model = '{ name: fraud }', extra = ''): string {
  return edits(
    VALID,
    [URL_LINE, `  url: http://127.0.0.1:30090\n  protocol: v2\n  model: ${model}${extra}`],
    [VERSION_LINE, ''],
  );
}

function parsed(text: string) {
  const r = parseScenario(text, 's.yaml');
  expectOk(r);
  return r.scenario;
}

describe('answer paths: [field=value] picks an item by name', () => {
  it.each([
    ['outputs[name=predict].data[*]', 'outputs.#(name=="predict").data'],
    ['outputs[name=predict_proba]', 'outputs.#(name=="predict_proba")'],
    ['a[id=x-1.2].b[0]', 'a.#(id=="x-1.2").b.0'],
  ])('%s reads as the gjson path %s', (text, gjson) => {
    expect(AnswerPath.parse(text).gjson).toBe(gjson);
  });

  it('firstAt reads a parsed document the same way (the version before the run)', () => {
    const meta = { name: 'fraud', versions: ['v7'], outputs: [{ name: 'a' }, { name: 'b', v: 2 }] };
    expect(firstAt(meta, AnswerPath.parse('versions[0]'))).toBe('v7');
    expect(firstAt(meta, AnswerPath.parse('outputs[name=b].v'))).toBe(2);
    expect(firstAt(meta, AnswerPath.parse('outputs[name=c].v'))).toBeUndefined();
    expect(firstAt({ modelVersion: 'v1' }, AnswerPath.parse('modelVersion'))).toBe('v1');
    expect(firstAt({ versions: [] }, AnswerPath.parse('versions[0]'))).toBeUndefined();
  });
});

describe('protocol defaults', () => {
  it('json: the sample, unchanged', () => {
    const s = parsed(VALID);
    expect(s.target.protocol).toBe('json');
    expect(JSON.parse(JSON.stringify(s.target.response))).toEqual({
      score: 'predictions[*].fraudProbability',
      class: 'predictions[*].label',
      scoreRange: [0, 1],
    });
    expect(JSON.parse(JSON.stringify(s.target.modelVersion))).toEqual({
      header: 'X-Model-Version',
      urlField: 'modelVersion',
    });
    expect(requestUrl(s.target)).toBe('http://127.0.0.1:30080/score');
    expect(readyUrl(s.target)).toBe('http://127.0.0.1:30080/version');
    const plan = buildPlan(s, { file: 's.yaml', seed: 1, timeScale: 1 });
    expect(plan.k6.request).toEqual({
      url: 'http://127.0.0.1:30080/score',
      protocol: 'json',
      input: 'input-0',
      datatype: 'FP32',
      outputs: [],
    });
    expect(plan.k6.version).toEqual({ header: 'X-Model-Version', field: null });
    expect(plan.k6.answers).toEqual({
      score: 'predictions.#.fraudProbability',
      class: 'predictions.#.label',
      scoreColumn: null,
    });
  });

  it('v2: the Open Inference Protocol paths, sklearn outputs, model_version and the metadata', () => {
    const s = parsed(v2('{ name: fraud, outputs: [predict, predict_proba] }'));
    expect(requestUrl(s.target)).toBe('http://127.0.0.1:30090/v2/models/fraud/infer');
    expect(s.target.versionUrl).toBe('http://127.0.0.1:30090/v2/models/fraud');
    expect(readyUrl(s.target)).toBe('http://127.0.0.1:30090/v2/models/fraud/ready');
    expect(JSON.parse(JSON.stringify(s.target.response))).toEqual({
      score: 'outputs[name=predict_proba]',
      scoreColumn: 1,
      class: 'outputs[name=predict].data[*]',
      scoreRange: [0, 1],
    });
    expect(JSON.parse(JSON.stringify(s.target.modelVersion))).toEqual({
      field: 'model_version',
      urlField: 'versions[0]',
    });
    const plan = buildPlan(s, { file: 's.yaml', seed: 1, timeScale: 1 });
    expect(plan.k6.request).toEqual({
      url: 'http://127.0.0.1:30090/v2/models/fraud/infer',
      protocol: 'v2',
      input: 'input-0',
      datatype: 'FP32',
      outputs: ['predict', 'predict_proba'],
    });
    expect(plan.k6.version).toEqual({ header: null, field: 'model_version' });
    expect(plan.k6.answers).toEqual({
      score: 'outputs.#(name=="predict_proba")',
      class: 'outputs.#(name=="predict").data',
      scoreColumn: 1,
    });
  });

  it('v2 with a pinned version, a path prefix, and settings of its own', () => {
    const s = parsed(
      edit(
        v2(
          '{ name: fraud, version: "3", input: features, datatype: FP64 }',
          '\n  modelVersion: { header: X-Served-By }',
        ),
        'http://127.0.0.1:30090',
        'http://127.0.0.1:30090/ml/',
      ),
    );
    expect(requestUrl(s.target)).toBe('http://127.0.0.1:30090/ml/v2/models/fraud/versions/3/infer');
    expect(metadataUrl(s.target)).toBe('http://127.0.0.1:30090/ml/v2/models/fraud/versions/3');
    expect(readyUrl(s.target)).toBe('http://127.0.0.1:30090/ml/v2/models/fraud/versions/3/ready');
    const plan = buildPlan(s, { file: 's.yaml', seed: 1, timeScale: 1 });
    expect(plan.k6.request.input).toBe('features');
    expect(plan.k6.request.datatype).toBe('FP64');
    // The header given, the body's field still the protocol's.
    expect(plan.k6.version).toEqual({ header: 'X-Served-By', field: 'model_version' });
  });

  it('v1: KServe V1 paths, predictions as the class, no version anywhere', () => {
    const s = parsed(
      edits(
        VALID,
        [URL_LINE, '  url: http://127.0.0.1:30090\n  protocol: v1\n  model: { name: fraud }'],
        [VERSION_LINE, ''],
      ),
    );
    expect(requestUrl(s.target)).toBe('http://127.0.0.1:30090/v1/models/fraud:predict');
    expect(readyUrl(s.target)).toBe('http://127.0.0.1:30090/v1/models/fraud');
    expect(s.target.versionUrl).toBeUndefined();
    expect(JSON.parse(JSON.stringify(s.target.response))).toEqual({
      class: 'predictions[*]',
      scoreRange: [0, 1],
    });
    expect(JSON.parse(JSON.stringify(s.target.modelVersion))).toEqual({});
  });

  it('a given target.response replaces the protocol defaults whole', () => {
    const s = parsed(v2('{ name: fraud }', '\n  response: { score: "outputs[0].data[*]" }'));
    expect(JSON.parse(JSON.stringify(s.target.response))).toEqual({
      score: 'outputs[0].data[*]',
      scoreRange: [0, 1],
    });
  });
});

describe('protocol validation', () => {
  it('an unknown protocol', () => {
    expect(problems(edit(VALID, URL_LINE, `${URL_LINE}\n  protocol: grpc`))).toEqual([
      '10:13: target.protocol: expected one of "json", "v2", "v1", got "grpc"',
    ]);
  });

  it('v2 and v1 without a model name', () => {
    expect(
      problems(edits(VALID, [URL_LINE, '  url: http://127.0.0.1:30090\n  protocol: v2'], [VERSION_LINE, ''])),
    ).toEqual([
      "6:1: target.model: required by protocol v2: the model's name (its requests go to /v2/models/{name}/infer)",
    ]);
    expect(problems(v2('{ version: "1" }'))).toEqual([
      '11:3: target.model.name: required key "name" is missing',
    ]);
    expect(
      problems(edits(VALID, [URL_LINE, '  url: http://127.0.0.1:30090\n  protocol: v1'], [VERSION_LINE, ''])),
    ).toEqual([
      "6:1: target.model: required by protocol v1: the model's name (its requests go to /v1/models/{name}:predict)",
    ]);
  });

  it('the protocol path written into target.url, a model for json, v1 with v2-only keys', () => {
    expect(
      problems(edit(v2(), 'http://127.0.0.1:30090', 'http://127.0.0.1:30090/v2/models/fraud/infer')),
    ).toEqual([
      "9:8: target.url: protocol v2 takes the server's base URL (e.g. http://127.0.0.1:30090); the harness adds /v2/models/{name}/infer from target.model",
    ]);
    expect(problems(edit(VALID, URL_LINE, `${URL_LINE}\n  model: { name: fraud }`))).toEqual([
      '10:10: target.model: names the model of protocol v2 or v1; protocol json POSTs to target.url as it is (set target.protocol)',
    ]);
    const v1 = edits(
      VALID,
      [
        URL_LINE,
        '  url: http://127.0.0.1:30090\n  protocol: v1\n  model: { name: fraud, version: "2", outputs: [a] }',
      ],
      [VERSION_LINE, ''],
    );
    expect(problems(v1)).toEqual([
      '11:34: target.model.version: KServe V1 has no model version in its paths; only v2 pins one',
      '11:48: target.model.outputs: KServe V1 answers with predictions only; outputs are named in v2',
    ]);
    expect(problems(v2('{ name: "fraud/../x" }'))).toEqual([
      '11:18: target.model.name: expected a model name or version: letters, digits, _ . - (it goes into the URL path), got "fraud/../x"',
    ]);
    expect(problems(v2('{ name: fraud, datatype: BYTES }'))).toEqual([
      '11:35: target.model.datatype: expected one of "FP16", "FP32", "FP64", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64", got "BYTES"',
    ]);
  });

  it('a modelVersion SLO needs a version in the answers (v1 has none) and where versionUrl names it', () => {
    const slo = 'slos:\n  - type: modelVersion\n    expect: v1\n';
    const v1 = edits(
      VALID,
      [URL_LINE, '  url: http://127.0.0.1:30090\n  protocol: v1\n  model: { name: fraud }'],
      [VERSION_LINE, ''],
      ['slos:\n', slo],
    );
    expect(problems(v1)).toEqual([
      '6:1: target.modelVersion: required by the modelVersion SLO: protocol v1 answers carry no model version; name the header or the body field that does',
    ]);
    expect(
      problems(
        edit(
          v1,
          '  model: { name: fraud }',
          '  model: { name: fraud }\n  modelVersion: { header: X-Version }',
        ),
      ),
    ).toEqual([]);
    // v2: model_version in every answer, the metadata before the run: nothing to add.
    expect(problems(edit(v2(), 'slos:\n', 'slos:\n  - type: modelVersion\n'))).toEqual([]);
  });

  it('scoreColumn without a score', () => {
    expect(
      problems(v2('{ name: fraud }', '\n  response: { class: "outputs[0].data", scoreColumn: 1 }')),
    ).toEqual(['12:54: target.response.scoreColumn: a column of the score: give response.score too']);
  });
});

describe('row files: the declared width, at the row in its file', () => {
  const rule = {
    width: 3,
    widthKey: 'load.payload.features',
    integers: null,
    maxRows: 10,
    maxBytes: 1e6,
    flatRow: true,
  };
  it.each([
    [
      '{"features": [[1,2,3],[4,5]]}',
      'features[1] has 2 values; load.payload.features is 3',
      { line: 1, col: 23 },
    ],
    [
      '{"a": 1,\n "features": [\n   [1,2,3],\n   [4,5,6,7]]}',
      'features[1] has 4 values; load.payload.features is 3',
      { line: 4, col: 4 },
    ],
    ['{"features": [1,2]}', 'features has 2 values; load.payload.features is 3', { line: 1, col: 14 }],
    ['{"features": [[1,"2",3]]}', 'features[0][1] is not a number: "2"', { line: 1, col: 18 }],
    ['{"features": [["a]"], [1]]}', 'features[0][0] is not a number: "a]"', { line: 1, col: 16 }],
  ])('%s', (text, message, at) => {
    expect(checkRows(text, rule)).toEqual({ ok: false, message, at });
  });

  it('whole numbers for an integer datatype', () => {
    expect(
      checkRows('{"features": [[1,2,3.5]]}', { ...rule, integers: 'target.model.datatype is INT64' }),
    ).toEqual({
      ok: false,
      message: 'features[0][2] is 3.5, not a whole number, and target.model.datatype is INT64',
      at: { line: 1, col: 20 },
    });
    expect(checkRows('{"features": [[1,2,3]]}', { ...rule, integers: 'x' }).ok).toBe(true);
  });
});

describe('row files through loadScenarioFile', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'chaos-protocol-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function lines(text: string, files: Record<string, string>): Promise<string[]> {
    for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
    const file = path.join(dir, 's.yaml');
    writeFileSync(file, text);
    const r = await loadScenarioFile(file);
    return r.ok ? [] : r.diagnostics.map(formatDiagnostic);
  }

  it('a payload row of the wrong width, in every protocol, at its place in the payload file', async () => {
    const rows = '{"features": [\n  [1,2,3,4,5,6,7,8],\n  [1,2,3,4,5,6,7]\n]}';
    const payload = path.join(dir, 'rows.json');
    for (const text of [VALID, v2()]) {
      expect(
        await lines(edit(text, '  rate: 40', '  rate: 40\n  payload: { file: rows.json }'), {
          'rows.json': rows,
        }),
      ).toEqual([`${payload}:3:3: load.payload.file: features[1] has 7 values; load.payload.features is 8`]);
    }
    expect(
      await lines(edit(VALID, '  rate: 40', '  rate: 40\n  payload: { file: rows.json, features: 7 }'), {
        'rows.json': rows,
      }),
    ).toEqual([`${payload}:2:3: load.payload.file: features[0] has 8 values; load.payload.features is 7`]);
  });

  it('a payload file that is not rows at all: at the scenario key', async () => {
    const file = path.join(dir, 's.yaml');
    expect(
      await lines(edit(VALID, '  rate: 40', '  rate: 40\n  payload: { file: bad.json }'), {
        'bad.json': '{"rows": []}',
      }),
    ).toEqual([
      `${file}:16:20: load.payload.file: bad.json: needs a "features" array of rows, e.g. {"features": [[0.1, 2, ...]]}`,
    ]);
  });

  it('a golden row of the wrong width in a v2 scenario, and fractions for an integer datatype', async () => {
    const golden = path.join(dir, 'golden.json');
    const text = edit(v2(), '  rate: 40', '  rate: 40\n  golden: { file: golden.json }');
    expect(await lines(text, { 'golden.json': '{"features": [[1,2,3,4,5,6,7,8], [1,2,3]]}' })).toEqual([
      `${golden}:1:34: load.golden.file: features[1] has 3 values; load.payload.features is 8`,
    ]);
    const ints = edit(
      v2('{ name: fraud, datatype: INT32 }'),
      '  rate: 40',
      '  rate: 40\n  golden: { file: golden.json }',
    );
    expect(await lines(ints, { 'golden.json': '{"features": [[1,2,3,4,5,6,7,8.5]]}' })).toEqual([
      `${golden}:1:30: load.golden.file: features[0][7] is 8.5, not a whole number, and target.model.datatype is INT32`,
    ]);
  });
});
