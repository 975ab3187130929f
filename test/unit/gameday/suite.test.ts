import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSuiteFile, suiteScenarioFiles } from '../../../src/gameday/suite.js';
import { formatDiagnostic } from '../../../src/scenario/diagnostics.js';
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
        expect.stringMatching(/pod-kill\.yaml:3:7: kind: expected "GameDay"/),
      );
  });
});
