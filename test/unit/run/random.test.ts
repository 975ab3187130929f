import { describe, expect, it } from 'vitest';
import { pick } from '../../../src/faults/fault.js';
import { seededRandom } from '../../../src/run/random.js';

/** mulberry32 as published (Tommy Ettinger), in its original signed-int form. */
function reference(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const take = (r: () => number, n: number) => Array.from({ length: n }, () => r());

describe('seededRandom', () => {
  it('is mulberry32: the same sequence as the reference for printed seeds', () => {
    for (const seed of [0, 1, 42, 0x7fffffff, 0x80000000, 0xffffffff, 3_141_592_653]) {
      expect(take(seededRandom(seed), 50)).toEqual(take(reference(seed), 50));
    }
  });

  it('repeats exactly for the same seed and differs for another', () => {
    expect(take(seededRandom(1234), 20)).toEqual(take(seededRandom(1234), 20));
    expect(take(seededRandom(1234), 20)).not.toEqual(take(seededRandom(1235), 20));
  });

  it('stays in [0, 1) and spreads evenly', () => {
    const r = seededRandom(7);
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) {
      const x = r();
      expect(x >= 0 && x < 1).toBe(true);
      buckets[Math.floor(x * 10)]!++;
    }
    for (const b of buckets) expect(Math.abs(b - 10_000)).toBeLessThan(500);
  });
});

describe('pick', () => {
  const pods = ['scorer-a', 'scorer-b', 'scorer-c', 'scorer-d', 'scorer-e'];

  it('picks n distinct items, reproducibly for a seed, leaving the input alone', () => {
    const copy = [...pods];
    const a = pick(pods, 3, seededRandom(99));
    expect(pick(pods, 3, seededRandom(99))).toEqual(a);
    expect(new Set(a).size).toBe(3);
    expect(a.every((x) => pods.includes(x))).toBe(true);
    expect(pods).toEqual(copy);
  });

  it('every item can be picked, about equally often', () => {
    const counts = new Map<string, number>();
    for (let seed = 0; seed < 5000; seed++) {
      const [first] = pick(pods, 1, seededRandom(seed));
      counts.set(first!, (counts.get(first!) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(pods);
    for (const n of counts.values()) expect(Math.abs(n - 1000)).toBeLessThan(150);
  });

  it('asks for no more than there is', () => {
    expect(pick(pods, 10, seededRandom(1)).sort()).toEqual(pods);
    expect(pick([], 2, seededRandom(1))).toEqual([]);
    expect(pick(pods, 0, seededRandom(1))).toEqual([]);
  });
});
