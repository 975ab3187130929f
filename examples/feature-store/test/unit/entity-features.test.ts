import { describe, expect, it } from 'vitest';
import { featuresFor } from '../../src/entity-features.js';

describe('featuresFor', () => {
  it('is a pure function of the entity id', () => {
    expect(featuresFor('card-1')).toEqual(featuresFor('card-1'));
    expect(featuresFor('card-1')).not.toEqual(featuresFor('card-2'));
  });

  it('stays inside the domains the scorer validates', () => {
    const risks: number[] = [];
    for (let i = 0; i < 2_000; i++) {
      const f = featuresFor(`entity-${i}`);
      risks.push(f.merchant_risk);
      expect(f.merchant_risk).toBeGreaterThanOrEqual(0);
      expect(f.merchant_risk).toBeLessThanOrEqual(1);
      expect(Number.isInteger(f.account_age_days) && f.account_age_days >= 0).toBe(true);
      expect(Number.isInteger(f.txn_count_24h) && f.txn_count_24h >= 0).toBe(true);
      expect([0, 1, 2, 3]).toContain(f.chargebacks_90d);
    }
    // Squared uniform: mean 1/3, so most merchants look low-risk, like the training data.
    const mean = risks.reduce((a, b) => a + b, 0) / risks.length;
    expect(mean).toBeGreaterThan(0.28);
    expect(mean).toBeLessThan(0.39);
  });
});
