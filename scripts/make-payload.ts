/**
 * Writes scenarios/payloads/transactions.json: realistic rows from the same synthetic distribution the sample
 * model was trained on, so load exercises the model the way production traffic would (valid ranges, a few
 * frauds), not random numbers the input schema rejects. Also writes scenarios/payloads/golden.json: the rows
 * the built-in load sends, with their true labels, for golden replay (load.golden).
 */
import { writeFileSync } from 'node:fs';
import { generateDataset } from '../examples/fraud-scorer/src/synthetic.js';

const data = generateDataset(42, 64);
const features = data.rows.map((row) => row.map((v) => Math.round(v * 1000) / 1000));
writeFileSync(
  new URL('../scenarios/payloads/transactions.json', import.meta.url),
  JSON.stringify({ features }) + '\n',
);
console.log(`wrote ${features.length} rows`);

// The rows the built-in load cycles through (its pool of 16 bodies), with their true labels: every replica of a
// stack sees these entities all the time, as a service sees its regular customers, so a replica's cache of
// last known features covers them when a dependency fails.
const GOLDEN_ROWS = 16;
writeFileSync(
  new URL('../scenarios/payloads/golden.json', import.meta.url),
  JSON.stringify({
    features: features.slice(0, GOLDEN_ROWS),
    labels: data.labels.slice(0, GOLDEN_ROWS).map((l) => (l === 1 ? 'fraud' : 'legit')),
  }) + '\n',
);
console.log(`wrote ${GOLDEN_ROWS} golden rows`);
