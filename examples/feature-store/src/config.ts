import { z } from 'zod';
import { envInt, parseEnv } from '../../shared/src/env.js';

const EnvSchema = z.object({
  PORT: envInt(0, 65_535).default(8080),
  HOST: z.string().default('0.0.0.0'),
  SHUTDOWN_DRAIN_MS: envInt(0).default(5_000),
  SHUTDOWN_TIMEOUT_MS: envInt(0).default(15_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
});

export interface FeatureStoreConfig {
  readonly port: number;
  readonly host: string;
  readonly shutdownDrainMs: number;
  readonly shutdownTimeoutMs: number;
  readonly logLevel: string;
  /** OTLP/HTTP collector base URL; unset turns tracing off (nothing recorded, nothing sent). */
  readonly otlpEndpoint: string | undefined;
}

export function configFromEnv(env: NodeJS.ProcessEnv): FeatureStoreConfig {
  const e = parseEnv(EnvSchema, env);
  return {
    port: e.PORT,
    host: e.HOST,
    shutdownDrainMs: e.SHUTDOWN_DRAIN_MS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    logLevel: e.LOG_LEVEL,
    otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT,
  };
}
