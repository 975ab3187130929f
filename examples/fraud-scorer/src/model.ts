import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { CLASS_LABELS, FEATURE_NAMES, type ClassLabel, type Transform, applyTransform } from './features.js';

export const MODEL_FORMAT = 'logistic-regression/v1';

const TransformSchema = z.enum(['identity', 'log1p', 'cos_hour']);

export const ModelArtifactSchema = z.object({
  format: z.literal(MODEL_FORMAT),
  version: z.string().min(1),
  features: z
    .array(
      z.object({
        name: z.string(),
        transform: TransformSchema,
        mean: z.number(),
        std: z.number().positive(),
      }),
    )
    .min(1),
  weights: z.array(z.number()),
  bias: z.number(),
  threshold: z.number().gt(0).lt(1),
});
export type ModelArtifact = z.infer<typeof ModelArtifactSchema>;

export const ModelMetadataSchema = z.looseObject({
  version: z.string().min(1),
  features: z.array(z.string()),
  classLabels: z.tuple([z.literal('legit'), z.literal('fraud')]),
  trainingAccuracy: z.number().min(0).max(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type ModelMetadata = z.infer<typeof ModelMetadataSchema>;

export type ModelLoadFailure =
  | 'invalid_version'
  | 'artifact_missing'
  | 'artifact_unreadable'
  | 'invalid_artifact'
  | 'sha256_mismatch'
  | 'version_mismatch'
  | 'feature_mismatch'
  | 'warmup_failed';

/** Carries exactly what an operator reading `kubectl logs --previous` needs: what failed, where, which version. */
export class ModelLoadError extends Error {
  constructor(
    readonly reason: ModelLoadFailure,
    readonly path: string,
    readonly modelVersion: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ModelLoadError';
  }
}

export interface Factor {
  readonly feature: string;
  readonly contribution: number;
}

export interface Prediction {
  readonly fraudProbability: number;
  readonly label: ClassLabel;
  /** The features that moved this score furthest from the average transaction, by exact Shapley value. */
  readonly topFactors: Factor[];
}

const TOP_FACTORS = 3;

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

export function sha256Hex(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export class LogisticModel {
  readonly version: string;
  readonly featureNames: readonly string[];
  private readonly transforms: readonly Transform[];
  private readonly mean: Float64Array;
  private readonly std: Float64Array;
  private readonly weights: Float64Array;
  private readonly bias: number;
  private readonly threshold: number;
  // Scratch space for the Shapley enumeration, reused across rows: scoring never awaits mid-row.
  private readonly terms: Float64Array;
  private readonly coalition: Float64Array;
  private readonly phi: Float64Array;
  private readonly shapleyWeight: Float64Array;
  private readonly lowestBit: Uint8Array;

  constructor(
    artifact: ModelArtifact,
    readonly sha256: string,
  ) {
    const n = artifact.features.length;
    if (artifact.weights.length !== n) {
      throw new Error(`model has ${n} features but ${artifact.weights.length} weights`);
    }
    this.featureNames = artifact.features.map((f) => f.name);
    this.transforms = artifact.features.map((f) => f.transform);
    this.mean = Float64Array.from(artifact.features, (f) => f.mean);
    this.std = Float64Array.from(artifact.features, (f) => f.std);
    this.weights = Float64Array.from(artifact.weights);
    this.bias = artifact.bias;
    this.threshold = artifact.threshold;
    this.version = artifact.version;

    const masks = 1 << n;
    this.terms = new Float64Array(n);
    this.coalition = new Float64Array(masks);
    this.phi = new Float64Array(n);
    this.lowestBit = new Uint8Array(masks);
    for (let m = 1; m < masks; m++) this.lowestBit[m] = 31 - Math.clz32(m & -m);
    // |S|! (n-|S|-1)! / n!, the share a coalition of size |S| gets when feature i joins it.
    const fact = (k: number): number => (k <= 1 ? 1 : k * fact(k - 1));
    this.shapleyWeight = Float64Array.from({ length: n }, (_, k) => (fact(k) * fact(n - k - 1)) / fact(n));
  }

  get featureCount(): number {
    return this.featureNames.length;
  }

  /**
   * Scores one raw request row. The explanation is exact: every coalition of features is evaluated against
   * the training-mean baseline (2^n sigmoid evaluations), which is also what gives inference a real,
   * per-row CPU cost that shows up when the container is CPU-starved.
   */
  predict(row: readonly number[]): Prediction {
    const n = this.featureCount;
    const { terms, coalition, phi, lowestBit, shapleyWeight } = this;
    let logit = this.bias;
    for (let i = 0; i < n; i++) {
      const z = (applyTransform(this.transforms[i]!, row[i]!) - this.mean[i]!) / this.std[i]!;
      terms[i] = this.weights[i]! * z;
      logit += terms[i]!;
    }

    // Standardised features make the baseline term of every feature 0, so a coalition's logit is the bias
    // plus the terms of its members; build those sums incrementally from the mask without its lowest bit.
    const masks = 1 << n;
    coalition[0] = this.bias;
    for (let m = 1; m < masks; m++) coalition[m] = coalition[m & (m - 1)]! + terms[lowestBit[m]!]!;
    for (let m = 0; m < masks; m++) coalition[m] = sigmoid(coalition[m]!);

    phi.fill(0);
    for (let m = 0; m < masks; m++) {
      const size = popcount(m);
      if (size === n) continue;
      const w = shapleyWeight[size]!;
      const base = coalition[m]!;
      for (let i = 0; i < n; i++) {
        const bit = 1 << i;
        if ((m & bit) === 0) phi[i] = phi[i]! + w * (coalition[m | bit]! - base);
      }
    }

    const fraudProbability = sigmoid(logit);
    return {
      fraudProbability: round6(fraudProbability),
      label: CLASS_LABELS[fraudProbability >= this.threshold ? 1 : 0],
      topFactors: this.topFactors(),
    };
  }

  /** Shapley values of the last predicted row (used by tests to check they add up). */
  lastContributions(): number[] {
    return Array.from(this.phi);
  }

  /** Probability for the all-average transaction, the reference point contributions are measured from. */
  baselineProbability(): number {
    return sigmoid(this.bias);
  }

  private topFactors(): Factor[] {
    const order = Array.from(this.phi.keys()).sort((a, b) => Math.abs(this.phi[b]!) - Math.abs(this.phi[a]!));
    return order
      .slice(0, TOP_FACTORS)
      .map((i) => ({ feature: this.featureNames[i]!, contribution: round6(this.phi[i]!) }));
  }
}

function popcount(m: number): number {
  let c = 0;
  for (let x = m; x !== 0; x &= x - 1) c++;
  return c;
}

export interface LoadedModel {
  readonly model: LogisticModel;
  readonly metadata: ModelMetadata;
  readonly modelPath: string;
}

const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Loads `<dir>/<version>/model.json` and proves it is the artifact `metadata.json` describes. Every way this
 * can go wrong becomes one ModelLoadError, so the caller can log a single line and exit.
 */
export function loadModel(modelDir: string, version: string): LoadedModel {
  const versionDir = join(modelDir, version);
  const metadataPath = join(versionDir, 'metadata.json');
  const modelPath = join(versionDir, 'model.json');
  const fail = (
    reason: ModelLoadFailure,
    path: string,
    message: string,
    details?: Record<string, unknown>,
  ): ModelLoadError => new ModelLoadError(reason, path, version, message, details);

  if (!VERSION_PATTERN.test(version)) {
    throw fail('invalid_version', modelDir, `model version ${JSON.stringify(version)} is not a valid name`);
  }

  if (!existsSync(versionDir)) {
    throw fail(
      'artifact_missing',
      versionDir,
      `model version ${version} not found: ${versionDir} does not exist`,
      {
        availableVersions: listVersions(modelDir),
      },
    );
  }
  const metadataBytes = readArtifact(metadataPath, version);
  const metadata = parseJson(metadataBytes, ModelMetadataSchema, metadataPath, version);
  const modelBytes = readArtifact(modelPath, version);

  const actual = sha256Hex(modelBytes);
  if (actual !== metadata.sha256) {
    throw fail(
      'sha256_mismatch',
      modelPath,
      `model.json does not match the sha256 recorded in metadata.json`,
      {
        expectedSha256: metadata.sha256,
        actualSha256: actual,
      },
    );
  }

  const artifact = parseJson(modelBytes, ModelArtifactSchema, modelPath, version);
  if (artifact.version !== version || metadata.version !== version) {
    throw fail('version_mismatch', modelPath, `artifact under ${version}/ claims to be ${artifact.version}`, {
      artifactVersion: artifact.version,
      metadataVersion: metadata.version,
    });
  }
  const names = artifact.features.map((f) => f.name);
  if (
    names.join(',') !== FEATURE_NAMES.join(',') ||
    metadata.features.join(',') !== FEATURE_NAMES.join(',')
  ) {
    throw fail('feature_mismatch', modelPath, 'model features differ from the features this scorer accepts', {
      modelFeatures: names,
      expectedFeatures: FEATURE_NAMES,
    });
  }

  try {
    return { model: new LogisticModel(artifact, actual), metadata, modelPath };
  } catch (err) {
    throw fail('invalid_artifact', modelPath, (err as Error).message);
  }
}

function listVersions(modelDir: string): string[] {
  try {
    return readdirSync(modelDir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

function readArtifact(path: string, version: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new ModelLoadError('artifact_missing', path, version, `model artifact ${path} does not exist`);
    }
    throw new ModelLoadError(
      'artifact_unreadable',
      path,
      version,
      `cannot read ${path}: ${code ?? String(err)}`,
    );
  }
}

function parseJson<T>(bytes: Buffer, schema: z.ZodType<T>, path: string, version: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new ModelLoadError(
      'invalid_artifact',
      path,
      version,
      `${path} is not JSON: ${(err as Error).message}`,
    );
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ModelLoadError('invalid_artifact', path, version, `${path} is malformed: ${issues.join('; ')}`);
  }
  return parsed.data;
}
