/**
 * The CLI surface around the scenario language: schema, list, help, exit codes and usage errors.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chaos, ensureBuilt, ROOT, STACK_FRAME } from './helpers.js';

const VALID = readFileSync(path.join(ROOT, 'test/fixtures/scenarios/valid.yaml'), 'utf8');
const SCENARIOS = readdirSync(path.join(ROOT, 'scenarios'))
  .filter((n) => n.endsWith('.yaml'))
  .sort();
const MLSERVER_SCENARIOS = readdirSync(path.join(ROOT, 'scenarios', 'mlserver'))
  .filter((n) => n.endsWith('.yaml'))
  .sort()
  .map((n) => `mlserver/${n}`);

let dir: string;
beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'chaos-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('chaos schema', () => {
  it('prints the committed scenarios/schema.json (stale? run `npm run build && npm run schema`)', () => {
    const run = chaos(['schema']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const committed = readFileSync(path.join(ROOT, 'scenarios', 'schema.json'), 'utf8');
    expect(
      run.stdout === committed,
      'scenarios/schema.json is stale: run `npm run build && npm run schema`',
    ).toBe(true);
    expect(() => JSON.parse(run.stdout) as unknown).not.toThrow();
  });

  it('--suite prints the committed gamedays/schema.json', () => {
    const run = chaos(['schema', '--suite']);
    expect(run.code).toBe(0);
    const committed = readFileSync(path.join(ROOT, 'gamedays', 'schema.json'), 'utf8');
    expect(
      run.stdout === committed,
      'gamedays/schema.json is stale: run `npm run build && npm run schema`',
    ).toBe(true);
    expect((JSON.parse(run.stdout) as { properties: Record<string, unknown> }).properties).toHaveProperty(
      'stopOnFailure',
    );
  });
});

describe('scenarios/', () => {
  it('every scenario validates, those against MLServer too', () => {
    const files = [...SCENARIOS, ...MLSERVER_SCENARIOS].map((n) => `scenarios/${n}`);
    const run = chaos(['validate', ...files]);
    expect(run.lines).toEqual(files.map((f) => `${f}: ok (${path.basename(f, '.yaml')})`));
    expect(run.code).toBe(0);
  });

  it.each(SCENARIOS)('%s starts with the editor schema header', (name) => {
    const first = readFileSync(path.join(ROOT, 'scenarios', name), 'utf8').split('\n')[0];
    expect(first).toBe('# yaml-language-server: $schema=./schema.json');
  });
});

describe('chaos list', () => {
  it('lists name, file and description of every scenario in scenarios/ (the default)', () => {
    for (const args of [['list'], ['list', 'scenarios']]) {
      const run = chaos(args);
      expect(run.code).toBe(0);
      expect(run.stderr).toBe('');
      const rows = run.stdout.trimEnd().split('\n');
      expect(rows).toHaveLength(SCENARIOS.length);
      SCENARIOS.forEach((name, i) => {
        const [scenario, file, ...description] = rows[i]!.split(/\s{2,}/);
        expect(scenario).toBe(path.basename(name, '.yaml'));
        expect(file).toBe(path.join('scenarios', name));
        expect(description.join(' ').length).toBeGreaterThan(20);
      });
    }
    expect(chaos(['list']).stdout).toMatch(/^pod-kill {2,}scenarios\/pod-kill\.yaml {2,}\S/m);
  });

  it('names invalid files on stderr instead of dropping them silently', () => {
    const d = path.join(dir, 'mixed');
    mkdirSync(d);
    writeFileSync(path.join(d, 'a-good.yaml'), VALID);
    writeFileSync(path.join(d, 'b-bad.yml'), VALID.replace('  rate: 40', '  rat: 40'));
    writeFileSync(path.join(d, 'notes.txt'), 'not a scenario');
    mkdirSync(path.join(d, 'sub.yaml'));
    const run = chaos(['list', d]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      `demo  ${path.join(d, 'a-good.yaml')}  A valid scenario; the tests edit it one line at a time\n`,
    );
    expect(run.lines).toEqual([
      `warning: skipped ${path.join(d, 'b-bad.yml')}: 1 problem (see: chaos validate ${path.join(d, 'b-bad.yml')})`,
    ]);
  });

  it('an empty directory', () => {
    const d = path.join(dir, 'empty');
    mkdirSync(d);
    const run = chaos(['list', d]);
    expect([run.code, run.stdout, run.lines]).toEqual([
      0,
      '',
      [`no valid scenarios or game-day suites in ${d}`],
    ]);
  });

  it('a directory that does not exist, or a file: usage error, exit 2', () => {
    const missing = path.join(dir, 'nope');
    expect(chaos(['list', missing])).toMatchObject({
      code: 2,
      lines: [`chaos: cannot list ${missing}: no such directory`],
    });
    const plain = path.join(dir, 'plain.yaml');
    writeFileSync(plain, VALID);
    expect(chaos(['list', plain])).toMatchObject({
      code: 2,
      lines: [`chaos: cannot list ${plain}: not a directory`],
    });
  });

  it('a directory it may not read: an environment problem, exit 3', () => {
    chmodSync(dir, 0o755);
    const locked = path.join(dir, 'locked');
    mkdirSync(locked, { mode: 0o000 });
    expect(chaos(['list', locked], { unprivileged: true })).toMatchObject({
      code: 3,
      lines: [`chaos: cannot list ${locked}: permission denied`],
    });
  });
});

describe('help and exit codes', () => {
  it('--help documents every exit code', () => {
    for (const args of [['--help'], ['run', '--help']]) {
      const run = chaos(args);
      expect(run.code).toBe(0);
      for (const code of ['0', '1', '2', '3', '4', '130', '70']) {
        expect(run.stdout).toMatch(new RegExp(`^ {2}${code} +\\S`, 'm'));
      }
      expect(run.stdout).toMatch(/^ {2}130 +interrupted/m);
      expect(run.stdout).toMatch(/^ {2}70 +internal error/m);
    }
  });

  it('--help lists the commands', () => {
    const run = chaos(['--help']);
    for (const command of ['run', 'validate', 'plan', 'list', 'schema', 'recover', 'cluster']) {
      expect(run.stdout).toMatch(new RegExp(`^ {2}${command}\\b`, 'm'));
    }
  });

  it('--version', () => {
    const run = chaos(['--version']);
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect([run.code, run.stdout.trim()]).toEqual([0, pkg.version]);
  });

  it.each([
    [['bogus'], "error: unknown command 'bogus'"],
    [['validate', '--bogus', 'x.yaml'], "error: unknown option '--bogus'"],
    [['--bogus'], "error: unknown option '--bogus'"],
    [['validate'], "error: missing required argument 'file'"],
    [['plan', 'a.yaml', 'b.yaml'], "error: too many arguments for 'plan'. Expected 1 argument but got 2."],
    [
      ['run', '--time-scale', '0', 'scenarios/pod-kill.yaml'],
      "error: option '--time-scale <factor>' argument '0' is invalid. --time-scale must be a positive number, e.g. 0.1",
    ],
    [
      ['run', '--time-scale', 'abc', 'scenarios/pod-kill.yaml'],
      "error: option '--time-scale <factor>' argument 'abc' is invalid. --time-scale must be a positive number, e.g. 0.1",
    ],
    [
      ['run', '--time-scale', '-1', 'scenarios/pod-kill.yaml'],
      "error: option '--time-scale <factor>' argument '-1' is invalid. --time-scale must be a positive number, e.g. 0.1",
    ],
    [
      ['run', '--time-scale', '', 'scenarios/pod-kill.yaml'],
      "error: option '--time-scale <factor>' argument '' is invalid. --time-scale must be a positive number, e.g. 0.1",
    ],
    [
      ['plan', '--time-scale', 'Infinity', 'scenarios/pod-kill.yaml'],
      "error: option '--time-scale <factor>' argument 'Infinity' is invalid. --time-scale must be a positive number, e.g. 0.1",
    ],
    [
      ['run', '--seed', 'x', 'scenarios/pod-kill.yaml'],
      "error: option '--seed <n>' argument 'x' is invalid. --seed must be a non-negative integer",
    ],
    [
      ['run', '--seed', '1.5', 'scenarios/pod-kill.yaml'],
      "error: option '--seed <n>' argument '1.5' is invalid. --seed must be a non-negative integer",
    ],
  ])('chaos %j: usage error, exit 2, no cluster contacted', (args, message) => {
    const run = chaos(args, { env: { KUBECONFIG: '/nonexistent/kubeconfig' } });
    expect(run.code).toBe(2);
    expect(run.lines[0]).toBe(message);
    expect(run.stderr).toContain('(run with --help for usage)');
    expect(run.stderr).not.toMatch(STACK_FRAME);
    expect(run.stdout).toBe('');
  });
});

describe('chaos run with a custom k6 script k6 cannot load', () => {
  it.each([
    ['a syntax error', 'export default function ( {\n', 'default'],
    ['no such function (load.exec)', 'export default function () {}\n', 'browse'],
  ])('%s: exit 2 at load.script, before any cluster call', (_, source, exec) => {
    const sub = mkdtempSync(path.join(dir, 'script-'));
    writeFileSync(path.join(sub, 'load.js'), source);
    const yaml = readFileSync(path.join(ROOT, 'examples/custom-script/feature-store-pod-kill.yaml'), 'utf8')
      .replace('../../scenarios/schema.json', path.join(ROOT, 'scenarios/schema.json'))
      .replace('  script: load.js', `  script: load.js\n  exec: ${exec}`);
    writeFileSync(path.join(sub, 'scenario.yaml'), yaml);
    // The kubeconfig points nowhere: any cluster call would be exit 3, not 2.
    const run = chaos(['run', path.join(sub, 'scenario.yaml')], {
      env: { KUBECONFIG: '/nonexistent/kubeconfig' },
    });
    expect(run.code, run.stderr).toBe(2);
    const line = yaml.split('\n').findIndex((l) => l.startsWith('  script: load.js')) + 1;
    expect(run.stderr).toContain(
      `${path.join(sub, 'scenario.yaml')}:${line}:11: load.script: load.js: k6 cannot load the script: `,
    );
    expect(run.stderr).not.toMatch(STACK_FRAME);
  });
});
