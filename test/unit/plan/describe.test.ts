import { describe, expect, it } from 'vitest';
import { describeSlo } from '../../../src/plan/describe.js';
import { makeScenario } from '../../fakes/scenario.js';

describe('describeSlo', () => {
  it('prints each SLO as a reader writes it, not as JSON', () => {
    const s = makeScenario({
      slos: [
        { type: 'latency', percentile: 95, max: '250ms' },
        { type: 'errorRate', max: '1%', window: 'fault' },
        { type: 'availability', maxGap: '2s' },
        { type: 'recovery', within: '60s' },
        { type: 'minReadyReplicas', min: 2, window: 'fault' },
        { type: 'podState', reason: 'CrashLoopBackOff', logContains: 'no model' },
        { type: 'httpStatus', payload: 'normal', never: ['5xx'] },
        { type: 'modelVersion' },
        { type: 'throughput', min: 30 },
      ],
    });
    expect(s.slos.map(describeSlo)).toEqual([
      'latency p95 ≤ 250ms [all]',
      'errorRate < 1% [fault]',
      'availability gap ≤ 2s [all]',
      'recovery within 60s',
      'minReadyReplicas ≥ 2 [fault]',
      'podState CrashLoopBackOff on new pods with "no model" in the previous log',
      'httpStatus normal payloads never 5xx [all]',
      'modelVersion unchanged [all]',
      'throughput ≥ 30 [all]',
    ]);
    for (const line of s.slos.map(describeSlo)) expect(line).not.toMatch(/[{}]/);
  });
});
