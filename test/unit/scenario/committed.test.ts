/**
 * The files users start from: every scenarios/*.yaml and scenarios/mlserver/*.yaml validates, carries the
 * editor schema header, and the committed scenarios/schema.json is what `chaos schema` prints today.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../../src/scenario/diagnostics.js';
import { loadScenarioFile } from '../../../src/scenario/parse.js';
import { scenarioJsonSchema } from '../../../src/scenario/schema.js';

const SCENARIOS = fileURLToPath(new URL('../../../scenarios/', import.meta.url));
// The sample stack's scenarios, and beside them those against MLServer (their header points one level up).
const SUBDIRS = ['', 'mlserver/'];
const files = SUBDIRS.flatMap((d) =>
  readdirSync(`${SCENARIOS}${d}`)
    .filter((n) => n.endsWith('.yaml'))
    .sort()
    .map((n) => `${d}${n}`),
);
const schemaHeader = (name: string) =>
  `# yaml-language-server: $schema=${name.includes('/') ? '../' : './'}schema.json`;

describe('scenarios/', () => {
  it('holds the six scenarios, and six against MLServer', () => {
    expect(files.filter((f) => !f.includes('/')).length).toBeGreaterThanOrEqual(6);
    expect(files.filter((f) => f.startsWith('mlserver/')).length).toBe(6);
  });

  it.each(files)('%s starts with the yaml-language-server schema header', (name) => {
    const first = readFileSync(`${SCENARIOS}${name}`, 'utf8').split('\n')[0];
    expect(first).toBe(schemaHeader(name));
  });

  it.each(files)('%s validates', async (name) => {
    const result = await loadScenarioFile(`${SCENARIOS}${name}`);
    expect(result.ok ? [] : result.diagnostics.map(formatDiagnostic)).toEqual([]);
    if (result.ok) expect(`${result.scenario.metadata.name}.yaml`).toBe(name.split('/').at(-1));
  });
});

describe('scenarios/schema.json', () => {
  it('is what `chaos schema` prints now (if not: run `npm run build && npm run schema` and commit it)', () => {
    const committed = readFileSync(`${SCENARIOS}schema.json`, 'utf8');
    const current = JSON.stringify(scenarioJsonSchema(), null, 2) + '\n';
    // One assertion with the fix in its message rather than a thousand-line diff.
    expect(
      committed === current,
      'scenarios/schema.json is stale: regenerate it with `npm run build && npm run schema` and commit it',
    ).toBe(true);
  });

  it('describes the scenario language for editors', () => {
    const schema = scenarioJsonSchema() as {
      $schema?: string;
      required?: string[];
      additionalProperties?: boolean;
    };
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.required).toEqual(
      expect.arrayContaining(['apiVersion', 'kind', 'metadata', 'target', 'load', 'windows', 'slos']),
    );
    expect(schema.additionalProperties).toBe(false);
  });
});
