import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODELS_DIR as TRAIN_OUTPUT_DIR, RECIPES, train } from '../../../../scripts/train-model.js';
import { sha256Hex } from '../../src/model.js';
import { TRUE_WEIGHTS } from '../../src/synthetic.js';
import { MODELS_DIR } from '../helpers.js';

describe('scripts/train-model.ts', () => {
  it('writes where the scorer tests read from', () => {
    expect(TRAIN_OUTPUT_DIR).toBe(MODELS_DIR);
  });

  for (const recipe of RECIPES) {
    it(`reproduces the committed ${recipe.version} artifacts byte for byte`, () => {
      const trained = train(recipe);
      const dir = join(MODELS_DIR, recipe.version);
      expect(trained.modelJson).toBe(readFileSync(join(dir, 'model.json'), 'utf8'));
      expect(trained.metadataJson).toBe(readFileSync(join(dir, 'metadata.json'), 'utf8'));
      const metadata = JSON.parse(trained.metadataJson) as { sha256: string; classLabels: string[] };
      expect(metadata.sha256).toBe(sha256Hex(trained.modelJson));
      expect(metadata.classLabels).toEqual(['legit', 'fraud']);
    });
  }

  it('rebuilds v1 as v1r byte for byte but for the version, while v2 learns other weights', () => {
    const read = (version: string): string => readFileSync(join(MODELS_DIR, version, 'model.json'), 'utf8');
    const v1 = JSON.parse(read('v1')) as { version: string; weights: number[] };
    const v1r = JSON.parse(read('v1r')) as { version: string; weights: number[] };
    const v2 = JSON.parse(read('v2')) as { weights: number[] };
    expect(v1r.version).toBe('v1r');
    expect(read('v1r')).toBe(read('v1').replace('"version": "v1"', '"version": "v1r"'));
    expect(v1r.weights).toEqual(v1.weights);
    expect(v2.weights).not.toEqual(v1.weights);
  });

  it('learns the planted relation: right signs, useful ranking', () => {
    const trained = train(RECIPES[0]!);
    expect(trained.artifact.weights.map(Math.sign)).toEqual(TRUE_WEIGHTS.map(Math.sign));
    expect(trained.trainingAuc).toBeGreaterThan(0.8);
    expect(trained.trainingAccuracy).toBeGreaterThan(0.86); // the always-"legit" baseline is ~0.86
  });
});
