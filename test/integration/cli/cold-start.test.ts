/**
 * `chaos validate` runs in editors' save hooks and pre-commit: it must not pay for the Kubernetes client.
 * A module-resolution hook records every module the CLI loads; the timing is printed, not asserted.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chaos, ensureBuilt } from './helpers.js';

let dir: string;
let register: string;
beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'chaos-cold-'));
  writeFileSync(
    path.join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (process.env.CHAOS_MODULE_LOG) appendFileSync(process.env.CHAOS_MODULE_LOG, result.url + '\\n');
  return result;
}
`,
  );
  register = path.join(dir, 'register.mjs');
  writeFileSync(
    register,
    `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`,
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function loadedModules(args: string[], name: string): { modules: string[]; ms: number; code: number | null } {
  const log = path.join(dir, `${name}.log`);
  writeFileSync(log, '');
  // The kubeconfig points nowhere: a run that gets as far as the cluster stops there (exit 3).
  const run = chaos(args, {
    nodeArgs: ['--import', register],
    env: { CHAOS_MODULE_LOG: log, KUBECONFIG: path.join(dir, 'no-kubeconfig') },
  });
  return { modules: readFileSync(log, 'utf8').split('\n').filter(Boolean), ms: run.ms, code: run.code };
}

describe('validate cold start', () => {
  it('does not load the Kubernetes client, k6, reports or the run machinery', () => {
    const { modules, code, ms } = loadedModules(['validate', 'scenarios/pod-kill.yaml'], 'validate');
    expect(code).toBe(0);
    // The hook works: the loader and its parsers are there.
    expect(modules.some((m) => m.endsWith('/dist/scenario/parse.js'))).toBe(true);
    expect(modules.some((m) => m.includes('/node_modules/yaml/'))).toBe(true);
    const heavy = modules.filter((m) =>
      /@kubernetes\/client-node|\/dist\/(adapters\/kube|commands\/run|run\/|load\/|report\/|faults\/)/.test(
        m,
      ),
    );
    expect(heavy).toEqual([]);

    // An invalid file given to a command that talks to a cluster is refused before the client is loaded...
    for (const [command, file] of [
      ['run', 'scenarios/does-not-exist.yaml'],
      ['plan', 'scenarios/does-not-exist.yaml'],
      ['gameday', 'gamedays/does-not-exist.yaml'],
    ] as const) {
      const refused = loadedModules([command, file], `refused-${command}`);
      expect(refused.code, command).toBe(2);
      expect(
        refused.modules.filter((m) => m.includes('@kubernetes/client-node')),
        command,
      ).toEqual([]);
    }
    const run = loadedModules(['run', '--dry-run', 'scenarios/pod-kill.yaml', '--yes'], 'run');
    // ...and the same check does see the client where it is needed.
    expect(run.modules.some((m) => m.includes('@kubernetes/client-node'))).toBe(true);
    const version = chaos(['--version']);
    console.info(
      `cold start: chaos --version ${Math.round(version.ms)}ms; validate ${Math.round(ms)}ms, ` +
        `${modules.length} modules; run (loads the cluster client) ${Math.round(run.ms)}ms, ${run.modules.length} modules`,
    );
  });
});
