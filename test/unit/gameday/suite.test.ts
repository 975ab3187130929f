import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { planCommand } from '../../../src/commands/plan.js';
import { ExitCode, InvalidInputError } from '../../../src/errors.js';
import { loadSuiteFile, suiteScenarioFiles } from '../../../src/gameday/suite.js';
import { formatDiagnostic } from '../../../src/scenario/diagnostics.js';
import { loadScenarioFile } from '../../../src/scenario/parse.js';
import { recordingOutput } from '../cli/output.js';
import { tempDir } from '../../fakes/scenario.js';

const { dir } = tempDir('chaos-suite-');

async function load(name: string, text: string) {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return { file, result: await loadSuiteFile(file) };
}

describe('game-day suites', () => {
  it('loads the committed weekly suite, with its scenarios resolved against its directory', async () => {
    const file = path.resolve('gamedays/weekly.yaml');
    const r = await loadSuiteFile(file);
    if (!r.ok) throw new Error(r.diagnostics.map(formatDiagnostic).join('\n'));
    expect(r.value.stopOnFailure).toBe(true);
    expect(r.value.metadata.owner).toBe('ml-platform-oncall');
    expect(suiteScenarioFiles(r.value, file)).toEqual([
      path.resolve('scenarios/pod-kill.yaml'),
      path.resolve('scenarios/feature-store-latency.yaml'),
    ]);
  });

  it('reports every problem as file:line:col: path: message', async () => {
    const { file, result } = await load(
      'bad.yaml',
      [
        'apiVersion: chaos/v1',
        'kind: GameDay',
        'metadata: { name: Weekly }',
        'scenarios:',
        '  - file: missing.yaml',
        '    pauseAfter: 30 seconds',
        'stopOnFailur: true',
        '',
      ].join('\n'),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([
      `${file}:3:19: metadata.name: expected a lowercase DNS label (a-z, 0-9, -), at most 63 chars, got "Weekly"`,
      `${file}:6:17: scenarios[0].pauseAfter: expected a duration like 250ms, 30s, 2m or 1h, got "30 seconds"`,
      `${file}:7:1: stopOnFailur: unknown key "stopOnFailur"; did you mean "stopOnFailure"?`,
    ]);
  });

  it('a scenario file that does not exist is named with where it was looked for', async () => {
    const { file, result } = await load(
      'missing.yaml',
      'apiVersion: chaos/v1\nkind: GameDay\nmetadata: { name: weekly }\nscenarios:\n  - file: nope.yaml\n',
    );
    expect(result.ok ? [] : result.diagnostics.map(formatDiagnostic)).toEqual([
      `${file}:5:11: scenarios[0].file: no such file: nope.yaml (resolved against the suite's directory: ${path.join(dir, 'nope.yaml')})`,
    ]);
  });

  it('a scenario file given as a suite is told apart by kind', async () => {
    const r = await loadSuiteFile(path.resolve('scenarios/pod-kill.yaml'));
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.diagnostics.map(formatDiagnostic)).toContainEqual(
        expect.stringMatching(/pod-kill\.yaml:3:7: kind: this is a scenario \(kind: Scenario\)/),
      );
  });
});

describe('a suite where a scenario is expected, and the other way round', () => {
  const SUITE = fileURLToPath(new URL('../../../gamedays/weekly.yaml', import.meta.url));
  const SCENARIO = fileURLToPath(new URL('../../../scenarios/pod-kill.yaml', import.meta.url));

  it('a scenario command given a suite says what it is and which commands take it, in one line', async () => {
    const r = await loadScenarioFile(SUITE);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([
      `${SUITE}:6:7: kind: this is a game-day suite (kind: GameDay), not a scenario: run it with \`chaos gameday ${SUITE}\`, check it with \`chaos validate ${SUITE}\``,
    ]);
  });

  it('chaos plan on a suite is that one line, exit 2', async () => {
    const error = await planCommand(SUITE, {}, recordingOutput()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).exitCode).toBe(ExitCode.InvalidInput);
    expect((error as InvalidInputError).lines).toHaveLength(1);
    expect((error as InvalidInputError).lines[0]).toContain('this is a game-day suite');
    expect((error as InvalidInputError).lines[0]).toContain(`chaos gameday ${SUITE}`);
  });

  it('chaos gameday on a scenario points at chaos run', async () => {
    const r = await loadSuiteFile(SCENARIO);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([
      `${SCENARIO}:3:7: kind: this is a scenario (kind: Scenario), not a game-day suite: run it with \`chaos run ${SCENARIO}\`, check it with \`chaos validate ${SCENARIO}\``,
    ]);
  });

  it('any other wrong kind is still a schema problem among the others', async () => {
    const { result } = await load(
      'other.yaml',
      'apiVersion: chaos/v1\nkind: Job\nmetadata: { name: w }\nscenarios: [{ file: x.yaml }]\n',
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.diagnostics.map((d) => d.message)).toContain('expected "GameDay", got "Job"');
  });
});
