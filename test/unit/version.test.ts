/** One version, in package.json: the CLI, the harness image and the scripts that build images all follow it. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createCli } from '../../src/cli.js';
import { chaosVersion, harnessImage } from '../../src/version.js';
import { recordingOutput } from './cli/output.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const pkgVersion = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;

function script(file: string, arg: string): string {
  const run = spawnSync('bash', [path.join(ROOT, file), arg], { encoding: 'utf8' });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return run.stdout;
}

describe('version', () => {
  it("is package.json's", () => {
    expect(pkgVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(chaosVersion()).toBe(pkgVersion);
    expect(harnessImage()).toBe(`chaos.local/chaos:${pkgVersion}`);
  });

  it('--version and the schedule --image default follow it', () => {
    const program = createCli(recordingOutput(), () => undefined);
    expect(program.version()).toBe(pkgVersion);
    const image = program.commands
      .find((c) => c.name() === 'schedule')!
      .options.find((o) => o.long === '--image')!;
    expect(image.description).toContain(`chaos.local/chaos:${pkgVersion}`);
  });

  it('the harness image script tags the image with the same version', () => {
    expect(script('deploy/build-harness-image.sh', '--tag')).toBe(`${harnessImage()}\n`);
  });

  it('the sample stack images are built under the tags its manifests name', () => {
    const named = ['fraud-scorer', 'feature-store'].map((svc) => {
      const manifest = readFileSync(path.join(ROOT, 'deploy', 'base', svc, 'deployment.yaml'), 'utf8');
      return /^\s*image: (chaos\.local\/\S+)$/m.exec(manifest)![1];
    });
    expect(script('deploy/build-images.sh', '--list')).toBe(`${named.join('\n')}\n`);
  });

  it('no other file under src/, deploy/, scripts/ or testbed/ writes the version out', () => {
    const grep = spawnSync(
      'grep',
      ['-rlF', `chaos:${pkgVersion}`, 'src', 'deploy', 'scripts', 'testbed', 'bin'],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(grep.stdout).toBe('');
    expect(readFileSync(path.join(ROOT, 'src', 'cli.ts'), 'utf8')).not.toContain(`'${pkgVersion}'`);
  });
});
