/** A fault that touches nothing proves nothing: the run must be INCONCLUSIVE (exit 4), never PASS. */
import { beforeAll, describe, expect, it } from 'vitest';
import { editedScenario, explain, resetStack, runScenario } from './helpers.js';

describe('faults that match nothing', () => {
  beforeAll(async () => {
    await resetStack();
  });

  it('a latency fault whose selector matches no pod is INCONCLUSIVE', async () => {
    const { file } = await editedScenario('feature-store-latency', (y) =>
      y.replace('selector: { app: feature-store }', 'selector: { app: does-not-exist }'),
    );
    const run = await runScenario(file, 0.1);
    expect(run.exitCode, explain(run)).toBe(4);
    expect(run.result?.verdict).toBe('INCONCLUSIVE');
    expect(run.result?.faults[0]?.confirmed).toBe(false);
    expect(run.junit).toMatch(/<error/);
  });
});
