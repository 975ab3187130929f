import { z } from 'zod';
import { envBoolean, envInt, parseEnv } from '../../shared/src/env.js';

const EnvSchema = z.object({
  PORT: envInt(0, 65_535).default(8080),
  HOST: z.string().default('0.0.0.0'),
  MODEL_DIR: z.string().default('/models/fraud'),
  MODEL_VERSION: z.string().default('v1'),
  FEATURE_STORE_URL: z.url({ protocol: /^https?$/ }).optional(),
  FEATURE_STORE_TIMEOUT_MS: envInt(1).default(100),
  BREAKER_ENABLED: envBoolean.default(true),
  BREAKER_RESET_MS: envInt(1).default(5_000),
  BREAKER_ERROR_PERCENT: envInt(1, 100).default(50),
  BREAKER_VOLUME_THRESHOLD: envInt(1).default(10),
  FEATURE_CACHE_SIZE: envInt(0).default(10_000),
  FEATURE_CACHE_TTL_MS: envInt(1).default(10 * 60_000),
  MAX_BATCH: envInt(1).default(256),
  BATCH_GUARD: envBoolean.default(true),
  MAX_BODY_BYTES: envInt(1).default(2 * 1024 * 1024),
  WARMUP_PREDICTIONS: envInt(0).default(200),
  SHUTDOWN_DRAIN_MS: envInt(0).default(5_000),
  SHUTDOWN_TIMEOUT_MS: envInt(0).default(15_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
});

export interface ScorerConfig {
  readonly port: number;
  readonly host: string;
  readonly modelDir: string;
  readonly modelVersion: string;
  /** Unset disables enrichment entirely (local runs without a feature store). */
  readonly featureStoreUrl: string | undefined;
  readonly featureStoreTimeoutMs: number;
  /** false is the deliberately broken mode: no breaker, no fallback, a 5 s timeout. */
  readonly breakerEnabled: boolean;
  readonly breakerResetMs: number;
  readonly breakerErrorPercent: number;
  readonly breakerVolumeThreshold: number;
  /**
   * Entities whose last successful lookup is kept for failed ones. 0 is the deliberately broken mode: a
   * failed lookup scores on request-only features, so answers change while latency and errors stay green.
   */
  readonly featureCacheSize: number;
  /** Longer than any fault window the scenarios inject (≤ 2 min), so an outage that short never changes an answer. */
  readonly featureCacheTtlMs: number;
  readonly maxBatch: number;
  /** false is the deliberately broken mode: no 413, any batch and any body size is accepted. */
  readonly batchGuard: boolean;
  readonly maxBodyBytes: number;
  readonly warmupPredictions: number;
  readonly shutdownDrainMs: number;
  readonly shutdownTimeoutMs: number;
  readonly logLevel: string;
  /** OTLP/HTTP collector base URL; unset turns tracing off (nothing recorded, nothing sent). */
  readonly otlpEndpoint: string | undefined;
}

/** Timeout used when the breaker is disabled: long enough that a slow dependency stalls every request. */
export const UNGUARDED_FEATURE_STORE_TIMEOUT_MS = 5_000;

export function configFromEnv(env: NodeJS.ProcessEnv): ScorerConfig {
  const e = parseEnv(EnvSchema, env);
  return {
    port: e.PORT,
    host: e.HOST,
    modelDir: e.MODEL_DIR,
    modelVersion: e.MODEL_VERSION,
    featureStoreUrl: e.FEATURE_STORE_URL?.replace(/\/+$/, ''),
    featureStoreTimeoutMs: e.FEATURE_STORE_TIMEOUT_MS,
    breakerEnabled: e.BREAKER_ENABLED,
    breakerResetMs: e.BREAKER_RESET_MS,
    breakerErrorPercent: e.BREAKER_ERROR_PERCENT,
    breakerVolumeThreshold: e.BREAKER_VOLUME_THRESHOLD,
    featureCacheSize: e.FEATURE_CACHE_SIZE,
    featureCacheTtlMs: e.FEATURE_CACHE_TTL_MS,
    maxBatch: e.MAX_BATCH,
    batchGuard: e.BATCH_GUARD,
    maxBodyBytes: e.MAX_BODY_BYTES,
    warmupPredictions: e.WARMUP_PREDICTIONS,
    shutdownDrainMs: e.SHUTDOWN_DRAIN_MS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    logLevel: e.LOG_LEVEL,
    otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT,
  };
}
