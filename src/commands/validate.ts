import { looksLikeSuite, loadSuiteFile, suiteScenarioFiles } from '../gameday/suite.js';
import { InvalidInputError } from '../errors.js';
import { formatDiagnostic, printable } from '../scenario/diagnostics.js';
import { loadScenarioFile } from '../scenario/parse.js';
import type { Output } from '../adapters/output.js';

/** One file's problems, and what it is when it has none. */
interface Checked {
  problems: string[];
  ok: string | null;
}

async function checkScenario(file: string): Promise<Checked> {
  const result = await loadScenarioFile(file);
  return result.ok
    ? { problems: [], ok: `${printable(file)}: ok (${result.scenario.metadata.name})` }
    : { problems: result.diagnostics.map(formatDiagnostic), ok: null };
}

/** A game-day suite is checked with the scenarios it lists. */
async function checkSuite(file: string): Promise<Checked> {
  const suite = await loadSuiteFile(file);
  if (!suite.ok) return { problems: suite.diagnostics.map(formatDiagnostic), ok: null };
  const scenarios = suiteScenarioFiles(suite.value, file);
  const problems: string[] = [];
  for (const scenario of scenarios) problems.push(...(await checkScenario(scenario)).problems);
  return {
    problems,
    ok:
      problems.length === 0
        ? `${printable(file)}: ok (game day ${suite.value.metadata.name}, ${scenarios.length} scenario(s))`
        : null,
  };
}

/**
 * Checks every file and reports every problem before failing: fixing one error per run is miserable.
 */
export async function validateCommand(files: string[], out: Output): Promise<void> {
  const lines: string[] = [];
  for (const file of files) {
    const checked = (await looksLikeSuite(file)) ? await checkSuite(file) : await checkScenario(file);
    if (checked.ok) out.info(checked.ok);
    lines.push(...checked.problems);
  }
  if (lines.length > 0) throw new InvalidInputError(lines);
}

/**
 * Every problem of files a command expects to be scenarios (run, plan), suites (gameday, schedule) or either
 * (alerts): what the
 * CLI checks before it loads a command that talks to a cluster.
 */
export async function inputProblems(
  files: string[],
  kind: 'scenario' | 'suite' | 'either',
): Promise<string[]> {
  const lines: string[] = [];
  for (const file of files) {
    const suite = kind === 'suite' || (kind === 'either' && (await looksLikeSuite(file)));
    lines.push(...(suite ? await checkSuite(file) : await checkScenario(file)).problems);
  }
  return lines;
}
