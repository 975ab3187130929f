import { describe, expect, it } from 'vitest';
import { LastKnownFeatures } from '../../src/last-known-features.js';

function fakeClock(start = 1_000): { now(): number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

const risk = (merchant_risk: number): { merchant_risk: number } => ({ merchant_risk });

describe('LastKnownFeatures', () => {
  it("recalls an entity's last remembered features with their age", () => {
    const clock = fakeClock();
    const cache = new LastKnownFeatures({ maxEntries: 10, ttlMs: 60_000, clock });
    expect(cache.recall('card-1')).toBeUndefined();

    cache.remember('card-1', risk(0.2));
    clock.advance(1_500);
    expect(cache.recall('card-1')).toEqual({ features: risk(0.2), ageMs: 1_500 });
    expect(cache.recall('card-2')).toBeUndefined();

    // A newer lookup replaces the features and restarts the age.
    cache.remember('card-1', risk(0.7));
    clock.advance(10);
    expect(cache.recall('card-1')).toEqual({ features: risk(0.7), ageMs: 10 });
  });

  it('never serves an entry older than the TTL, and reading it does not extend its life', () => {
    const clock = fakeClock();
    const cache = new LastKnownFeatures({ maxEntries: 10, ttlMs: 600_000, clock });
    cache.remember('card-1', risk(0.3));

    clock.advance(599_999);
    expect(cache.recall('card-1')?.features).toEqual(risk(0.3));
    clock.advance(2);
    expect(cache.recall('card-1')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('keeps at most maxEntries, dropping the least recently used', () => {
    const cache = new LastKnownFeatures({ maxEntries: 3, ttlMs: 60_000, clock: fakeClock() });
    for (const id of ['a', 'b', 'c']) cache.remember(id, risk(0.1));
    expect(cache.recall('a')).toBeDefined(); // a is now the most recently used; b the least
    cache.remember('d', risk(0.4));

    expect(cache.size).toBe(3);
    expect(cache.recall('b')).toBeUndefined();
    expect(['a', 'c', 'd'].map((id) => cache.recall(id) !== undefined)).toEqual([true, true, true]);

    for (let i = 0; i < 1_000; i++) cache.remember(`e-${i}`, risk(0.5));
    expect(cache.size).toBe(3);
    expect(cache.recall('e-999')?.features).toEqual(risk(0.5));
    expect(cache.recall('a')).toBeUndefined();
  });

  it('remembers nothing with maxEntries 0 (the fallback-defaults variant)', () => {
    const cache = new LastKnownFeatures({ maxEntries: 0, ttlMs: 60_000, clock: fakeClock() });
    cache.remember('card-1', risk(0.2));
    expect(cache.enabled).toBe(false);
    expect(cache.size).toBe(0);
    expect(cache.recall('card-1')).toBeUndefined();
  });

  it('runs on the real clock by default', () => {
    const cache = new LastKnownFeatures({ maxEntries: 1, ttlMs: 60_000 });
    cache.remember('card-1', risk(0.2));
    const recalled = cache.recall('card-1');
    expect(recalled?.features).toEqual(risk(0.2));
    expect(recalled?.ageMs).toBeGreaterThanOrEqual(0);
    expect(recalled?.ageMs).toBeLessThan(1_000);
  });
});
