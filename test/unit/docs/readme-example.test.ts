/**
 * The README's custom-script example is the one the e2e tests run: its code blocks must be the files in
 * examples/custom-script/, byte for byte, so the documentation cannot drift from what is proven.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

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
