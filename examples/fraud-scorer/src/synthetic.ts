import { FEATURES, applyTransform } from './features.js';

/**
 * Seeded synthetic card transactions. Training draws its dataset from here and the scorer draws its warm-up
 * rows from here, so warm-up exercises the same value ranges real traffic (and the model) sees.
 */
export type Rng = () => number;

/** mulberry32: tiny, fast and identical on every platform, which is what reproducible artifacts need. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function normal(rng: Rng): number {
  // Box-Muller; 1 - u keeps log() away from 0.
  const u = 1 - rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));
const round = (x: number, digits: number): number => Number(x.toFixed(digits));

/** One transaction in request order (see FEATURES). */
export function sampleTransaction(rng: Rng): number[] {
  const amount = round(clamp(Math.exp(3.6 + 1.1 * normal(rng)), 0.5, 1_000_000), 2);
  // Mostly daytime shopping, with a uniform tail so night hours are represented.
  const hour = rng() < 0.85 ? Math.floor((((14 + 4 * normal(rng)) % 24) + 24) % 24) : Math.floor(rng() * 24);
  const merchantRisk = round(rng() ** 2, 3);
  const distanceKm = round(clamp(Math.exp(2 + 1.5 * normal(rng)), 0, 20_000), 1);
  const txnCount24h = Math.floor(clamp(Math.exp(1 + 0.8 * normal(rng)), 0, 10_000));
  const accountAgeDays = Math.floor(clamp(Math.exp(5.5 + 1.3 * normal(rng)), 0, 36_500));
  const foreign = rng() < 0.08 ? 1 : 0;
  const deviceChange = rng() < 0.1 ? 1 : 0;
  return [amount, hour, merchantRisk, distanceKm, txnCount24h, accountAgeDays, foreign, deviceChange];
}

/**
 * The hidden "true" fraud mechanism: logistic in the transformed features. The trained model can only
 * recover it up to the noise term, which caps achievable accuracy well below 100 %.
 */
export const TRUE_WEIGHTS: readonly number[] = [0.55, 0.9, 2.8, 0.35, 0.6, -0.45, 1.3, 1.6];
export const TRUE_BIAS = -4.4;
const LABEL_NOISE_STD = 0.6;

export function groundTruthLogit(row: readonly number[]): number {
  let z = TRUE_BIAS;
  FEATURES.forEach((spec, i) => {
    z += (TRUE_WEIGHTS[i] ?? 0) * applyTransform(spec.transform, row[i] ?? 0);
  });
  return z;
}

export interface Dataset {
  readonly rows: number[][];
  readonly labels: (0 | 1)[];
}

export function generateDataset(seed: number, size: number): Dataset {
  const rng = mulberry32(seed);
  const rows: number[][] = [];
  const labels: (0 | 1)[] = [];
  for (let i = 0; i < size; i++) {
    const row = sampleTransaction(rng);
    const logit = groundTruthLogit(row) + LABEL_NOISE_STD * normal(rng);
    rows.push(row);
    labels.push(rng() < 1 / (1 + Math.exp(-logit)) ? 1 : 0);
  }
  return { rows, labels };
}
