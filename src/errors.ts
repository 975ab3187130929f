/**
 * Exit codes are a public contract: CI gates branch on them. Commands throw ChaosError; only cli.ts exits.
 */
export const ExitCode = {
  Pass: 0,
  Fail: 1,
  InvalidInput: 2,
  Environment: 3,
  Inconclusive: 4,
  Interrupted: 130,
  /** A bug in chaos: anything that escapes as something other than a ChaosError (EX_SOFTWARE). */
  Internal: 70,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class ChaosError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ChaosError';
  }
}

/** A user mistake in a file or on the command line: printed as lines, never with a stack. */
export class InvalidInputError extends ChaosError {
  constructor(readonly lines: readonly string[]) {
    super(ExitCode.InvalidInput, lines.join('\n'));
    this.name = 'InvalidInputError';
  }
}

/** The world is not as needed: no cluster, no k6, a permission denied, an unrecovered run. */
export class EnvironmentError extends ChaosError {
  constructor(message: string, hint?: string, options?: { cause?: unknown }) {
    super(ExitCode.Environment, message, hint, options);
    this.name = 'EnvironmentError';
  }
}
