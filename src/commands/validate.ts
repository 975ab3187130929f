import { InvalidInputError } from '../errors.js';
import { formatDiagnostic, loadScenarioFile } from '../scenario/load.js';
import type { Output } from '../adapters/output.js';

/** Checks every file and reports every problem before failing: fixing one error per run is miserable. */
export async function validateCommand(files: string[], out: Output): Promise<void> {
  const lines: string[] = [];
  for (const file of files) {
    const result = await loadScenarioFile(file);
    if (result.ok) out.info(`${file}: ok (${result.scenario.metadata.name})`);
    else lines.push(...result.diagnostics.map(formatDiagnostic));
  }
  if (lines.length > 0) throw new InvalidInputError(lines);
}
