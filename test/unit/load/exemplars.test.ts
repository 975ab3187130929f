import { describe, expect, it } from 'vitest';
import { EXEMPLARS_PER_CAUSE, ExemplarPool, type Exemplar } from '../../../src/load/exemplars.js';

const ex = (n: number, ms: number, cause: Exemplar['cause'] = 'slow', offsetS = n): Exemplar => ({
  traceId: n.toString(16).padStart(32, '0'),
  cause,
  ms,
  status: cause === 'failed' ? '503' : '200',
  offsetS,
});

describe('ExemplarPool', () => {
  it('merges runners’ pools into what one stream would have kept', () => {
    const all = Array.from({ length: 40 }, (_, i) =>
      ex(i + 1, (i * 37) % 101, i % 3 === 0 ? 'failed' : 'slow'),
    );
    const one = new ExemplarPool();
    for (const e of all) one.add(e);
    const a = new ExemplarPool();
    const b = new ExemplarPool();
    all.forEach((e, i) => (i % 2 === 0 ? a : b).add(e));
    a.merge(b);
    expect(a.summary()).toEqual(one.summary());
    expect(one.summary().slowest).toHaveLength(EXEMPLARS_PER_CAUSE);
    expect(one.summary().failed.map((e) => e.offsetS)).toEqual([1, 4, 7, 10, 13, 16, 19, 22]);
  });

  it('holds a trace once, however often it is offered', () => {
    const pool = new ExemplarPool();
    pool.add(ex(1, 10));
    pool.add(ex(1, 10));
    expect(pool.summary().slowest).toHaveLength(1);
  });
});
