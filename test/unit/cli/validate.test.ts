import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateCommand } from '../../../src/commands/validate.js';
import { ExitCode, InvalidInputError } from '../../../src/errors.js';
import { VALID, VALID_FILE } from '../scenario/helpers.js';
import { recordingOutput } from './output.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'chaos-validate-unit-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('validateCommand', () => {
  it('confirms valid files on stderr and prints nothing on stdout', async () => {
    const out = recordingOutput();
    await validateCommand([VALID_FILE, VALID_FILE], out);
    expect(out.err).toEqual([`${VALID_FILE}: ok (demo)`, `${VALID_FILE}: ok (demo)`]);
    expect(out.out).toBe('');
  });

  it('collects every problem of every file into one InvalidInputError (exit 2)', async () => {
    const a = path.join(dir, 'a.yaml');
    const b = path.join(dir, 'b.yaml');
    writeFileSync(a, VALID.replace('  rate: 40', '  rat: 40').replace('max: 2%', 'max: 2'));
    writeFileSync(b, '- not a mapping\n');
    const out = recordingOutput();
    const error = await validateCommand([a, VALID_FILE, b], out).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).exitCode).toBe(ExitCode.InvalidInput);
    expect((error as InvalidInputError).lines).toEqual([
      `${a}:15:3: load.rat: unknown key "rat"; did you mean "rate"?`,
      `${a}:26:10: slos[0].max: expected a percentage like 1% or 0.5%, got 2; write it with a percent sign, e.g. "2%"`,
      `${b}:1:1: (root): expected a mapping (apiVersion, kind, metadata, ...), got a list`,
    ]);
    expect(out.err).toEqual([`${VALID_FILE}: ok (demo)`]);
  });

  it('refuses a scaling SLO without a Deployment or above the peak rate: exit 2, file:line:col', async () => {
    const scaling = (fromRate: number) =>
      VALID.replace(
        '    within: 60s\n',
        `    within: 60s\n  - type: latency\n    max: 250ms\n  - type: scaling\n    fromRate: ${fromRate}\n`,
      );
    const high = path.join(dir, 'high.yaml');
    const bare = path.join(dir, 'bare.yaml');
    writeFileSync(high, scaling(80));
    writeFileSync(bare, scaling(40).replace('  deployment: fraud-scorer\n', ''));
    const error = await validateCommand([high, bare], recordingOutput()).catch((e: unknown) => e);
    expect((error as InvalidInputError).exitCode).toBe(ExitCode.InvalidInput);
    expect((error as InvalidInputError).lines).toEqual([
      `${high}:32:15: slos[3].fromRate: the load peaks at 40 requests/s: it never reaches 80`,
      `${bare}:6:1: target.deployment: required by the recovery SLO`,
      `${bare}:6:1: target.deployment: required by the scaling SLO (the Deployment the HorizontalPodAutoscaler scales)`,
    ]);
  });
});

describe('validateCommand on files that are not small regular files', () => {
  // Each is refused before a byte is read: a FIFO would block the read, /dev/zero and /dev/urandom never end,
  // a sparse 300 MB file would be read whole.
  it.each(['fifo', '/dev/zero', '/dev/urandom', 'sparse'])('%s: refused at once, exit 2', async (name) => {
    let file = name;
    if (name === 'fifo') {
      file = path.join(dir, 'pipe.yaml');
      execFileSync('mkfifo', [file]);
    } else if (name === 'sparse') {
      file = path.join(dir, 'sparse.yaml');
      writeFileSync(file, '');
      truncateSync(file, 300 * 1024 * 1024);
    }
    const error = await validateCommand([file], recordingOutput()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).lines).toEqual([
      name === 'sparse'
        ? `${file}:1:1: (file): file is 314572800 bytes; scenarios are limited to 1 MiB (1048576 bytes)`
        : `${file}:1:1: (file): is not a regular file`,
    ]);
  });
});

describe('validateCommand on a file name holding control characters', () => {
  it('prints the name escaped, on one line, in problems and in the ok line', async () => {
    const file = path.join(dir, 'evil\u001b[31mred\nname.yaml');
    const shown = path.join(dir, 'evil\\u001b[31mred\\nname.yaml');
    writeFileSync(file, 'x: [');
    const error = await validateCommand([file], recordingOutput()).catch((e: unknown) => e);
    expect((error as InvalidInputError).lines).toEqual([
      `${shown}:1:4: (yaml): this [ is never closed: add the closing ] (or indent the lines inside it more than its key)`,
    ]);
    writeFileSync(file, VALID);
    const out = recordingOutput();
    await validateCommand([file], out);
    expect(out.err).toEqual([`${shown}: ok (demo)`]);
  });
});
