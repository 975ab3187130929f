import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listCommand } from '../../../src/commands/list.js';
import { ExitCode, InvalidInputError } from '../../../src/errors.js';
import { VALID } from '../scenario/helpers.js';
import { recordingOutput } from './output.js';

const SCENARIOS = fileURLToPath(new URL('../../../scenarios', import.meta.url));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'chaos-list-unit-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('listCommand', () => {
  it('one aligned row per scenario in scenarios/: name, file, first line of the description', async () => {
    const out = recordingOutput();
    await listCommand(SCENARIOS, out);
    const rows = out.out.trimEnd().split('\n');
    expect(rows.map((r) => r.split(/\s+/)[0])).toEqual([
      'feature-store-down',
      'feature-store-latency',
      'load-ramp',
      'missing-model-artifact',
      'model-rollout',
      'node-drain',
      'oversize-batch',
      'pod-kill-prometheus',
      'pod-kill',
    ]);
    const fileColumn = rows.map((r) => r.indexOf(path.join(SCENARIOS, 'x').slice(0, -1)));
    expect(new Set(fileColumn).size).toBe(1);
    for (const row of rows) expect(row).not.toMatch(/\s$/);
    expect(out.err).toEqual([]);
  });

  it('multi-line descriptions show their first line; an empty one leaves no trailing space', async () => {
    const d = path.join(dir, 'descriptions');
    mkdirSync(d);
    writeFileSync(
      path.join(d, 'a.yaml'),
      VALID.replace(/ {2}description: .*\n/, '  description: |\n    First line.\n    Second line.\n'),
    );
    writeFileSync(
      path.join(d, 'b.yaml'),
      VALID.replace(/ {2}description: .*\n/, '').replace('name: demo', 'name: b'),
    );
    const out = recordingOutput();
    await listCommand(d, out);
    expect(out.out).toBe(`demo  ${path.join(d, 'a.yaml')}  First line.\nb     ${path.join(d, 'b.yaml')}\n`);
  });

  it('warns about invalid files, ignores other files and directories', async () => {
    const d = path.join(dir, 'mixed');
    mkdirSync(d);
    writeFileSync(path.join(d, 'bad.yaml'), 'kind: [\n');
    writeFileSync(
      path.join(d, 'worse.yml'),
      VALID.replace('  rate: 40', '  rat: 40').replace('max: 2%', 'max: 2'),
    );
    writeFileSync(path.join(d, 'README.md'), '# not a scenario');
    mkdirSync(path.join(d, 'nested.yaml'));
    const out = recordingOutput();
    await listCommand(d, out);
    expect(out.out).toBe('');
    expect(out.err).toEqual([
      `warning: skipped ${path.join(d, 'bad.yaml')}: 1 problem (see: chaos validate ${path.join(d, 'bad.yaml')})`,
      `warning: skipped ${path.join(d, 'worse.yml')}: 2 problems (see: chaos validate ${path.join(d, 'worse.yml')})`,
      `no valid scenarios or game-day suites in ${d}`,
    ]);
  });

  it('lists a game-day suite as a suite, not as a broken scenario; a broken suite is skipped', async () => {
    const d = path.join(dir, 'suites');
    mkdirSync(d);
    writeFileSync(path.join(d, 'a-scenario.yaml'), VALID);
    writeFileSync(
      path.join(d, 'c-weekly.yaml'),
      [
        'apiVersion: chaos/v1',
        'kind: GameDay',
        'metadata: { name: weekly, description: Two in a row. }',
        'scenarios: [{ file: a-scenario.yaml }, { file: a-scenario.yaml, pauseAfter: 5s }]',
        '',
      ].join('\n'),
    );
    writeFileSync(
      path.join(d, 'd-broken.yaml'),
      'apiVersion: chaos/v1\nkind: GameDay\nmetadata: { name: broken }\nscenarios: [{ file: nope.yaml }]\n',
    );
    const out = recordingOutput();
    await listCommand(d, out);
    const f = (name: string) => path.join(d, name);
    expect(out.out.split('\n')).toEqual([
      `demo    ${f('a-scenario.yaml')}  A valid scenario; the tests edit it one line at a time`,
      `weekly  ${f('c-weekly.yaml')}    [game day: 2 scenarios, run with chaos gameday] Two in a row.`,
      '',
    ]);
    expect(out.err).toEqual([
      `warning: skipped ${f('d-broken.yaml')}: 1 problem (see: chaos validate ${f('d-broken.yaml')})`,
    ]);
  });

  it('a missing directory or a file is a usage error (exit 2)', async () => {
    const missing = path.join(dir, 'nope');
    await expect(listCommand(missing, recordingOutput())).rejects.toThrow(InvalidInputError);
    const plain = path.join(dir, 'plain');
    writeFileSync(plain, '');
    const error = await listCommand(plain, recordingOutput()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).exitCode).toBe(ExitCode.InvalidInput);
    expect((error as InvalidInputError).lines).toEqual([`chaos: cannot list ${plain}: not a directory`]);
  });
});
