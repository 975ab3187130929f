/**
 * Writes the sample model's training data as CSV, so a model trained elsewhere (the MLServer image trains a
 * scikit-learn one) learns from exactly the rows the sample's v1 did, drawn by the same seeded generator.
 *
 *   npx tsx scripts/export-training-data.ts [version] > train.csv
 *
 * Columns: the request features in order, then `label` (1 = fraud). Raw values, no transforms: the consumer
 * serves the same raw rows the load sends. Deterministic: the same version writes the same bytes.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FEATURE_NAMES } from '../examples/fraud-scorer/src/features.js';
import { generateDataset } from '../examples/fraud-scorer/src/synthetic.js';
import { RECIPES } from './train-model.js';

export function trainingCsv(version: string): string {
  const recipe = RECIPES.find((r) => r.version === version);
  if (!recipe) throw new Error(`no recipe ${version}; known: ${RECIPES.map((r) => r.version).join(', ')}`);
  const data = generateDataset(recipe.seed, recipe.samples);
  const lines = [[...FEATURE_NAMES, 'label'].join(',')];
  data.rows.forEach((row, i) => lines.push([...row, data.labels[i]!].join(',')));
  return `${lines.join('\n')}\n`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.stdout.write(trainingCsv(process.argv[2] ?? 'v1'));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
}
