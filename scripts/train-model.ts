/**
 * Trains the sample fraud model and writes its versioned artifacts:
 *
 *   models/fraud/<version>/model.json     weights + standardisation, what the scorer serves
 *   models/fraud/<version>/metadata.json  version, features, labels, training accuracy, sha256 of model.json
 *
 * Plain logistic regression by full-batch gradient descent on a seeded synthetic dataset. No clock, no
 * randomness outside the seed and fixed summation order, so re-running rewrites byte-identical files.
 *
 *   npx tsx scripts/train-model.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CLASS_LABELS,
  FEATURES,
  FEATURE_NAMES,
  applyTransform,
} from '../examples/fraud-scorer/src/features.js';
import {
  LogisticModel,
  MODEL_FORMAT,
  type ModelArtifact,
  sha256Hex,
} from '../examples/fraud-scorer/src/model.js';
import { type Dataset, generateDataset } from '../examples/fraud-scorer/src/synthetic.js';

export interface TrainingRecipe {
  readonly version: string;
  readonly seed: number;
  readonly epochs: number;
  readonly samples: number;
  readonly learningRate: number;
  readonly l2: number;
}

/**
 * v1r is v1 rebuilt from the same data and seed: byte-identical weights under another version string, the
 * rollout a prediction-shift check must not flag. v2 is the "retrained" model: another draw of the data
 * and longer training, so its weights differ and its answers shift.
 */
export const RECIPES: readonly TrainingRecipe[] = [
  { version: 'v1', seed: 1, epochs: 150, samples: 20_000, learningRate: 0.5, l2: 1e-4 },
  { version: 'v1r', seed: 1, epochs: 150, samples: 20_000, learningRate: 0.5, l2: 1e-4 },
  { version: 'v2', seed: 2, epochs: 600, samples: 20_000, learningRate: 0.5, l2: 1e-4 },
];

const DECISION_THRESHOLD = 0.5;
const SIGNIFICANT_DIGITS = 12;

// Fewer digits than a double carries, so a last-bit difference in Math.exp between runtimes cannot change
// the bytes of the artifact.
const tidy = (x: number): number => Number(x.toPrecision(SIGNIFICANT_DIGITS));

export interface TrainedModel {
  readonly artifact: ModelArtifact;
  readonly modelJson: string;
  readonly metadataJson: string;
  readonly trainingAccuracy: number;
  readonly trainingAuc: number;
}

export function train(recipe: TrainingRecipe): TrainedModel {
  const data = generateDataset(recipe.seed, recipe.samples);
  const d = FEATURES.length;
  const n = data.rows.length;

  const x = new Float64Array(n * d);
  data.rows.forEach((row, r) => {
    FEATURES.forEach((spec, j) => {
      x[r * d + j] = applyTransform(spec.transform, row[j]!);
    });
  });
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    let sum = 0;
    for (let r = 0; r < n; r++) sum += x[r * d + j]!;
    mean[j] = tidy(sum / n);
    let sq = 0;
    for (let r = 0; r < n; r++) sq += (x[r * d + j]! - mean[j]!) ** 2;
    std[j] = tidy(Math.sqrt(sq / n) || 1);
  }
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < d; j++) x[r * d + j] = (x[r * d + j]! - mean[j]!) / std[j]!;
  }

  const w = new Float64Array(d);
  let b = 0;
  const grad = new Float64Array(d);
  for (let epoch = 0; epoch < recipe.epochs; epoch++) {
    grad.fill(0);
    let gradB = 0;
    for (let r = 0; r < n; r++) {
      let z = b;
      for (let j = 0; j < d; j++) z += w[j]! * x[r * d + j]!;
      const err = 1 / (1 + Math.exp(-z)) - data.labels[r]!;
      for (let j = 0; j < d; j++) grad[j] = grad[j]! + err * x[r * d + j]!;
      gradB += err;
    }
    for (let j = 0; j < d; j++) w[j] = w[j]! - recipe.learningRate * (grad[j]! / n + recipe.l2 * w[j]!);
    b -= recipe.learningRate * (gradB / n);
  }

  const artifact: ModelArtifact = {
    format: MODEL_FORMAT,
    version: recipe.version,
    features: FEATURES.map((spec, j) => ({
      name: spec.name,
      transform: spec.transform,
      mean: mean[j]!,
      std: std[j]!,
    })),
    weights: Array.from(w, tidy),
    bias: tidy(b),
    threshold: DECISION_THRESHOLD,
  };
  const modelJson = `${JSON.stringify(artifact, null, 2)}\n`;
  const sha256 = sha256Hex(modelJson);

  // Accuracy is measured on the artifact as written (rounded weights), i.e. on exactly what will be served.
  const served = new LogisticModel(artifact, sha256);
  const scores = data.rows.map((row) => served.predict(row).fraudProbability);
  const correct = scores.filter((p, r) => (p >= DECISION_THRESHOLD ? 1 : 0) === data.labels[r]).length;
  const trainingAccuracy = round4(correct / n);
  const trainingAuc = round4(auc(scores, data));

  const metadata = {
    version: recipe.version,
    format: MODEL_FORMAT,
    features: FEATURE_NAMES,
    classLabels: CLASS_LABELS,
    trainingAccuracy,
    trainingAuc,
    fraudRate: round4(data.labels.filter((y) => y === 1).length / n),
    training: {
      samples: recipe.samples,
      seed: recipe.seed,
      epochs: recipe.epochs,
      learningRate: recipe.learningRate,
      l2: recipe.l2,
    },
    sha256,
  };
  return {
    artifact,
    modelJson,
    metadataJson: `${JSON.stringify(metadata, null, 2)}\n`,
    trainingAccuracy,
    trainingAuc,
  };
}

const round4 = (x: number): number => Math.round(x * 1e4) / 1e4;

/** Rank-based ROC AUC (Mann-Whitney U), ties sharing their average rank. */
function auc(scores: readonly number[], data: Dataset): number {
  const order = scores.map((s, i) => [s, i] as const).sort((a, b) => a[0] - b[0]);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (data.labels[order[k]![1]] === 1) {
        positives++;
        rankSum += avgRank;
      }
    }
    i = j + 1;
  }
  const negatives = order.length - positives;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export const MODELS_DIR = fileURLToPath(new URL('../models/fraud', import.meta.url));

function main(): void {
  for (const recipe of RECIPES) {
    const trained = train(recipe);
    const dir = join(MODELS_DIR, recipe.version);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'model.json'), trained.modelJson);
    writeFileSync(join(dir, 'metadata.json'), trained.metadataJson);
    console.log(
      `${recipe.version}: accuracy ${trained.trainingAccuracy} auc ${trained.trainingAuc} -> ${join(dir, 'model.json')}`,
    );
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
