/**
 * The README's custom-script example is the one the e2e tests run: its code blocks must be the files in
 * examples/custom-script/, byte for byte, so the documentation cannot drift from what is proven. The V2 example
 * of the Protocols section must be a scenario the loader accepts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseScenario } from '../../../src/scenario/parse.js';
import { requestUrl } from '../../../src/scenario/protocol.js';

const root = new URL('../../../', import.meta.url);
const read = (p: string) => readFileSync(new URL(p, root), 'utf8');

function section(readme: string, heading: string): string {
  const start = readme.indexOf(`### ${heading}\n`);
  if (start < 0) throw new Error(`README has no "### ${heading}" section`);
  const end = readme.indexOf('\n### ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

function block(text: string, lang: string): string {
  const m = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(text);
  if (!m) throw new Error(`no ${lang} block`);
  return m[1]!;
}

describe('README: your own k6 script', () => {
  const text = section(read('README.md'), 'Your own k6 script');

  it('shows examples/custom-script/load.js as it is', () => {
    expect(block(text, 'js')).toBe(read('examples/custom-script/load.js'));
  });

  it('shows examples/custom-script/feature-store-pod-kill.yaml as it is', () => {
    expect(block(text, 'yaml')).toBe(read('examples/custom-script/feature-store-pod-kill.yaml'));
  });
});

describe('README: kubectl faults', () => {
  const readme = read('README.md');

  it('shows the fault of scenarios/feature-store-down.yaml as it is', () => {
    const shown = parse(
      block(section(readme, 'kubectl faults: any kubectl action, with its undo journaled first'), 'yaml'),
    ) as {
      faults: unknown[];
      safety: unknown;
    };
    const scenario = parse(read('scenarios/feature-store-down.yaml')) as {
      faults: unknown[];
      safety: unknown;
    };
    expect(shown.faults).toEqual(scenario.faults);
    expect(shown.safety).toEqual(scenario.safety);
  });

  it('shows the rbac: of gamedays/feature-store-down.yaml as it is', () => {
    const start = readme.indexOf('A suite whose scenarios have `kubectl` faults');
    expect(start).toBeGreaterThan(0);
    const shown = parse(block(readme.slice(start), 'yaml')) as { rbac: unknown };
    expect(shown.rbac).toEqual((parse(read('gamedays/feature-store-down.yaml')) as { rbac: unknown }).rbac);
  });
});

describe('README: protocols', () => {
  const text = section(
    read('README.md'),
    'Protocols: the sample JSON, the Open Inference Protocol (V2), KServe V1',
  );

  it('the full V2 example is a valid scenario (its payload and golden files those in scenarios/payloads)', () => {
    const scenarios = fileURLToPath(new URL('scenarios/', root));
    const r = parseScenario(block(text, 'yaml'), path.join(scenarios, 'readme-v2.yaml'), {
      baseDir: scenarios,
    });
    if (!r.ok)
      throw new Error(r.diagnostics.map((d) => `${d.line}:${d.col}: ${d.path}: ${d.message}`).join('\n'));
    expect(requestUrl(r.scenario.target)).toBe('http://127.0.0.1:30090/v2/models/fraud/infer');
    expect(r.scenario.target.versionUrl).toBe('http://127.0.0.1:30090/v2/models/fraud');
    expect(r.scenario.target.model).toMatchObject({ input: 'input-0', datatype: 'FP32' });
  });
});
