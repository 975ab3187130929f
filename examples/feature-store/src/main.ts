/** Container entry point (what esbuild bundles into dist/server.js). */
import { createLogger } from '../../shared/src/logger.js';
import { exitOnCrash, exitOnSignals, logConfigError } from '../../shared/src/main-helpers.js';
import { type FeatureStoreConfig, configFromEnv } from './config.js';
import { startServer } from './server.js';

const SERVICE = 'feature-store';

async function main(): Promise<void> {
  let config: FeatureStoreConfig;
  try {
    config = configFromEnv(process.env);
  } catch (err) {
    if (!logConfigError(createLogger(SERVICE), err)) throw err;
    process.exit(1);
  }
  const logger = createLogger(SERVICE, config.logLevel);
  exitOnCrash(logger);
  exitOnSignals(await startServer(config, { logger }), logger);
}

void main();
