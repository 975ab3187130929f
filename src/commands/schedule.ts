/**
 * `chaos schedule`: turn a game-day suite into a CronJob that runs it in the cluster, with a ServiceAccount
 * allowed exactly what the suite does. Prints the manifests (review them, commit them) or applies them.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Cron } from 'croner';
import { stringify } from 'yaml';
import { apiStatus, Kube } from '../adapters/kube.js';
import type { Output } from '../adapters/output.js';
import { EnvironmentError, InvalidInputError } from '../errors.js';
import { loadSuiteFile, suiteScenarioFiles, type Suite } from '../gameday/suite.js';
import { buildPlan } from '../plan/plan.js';
import { formatDiagnostic } from '../scenario/diagnostics.js';
import { diagnosticAt, loadScenarioFile } from '../scenario/parse.js';
import type { Scenario } from '../scenario/schema.js';
import type { Duration } from '../scenario/units.js';
import { outsideTreeProblems } from '../schedule/boundary.js';
import { scheduleObjects } from '../schedule/manifests.js';
import { clusterTraits } from '../schedule/rbac.js';
import { harnessImage } from '../version.js';

export interface ScheduleCliOptions {
  cron: string;
  name?: string;
  namespace?: string;
  image?: string;
  timeZone?: string;
  timeScale?: number;
  targetOrigin?: string;
  reportConfigmap?: boolean;
  context?: string;
  apply?: boolean;
  /** Directories outside the suite's tree whose files may be copied into the ConfigMap. */
  allowOutside?: string[];
}

/** Kubernetes appends 11 characters to a CronJob's name for its Jobs; names stop at 63. */
const MAX_CRONJOB_NAME = 52;
/** Preflight, steady-state checks, triage, revert and report around each scenario's planned load. */
const PER_SCENARIO_OVERHEAD_S = 240;

export async function scheduleCommand(
  suiteFile: string,
  opts: ScheduleCliOptions,
  out: Output,
): Promise<void> {
  const problems: string[] = [];
  const cron = checkCron(opts.cron, opts.timeZone);
  if ('problem' in cron)
    problems.push(
      cron.problem.startsWith('--time-zone')
        ? cron.problem
        : `--cron ${JSON.stringify(opts.cron)}: ${cron.problem}`,
    );
  // Before anything is read from the files the suite names.
  const allowOutside = opts.allowOutside ?? [];
  const outside = await outsideTreeProblems(suiteFile, allowOutside);
  if (outside.length > 0) throw new InvalidInputError([...problems, ...outside]);
  const loaded = await loadSuiteFile(suiteFile);
  if (!loaded.ok) throw new InvalidInputError([...problems, ...loaded.diagnostics.map(formatDiagnostic)]);
  const suite = loaded.value;
  const scenarios: { file: string; scenario: Scenario }[] = [];
  for (const file of suiteScenarioFiles(suite, suiteFile)) {
    const s = await loadScenarioFile(file);
    if (s.ok) scenarios.push({ file, scenario: s.scenario });
    else problems.push(...s.diagnostics.map(formatDiagnostic));
  }
  // Indexes match the suite's entries only when every scenario loaded; otherwise those problems come first.
  if (scenarios.length === suite.scenarios.length)
    problems.push(...(await kubectlRbacProblems(suiteFile, suite, scenarios)));
  const name = opts.name ?? `chaos-${suite.metadata.name}`.slice(0, MAX_CRONJOB_NAME).replace(/-+$/, '');
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > MAX_CRONJOB_NAME)
    problems.push(`--name ${name}: expected a lowercase DNS label of at most ${MAX_CRONJOB_NAME} characters`);
  if (problems.length > 0) throw new InvalidInputError(problems);

  // The pod reports this name as its context: check it against every scenario now, not at 3 a.m.
  const kube = Kube.connect({ context: opts.context });
  const clusterName = kube.context;
  for (const { file, scenario } of scenarios) {
    const allowed = scenario.safety.allowedContexts;
    if (allowed && !allowed.includes(clusterName))
      problems.push(
        `${file}: safety.allowedContexts (${allowed.join(', ')}) does not allow context "${clusterName}"`,
      );
  }
  if (problems.length > 0) throw new InvalidInputError(problems);

  // The server's version decides one verb (see ClusterTraits); printing works without a cluster.
  let version: string | null = null;
  try {
    version = await kube.ping();
  } catch (error) {
    if (opts.apply) throw error;
    out.info(
      `chaos schedule: ${clusterName} did not answer (${(error as Error).message}); the rules are for Kubernetes ≥ 1.35`,
    );
  }

  const timeScale = opts.timeScale ?? suite.timeScale;
  const objects = scheduleObjects({
    name,
    namespace: opts.namespace ?? scenarios[0]!.scenario.target.namespace,
    cron: opts.cron,
    timeZone: opts.timeZone,
    image: opts.image ?? harnessImage(),
    files: await suiteFiles(suiteFile, scenarios),
    suiteFile: path.resolve(suiteFile),
    scenarios: scenarios.map((s) => s.scenario),
    clusterName,
    targetOrigin: opts.targetOrigin,
    timeScale,
    reportConfigMap: opts.reportConfigmap ?? false,
    deadlineSeconds: deadline(scenarios, suite.scenarios, timeScale ?? 1),
    cluster: clusterTraits(version),
    kubectlRules: suite.rbac,
  });
  if (suite.rbac)
    out.info(
      `chaos schedule: ${name}: kubectl faults run kubectl in the pod: the image needs it (the testbed's harness image has it); the Role grants the suite's rbac: rules`,
    );
  if ('next' in cron)
    out.info(
      `chaos schedule: ${name}: next runs ${cron.next.map((d) => d.toISOString()).join(', ')} (${opts.timeZone ?? 'UTC'} schedule)`,
    );

  if (!opts.apply) {
    out.stdout(objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n'));
    return;
  }
  for (const o of objects) {
    try {
      await kube.apply(o);
    } catch (error) {
      const { code, message } = apiStatus(error);
      throw new EnvironmentError(
        `applying ${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name} failed (${code ?? 'no status'}): ${message}`,
      );
    }
    out.info(`applied ${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`);
  }
  const ns = objects.find((o) => o.kind === 'CronJob')!.metadata.namespace!;
  out.info(`run it now: kubectl -n ${ns} create job --from=cronjob/${name} ${name}-manual-$(date +%s)`);
}

/** The files of a scenario that the ConfigMap carries besides the scenario itself. */
/**
 * What kubectl faults need cannot be derived from arbitrary commands, so a suite that has them states it
 * (`rbac:`), and one that has none grants nothing extra.
 */
async function kubectlRbacProblems(
  suiteFile: string,
  suite: Suite,
  scenarios: { file: string; scenario: Scenario }[],
): Promise<string[]> {
  const problems: string[] = [];
  const withKubectl = scenarios.flatMap(({ scenario }, i) =>
    scenario.faults.some((f) => f.type === 'kubectl') ? [i] : [],
  );
  if (withKubectl.length > 0 && !suite.rbac)
    for (const i of withKubectl)
      problems.push(
        formatDiagnostic(
          await diagnosticAt(
            suiteFile,
            ['scenarios', i, 'file'],
            "has kubectl faults: state what their commands need as Role rules in the suite's rbac: (chaos cannot derive it from arbitrary commands)",
          ),
        ),
      );
  if (withKubectl.length === 0 && suite.rbac)
    problems.push(
      formatDiagnostic(
        await diagnosticAt(
          suiteFile,
          ['rbac'],
          'grants what kubectl faults need, and no scenario of this suite has one: remove it',
        ),
      ),
    );
  return problems;
}

/**
 * Kubernetes takes five fields or a macro; croner checks the ranges and the time zone, and says when it would
 * run. Without a time zone the CronJob follows kube-controller-manager's clock, UTC on every distribution we
 * know of.
 */
export function checkCron(expr: string, timeZone?: string): { next: Date[] } | { problem: string } {
  const trimmed = expr.trim();
  const macro = /^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/.test(trimmed);
  if (!macro && trimmed.split(/\s+/).length !== 5)
    return {
      problem: 'expected five fields (minute hour day-of-month month day-of-week) or a macro like @daily',
    };
  try {
    const job = new Cron(trimmed, { paused: true, timezone: timeZone ?? 'UTC' });
    return { next: job.nextRuns(3) };
  } catch (error) {
    const message = (error as Error).message;
    if (timeZone && /timezone/i.test(message))
      return { problem: `--time-zone ${timeZone} is not an IANA time zone (e.g. Europe/Paris)` };
    return { problem: message.replace(/^CronPattern: /, '') };
  }
}

async function suiteFiles(
  suiteFile: string,
  scenarios: { file: string; scenario: Scenario }[],
): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const add = async (p: string) => {
    if (!files.has(path.resolve(p))) files.set(path.resolve(p), await readFile(p, 'utf8'));
  };
  await add(suiteFile);
  for (const { file, scenario } of scenarios) {
    await add(file);
    const dir = path.dirname(file);
    if (scenario.load.payload.file) await add(path.resolve(dir, scenario.load.payload.file));
    if (scenario.load.script) await add(path.resolve(dir, scenario.load.script));
    if (scenario.load.golden) await add(path.resolve(dir, scenario.load.golden.file));
  }
  const bytes = [...files.values()].reduce((a, t) => a + Buffer.byteLength(t), 0);
  // A ConfigMap holds at most 1 MiB.
  if (bytes > 900_000)
    throw new InvalidInputError([
      `${suiteFile}: the suite and its files are ${bytes} bytes; a ConfigMap holds under 1 MiB`,
    ]);
  return files;
}

function deadline(
  scenarios: { file: string; scenario: Scenario }[],
  entries: { pauseAfter?: Duration }[],
  timeScale: number,
): number {
  let ms = 0;
  for (const [i, { file, scenario }] of scenarios.entries()) {
    ms += buildPlan(scenario, { file, seed: 0, timeScale }).totalMs + PER_SCENARIO_OVERHEAD_S * 1000;
    const pause = entries[i]?.pauseAfter;
    if (pause) ms += pause.ms * timeScale;
  }
  return Math.ceil(ms / 1000);
}
