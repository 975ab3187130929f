/** `chaos plan` output: every kill of a repeated fault on the timeline, SLOs as lines a reader can check. */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { planCommand } from '../../../src/commands/plan.js';
import { recordingOutput } from './output.js';

const POD_KILL = fileURLToPath(new URL('../../../scenarios/pod-kill.yaml', import.meta.url));

describe('planCommand', () => {
  it('lists each kill of a repeated pod-kill and prints the SLOs readably', async () => {
    const out = recordingOutput();
    // A context no kubeconfig has: the plan is printed without a cluster.
    await planCommand(POD_KILL, { context: 'chaos-test-no-such-context' }, out);
    const lines = out.out.split('\n');
    const timeline = lines.slice(lines.indexOf('timeline') + 1, lines.indexOf('slos'));
    expect(timeline).toEqual([
      '     0ms – 60s    baseline',
      '     60s – 2m30s  fault',
      '     65s          ↳ pod-kill 1 of 2',
      '    105s          ↳ pod-kill 2 of 2 (reverted at 2m30s)',
      '   2m30s – 3m30s  recovery',
    ]);
    const slos = lines.slice(
      lines.indexOf('slos') + 1,
      lines.findIndex((l) => l.startsWith('targets')),
    );
    expect(slos).toEqual([
      '  latency p95 ≤ 250ms [all]',
      '  errorRate < 2% [all]',
      '  errorRate < 1% [fault]',
      '  availability gap ≤ 2s [all]',
      '  recovery within 60s',
      '  minReadyReplicas ≥ 2 [fault]',
    ]);
  });
});
