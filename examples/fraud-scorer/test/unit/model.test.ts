import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FEATURE_NAMES } from '../../src/features.js';
import { ModelLoadError, loadModel, sha256Hex } from '../../src/model.js';
import { HIGH_RISK_ROW, LOW_RISK_ROW, MODELS_DIR, TRAINED_VERSIONS } from '../helpers.js';

const tempDirs: string[] = [];
afterEach(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A writable copy of the committed artifacts, for tampering with. */
function copyOfModels(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fraud-models-'));
  tempDirs.push(dir);
  cpSync(MODELS_DIR, dir, { recursive: true });
  return dir;
}

function loadError(dir: string, version: string): ModelLoadError {
  try {
    loadModel(dir, version);
  } catch (err) {
    if (err instanceof ModelLoadError) return err;
    throw err;
  }
  throw new Error(`loading ${version} from ${dir} unexpectedly succeeded`);
}

describe('loadModel', () => {
  it('loads every trained version with the sha256 its metadata records', () => {
    expect(TRAINED_VERSIONS).toEqual(['v1', 'v1r', 'v2']);
    for (const version of TRAINED_VERSIONS) {
      const { model, metadata, modelPath } = loadModel(MODELS_DIR, version);
      expect(model.version).toBe(version);
      expect(model.sha256).toBe(sha256Hex(readFileSync(modelPath)));
      expect(metadata.sha256).toBe(model.sha256);
      expect(model.featureNames).toEqual(FEATURE_NAMES);
    }
    expect(loadModel(MODELS_DIR, 'v1').model.sha256).not.toBe(loadModel(MODELS_DIR, 'v2').model.sha256);
  });

  it('reports a missing version with its path and the versions that do exist', () => {
    const err = loadError(MODELS_DIR, 'v9');
    expect(err.reason).toBe('artifact_missing');
    expect(err.modelVersion).toBe('v9');
    expect(err.path).toBe(join(MODELS_DIR, 'v9'));
    expect(err.details.availableVersions).toEqual(TRAINED_VERSIONS);
  });

  it('reports a missing model.json next to a present metadata.json', () => {
    const dir = copyOfModels();
    rmSync(join(dir, 'v1', 'model.json'));
    const err = loadError(dir, 'v1');
    expect(err.reason).toBe('artifact_missing');
    expect(err.path).toBe(join(dir, 'v1', 'model.json'));
  });

  it('refuses a model.json whose bytes differ from the recorded sha256, even by one weight digit', () => {
    const dir = copyOfModels();
    const path = join(dir, 'v1', 'model.json');
    const original = readFileSync(path, 'utf8');
    const tampered = original.replace(/"bias": -?\d/, (m) => `${m}1`);
    expect(tampered).not.toBe(original);
    writeFileSync(path, tampered);
    const err = loadError(dir, 'v1');
    expect(err.reason).toBe('sha256_mismatch');
    expect(err.path).toBe(path);
    expect(err.details.actualSha256).toBe(sha256Hex(tampered));
    expect(err.details.expectedSha256).toBe(sha256Hex(original));
  });

  it('serves v1r, v1 rebuilt from the same data and seed, with identical answers under another identity', () => {
    const v1 = loadModel(MODELS_DIR, 'v1').model;
    const v1r = loadModel(MODELS_DIR, 'v1r').model;
    const v2 = loadModel(MODELS_DIR, 'v2').model;
    expect(v1r.sha256).not.toBe(v1.sha256);
    for (const row of [LOW_RISK_ROW, HIGH_RISK_ROW]) {
      expect(v1r.predict(row)).toEqual(v1.predict(row));
      expect(v2.predict(row).fraudProbability).not.toBe(v1.predict(row).fraudProbability);
    }
  });

  it('refuses an artifact filed under the wrong version directory', () => {
    const dir = copyOfModels();
    cpSync(join(dir, 'v2'), join(dir, 'v3'), { recursive: true });
    expect(loadError(dir, 'v3').reason).toBe('version_mismatch');
  });

  it('refuses version names that could escape the model directory', () => {
    expect(loadError(MODELS_DIR, '../fraud/v1').reason).toBe('invalid_version');
  });
});

describe('LogisticModel.predict', () => {
  const { model } = loadModel(MODELS_DIR, 'v1');

  it('ranks an obviously risky transaction far above an ordinary one', () => {
    const low = model.predict(LOW_RISK_ROW);
    const high = model.predict(HIGH_RISK_ROW);
    expect(low.label).toBe('legit');
    expect(high.label).toBe('fraud');
    expect(low.fraudProbability).toBeLessThan(0.05);
    expect(high.fraudProbability).toBeGreaterThan(0.9);
  });

  it('explains each score with Shapley values that add up to its distance from the baseline', () => {
    for (const row of [LOW_RISK_ROW, HIGH_RISK_ROW, [500, 23, 0.5, 100, 8, 60, 1, 0]]) {
      const p = model.predict(row);
      const contributions = model.lastContributions();
      const total = contributions.reduce((a, b) => a + b, 0);
      // Efficiency property: contributions sum to f(x) - f(baseline); probability is rounded to 1e-6.
      expect(total).toBeCloseTo(p.fraudProbability - model.baselineProbability(), 5);
      const magnitudes = p.topFactors.map((f) => Math.abs(f.contribution));
      expect(magnitudes).toEqual([...magnitudes].sort((a, b) => b - a));
      expect(magnitudes[0]).toBeCloseTo(Math.max(...contributions.map(Math.abs)), 5);
    }
  });

  it('attributes a high-risk score to the features that make it risky', () => {
    const factors = model.predict(HIGH_RISK_ROW).topFactors;
    expect(factors).toHaveLength(3);
    for (const f of factors) expect(f.contribution).toBeGreaterThan(0);
  });

  it('raises the score when only merchant_risk rises, which is what enrichment relies on', () => {
    const base = [...LOW_RISK_ROW];
    const risky = [...LOW_RISK_ROW];
    risky[FEATURE_NAMES.indexOf('merchant_risk')] = 0.95;
    expect(model.predict(risky).fraudProbability).toBeGreaterThan(model.predict(base).fraudProbability);
  });
});
