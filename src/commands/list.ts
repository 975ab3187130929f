import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { EnvironmentError } from '../errors.js';
import { loadScenarioFile } from '../scenario/load.js';
import type { Output } from '../adapters/output.js';

export async function listCommand(dir: string, out: Output): Promise<void> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /\.ya?ml$/.test(n)).sort();
  } catch (error) {
    throw new EnvironmentError(`cannot list ${dir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const rows: [string, string, string][] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    const result = await loadScenarioFile(file);
    if (!result.ok) continue;
    rows.push([result.scenario.metadata.name, file, result.scenario.metadata.description.split('\n')[0] ?? '']);
  }
  if (rows.length === 0) {
    out.info(`no valid scenarios in ${dir}`);
    return;
  }
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  for (const [name, file, desc] of rows) out.stdout(`${name.padEnd(w0)}  ${file.padEnd(w1)}  ${desc}\n`);
}
