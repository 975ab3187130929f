/**
 * `chaos gameday`: a suite of scenarios under one run id, in order, with pauses between them for the people
 * responding, then a game-day report in the postmortem template's sections. Every file (the suite and each
 * scenario) is checked before the first scenario starts: a typo in the last one must not strand a half-run
 * game day.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { apiStatus, Kube } from '../adapters/kube.js';
import type { Output } from '../adapters/output.js';
import { ChaosError, EnvironmentError, ExitCode, InvalidInputError } from '../errors.js';
import { GAMEDAY_SCHEMA_VERSION, type GameDayResult, type GameDayScenario } from '../gameday/result.js';
import { renderGameDayHtml, renderGameDayMarkdown } from '../gameday/render.js';
import { loadSuiteFile, suiteScenarioFiles, type Suite } from '../gameday/suite.js';
import { writeAtomically } from '../report/write.js';
import {
  newRunId,
  processEnvironment,
  runScenario,
  worstExitCode,
  type RunEnvironment,
  type RunOptions,
} from '../run/run-scenario.js';
import { formatDiagnostic } from '../scenario/diagnostics.js';
import { loadScenarioFile } from '../scenario/parse.js';
import type { Scenario } from '../scenario/schema.js';
import { formatDuration } from '../scenario/units.js';
import type { RunResult, Verdict } from '../verdict/result.js';

export interface GameDayCliOptions extends Omit<RunOptions, 'namespace' | 'dryRun'> {
  reportStdout?: boolean;
  reportConfigmap?: string;
}

/** Why the rest of the suite is skipped, and the exit code that reason stands for. */
interface Stop {
  reason: string;
  exitCode: number;
}

export const GAMEDAY_FILES = { json: 'gameday.json', markdown: 'gameday.md', html: 'gameday.html' } as const;

export async function gamedayCommand(
  suiteFile: string,
  opts: GameDayCliOptions,
  out: Output,
  world: RunEnvironment = processEnvironment,
): Promise<number> {
  const { suite, scenarios } = await loadAll(suiteFile);
  const timeScale = opts.timeScale ?? suite.timeScale ?? 1;
  const runId = newRunId(`gameday-${suite.metadata.name}`);
  const reportRoot = path.resolve(
    opts.reportDir ?? path.join('reports', `${runId.slice(0, 15)}Z-gameday-${suite.metadata.name}`),
  );
  await mkdir(reportRoot, { recursive: true });
  out.info(
    `chaos gameday: ${suite.metadata.name}, ${scenarios.length} scenario(s), run ${runId}${timeScale !== 1 ? `, time scale ${timeScale}` : ''}`,
  );

  const startedAt = new Date();
  const ran: GameDayScenario[] = [];
  let stop: Stop | null = null;
  for (const [i, { file, scenario }] of scenarios.entries()) {
    const index = i + 1;
    const entry = suite.scenarios[i]!;
    const dirName = `${String(index).padStart(2, '0')}-${scenario.metadata.name}`;
    if (stop !== null) {
      ran.push(skipped(index, entry.file, scenario, stop.reason));
      continue;
    }
    out.info(`\n── ${index}/${scenarios.length} ${scenario.metadata.name} (${entry.file})`);
    let result: RunResult;
    try {
      result = await runScenario(
        file,
        scenario,
        { ...opts, timeScale, reportDir: path.join(reportRoot, dirName) },
        out,
        world,
        `${runId}.${String(index).padStart(2, '0')}`,
      );
    } catch (error) {
      // A refusal before the scenario touched anything (budget below its floor, an unrecovered run, no
      // cluster): the game day stops there, and what already ran is still written up.
      if (!(error instanceof ChaosError)) throw error;
      out.info(`chaos gameday: ${scenario.metadata.name} did not start: ${error.message}`);
      stop = { reason: `did not start: ${error.message}`, exitCode: error.exitCode };
      ran.push(skipped(index, entry.file, scenario, stop.reason));
      continue;
    }
    ran.push({
      index,
      file: entry.file,
      name: scenario.metadata.name,
      status: 'ran',
      skippedReason: null,
      result,
      reportDir: dirName,
    });
    if (result.exitCode === ExitCode.Interrupted)
      stop = { reason: 'the game day was interrupted', exitCode: ExitCode.Interrupted };
    else if (result.verdict !== 'PASS' && suite.stopOnFailure)
      stop = {
        reason: `stopOnFailure: scenario ${index} (${scenario.metadata.name}) was ${result.verdict}`,
        exitCode: result.exitCode,
      };
    else if (entry.pauseAfter && index < scenarios.length) {
      const ms = entry.pauseAfter.ms * timeScale;
      out.info(`chaos gameday: pause ${formatDuration(ms)} before the next scenario (respond, review)`);
      if (await interruptiblePause(ms, world))
        stop = { reason: 'the game day was interrupted during a pause', exitCode: ExitCode.Interrupted };
    }
  }

  const result = gameDayResult(suite, suiteFile, runId, startedAt, ran, stop);
  await writeGameDayReports(reportRoot, result);
  if (opts.reportConfigmap) await publishToConfigMap(opts, result, out);
  out.info('');
  out.info(
    `chaos gameday ${headline(result.verdict, result.exitCode)}: ${suite.metadata.name} (exit ${result.exitCode})`,
  );
  for (const s of result.scenarios)
    out.info(
      `  ${String(s.index).padStart(2)}. ${(s.result?.verdict ?? 'SKIPPED').padEnd(12)} ${s.name}${s.skippedReason ? ` — ${s.skippedReason}` : ''}`,
    );
  out.info(
    `game-day report: ${path.join(reportRoot, GAMEDAY_FILES.markdown)} (and ${GAMEDAY_FILES.html}, ${GAMEDAY_FILES.json})`,
  );
  if (opts.json) out.stdout(JSON.stringify(result, null, 2) + '\n');
  else if (opts.reportStdout) out.stdout(renderGameDayMarkdown(result));
  return result.exitCode;
}

async function loadAll(
  suiteFile: string,
): Promise<{ suite: Suite; scenarios: { file: string; scenario: Scenario }[] }> {
  const loaded = await loadSuiteFile(suiteFile);
  if (!loaded.ok) throw new InvalidInputError(loaded.diagnostics.map(formatDiagnostic));
  const scenarios: { file: string; scenario: Scenario }[] = [];
  const problems: string[] = [];
  for (const file of suiteScenarioFiles(loaded.value, suiteFile)) {
    const s = await loadScenarioFile(file);
    if (s.ok) scenarios.push({ file, scenario: s.scenario });
    else problems.push(...s.diagnostics.map(formatDiagnostic));
  }
  if (problems.length > 0) throw new InvalidInputError(problems);
  return { suite: loaded.value, scenarios };
}

function skipped(index: number, file: string, scenario: Scenario, reason: string): GameDayScenario {
  return {
    index,
    file,
    name: scenario.metadata.name,
    status: 'skipped',
    skippedReason: reason,
    result: null,
    reportDir: null,
  };
}

/** Resolves true when a signal ended the pause: between scenarios nothing is injected, so just stop. */
async function interruptiblePause(ms: number, world: RunEnvironment): Promise<boolean> {
  const abort = new AbortController();
  const dispose = world.onSignal(() => abort.abort());
  try {
    await sleep(ms, undefined, { signal: abort.signal });
    return false;
  } catch {
    return true;
  } finally {
    dispose();
  }
}

export function gameDayResult(
  suite: Suite,
  suiteFile: string,
  runId: string,
  startedAt: Date,
  scenarios: GameDayScenario[],
  stop: Stop | null,
  finishedAt = new Date(),
): GameDayResult {
  const results = scenarios.flatMap((s) => (s.result ? [s.result] : []));
  const codes = results.map((r) => r.exitCode);
  // What cut the game day short decides too: a game day that stopped has not shown the rest would pass.
  if (stop) codes.push(stop.exitCode === ExitCode.Pass ? ExitCode.Inconclusive : stop.exitCode);
  const exitCode = worstExitCode(codes);
  const verdict: Verdict =
    exitCode === ExitCode.Pass ? 'PASS' : exitCode === ExitCode.Fail ? 'FAIL' : 'INCONCLUSIVE';
  return {
    schemaVersion: GAMEDAY_SCHEMA_VERSION,
    runId,
    suite: {
      name: suite.metadata.name,
      description: suite.metadata.description,
      file: suiteFile,
      owner: suite.metadata.owner ?? null,
      stopOnFailure: suite.stopOnFailure,
    },
    cluster: { context: results.find((r) => r.cluster.context)?.cluster.context ?? null },
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationS: Math.round((finishedAt.getTime() - startedAt.getTime()) / 100) / 10,
    verdict,
    exitCode,
    scenarios,
    errorBudget: summedBudget(results),
  };
}

/** The scenarios' budgets summed; the SLO is the strictest one among them, so nothing is flattered. */
function summedBudget(results: RunResult[]): GameDayResult['errorBudget'] {
  const budgets = results.flatMap((r) => (r.errorBudget ? [r.errorBudget] : []));
  if (budgets.length === 0) return null;
  const slo = Math.max(...budgets.map((b) => b.slo));
  const requests = budgets.reduce((a, b) => a + b.requests, 0);
  const errors = budgets.reduce((a, b) => a + b.errors, 0);
  const success = requests === 0 ? 1 : 1 - errors / requests;
  return { slo, requests, errors, consumed: Math.max(0, (1 - success) / (1 - slo)) };
}

async function writeGameDayReports(dir: string, result: GameDayResult): Promise<void> {
  // Rendered before anything is written, so a renderer bug cannot leave a half-written report.
  const documents = [
    { path: path.join(dir, GAMEDAY_FILES.json), content: JSON.stringify(result, null, 2) + '\n' },
    { path: path.join(dir, GAMEDAY_FILES.markdown), content: renderGameDayMarkdown(result) },
    { path: path.join(dir, GAMEDAY_FILES.html), content: renderGameDayHtml(result) },
  ];
  await writeAtomically(documents);
}

/**
 * For scheduled runs: the pod's files go with the pod, so the report lands in a ConfigMap that `chaos
 * schedule --apply` created; the Role grants update on that one name only.
 */
async function publishToConfigMap(
  opts: GameDayCliOptions,
  result: GameDayResult,
  out: Output,
): Promise<void> {
  const [namespace, name] = opts.reportConfigmap!.split('/') as [string, string];
  const summary = {
    runId: result.runId,
    suite: result.suite.name,
    verdict: result.verdict,
    exitCode: result.exitCode,
    finishedAt: result.finishedAt,
    scenarios: result.scenarios.map((s) => ({
      name: s.name,
      verdict: s.result?.verdict ?? 'SKIPPED',
      slos:
        s.result?.slos.map((x) => ({
          id: x.id,
          verdict: x.verdict,
          measured: x.measured,
          threshold: x.threshold,
        })) ?? [],
    })),
    errorBudget: result.errorBudget,
  };
  const kube = Kube.connect({ context: opts.context });
  try {
    // A ConfigMap holds at most 1 MiB; the Markdown report is a few KiB, far below it.
    await kube.updateConfigMap(namespace, name, {
      [GAMEDAY_FILES.markdown]: renderGameDayMarkdown(result),
      'summary.json': JSON.stringify(summary, null, 2),
    });
  } catch (error) {
    const { code, message } = apiStatus(error);
    throw new EnvironmentError(
      `the game day ran (${result.verdict}) but its report could not be written to ConfigMap ${namespace}/${name} (${code ?? 'no status'}): ${message}`,
      'the reports are on disk and on stdout; `chaos schedule --report-configmap --apply` creates the ConfigMap',
    );
  }
  out.info(`game-day report published to ConfigMap ${namespace}/${name}`);
}

/**
 * The word before the exit code says what the exit code says: a game day that could not reach its cluster is an
 * environment error (exit 3), not INCONCLUSIVE, even though its verdict judged nothing.
 */
function headline(verdict: string, exitCode: number): string {
  if (exitCode === ExitCode.Environment) return 'ENVIRONMENT ERROR';
  if (exitCode === ExitCode.Interrupted) return 'INTERRUPTED';
  return verdict;
}
