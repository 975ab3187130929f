import { ConfigError } from './env.js';
import type { Logger } from './logger.js';

export interface Stoppable {
  shutdown(): Promise<void>;
  close(): Promise<void>;
}

/**
 * First SIGTERM/SIGINT drains and exits 0 (a clean stop is what the kubelet asked for); a second one
 * stops at once with exit 1, for humans pressing Ctrl-C twice.
 */
export function exitOnSignals(service: Stoppable, logger: Logger): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ event: 'signal_repeated', signal }, 'second signal: stopping without drain');
      void service.close().finally(() => process.exit(1));
      return;
    }
    stopping = true;
    logger.info({ event: 'signal', signal }, 'shutting down');
    service.shutdown().then(
      () => {
        logger.info({ event: 'stopped' }, 'stopped cleanly');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ event: 'shutdown_failed', err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

export function exitOnCrash(logger: Logger): void {
  process.on('uncaughtException', (err) => {
    logger.fatal({ event: 'uncaught_exception', err }, err.message);
    process.exit(1);
  });
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ event: 'unhandled_rejection', err: reason }, 'unhandled promise rejection');
    process.exit(1);
  });
}

export function logConfigError(logger: Logger, err: unknown): boolean {
  if (!(err instanceof ConfigError)) return false;
  logger.error({ event: 'invalid_config', issues: err.issues }, err.message);
  return true;
}
