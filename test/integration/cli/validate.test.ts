/**
 * `chaos validate` (and `chaos run` on the same files) as a user runs it: every problem of every file as
 * `file:line:col: path: message` on stderr, exit code 2, never a stack trace, and for `run` no attempt to
 * reach a cluster.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chaos, ensureBuilt, ROOT, STACK_FRAME } from './helpers.js';

const VALID = readFileSync(path.join(ROOT, 'test/fixtures/scenarios/valid.yaml'), 'utf8');
const FAULT_TYPES = 'pod-kill, node-drain, latency, model-version, oversize-batch, kubectl';

let dir: string;
beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'chaos-validate-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const f = path.join(dir, name);
  writeFileSync(f, content);
  return f;
}

function replaced(from: string, to: string): string {
  if (VALID.split(from).length !== 2) throw new Error(`fixture changed: ${from}`);
  return VALID.replace(from, to);
}

const billionLaughs = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...[...'bcdefghi'].map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(',')}]`),
].join('\n');

/** [case, file name, content, expected stderr lines after `<file>:`] */
const CASES: [string, string, string | Buffer, string[]][] = [
  [
    'empty file',
    'empty.yaml',
    '',
    ['1:1: (file): empty file, expected a scenario mapping (apiVersion, kind, metadata, ...)'],
  ],
  [
    'not YAML',
    'syntax.yaml',
    'apiVersion: chaos/v1\nkind: [Scenario\nmetadata: {}\n',
    [
      '2:7: (yaml): this [ is never closed: add the closing ] (or indent the lines inside it more than its key)',
    ],
  ],
  [
    'a list',
    'list.yaml',
    '- apiVersion: chaos/v1\n- kind: Scenario\n',
    ['1:1: (root): expected a mapping (apiVersion, kind, metadata, ...), got a list'],
  ],
  [
    'a scalar',
    'scalar.yaml',
    'just some text\n',
    [
      '1:1: (root): expected a mapping (apiVersion, kind, metadata, ...), got a single value ("just some text")',
    ],
  ],
  [
    'duplicate keys',
    'dup.yaml',
    replaced('  rate: 40', '  rate: 40\n  rate: 50'),
    ['16:3: load.rate: duplicate key "rate"; a key may appear only once in a mapping'],
  ],
  [
    'unknown keys, with and without a suggestion',
    'unknown.yaml',
    replaced('  rate: 40', '  rat: 40\n  colour: blue'),
    ['15:3: load.rat: unknown key "rat"; did you mean "rate"?', '16:3: load.colour: unknown key "colour"'],
  ],
  [
    'an alias bomb',
    'bomb.yaml',
    billionLaughs,
    [
      '2:8: b[0]: aliases expand to too much data (limit 100): refusing a possible alias bomb ("billion laughs")',
    ],
  ],
  [
    'wrong types',
    'types.yaml',
    replaced('  rate: 40', '  rate: "40"\n  newConnectionPerRequest: yes').replace(
      '  name: demo',
      '  name: [demo]',
    ),
    [
      '4:9: metadata.name: expected a string, got a list',
      '15:9: load.rate: expected a number, got "40"; remove the quotes',
      '16:28: load.newConnectionPerRequest: expected true or false, got "yes"; write true or false without quotes',
    ],
  ],
  [
    'bad durations and percentages',
    'units.yaml',
    replaced('baseline: 60s', 'baseline: 60')
      .replace('fault: 90s', 'fault: 90 s')
      .replace('max: 2%', 'max: 0.02'),
    [
      '17:13: windows.baseline: expected a duration like 250ms, 30s, 2m or 1h, got 60; add a unit, e.g. "60s"',
      '18:10: windows.fault: expected a duration like 250ms, 30s, 2m or 1h, got "90 s"; no space before the unit',
      '26:10: slos[0].max: expected a percentage like 1% or 0.5%, got 0.02; write it with a percent sign, e.g. "0.02%"',
    ],
  ],
  [
    'missing required keys point at the mapping that should hold them',
    'missing.yaml',
    replaced('  url: http://127.0.0.1:30080/score\n', '').replace('kind: Scenario\n', ''),
    ['1:1: kind: required key "kind" is missing', '5:1: target.url: required key "url" is missing'],
  ],
  [
    'binary data',
    'binary.yaml',
    Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00]),
    ['1:4: (file): binary data (a NUL byte), expected YAML text'],
  ],
  [
    'invalid UTF-8 (a file saved as Latin-1)',
    'latin1.yaml',
    Buffer.from(
      replaced('A valid scenario; the tests edit it one line at a time', 'Un scénario valide'),
      'latin1',
    ),
    ['5:21: (file): not valid UTF-8 (byte 0xe9); save the scenario as UTF-8'],
  ],
  [
    'a huge file',
    'huge.yaml',
    Buffer.alloc(1024 * 1024 + 1, '#'),
    ['1:1: (file): file is 1048577 bytes; scenarios are limited to 1 MiB (1048576 bytes)'],
  ],
  ['deep nesting', 'deep.yaml', 'a: ' + '['.repeat(100_000), ['1:67: (yaml): nesting deeper than 64 levels']],
  [
    'absurd numbers',
    'absurd.yaml',
    replaced('  rate: 40', '  rate: 1e308').replace('    count: 1', '    count: -3'),
    [
      '15:9: load.rate: must be at most 100000, got 1e+308',
      '23:12: faults[0].count: must be greater than 0, got -3',
    ],
  ],
  [
    'an unknown fault type',
    'fault-type.yaml',
    replaced('type: pod-kill', 'type: pod-kil'),
    [`21:11: faults[0].type: expected one of ${FAULT_TYPES}, got "pod-kil"; did you mean "pod-kill"?`],
  ],
  [
    'semantic errors',
    'semantic.yaml',
    replaced('namespace: ml-serving', 'namespace: kube-system')
      .replace('{ app: fraud-scorer }', '{}')
      .replace('    at: 5s', '    at: 2m')
      .replace('    count: 1', '    count: 1\n    percent: 10%')
      .replace('max: 2%', 'max: 2%\n  - type: httpStatus\n    payload: oversize\n    expect: ["413"]'),
    [
      '7:14: target.namespace: kube-system is a system namespace; chaos never runs there',
      '7:14: target.namespace: "kube-system" is not in safety.allowedNamespaces',
      '8:13: target.selector: empty selector would select every pod in the namespace; name at least one label',
      '21:5: faults[0]: give exactly one of count or percent',
      '22:9: faults[0].at: fault starts 2m into a 90s fault window: after the window (and the load) has moved on',
      '29:14: slos[1].payload: no oversize-batch fault sends oversize requests',
    ],
  ],
  [
    'ramping stages that do not match the windows',
    'ramp.yaml',
    replaced('executor: constant-arrival-rate', 'executor: ramping-arrival-rate').replace(
      '  rate: 40',
      '  stages: [{ duration: 1m, target: 10 }]',
    ),
    [
      '15:11: load.stages: stages last 60s but the windows add up to 210s; they must match so every request falls in a window',
    ],
  ],
];

describe('chaos validate <file>', () => {
  it.each(CASES)('%s: exit 2, exact diagnostics, no stack trace', (_, name, content, expected) => {
    const f = file(name, content);
    const run = chaos(['validate', f]);
    expect(run.lines).toEqual(expected.map((l) => `${f}:${l}`));
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).not.toMatch(STACK_FRAME);
  });

  it('a missing file', () => {
    const f = path.join(dir, 'missing.yaml.nope');
    const run = chaos(['validate', f]);
    expect([run.code, run.lines]).toEqual([2, [`${f}:1:1: (file): no such file`]]);
  });

  it('a directory', () => {
    const d = path.join(dir, 'a-directory.yaml');
    mkdirSync(d, { recursive: true });
    const run = chaos(['validate', d]);
    expect([run.code, run.lines]).toEqual([
      2,
      [`${d}:1:1: (file): is a directory, expected a scenario file`],
    ]);
  });

  it('an unreadable file: permission denied, exit 2', () => {
    chmodSync(dir, 0o755);
    const f = file('unreadable.yaml', VALID);
    chmodSync(f, 0o000);
    const run = chaos(['validate', f], { unprivileged: true });
    expect([run.code, run.lines]).toEqual([2, [`${f}:1:1: (file): permission denied`]]);
  });

  it('a valid file: exit 0, one ok line', () => {
    const f = file('ok.yaml', VALID);
    const run = chaos(['validate', f]);
    expect([run.code, run.lines, run.stdout]).toEqual([0, [`${f}: ok (demo)`], '']);
  });

  it('several files: every problem of every file, the valid ones confirmed, exit 2', () => {
    const good = file('good.yaml', VALID);
    const dup = file('multi-dup.yaml', replaced('  rate: 40', '  rate: 40\n  rate: 50'));
    const missing = path.join(dir, 'multi-missing.yaml');
    const units = file(
      'multi-units.yaml',
      replaced('baseline: 60s', 'baseline: 60').replace('max: 2%', 'max: 2'),
    );
    const run = chaos(['validate', dup, good, missing, units]);
    expect(run.code).toBe(2);
    expect(run.lines).toEqual([
      `${good}: ok (demo)`,
      `${dup}:16:3: load.rate: duplicate key "rate"; a key may appear only once in a mapping`,
      `${missing}:1:1: (file): no such file`,
      `${units}:17:13: windows.baseline: expected a duration like 250ms, 30s, 2m or 1h, got 60; add a unit, e.g. "60s"`,
      `${units}:26:10: slos[0].max: expected a percentage like 1% or 0.5%, got 2; write it with a percent sign, e.g. "2%"`,
    ]);
    expect(run.stderr).not.toMatch(STACK_FRAME);
  });

  it('an alias bomb fails fast within a 64 MB heap', () => {
    const f = file('bomb-heap.yaml', billionLaughs);
    const run = chaos(['validate', f], { nodeArgs: ['--max-old-space-size=64'] });
    expect(run.code).toBe(2);
    expect(run.ms).toBeLessThan(10_000);
  });

  it('1 MiB of nesting fails fast within a 64 MB heap and a small stack', () => {
    const f = file('deep-heap.yaml', '['.repeat(1024 * 1024));
    const run = chaos(['validate', f], { nodeArgs: ['--max-old-space-size=64', '--stack-size=200'] });
    expect([run.code, run.lines]).toEqual([2, [`${f}:1:64: (yaml): nesting deeper than 64 levels`]]);
    expect(run.ms).toBeLessThan(10_000);
  });
});

describe('chaos run / plan on invalid files', () => {
  const noCluster = { KUBECONFIG: '/nonexistent/chaos-test-kubeconfig', HOME: '/nonexistent-home' };

  it('run: exit 2 with the validate lines, before any cluster is contacted', () => {
    const bad = file('run-bad.yaml', replaced('  rate: 40', '  rat: 40'));
    const good = file('run-good.yaml', VALID);
    const run = chaos(['run', good, bad], { env: noCluster });
    expect(run.lines).toEqual([`${bad}:15:3: load.rat: unknown key "rat"; did you mean "rate"?`]);
    expect(run.code).toBe(2);
    expect(run.stderr).not.toMatch(STACK_FRAME);
    expect(run.stderr).not.toMatch(/kubeconfig|cluster/i);
  });

  it('run: the same problems as validate, for every kind of broken file', () => {
    const files = CASES.map(([, name, content]) => file(`run-${name}`, content));
    const validate = chaos(['validate', ...files]);
    const run = chaos(['run', '--dry-run', ...files], { env: noCluster });
    expect(run.code).toBe(2);
    expect(validate.code).toBe(2);
    expect(run.lines).toEqual(validate.lines);
    expect(run.stderr).not.toMatch(STACK_FRAME);
  });

  it('plan: exit 2 with the validate lines', () => {
    const bad = file('plan-bad.yaml', replaced('max: 2%', 'max: 2'));
    const run = chaos(['plan', bad], { env: noCluster });
    expect(run.code).toBe(2);
    expect(run.lines).toEqual([
      `${bad}:26:10: slos[0].max: expected a percentage like 1% or 0.5%, got 2; write it with a percent sign, e.g. "2%"`,
    ]);
  });
});

describe('protocol settings (target.protocol, target.model, rows of the declared width)', () => {
  const URL_LINE = '  url: http://127.0.0.1:30080/score';
  const V2_TARGET = '  url: http://127.0.0.1:30090\n  protocol: v2\n  model: { name: fraud }';
  const v2 = (extra = '') =>
    replaced(URL_LINE, `${V2_TARGET}${extra}`).replace('  versionUrl: http://127.0.0.1:30080/version\n', '');

  it('an unknown protocol; v2 and v1 without a model name: exit 2 at the key', () => {
    const unknown = file('proto-unknown.yaml', replaced(URL_LINE, `${URL_LINE}\n  protocol: triton`));
    const noModel = file('proto-v2-no-model.yaml', v2().replace('  model: { name: fraud }\n', ''));
    const v1 = file(
      'proto-v1-no-model.yaml',
      replaced(URL_LINE, '  url: http://127.0.0.1:30090\n  protocol: v1\n  model: { version: "1" }'),
    );
    const run = chaos(['validate', unknown, noModel, v1]);
    expect(run.code).toBe(2);
    expect(run.lines).toEqual([
      `${unknown}:10:13: target.protocol: expected one of "json", "v2", "v1", got "triton"`,
      `${noModel}:6:1: target.model: required by protocol v2: the model's name (its requests go to /v2/models/{name}/infer)`,
      `${v1}:11:3: target.model.name: required key "name" is missing`,
    ]);
    expect(run.stderr).not.toMatch(STACK_FRAME);
  });

  it('a payload row and a golden row of the wrong width: exit 2 at their line:col in their own files', () => {
    mkdirSync(path.join(dir, 'rows'), { recursive: true });
    const payload = path.join(dir, 'rows', 'payload.json');
    writeFileSync(
      payload,
      '{"features": [\n  [1, 2, 3, 4, 5, 6, 7, 8],\n  [1, 2, 3, 4, 5, 6, 7, 8, 9]\n]}\n',
    );
    const golden = path.join(dir, 'rows', 'golden.json');
    writeFileSync(golden, '{"features": [[1, 2, 3, 4, 5, 6, 7]], "labels": ["legit"]}\n');
    const f = path.join(dir, 'rows', 'v2-rows.yaml');
    writeFileSync(
      f,
      v2().replace(
        '  rate: 40',
        '  rate: 40\n  payload: { file: payload.json }\n  golden: { file: golden.json }',
      ),
    );
    const run = chaos(['validate', f]);
    expect(run.code).toBe(2);
    expect(run.lines).toEqual([
      `${golden}:1:15: load.golden.file: features[0] has 7 values; load.payload.features is 8`,
      `${payload}:3:3: load.payload.file: features[1] has 9 values; load.payload.features is 8`,
    ]);
    expect(run.stderr).not.toMatch(STACK_FRAME);
  });

  it('chaos run refuses the same file with exit 2 and sends nothing to the endpoint', async () => {
    let requests = 0;
    const server = createServer((_req, res) => {
      requests++;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      mkdirSync(path.join(dir, 'send'), { recursive: true });
      writeFileSync(path.join(dir, 'send', 'payload.json'), '{"features": [[1, 2, 3]]}');
      const f = path.join(dir, 'send', 'v2.yaml');
      writeFileSync(
        f,
        v2()
          .replace('http://127.0.0.1:30090', origin)
          .replace('  rate: 40', '  rate: 40\n  payload: { file: payload.json }'),
      );
      const run = chaos(['run', f], {
        env: { KUBECONFIG: '/nonexistent/chaos-test-kubeconfig', HOME: '/nonexistent-home' },
      });
      expect(run.code).toBe(2);
      expect(run.lines).toEqual([
        `${path.join(dir, 'send', 'payload.json')}:1:15: load.payload.file: features[0] has 3 values; load.payload.features is 8`,
      ]);
      // Connections made while the CLI ran would be handled now that this process's event loop is free.
      await new Promise((r) => setTimeout(r, 300));
      expect(requests).toBe(0);
    } finally {
      server.close();
    }
  });
});
