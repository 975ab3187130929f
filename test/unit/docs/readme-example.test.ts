/**
 * The README's custom-script example is the one the e2e tests run: its code blocks must be the files in
 * examples/custom-script/, byte for byte, so the documentation cannot drift from what is proven.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

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
