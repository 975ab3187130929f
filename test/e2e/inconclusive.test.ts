/** A fault that touches nothing proves nothing: the run must be INCONCLUSIVE (exit 4), never PASS. */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { explain, repo, resetStack, runScenario } from './helpers.js';

describe('faults that match nothing', () => {
  beforeAll(async () => {
    await resetStack();
  });

  it('a latency fault whose selector matches no pod is INCONCLUSIVE', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'chaos-e2e-nomatch-'));
    const source = await readFile(path.join(repo, 'scenarios/feature-store-latency.yaml'), 'utf8');
    const file = path.join(dir, 'no-match.yaml');
    await writeFile(
      file,
      source
        .replace('$schema=./schema.json', `$schema=${path.join(repo, 'scenarios/schema.json')}`)
        .replace(
          'file: payloads/transactions.json',
          `file: ${path.join(repo, 'scenarios/payloads/transactions.json')}`,
        )
        .replace('selector: { app: feature-store }', 'selector: { app: does-not-exist }'),
    );
    const run = await runScenario(file, 0.1);
    expect(run.exitCode, explain(run)).toBe(4);
    expect(run.result?.verdict).toBe('INCONCLUSIVE');
    expect(run.result?.faults[0]?.confirmed).toBe(false);
    expect(run.junit).toMatch(/<error/);
  });
});
