/**
 * chaos's version, read from package.json so that it is written in one place. The path is the same from
 * src/ (tsx, tests) and from dist/ (the installed CLI): both sit one level below the package root.
 */
import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** Read on first use, not at import: no module does I/O when it is imported. */
export function chaosVersion(): string {
  if (cached === undefined) {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    if (typeof pkg.version !== 'string') throw new Error('package.json has no version');
    cached = pkg.version;
  }
  return cached;
}

/** The image `chaos schedule` runs, as deploy/build-harness-image.sh tags it (from the same version). */
export function harnessImage(): string {
  return `chaos.local/chaos:${chaosVersion()}`;
}
