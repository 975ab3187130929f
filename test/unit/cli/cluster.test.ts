/** `chaos cluster up` outside a checkout says so, before the testbed script runs. Never runs the script. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { clusterCommand, missingForUp } from '../../../src/commands/cluster.js';
import { EnvironmentError, ExitCode } from '../../../src/errors.js';
import { recordingOutput } from './output.js';

const ROOT = path.resolve(fileURLToPath(new URL('../../../', import.meta.url)));
const installed = mkdtempSync(path.join(tmpdir(), 'chaos-installed-'));
afterAll(() => rmSync(installed, { recursive: true, force: true }));

describe('chaos cluster up', () => {
  it('a checkout has everything up builds from', () => {
    expect(missingForUp(ROOT)).toEqual([]);
  });

  it('an installed package is refused with what is missing and what to do, before any script runs', async () => {
    const out = recordingOutput();
    const error = await clusterCommand('up', out, installed).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as EnvironmentError).exitCode).toBe(ExitCode.Environment);
    expect((error as EnvironmentError).message).toContain(
      `builds the testbed and its sample stack from a checkout of the chaos repository; ${installed} is not one (no kind-config.yaml, deploy/kustomization.yaml`,
    );
    expect((error as EnvironmentError).hint).toContain('clone the repository');
    expect(out.err).toEqual([]);
  });
});
