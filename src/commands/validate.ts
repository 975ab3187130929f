import { looksLikeSuite, loadSuiteFile, suiteScenarioFiles } from '../gameday/suite.js';
import { InvalidInputError } from '../errors.js';
import { formatDiagnostic, printable } from '../scenario/diagnostics.js';
import { loadScenarioFile } from '../scenario/parse.js';
import type { Output } from '../adapters/output.js';

/**
 * Checks every file and reports every problem before failing: fixing one error per run is miserable. A
 * game-day suite is checked with the scenarios it lists.
 */
export async function validateCommand(files: string[], out: Output): Promise<void> {
  const lines: string[] = [];
  for (const file of files) {
    if (await looksLikeSuite(file)) {
      const suite = await loadSuiteFile(file);
      if (!suite.ok) {
        lines.push(...suite.diagnostics.map(formatDiagnostic));
        continue;
      }
      const scenarios = suiteScenarioFiles(suite.value, file);
      let bad = 0;
      for (const scenario of scenarios) {
        const result = await loadScenarioFile(scenario);
        if (!result.ok) {
          bad++;
          lines.push(...result.diagnostics.map(formatDiagnostic));
        }
      }
      if (bad === 0)
        out.info(
          `${printable(file)}: ok (game day ${suite.value.metadata.name}, ${scenarios.length} scenario(s))`,
        );
      continue;
    }
    const result = await loadScenarioFile(file);
    if (result.ok) out.info(`${printable(file)}: ok (${result.scenario.metadata.name})`);
    else lines.push(...result.diagnostics.map(formatDiagnostic));
  }
  if (lines.length > 0) throw new InvalidInputError(lines);
}
