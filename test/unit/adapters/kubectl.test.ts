/**
 * The kubectl process adapter, against a stand-in kubectl (a small script): found where it says it looks,
 * given an argument list with no shell in between, its preferences file off, stopped at its timeout.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findKubectl, runKubectl } from '../../../src/adapters/kubectl.js';
import { EnvironmentError } from '../../../src/errors.js';
import { tempDir } from '../../fakes/scenario.js';

const tmp = tempDir('chaos-kubectl-bin-');
afterAll(() => tmp.cleanup());

function script(name: string, body: string): string {
  const dir = path.join(tmp.dir, name);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'kubectl');
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

describe('findKubectl', () => {
  it('takes KUBECTL_BIN, then PATH, then the testbed cache', () => {
    const explicit = script('explicit', 'exit 0');
    const onPath = script('path', 'exit 0');
    const cached = script(path.join('cache', 'abc', 'bin'), 'exit 0');
    const cache = path.join(tmp.dir, 'cache');
    expect(findKubectl({ KUBECTL_BIN: explicit, PATH: path.dirname(onPath) })).toBe(explicit);
    expect(findKubectl({ PATH: `/nope:${path.dirname(onPath)}`, CHAOS_TESTBED_CACHE: cache })).toBe(onPath);
    expect(findKubectl({ PATH: '/nope', CHAOS_TESTBED_CACHE: cache })).toBe(cached);
  });

  it('names everything it looked for when there is none (exit 3)', () => {
    const cache = path.join(tmp.dir, 'empty-cache');
    let error: unknown;
    try {
      findKubectl({ PATH: '/nope', CHAOS_TESTBED_CACHE: cache });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as EnvironmentError).exitCode).toBe(3);
    expect((error as Error).message).toBe(
      `kubectl was not found (looked for $KUBECTL_BIN, kubectl on PATH, ${cache}/*/bin/kubectl); the scenario has kubectl faults`,
    );
    expect(() => findKubectl({ KUBECTL_BIN: '/no/such/kubectl' })).toThrow(
      'KUBECTL_BIN=/no/such/kubectl is not an executable file',
    );
  });
});

describe('runKubectl', () => {
  it('passes each argument as it is (no shell), with KUBERC=off', async () => {
    const bin = script('echo', 'for a in "$@"; do printf "<%s>" "$a"; done; echo " kuberc=$KUBERC"');
    const r = await runKubectl(bin, ['get', 'pods', '-o', 'jsonpath={.items[*]} $(id) ; rm -rf /'], {
      timeoutMs: 10_000,
    });
    expect(r).toMatchObject({ exitCode: 0, failure: null, timedOut: false });
    expect(r.stdout).toBe('<get><pods><-o><jsonpath={.items[*]} $(id) ; rm -rf /> kuberc=off');
  });

  it('reports a non-zero exit with its output, stderr included', async () => {
    const bin = script('fail', 'echo "Error from server (NotFound): nope" >&2; exit 1');
    const r = await runKubectl(bin, ['get', 'x'], { timeoutMs: 10_000 });
    expect(r).toMatchObject({ exitCode: 1, failure: 'exit 1', output: 'Error from server (NotFound): nope' });
  });

  it('stops a command at its timeout', async () => {
    const bin = script('slow', 'exec sleep 30');
    const started = Date.now();
    const r = await runKubectl(bin, ['wait'], { timeoutMs: 300 });
    expect(r).toMatchObject({ timedOut: true, failure: 'timed out after 0.3s' });
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
