/** createCli: argument parsing and usage errors, without spawning a process (see test/integration/cli). */
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { createCli, exitCodeFor } from '../../../src/cli.js';
import { EnvironmentError, ExitCode } from '../../../src/errors.js';
import { recordingOutput } from './output.js';

async function parse(args: string[]): Promise<{ error: unknown; out: ReturnType<typeof recordingOutput> }> {
  const out = recordingOutput();
  const program = createCli(out, () => undefined);
  // Stop before any command runs: only parsing is under test here.
  for (const command of program.commands) command.action(() => undefined);
  const error = await program.parseAsync(['node', 'chaos', ...args]).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, out };
}

describe('createCli', () => {
  it.each([
    ['0', '--time-scale must be a positive number, e.g. 0.1'],
    ['-0.5', '--time-scale must be a positive number, e.g. 0.1'],
    ['abc', '--time-scale must be a positive number, e.g. 0.1'],
    ['', '--time-scale must be a positive number, e.g. 0.1'],
    ['NaN', '--time-scale must be a positive number, e.g. 0.1'],
  ])('--time-scale %j is refused', async (value, message) => {
    for (const command of ['run', 'plan']) {
      const { error, out } = await parse([command, '--time-scale', value, 'x.yaml']);
      expect(error).toBeInstanceOf(CommanderError);
      expect((error as CommanderError).code).toBe('commander.invalidArgument');
      expect(out.err.join('\n')).toContain(message);
    }
  });

  it.each(['0.1', '1', '2.5', '1e-3'])('--time-scale %s is accepted', async (value) => {
    const { error } = await parse(['run', '--time-scale', value, 'x.yaml']);
    expect(error).toBeUndefined();
  });

  it.each(['x', '-1', '1.5', '', '99999999999999999999'])('--seed %j is refused', async (value) => {
    const { error, out } = await parse(['run', '--seed', value, 'x.yaml']);
    expect((error as CommanderError).code).toBe('commander.invalidArgument');
    expect(out.err.join('\n')).toContain('--seed must be a non-negative integer');
  });

  it('unknown commands and options are usage errors', async () => {
    expect(((await parse(['bogus'])).error as CommanderError).code).toBe('commander.unknownCommand');
    expect(((await parse(['validate', '--nope', 'a.yaml'])).error as CommanderError).code).toBe(
      'commander.unknownOption',
    );
    expect(((await parse(['validate'])).error as CommanderError).code).toBe('commander.missingArgument');
  });

  it('--help documents the exit codes', async () => {
    const { error, out } = await parse(['--help']);
    expect((error as CommanderError).code).toBe('commander.helpDisplayed');
    for (const code of ['0', '1', '2', '3', '4', '130', '70'])
      expect(out.out).toMatch(new RegExp(`^ {2}${code} +\\S`, 'm'));
    expect(out.out).toMatch(/^ {2}70 +internal error/m);
  });

  it('an error that is not a ChaosError is a bug: exit 70 (ExitCode.Internal), with its stack', () => {
    expect(ExitCode.Internal).toBe(70);
    const out = recordingOutput();
    const bug = new TypeError('x is undefined');
    expect(exitCodeFor(bug, out)).toBe(70);
    expect(out.err[0]).toBe('chaos: internal error (a bug in chaos, please report it):');
    expect(out.err[1]).toBe(bug.stack);
    expect(exitCodeFor('thrown string', recordingOutput())).toBe(70);
  });

  it('a ChaosError keeps its own code and prints no stack', () => {
    const out = recordingOutput();
    expect(exitCodeFor(new EnvironmentError('no k6', 'install it'), out)).toBe(ExitCode.Environment);
    expect(out.err).toEqual(['chaos: no k6', 'hint: install it']);
  });
});
