/**
 * parseScenario on every kind of broken input a user can produce: each case states the exact
 * `line:col: path: message` the author will read. Line numbers refer to test/fixtures/scenarios/valid.yaml
 * (cat -n it next to this file).
 */
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { MAX_DIAGNOSTICS, formatDiagnostic, formatPath } from '../../../src/scenario/diagnostics.js';
import { parseScenario } from '../../../src/scenario/parse.js';
import { MAX_SCENARIO_BYTES, firstInvalidUtf8 } from '../../../src/scenario/text.js';
import { Duration } from '../../../src/scenario/units.js';
import { VALID, edit, edits, expectOk, problems, withCpuMs } from './helpers.js';

/** A hang guard only: the bound these tests assert is CPU time, which a busy machine does not stretch. */
const HOSTILE_TIMEOUT = 30_000;

const FAULT_TYPES = 'pod-kill, node-drain, latency, model-version, oversize-batch, kubectl';

describe('parseScenario: the valid fixture', () => {
  it('parses, with defaults filled in', () => {
    const result = parseScenario(VALID, 'valid.yaml');
    expectOk(result);
    expect(result.scenario.metadata.name).toBe('demo');
    expect(result.scenario.faults[0]).toEqual({
      type: 'pod-kill',
      at: new Duration(5000, '5s'),
      count: 1,
      repeat: 1,
      waitReady: true,
    });
    expect(result.scenario.load.payload).toEqual({ rows: 1, features: 8 });
    expect(result.scenario.steadyState).toEqual([]);
  });

  it('accepts bytes, a UTF-8 byte-order mark, CRLF line ends and a $schema key', () => {
    expect(problems(Buffer.from(VALID))).toEqual([]);
    expect(problems(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(VALID)]))).toEqual([]);
    expect(problems('\uFEFF' + VALID)).toEqual([]);
    expect(problems(VALID.replace(/\n/g, '\r\n'))).toEqual([]);
    expect(problems('$schema: ./schema.json\n' + VALID)).toEqual([]);
  });

  it('accepts anchors and aliases used honestly', () => {
    const text = edits(
      VALID,
      ['  selector: { app: fraud-scorer }', '  selector: &pods { app: fraud-scorer }'],
      ['  - type: pod-kill', '  - type: latency\n    selector: *pods\n    delay: 100ms\n  - type: pod-kill'],
    );
    expect(problems(text)).toEqual([]);
  });

  it('is the same scenario whatever the YAML style (block, flow, indentation, quoting)', () => {
    const reference = parseScenario(VALID, 'a.yaml');
    expectOk(reference);
    const data =
      (reference.scenario as unknown) && (JSON.parse(JSON.stringify(reference.scenario)) as object);
    for (const options of [
      { indent: 4 },
      { flowCollectionPadding: false, collectionStyle: 'flow' as const },
      { defaultStringType: 'QUOTE_DOUBLE' as const, defaultKeyType: 'PLAIN' as const },
    ]) {
      const result = parseScenario(stringify(data, options), 'b.yaml');
      expectOk(result);
      expect(result.scenario).toEqual(reference.scenario);
    }
  });
});

describe('parseScenario: the file as a whole', () => {
  it.each([
    [
      'an empty file',
      '',
      '1:1: (file): empty file, expected a scenario mapping (apiVersion, kind, metadata, ...)',
    ],
    [
      'only whitespace',
      ' \n\n\t\n',
      '1:1: (file): empty file, expected a scenario mapping (apiVersion, kind, metadata, ...)',
    ],
    [
      'only comments',
      '# a scenario\n# will go here\n',
      '1:1: (root): expected a mapping (apiVersion, kind, metadata, ...), got a document with only comments',
    ],
    [
      'a list',
      '- apiVersion\n- kind\n',
      '1:1: (root): expected a mapping (apiVersion, kind, metadata, ...), got a list',
    ],
    [
      'a scalar',
      '# header\nhello world\n',
      '2:1: (root): expected a mapping (apiVersion, kind, metadata, ...), got a single value ("hello world")',
    ],
    [
      'a number',
      '42\n',
      '1:1: (root): expected a mapping (apiVersion, kind, metadata, ...), got a single value (42)',
    ],
    ['null', '~\n', '1:1: (root): expected a mapping (apiVersion, kind, metadata, ...), got an empty value'],
  ])('%s', (_, text, expected) => {
    expect(problems(text)).toEqual([expected]);
  });

  it('binary data: points at the first NUL byte', () => {
    expect(problems(Buffer.from('apiVersion: chaos/v1\nkind: Sc\0enario\n'))).toEqual([
      '2:9: (file): binary data (a NUL byte), expected YAML text',
    ]);
    expect(problems(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]))).toEqual([
      '3:1: (file): binary data (a NUL byte), expected YAML text',
    ]);
    expect(problems('kind: \0')).toEqual(['1:7: (file): binary data (a NUL character), expected YAML text']);
  });

  it('invalid UTF-8 (a Latin-1 file): points at the first bad byte, column in characters', () => {
    const latin1 = Buffer.concat([
      Buffer.from('metadata:\n  description: d\u00e9j\u00e0 vu, caf'),
      Buffer.from([0xe9]),
      Buffer.from('\n'),
    ]);
    // "  description: déjà vu, caf" is 27 characters (31 bytes): the bad byte is in column 28.
    expect(problems(latin1)).toEqual([
      '2:28: (file): not valid UTF-8 (byte 0xe9); save the scenario as UTF-8',
    ]);
  });

  it('UTF-16 text is named as such', () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('kind: Scenario\n', 'utf16le')]);
    expect(problems(utf16)).toEqual(['1:1: (file): UTF-16 text; save the scenario as UTF-8']);
  });

  it('more than 1 MiB is refused before parsing', () => {
    const big = Buffer.alloc(MAX_SCENARIO_BYTES + 1, 'a');
    expect(problems(big)).toEqual([
      '1:1: (file): file is 1048577 bytes; scenarios are limited to 1 MiB (1048576 bytes)',
    ]);
    expect(problems(big.toString())).toEqual([
      '1:1: (file): file is 1048577 bytes; scenarios are limited to 1 MiB (1048576 bytes)',
    ]);
  });

  it('a second YAML document', () => {
    expect(problems(VALID + '---\nkind: Scenario\n')).toEqual([
      '32:1: (yaml): a second YAML document (after ---); a scenario file holds exactly one',
    ]);
  });
});

describe('parseScenario: YAML syntax', () => {
  it('an unclosed flow sequence', () => {
    expect(problems('apiVersion: chaos/v1\nkind: [\n')).toEqual([
      '2:7: (yaml): this [ is never closed: add the closing ] (or indent the lines inside it more than its key)',
    ]);
  });

  it('a key indented less than its neighbours', () => {
    expect(problems(edit(VALID, '  rate: 40', ' rate: 40'))).toEqual([
      '15:1: (yaml): All mapping items must start at the same column',
    ]);
  });

  it('a key indented more than its neighbours (one message, not two, and a hint)', () => {
    expect(problems(edit(VALID, '  rate: 40', '   rate: 40'))).toEqual([
      '14:13: (yaml): Nested mappings are not allowed in compact mappings: is the next line indented too far, or does this value need quotes around a ": "?',
    ]);
  });

  it('an unclosed [ or { points at the bracket, not where the parser gave up', () => {
    expect(
      problems(edit(VALID, '  allowedNamespaces: [ml-serving]', '  allowedNamespaces: [ml-serving')),
    ).toEqual([
      '30:22: (yaml): this [ is never closed: add the closing ] (or indent the lines inside it more than its key)',
    ]);
    expect(problems(edit(VALID, '{ app: fraud-scorer }', '{ app: fraud-scorer'))).toEqual([
      '8:13: (yaml): this { is never closed: add the closing } (or indent the lines inside it more than its key)',
    ]);
  });

  it('a tab used as indentation', () => {
    expect(problems(edit(VALID, '  rate: 40', '\trate: 40'))).toEqual([
      '15:1: (yaml): Tabs are not allowed as indentation',
    ]);
  });

  it('an unterminated string points at its opening quote, not at the end of the file', () => {
    expect(problems(edit(VALID, '  name: demo', '  name: "demo'))).toEqual([
      '4:9: (yaml): this string is never closed: add the closing "',
    ]);
    expect(problems(edit(VALID, '  name: demo', "  name: 'demo"))).toEqual([
      "4:9: (yaml): this string is never closed: add the closing '",
    ]);
  });

  it('a tag', () => {
    expect(problems(edit(VALID, '  rate: 40', '  rate: !rate 40'))).toEqual([
      '15:9: (yaml): Unresolved tag: !rate; scenario files use plain YAML without tags',
    ]);
  });

  it('duplicate keys, at the top and nested, with the path of the second one', () => {
    expect(problems(VALID + 'kind: Scenario\n')).toEqual([
      '32:1: kind: duplicate key "kind"; a key may appear only once in a mapping',
    ]);
    expect(
      problems(edit(VALID, '  service: fraud-scorer', '  service: fraud-scorer\n  url: http://x')),
    ).toEqual(['13:3: target.url: duplicate key "url"; a key may appear only once in a mapping']);
    expect(problems(edit(VALID, '{ app: fraud-scorer }', '{ app: fraud-scorer, app: x }'))).toEqual([
      '8:34: target.selector.app: duplicate key "app"; a key may appear only once in a mapping',
    ]);
    // 1 and "1" become the same property: a duplicate too.
    expect(problems(edit(VALID, '{ app: fraud-scorer }', '{ 1: a, "1": b }'))).toEqual([
      '8:21: target.selector["1"]: duplicate key "1"; a key may appear only once in a mapping',
    ]);
  });

  it('a key that is a list or a mapping', () => {
    expect(problems(edit(VALID, '  rate: 40', '  ? [a, b]\n  : 40'))).toEqual([
      '15:5: load: a key must be a plain name, not a list',
    ]);
  });

  it(
    'an alias bomb ("billion laughs") fails fast, pointing at the first alias',
    () => {
      const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
      for (const [prev, name] of [...'abcdefgh'].map((c, i) => [c, 'bcdefghi'[i]!])) {
        lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
      }
      const { result, cpuMs } = withCpuMs(() => problems(lines.join('\n') + '\n'));
      expect(cpuMs).toBeLessThan(2000);
      expect(result).toEqual([
        '2:8: b[0]: aliases expand to too much data (limit 100): refusing a possible alias bomb ("billion laughs")',
      ]);
    },
    HOSTILE_TIMEOUT,
  );

  it('an alias whose anchor is not defined', () => {
    expect(problems(edit(VALID, '  rate: 40', '  rate: *rate'))).toEqual([
      '15:9: load.rate: unknown alias *rate: define the anchor &rate before using it',
    ]);
  });
});

describe('parseScenario: nesting', () => {
  it.each([
    ['10,000 [', 'a: ' + '['.repeat(10_000), '1:67'],
    ['10,000 [ closed', 'a: ' + '['.repeat(10_000) + ']'.repeat(10_000), '1:67'],
    ['10,000 {', 'a: ' + '{b: '.repeat(10_000), '1:256'],
    ['500,000 compact - ', '- '.repeat(500_000) + 'x', '1:127'],
    ['1 MiB of [', '['.repeat(MAX_SCENARIO_BYTES), '1:64'],
    ['indentation', Array.from({ length: 1000 }, (_, i) => `${' '.repeat(i)}k:`).join('\n'), '65:1'],
  ])(
    '%s: refused without overflowing the stack or the heap',
    (_, text, at) => {
      const { result, cpuMs } = withCpuMs(() => problems(text));
      expect(result).toEqual([`${at}: (yaml): nesting deeper than 64 levels`]);
      expect(cpuMs).toBeLessThan(2000);
    },
    HOSTILE_TIMEOUT,
  );

  it('just over the limit (the exact check on nodes) points at the first node too deep', () => {
    const text = 'metadata:\n  labels: ' + '['.repeat(63) + ']'.repeat(63) + '\n';
    expect(problems(text)).toEqual([
      '2:73: metadata.labels[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]: nesting deeper than 64 levels',
    ]);
  });

  it('brackets inside strings, comments and block scalars are not nesting', () => {
    const brackets = '['.repeat(300);
    const text = edits(
      VALID,
      ['  name: demo', `  name: demo # ${brackets}`],
      [
        '  description: A valid scenario; the tests edit it one line at a time',
        `  description: |\n    ${brackets}\n  labels: { a: "${brackets.slice(0, 10)}" }`,
      ],
    );
    const result = problems(text);
    // Only the label value is wrong (brackets are not allowed in label values): no nesting complaint.
    expect(result).toEqual(['7:16: metadata.labels.a: expected a Kubernetes label value, got "[[[[[[[[[["']);
  });
});

describe('parseScenario: keys', () => {
  it('an unknown key, with the key it probably meant', () => {
    expect(problems(edit(VALID, '  rate: 40', '  rat: 40'))).toEqual([
      '15:3: load.rat: unknown key "rat"; did you mean "rate"?',
    ]);
    expect(problems(edit(VALID, '    count: 1', '    cuont: 1'))).toEqual([
      '23:5: faults[0].cuont: unknown key "cuont"; did you mean "count"?',
    ]);
  });

  it('a key in the wrong case', () => {
    expect(problems(edit(VALID, 'apiVersion:', 'apiversion:'))).toEqual([
      '1:1: apiVersion: required key "apiVersion" is missing',
      '1:1: apiversion: unknown key "apiversion"; did you mean "apiVersion"?',
    ]);
  });

  it('an unknown key that resembles nothing gets no suggestion', () => {
    expect(problems(edit(VALID, '  name: demo', '  name: demo\n  colour: blue'))).toEqual([
      '5:3: metadata.colour: unknown key "colour"',
    ]);
  });

  it('does not suggest a key that is already there', () => {
    expect(problems(edit(VALID, '  rate: 40', '  rate: 40\n  rates: 40'))).toEqual([
      '16:3: load.rates: unknown key "rates"',
    ]);
  });

  it('a misspelled section: the missing one points at the enclosing mapping, the typo at itself', () => {
    expect(problems(edit(VALID, 'metadata:', 'metdata:'))).toEqual([
      '1:1: metadata: required key "metadata" is missing',
      '3:1: metdata: unknown key "metdata"; did you mean "metadata"?',
    ]);
  });

  it('a missing required key points at the mapping that should hold it', () => {
    expect(problems(edit(VALID, '  url: http://127.0.0.1:30080/score\n', ''))).toEqual([
      '6:1: target.url: required key "url" is missing',
    ]);
    expect(problems(edit(VALID, /windows:\n( {2}.*\n){3}/, ''))).toEqual([
      '1:1: windows: required key "windows" is missing',
    ]);
    expect(problems(edit(VALID, '  - type: errorRate\n    max: 2%\n', '  - type: errorRate\n'))).toEqual([
      '25:5: slos[0].max: required key "max" is missing',
    ]);
  });

  it('a fault without a type', () => {
    expect(problems(edit(VALID, '  - type: pod-kill\n    at: 5s', '  - at: 5s'))).toEqual([
      `21:5: faults[0].type: required key "type" is missing; one of ${FAULT_TYPES}`,
    ]);
  });

  it('an unknown fault type, with a suggestion', () => {
    expect(problems(edit(VALID, 'type: pod-kill', 'type: pod-kil'))).toEqual([
      `21:11: faults[0].type: expected one of ${FAULT_TYPES}, got "pod-kil"; did you mean "pod-kill"?`,
    ]);
    expect(problems(edit(VALID, 'type: pod-kill', 'type: chaos-monkey'))).toEqual([
      `21:11: faults[0].type: expected one of ${FAULT_TYPES}, got "chaos-monkey"`,
    ]);
  });

  it('unknown keys of a fault are checked against that fault type', () => {
    expect(problems(edit(VALID, '    count: 1', '    count: 1\n    gracePeriode: 5s'))).toEqual([
      '24:5: faults[0].gracePeriode: unknown key "gracePeriode"; did you mean "gracePeriod"?',
    ]);
  });

  it('an invalid label key in a selector', () => {
    expect(problems(edit(VALID, '{ app: fraud-scorer }', '{ "Foo Bar": fraud-scorer }'))).toEqual([
      '8:15: target.selector["Foo Bar"]: invalid key "Foo Bar": expected a Kubernetes label key',
    ]);
  });
});

describe('parseScenario: values', () => {
  it.each([
    [
      'a word for a number',
      ['  rate: 40', '  rate: forty'],
      '15:9: load.rate: expected a number, got "forty"',
    ],
    [
      'a quoted number',
      ['  rate: 40', '  rate: "40"'],
      '15:9: load.rate: expected a number, got "40"; remove the quotes',
    ],
    [
      'a fraction for an integer',
      ['  rate: 40', '  rate: 1.5'],
      '15:9: load.rate: expected an integer, got 1.5',
    ],
    ['1e308', ['  rate: 40', '  rate: 1e308'], '15:9: load.rate: must be at most 100000, got 1e+308'],
    ['.inf', ['  rate: 40', '  rate: .inf'], '15:9: load.rate: expected a number, got .inf'],
    ['.nan', ['  rate: 40', '  rate: .nan'], '15:9: load.rate: expected a number, got .nan'],
    [
      'a negative count',
      ['    count: 1', '    count: -3'],
      '23:12: faults[0].count: must be greater than 0, got -3',
    ],
    ['zero count', ['    count: 1', '    count: 0'], '23:12: faults[0].count: must be greater than 0, got 0'],
    [
      'a huge count',
      ['    count: 1', '    count: 99999999999'],
      '23:12: faults[0].count: must be at most 10000, got 99999999999',
    ],
    [
      'an empty value',
      ['  url: http://127.0.0.1:30080/score', '  url:'],
      '9:7: target.url: expected an http(s) URL, got an empty value',
    ],
    [
      'a list for a string',
      ['  name: demo', '  name: [demo]'],
      '4:9: metadata.name: expected a string, got a list',
    ],
    [
      'a mapping for a list',
      ['  allowedNamespaces: [ml-serving]', '  allowedNamespaces: { a: b }'],
      '30:22: safety.allowedNamespaces: expected a list, got a mapping; start each item on its own line with "- "',
    ],
    [
      'a string for a mapping',
      [/target:\n( {2}.*\n){6}/, 'target: ml-serving\n'],
      '6:9: target: expected a mapping, got "ml-serving"',
    ],
    [
      'yes for a boolean',
      ['  rate: 40', '  rate: 40\n  newConnectionPerRequest: yes'],
      '16:28: load.newConnectionPerRequest: expected true or false, got "yes"; write true or false without quotes',
    ],
    [
      'a number for a string',
      ['  name: demo', '  name: 42'],
      '4:9: metadata.name: expected a string, got 42; quote it if you meant the text "42"',
    ],
    [
      'a wrong apiVersion',
      ['apiVersion: chaos/v1', 'apiVersion: chaos/v2'],
      '1:13: apiVersion: expected "chaos/v1", got "chaos/v2"',
    ],
    ['a wrong kind', ['kind: Scenario', 'kind: scenario'], '2:7: kind: expected "Scenario", got "scenario"'],
    [
      'an unknown enum value',
      ['executor: constant-arrival-rate', 'executor: constant-arival-rate'],
      '14:13: load.executor: expected one of "constant-arrival-rate", "ramping-arrival-rate", "constant-vus", "ramping-vus", got "constant-arival-rate"; did you mean "constant-arrival-rate"?',
    ],
    [
      'a percentile that is not offered',
      ['    max: 2%', '    max: 2%\n  - type: latency\n    percentile: 97\n    max: 250ms'],
      '28:17: slos[1].percentile: expected one of 50, 90, 95, 99, got 97',
    ],
    [
      'a bad DNS label',
      ['  name: demo', '  name: Demo_1'],
      '4:9: metadata.name: expected a lowercase DNS label (a-z, 0-9, -), at most 63 chars, got "Demo_1"',
    ],
    [
      'a non-http URL',
      ['http://127.0.0.1:30080/score', 'ftp://127.0.0.1/score'],
      '9:8: target.url: expected an http(s) URL, got "ftp://127.0.0.1/score"',
    ],
    [
      'a long description',
      [
        '  description: A valid scenario; the tests edit it one line at a time',
        `  description: ${'x'.repeat(2001)}`,
      ],
      '5:16: metadata.description: must be at most 2000 characters long, got 2001',
    ],
    [
      'no SLO',
      [/slos:\n( {2}.*\n){4}/, 'slos: []\n'],
      '24:7: slos: a scenario needs at least one SLO: without one it cannot fail',
    ],
    [
      'a bad env var name',
      ['  rate: 40', '  rate: 40\n  secretEnv: [api-key]'],
      '16:15: load.secretEnv[0]: expected an environment variable name (A-Z, 0-9, _; not starting with a digit), got "api-key"',
    ],
    [
      'a bad status class',
      ['    max: 2%', '    max: 2%\n  - type: httpStatus\n    never: [5XX]'],
      '28:13: slos[1].never[0]: expected a status like 413 or a class like 5xx, got "5XX"',
    ],
  ] as [string, [string | RegExp, string], string][])('%s', (_, [from, to], expected) => {
    expect(problems(edit(VALID, from, to))).toEqual([expected]);
  });

  it.each([
    [
      '60',
      '17:13: windows.baseline: expected a duration like 250ms, 30s, 2m or 1h, got 60; add a unit, e.g. "60s"',
    ],
    [
      '"60"',
      '17:13: windows.baseline: expected a duration like 250ms, 30s, 2m or 1h, got "60"; add a unit, e.g. "60s"',
    ],
    [
      '60 s',
      '17:13: windows.baseline: expected a duration like 250ms, 30s, 2m or 1h, got "60 s"; no space before the unit',
    ],
    ['1 minute', '17:13: windows.baseline: expected a duration like 250ms, 30s, 2m or 1h, got "1 minute"'],
    ['-5s', '17:13: windows.baseline: expected a duration like 250ms, 30s, 2m or 1h, got "-5s"'],
    ['1d', '17:13: windows.baseline: expected a duration like 250ms, 30s, 2m or 1h, got "1d"'],
  ])('a bad duration: baseline: %s', (value, expected) => {
    expect(problems(edit(VALID, 'baseline: 60s', `baseline: ${value}`))).toEqual([expected]);
  });

  it.each([
    [
      '2',
      '26:10: slos[0].max: expected a percentage like 1% or 0.5%, got 2; write it with a percent sign, e.g. "2%"',
    ],
    [
      '0.02',
      '26:10: slos[0].max: expected a percentage like 1% or 0.5%, got 0.02; write it with a percent sign, e.g. "0.02%"',
    ],
    ['2 %', '26:10: slos[0].max: expected a percentage like 1% or 0.5%, got "2 %"; no space before the %'],
    ['two percent', '26:10: slos[0].max: expected a percentage like 1% or 0.5%, got "two percent"'],
    ['-1%', '26:10: slos[0].max: expected a percentage like 1% or 0.5%, got "-1%"'],
  ])('a bad percentage: max: %s', (value, expected) => {
    expect(problems(edit(VALID, 'max: 2%', `max: ${value}`))).toEqual([expected]);
  });
});

describe('parseScenario: all problems at once', () => {
  it('reports every schema error in the file, in line order', () => {
    const text = edits(
      VALID,
      ['  name: demo', '  name: Demo'],
      ['  rate: 40', '  rate: "40"'],
      ['baseline: 60s', 'baseline: 60'],
      ['    count: 1', '    count: -1\n    colour: red'],
      ['max: 2%', 'max: 2'],
    );
    expect(problems(text)).toEqual([
      '4:9: metadata.name: expected a lowercase DNS label (a-z, 0-9, -), at most 63 chars, got "Demo"',
      '15:9: load.rate: expected a number, got "40"; remove the quotes',
      '17:13: windows.baseline: expected a duration like 250ms, 30s, 2m or 1h, got 60; add a unit, e.g. "60s"',
      '23:12: faults[0].count: must be greater than 0, got -1',
      '24:5: faults[0].colour: unknown key "colour"',
      '27:10: slos[0].max: expected a percentage like 1% or 0.5%, got 2; write it with a percent sign, e.g. "2%"',
    ]);
  });

  it(`prints at most ${MAX_DIAGNOSTICS} problems and counts the rest`, () => {
    const text = edit(
      VALID,
      '  name: demo',
      '  name: demo\n' + Array.from({ length: 250 }, (_, i) => `  extra${i}: x`).join('\n'),
    );
    const result = problems(text);
    expect(result).toHaveLength(MAX_DIAGNOSTICS + 1);
    expect(result[0]).toBe('5:3: metadata.extra0: unknown key "extra0"');
    expect(result[MAX_DIAGNOSTICS]).toBe('105:3: (file): 150 more problems not shown; fix these first');
  });

  it(
    'a garbage file: the first YAML errors, quickly',
    () => {
      const { result, cpuMs } = withCpuMs(() => problems(']'.repeat(300_000)));
      expect(cpuMs).toBeLessThan(5000);
      expect(result.length).toBeLessThanOrEqual(MAX_DIAGNOSTICS + 1);
      expect(result.at(-1)).toMatch(/^1:\d+: \(file\): \d+ more problems not shown; fix these first$/);
    },
    HOSTILE_TIMEOUT,
  );

  it(
    'a huge mapping stays linear (yaml’s own duplicate check is quadratic)',
    () => {
      const text = Array.from({ length: 40_000 }, (_, i) => `k${i}: 1`).join('\n') + '\nk7: 2\n';
      const { result, cpuMs } = withCpuMs(() => problems(text));
      expect(cpuMs).toBeLessThan(5000);
      expect(result).toEqual(['40001:1: k7: duplicate key "k7"; a key may appear only once in a mapping']);
    },
    HOSTILE_TIMEOUT,
  );
});

describe('helpers', () => {
  it('formatDiagnostic is file:line:col: path: message', () => {
    expect(formatDiagnostic({ file: 'a.yaml', line: 3, col: 7, path: 'faults[0].at', message: 'bad' })).toBe(
      'a.yaml:3:7: faults[0].at: bad',
    );
  });

  it('formatPath quotes keys that are not plain names', () => {
    expect(formatPath([])).toBe('(root)');
    expect(formatPath(['faults', 0, 'at'])).toBe('faults[0].at');
    expect(formatPath(['target', 'selector', 'app.kubernetes.io/name'])).toBe(
      'target.selector["app.kubernetes.io/name"]',
    );
    expect(formatPath(['load', 'env', ''])).toBe('load.env[""]');
    expect(formatPath(['1'])).toBe('["1"]');
  });

  it('firstInvalidUtf8 follows the Unicode rules (no overlongs, no surrogates, nothing above U+10FFFF)', () => {
    expect(firstInvalidUtf8(Buffer.from('héllo ✓ 😀'))).toBe(-1);
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xc0, 0x80]))).toBe(1); // overlong NUL
    expect(firstInvalidUtf8(Buffer.from([0xe0, 0x80, 0x80]))).toBe(0); // overlong
    expect(firstInvalidUtf8(Buffer.from([0xed, 0xa0, 0x80]))).toBe(0); // surrogate
    expect(firstInvalidUtf8(Buffer.from([0xf4, 0x90, 0x80, 0x80]))).toBe(0); // > U+10FFFF
    expect(firstInvalidUtf8(Buffer.from([0x61, 0x62, 0xe2, 0x9c]))).toBe(2); // truncated
    expect(firstInvalidUtf8(Buffer.from([0x80]))).toBe(0); // lone continuation
  });
});

describe('parseScenario: hints for common slips', () => {
  it('a mapping where a list belongs', () => {
    expect(
      problems(edit(VALID, /faults:\n( {2}.*\n){3}/, 'faults:\n  type: pod-kill\n  count: 1\n')),
    ).toEqual(['21:3: faults: expected a list, got a mapping; start each item on its own line with "- "']);
  });

  it('a quoted number among allowed numbers', () => {
    expect(
      problems(
        edit(VALID, '    max: 2%', "    max: 2%\n  - type: latency\n    percentile: '95'\n    max: 1s"),
      ),
    ).toEqual(['28:17: slos[1].percentile: expected one of 50, 90, 95, 99, got "95"; remove the quotes']);
  });

  it('a typo in an SLO type (case-insensitive)', () => {
    expect(problems(edit(VALID, 'type: errorRate', 'type: errorrate'))).toEqual([
      '25:11: slos[0].type: expected one of latency, errorRate, availability, throughput, recovery, minReadyReplicas, restarts, oomKilled, podState, httpStatus, modelVersion, predictionAgreement, predictionShift, promql, scaling, got "errorrate"; did you mean "errorRate"?',
    ]);
  });

  it('__proto__ as a key is refused, not dropped on the way to plain data', () => {
    expect(problems(edit(VALID, '  name: demo', '  name: demo\n  labels: { __proto__: { a: b } }'))).toEqual([
      '5:13: metadata.labels.__proto__: "__proto__" cannot be a key: it is no name the scenario language has, and JavaScript gives it a meaning of its own',
    ]);
    // constructor is an ordinary label key: its value is checked like any other.
    expect(
      problems(edit(VALID, '  name: demo', '  name: demo\n  labels: { constructor: { a: b } }')),
    ).toEqual(['5:26: metadata.labels.constructor: expected a string, got a mapping']);
  });

  it('a YAML merge key says merge keys are not supported, not that keys are missing', () => {
    const text = edits(VALID, [
      'target:\n  namespace: ml-serving\n',
      'target:\n  <<: { namespace: ml-serving }\n',
    ]);
    expect(problems(text)).toEqual([
      '7:3: target["<<"]: YAML merge keys (<<) are not supported: write the keys out (an anchor and alias can still repeat a whole value)',
    ]);
  });

  it('a key with a control character is shown escaped, on one line', () => {
    expect(problems(edit(VALID, '  rate: 40', '  "ra\\tte": 40\n  rate: 40'))).toEqual([
      '15:3: load["ra\\tte"]: unknown key "ra\\tte"',
    ]);
  });
});

describe('safety.stopWhen', () => {
  const withStops = (lines: string) =>
    edit(
      VALID,
      '  allowedNamespaces: [ml-serving]',
      `  allowedNamespaces: [ml-serving]\n  stopWhen:\n${lines}`,
    );

  it('accepts the four kinds, units parsed once', () => {
    const r = parseScenario(
      withStops(
        [
          '    - { type: errorRate, above: 5%, over: 10s }',
          '    - { type: p95, above: 500ms, over: 10s }',
          '    - { type: readyReplicas, below: 2 }',
          '    - { type: promql, url: "http://127.0.0.1:30900", query: "sum(up)", above: 3 }',
        ].join('\n'),
      ),
      's.yaml',
    );
    expectOk(r);
    const [errorRate, p95] = r.scenario.safety.stopWhen!;
    expect(errorRate).toMatchObject({ above: { ratio: 0.05 }, over: { ms: 10_000 } });
    expect(p95).toMatchObject({ above: { ms: 500 } });
  });

  it('refuses bad keys at their line and column, with what was wrong', () => {
    expect(
      problems(
        withStops(
          [
            '    - { type: errorRate, above: 5, over: 10s }',
            '    - { type: p95, above: 500ms, over: 2m }',
            '    - { type: readyReplicas, below: 0 }',
            '    - { type: errorrate, above: 5% }',
            '    - { type: p95, above: 500ms }',
            '    - { type: p95, above: 500ms, over: 500ms, window: fault }',
          ].join('\n'),
        ),
      ),
    ).toEqual([
      '32:33: safety.stopWhen[0].above: expected a percentage like 1% or 0.5%, got 5; write it with a percent sign, e.g. "5%"',
      '33:40: safety.stopWhen[1].over: expected a look-back from 1s to 60s, got "2m"',
      '34:37: safety.stopWhen[2].below: must be greater than 0, got 0',
      '35:15: safety.stopWhen[3].type: expected one of errorRate, p95, readyReplicas, promql, got "errorrate"; did you mean "errorRate"?',
      '36:7: safety.stopWhen[4].over: required key "over" is missing',
      expect.stringMatching(/^37:\d+: safety\.stopWhen\[5\]/),
      expect.stringMatching(/^37:\d+: safety\.stopWhen\[5\]/),
    ]);
  });
});
