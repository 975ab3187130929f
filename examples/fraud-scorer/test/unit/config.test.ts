import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../shared/src/env.js';
import { configFromEnv } from '../../src/config.js';

describe('configFromEnv', () => {
  it('has the documented defaults', () => {
    expect(configFromEnv({})).toMatchObject({
      port: 8080,
      modelDir: '/models/fraud',
      modelVersion: 'v1',
      featureStoreUrl: undefined,
      featureStoreTimeoutMs: 100,
      breakerEnabled: true,
      featureCacheSize: 10_000,
      featureCacheTtlMs: 600_000,
      maxBatch: 256,
      batchGuard: true,
      maxBodyBytes: 2 * 1024 * 1024,
    });
  });

  it('reads the broken-mode switches and treats empty values as unset', () => {
    const config = configFromEnv({
      BREAKER_ENABLED: 'false',
      BATCH_GUARD: '0',
      MODEL_VERSION: 'v2',
      FEATURE_STORE_URL: 'http://feature-store/',
      MAX_BATCH: '',
      FEATURE_CACHE_SIZE: '0',
      FEATURE_CACHE_TTL_MS: '120000',
    });
    expect(config.featureCacheSize).toBe(0);
    expect(config.featureCacheTtlMs).toBe(120_000);
    expect(config.breakerEnabled).toBe(false);
    expect(config.batchGuard).toBe(false);
    expect(config.modelVersion).toBe('v2');
    expect(config.featureStoreUrl).toBe('http://feature-store');
    expect(config.maxBatch).toBe(256);
  });

  it('rejects values it cannot interpret instead of guessing', () => {
    expect(() => configFromEnv({ BREAKER_ENABLED: 'maybe' })).toThrow(ConfigError);
    expect(() => configFromEnv({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => configFromEnv({ FEATURE_CACHE_SIZE: '-1' })).toThrow(/FEATURE_CACHE_SIZE/);
    expect(() => configFromEnv({ FEATURE_CACHE_TTL_MS: '0' })).toThrow(/FEATURE_CACHE_TTL_MS/);
    expect(() => configFromEnv({ FEATURE_STORE_URL: 'feature-store:80' })).toThrow(/FEATURE_STORE_URL/);
  });
});
