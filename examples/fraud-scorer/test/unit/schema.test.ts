import { describe, expect, it } from 'vitest';
import { MAX_REPORTED_ISSUES, ScoreRequestSchema, toFieldErrors } from '../../src/schema.js';
import { LOW_RISK_ROW, batch } from '../helpers.js';

function errors(body: unknown): { path: string; message: string }[] {
  const parsed = ScoreRequestSchema.safeParse(body);
  if (parsed.success) throw new Error('expected the request to be rejected');
  return toFieldErrors(parsed.error);
}

describe('score request schema', () => {
  it('accepts a valid batch and an optional entity id', () => {
    expect(ScoreRequestSchema.safeParse({ features: batch(3) }).success).toBe(true);
    expect(ScoreRequestSchema.safeParse({ features: batch(1), entityId: 'card-42' }).success).toBe(true);
  });

  it('names the row with the wrong number of features', () => {
    const [e] = errors({ features: [LOW_RISK_ROW, LOW_RISK_ROW.slice(0, 7)] });
    expect(e).toEqual({
      path: 'features.1',
      message: expect.stringContaining('expected 8 features') as string,
    });
    expect(e?.message).toContain('got 7');
  });

  it('names the exact cell holding a wrong type', () => {
    const row: unknown[] = [...LOW_RISK_ROW];
    row[3] = '3.2';
    row[5] = null;
    expect(errors({ features: [LOW_RISK_ROW, row] })).toEqual([
      { path: 'features.1.3', message: 'expected a finite number, got string' },
      { path: 'features.1.5', message: 'expected a finite number, got null' },
    ]);
  });

  it('rejects non-finite values (1e999 parses to Infinity)', () => {
    const body: unknown = JSON.parse(`{"features":[[1e999,14,0.1,3,2,100,0,0]]}`);
    expect(errors(body)).toEqual([
      { path: 'features.0.0', message: 'expected a finite number, got Infinity' },
    ]);
  });

  it('checks each feature against its domain', () => {
    const row = [...LOW_RISK_ROW];
    row[1] = 24; // hour is 0..23.x
    row[2] = 1.5; // merchant_risk is a probability
    row[6] = 0.5; // foreign is a flag
    expect(errors({ features: [row] }).map((e) => e.path)).toEqual([
      'features.0.1',
      'features.0.2',
      'features.0.6',
    ]);
  });

  it('rejects a missing or empty features array and a malformed entity id', () => {
    expect(errors({})).toEqual([{ path: 'features', message: expect.any(String) as string }]);
    expect(errors({ features: [] })[0]).toEqual({
      path: 'features',
      message: 'at least one row is required',
    });
    expect(errors({ features: batch(1), entityId: 'a/b' })[0]?.path).toBe('entityId');
    expect(errors([1, 2])[0]?.path).toBe('(body)');
  });

  it('caps the number of reported issues for a batch full of garbage', () => {
    const garbage = Array.from({ length: 100 }, () => Array.from({ length: 8 }, () => 'x'));
    expect(errors({ features: garbage })).toHaveLength(MAX_REPORTED_ISSUES);
  });
});
