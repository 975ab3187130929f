import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { EnvironmentError, InvalidInputError } from '../errors.js';
import { looksLikeSuite, loadSuiteFile } from '../gameday/suite.js';
import { fsProblem, printable } from '../scenario/diagnostics.js';
import { loadScenarioFile } from '../scenario/parse.js';
import type { Output } from '../adapters/output.js';

/**
 * One line per valid scenario or game-day suite on stdout: name, file, first line of the description (a
 * suite's begins with `[game day: N scenarios]`). Invalid files are named on stderr (with how to see why)
 * instead of silently disappearing from the list.
 */
export async function listCommand(dir: string, out: Output): Promise<void> {
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true }))
      .filter((e) => !e.isDirectory() && /\.ya?ml$/.test(e.name))
      .map((e) => e.name)
      .sort();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new InvalidInputError([`chaos: cannot list ${printable(dir)}: no such directory`]);
    if (code === 'ENOTDIR')
      throw new InvalidInputError([`chaos: cannot list ${printable(dir)}: not a directory`]);
    throw new EnvironmentError(`cannot list ${printable(dir)}: ${fsProblem(error)}`);
  }
  const skipped = (file: string, n: number) =>
    out.warn(
      `skipped ${printable(file)}: ${n} problem${n === 1 ? '' : 's'} (see: chaos validate ${printable(file)})`,
    );
  const rows: [string, string, string][] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    if (await looksLikeSuite(file)) {
      const suite = await loadSuiteFile(file);
      if (!suite.ok) {
        skipped(file, suite.diagnostics.length);
        continue;
      }
      const n = suite.value.scenarios.length;
      const description = suite.value.metadata.description.trim().split('\n')[0] ?? '';
      rows.push([
        suite.value.metadata.name,
        file,
        `[game day: ${n} scenario${n === 1 ? '' : 's'}, run with chaos gameday] ${description}`,
      ]);
      continue;
    }
    const result = await loadScenarioFile(file);
    if (!result.ok) {
      skipped(file, result.diagnostics.length);
      continue;
    }
    const description = result.scenario.metadata.description.trim().split('\n')[0] ?? '';
    rows.push([result.scenario.metadata.name, file, description]);
  }
  if (rows.length === 0) {
    out.info(`no valid scenarios or game-day suites in ${printable(dir)}`);
    return;
  }
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  for (const [name, file, desc] of rows)
    out.stdout(`${`${name.padEnd(w0)}  ${file.padEnd(w1)}  ${desc}`.trimEnd()}\n`);
}
