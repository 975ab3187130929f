/**
 * The request feature contract, shared by training (scripts/train-model.ts) and serving. A model artifact
 * names its features; the scorer refuses to load one whose names differ from this list, so a schema change
 * cannot silently reorder columns under an old model.
 */
export type Transform = 'identity' | 'log1p' | 'cos_hour';

export interface FeatureSpec {
  readonly name: string;
  readonly min: number;
  /** Exclusive for `hour` (24 is midnight again), inclusive otherwise. */
  readonly max: number;
  readonly transform: Transform;
  readonly binary?: boolean;
}

export const FEATURES: readonly FeatureSpec[] = [
  { name: 'amount', min: 0, max: 1_000_000, transform: 'log1p' },
  { name: 'hour', min: 0, max: 24, transform: 'cos_hour' },
  { name: 'merchant_risk', min: 0, max: 1, transform: 'identity' },
  { name: 'distance_km', min: 0, max: 20_000, transform: 'log1p' },
  { name: 'txn_count_24h', min: 0, max: 10_000, transform: 'log1p' },
  { name: 'account_age_days', min: 0, max: 36_500, transform: 'log1p' },
  { name: 'foreign', min: 0, max: 1, transform: 'identity', binary: true },
  { name: 'device_change', min: 0, max: 1, transform: 'identity', binary: true },
];

export const FEATURE_NAMES: readonly string[] = FEATURES.map((f) => f.name);
export const MERCHANT_RISK_INDEX = FEATURE_NAMES.indexOf('merchant_risk');
export const CLASS_LABELS = ['legit', 'fraud'] as const;
export type ClassLabel = (typeof CLASS_LABELS)[number];

export function applyTransform(transform: Transform, value: number): number {
  switch (transform) {
    case 'identity':
      return value;
    case 'log1p':
      return Math.log1p(value);
    case 'cos_hour':
      // Cyclic, so 23:00 and 01:00 look alike and night hours (near 0) land near +1.
      return Math.cos((2 * Math.PI * value) / 24);
  }
}
