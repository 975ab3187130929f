import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DURATION_PATTERN,
  formatDuration,
  formatPercent,
  parseDurationMs,
  parsePercent,
} from '../../../src/scenario/units.js';

describe('durations', () => {
  it.each([
    ['250ms', 250],
    ['0s', 0],
    ['30s', 30_000],
    ['1.5s', 1500],
    ['2m', 120_000],
    ['4.1m', 246_000],
    ['1h', 3_600_000],
    ['2.3h', 8_280_000],
    ['0.5ms', 0.5],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it.each(['', '30', '30 s', '-1s', '1d', '1.s', '.5s', 's', '1e3s', '30S'])(
    '%j is not a duration',
    (text) => {
      expect(DURATION_PATTERN.test(text)).toBe(false);
      expect(() => parseDurationMs(text)).toThrow(RangeError);
    },
  );

  it('whole milliseconds stay whole whatever the unit (no 245999.99999999997)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 999 }),
        fc.integer({ min: 0, max: 9 }),
        fc.constantFrom('s', 'm', 'h'),
        (i, d, unit) => {
          expect(Number.isInteger(parseDurationMs(`${i}.${d}${unit}`))).toBe(true);
        },
      ),
    );
  });

  it('formatDuration', () => {
    expect(formatDuration(250)).toBe('250ms');
    expect(formatDuration(30_000)).toBe('30s');
    expect(formatDuration(1500)).toBe('1.5s');
    expect(formatDuration(120_000)).toBe('2m');
    expect(formatDuration(150_000)).toBe('2m30s');
  });
});

describe('percentages', () => {
  it.each([
    ['1%', 0.01],
    ['0.5%', 0.005],
    ['100%', 1],
    ['0%', 0],
  ])('%s is %d', (text, ratio) => {
    expect(parsePercent(text)).toBeCloseTo(ratio, 12);
  });

  it.each(['1', '1 %', '-1%', '%', 'one%'])('%j is not a percentage', (text) => {
    expect(() => parsePercent(text)).toThrow(RangeError);
  });

  it('formatPercent', () => {
    expect(formatPercent(0.0123)).toBe('1.23%');
    expect(formatPercent(1, 0)).toBe('100%');
  });
});
