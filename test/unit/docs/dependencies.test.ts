/**
 * The harness's production dependencies are exactly what src/ imports: the sample apps' libraries (pino,
 * prom-client, opossum) live in their own workspaces under examples/ and never reach an install of the harness
 * or its image.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? tsFiles(path.join(dir, e.name))
      : e.name.endsWith('.ts')
        ? [path.join(dir, e.name)]
        : [],
  );
}

/** Package names of the bare, non-type-only imports of a source file. */
function packagesImported(source: string): string[] {
  const names: string[] = [];
  for (const m of source.matchAll(/^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+'([^'.][^']*)'/gm)) {
    if (m[2]) continue; // type-only: erased at build time
    const spec = m[3]!;
    if (spec.startsWith('node:') || builtinModules.includes(spec)) continue;
    names.push(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
  }
  return names;
}

describe('package.json', () => {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    workspaces: string[];
  };

  it('lists as dependencies exactly the packages src/ imports', () => {
    const used = new Set(
      tsFiles(path.join(root, 'src')).flatMap((f) => packagesImported(readFileSync(f, 'utf8'))),
    );
    expect(Object.keys(pkg.dependencies).sort()).toEqual([...used].sort());
  });

  it('gives every sample app its own manifest, as a workspace', () => {
    for (const ws of pkg.workspaces) {
      const own = JSON.parse(readFileSync(path.join(root, ws, 'package.json'), 'utf8')) as {
        private?: boolean;
      };
      expect(own.private, ws).toBe(true);
    }
    expect(pkg.workspaces.sort()).toEqual([
      'examples/feature-store',
      'examples/fraud-scorer',
      'examples/shared',
    ]);
  });
});
