/**
 * `chaos run`: validate everything first (a typo must never half-run a suite), then run each scenario in
 * turn. Returns the exit code; throws only for input/environment errors.
 */
import type { Output } from '../adapters/output.js';
import { ExitCode, InvalidInputError } from '../errors.js';
import {
  processEnvironment,
  runScenario,
  worstExitCode,
  type RunEnvironment,
  type RunOptions,
} from '../run/run-scenario.js';
import { formatDiagnostic } from '../scenario/diagnostics.js';
import { loadScenarioFile } from '../scenario/parse.js';
import type { Scenario } from '../scenario/schema.js';
import type { RunResult } from '../verdict/result.js';

/** Every flag of `chaos run` is an option of the scenario run itself. */
export type RunCliOptions = RunOptions;

export async function runCommand(
  files: string[],
  opts: RunCliOptions,
  out: Output,
  world: RunEnvironment = processEnvironment,
): Promise<number> {
  const scenarios: { file: string; scenario: Scenario }[] = [];
  const problems: string[] = [];
  for (const file of files) {
    const loaded = await loadScenarioFile(file);
    if (loaded.ok) scenarios.push({ file, scenario: loaded.scenario });
    else problems.push(...loaded.diagnostics.map(formatDiagnostic));
  }
  if (problems.length > 0) throw new InvalidInputError(problems);

  const results: RunResult[] = [];
  for (const { file, scenario } of scenarios) {
    results.push(await runScenario(file, scenario, opts, out, world));
    if (results.at(-1)!.exitCode === ExitCode.Interrupted) break;
  }
  if (opts.json) out.stdout(JSON.stringify(results.length === 1 ? results[0] : results, null, 2) + '\n');
  return worstExitCode(results.map((r) => r.exitCode));
}
