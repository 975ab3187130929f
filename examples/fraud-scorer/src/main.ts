/**
 * Container entry point (what esbuild bundles into dist/server.js). Startup failures end as exactly one
 * error line and exit code 1, so Kubernetes shows CrashLoopBackOff and `kubectl logs --previous` says why.
 */
import { createLogger } from '../../shared/src/logger.js';
import { exitOnCrash, exitOnSignals, logConfigError } from '../../shared/src/main-helpers.js';
import { type ScorerConfig, configFromEnv } from './config.js';
import { ModelLoadError } from './model.js';
import { startServer } from './server.js';

const SERVICE = 'fraud-scorer';

async function main(): Promise<void> {
  let config: ScorerConfig;
  try {
    config = configFromEnv(process.env);
  } catch (err) {
    if (!logConfigError(createLogger(SERVICE), err)) throw err;
    process.exit(1);
  }

  const logger = createLogger(SERVICE, config.logLevel);
  exitOnCrash(logger);
  try {
    const scorer = await startServer(config, { logger });
    exitOnSignals(scorer, logger);
  } catch (err) {
    if (!(err instanceof ModelLoadError)) throw err;
    logger.error(
      {
        event: 'model_load_failed',
        reason: err.reason,
        path: err.path,
        modelVersion: err.modelVersion,
        ...err.details,
      },
      `cannot serve model ${err.modelVersion}: ${err.message}`,
    );
    process.exit(1);
  }
}

void main();
