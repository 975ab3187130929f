import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger };

/**
 * One JSON object per line on stdout, level as a word ("error", not 50) so `kubectl logs` is readable
 * without a pretty-printer. pino's default destination writes synchronously, so a line logged right
 * before process.exit() is not lost.
 */
export function createLogger(service: string, level = 'info', destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
