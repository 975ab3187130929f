import { describe, expect, it } from 'vitest';
import { burnObjective, burnRates } from '../../../src/budget/burn-rate.js';
import type { SloSpec } from '../../../src/scenario/schema.js';
import { Percent } from '../../../src/scenario/units.js';

const errorRate = (max: string, window: 'baseline' | 'fault' | 'recovery' | 'all'): SloSpec => ({
  type: 'errorRate',
  max: Percent.parse(max),
  window,
});

describe('burn rate', () => {
  it('is the error rate as a multiple of the budget rate: 1× at the SLO, 14.4× for 2 % of 30 d in 1 h', () => {
    const slos = [errorRate('0.1%', 'all')];
    const r = burnRates(slos, [
      { window: 'baseline', requests: 10_000, failed: 10 },
      { window: 'fault', requests: 10_000, failed: 144 },
      { window: 'recovery', requests: 0, failed: 0 },
    ]);
    expect(r?.slo).toBeCloseTo(0.999, 9);
    expect(r?.from).toBe('error-rate-all');
    expect(r?.windows.map((w) => w.burnRate)).toEqual([1, 14.4, null]);
    expect(r?.windows[1]).toMatchObject({ requests: 10_000, errors: 144, errorRate: 0.0144 });
  });

  it("burns against the run's errorRate SLO, else the loosest window one, and not at all without one", () => {
    expect(burnObjective([errorRate('1%', 'fault'), errorRate('2%', 'all')])).toEqual({
      slo: 0.98,
      from: 'error-rate-all',
    });
    expect(burnObjective([errorRate('1%', 'fault'), errorRate('5%', 'recovery')])?.from).toBe(
      'error-rate-recovery',
    );
    expect(burnObjective([{ type: 'restarts', max: 0 }])).toBeNull();
    // 0 % allows no error: there is no budget to burn a multiple of.
    expect(burnObjective([errorRate('0%', 'all')])).toBeNull();
    expect(burnRates([errorRate('1%', 'all')], [])).toBeNull();
  });
});
