/**
 * Writes scenarios/payloads/transactions.json: realistic rows from the same synthetic distribution the sample
 * model was trained on, so load exercises the model the way production traffic would (valid ranges, a few
 * frauds), not random numbers the input schema rejects. Also writes scenarios/payloads/golden.json: other rows
 * of that distribution with their true labels, for golden replay (load.golden).
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

const golden = generateDataset(7, 40);
writeFileSync(
  new URL('../scenarios/payloads/golden.json', import.meta.url),
  JSON.stringify({
    features: golden.rows.map((row) => row.map((v) => Math.round(v * 1000) / 1000)),
    labels: golden.labels.map((l) => (l === 1 ? 'fraud' : 'legit')),
  }) + '\n',
);
console.log(`wrote ${golden.rows.length} golden rows`);
