/**
 * The only module that reads argv and decides the exit code. Commands throw ChaosError; everything else
 * that escapes is a bug in chaos and is printed with its stack.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { processOutput, type Output } from './adapters/output.js';
import type { AlertsCliOptions } from './commands/alerts.js';
import type { GameDayCliOptions } from './commands/gameday.js';
import type { PlanCliOptions } from './commands/plan.js';
import type { RecoverCliOptions } from './commands/recover.js';
import type { RunCliOptions } from './commands/run.js';
import type { ScheduleCliOptions } from './commands/schedule.js';
import { ChaosError, ExitCode, InvalidInputError } from './errors.js';
import { chaosVersion, harnessImage } from './version.js';

const EXIT_CODES_HELP = `
Exit codes:
  0    PASS: every SLO held (DRY-RUN: a --dry-run that planned and checked)
  1    FAIL: at least one SLO failed
  2    invalid input or usage (nothing was written to any cluster)
  3    environment: no cluster, no k6, permission denied, an unrecovered run
  4    INCONCLUSIVE: a fault matched nothing or was denied, or data was missing
  130  interrupted (after every fault was rolled back)
  70   internal error: a bug in chaos (printed with its stack)`;

function positiveNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
      throw new InvalidArgumentError(`${name} must be a positive number, e.g. 0.1`);
    }
    return n;
  };
}

function fraction(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
    throw new InvalidArgumentError('--budget-floor must be a number from 0 to 1, e.g. 0.25');
  }
  return n;
}

const TARGET_ORIGIN_HELP =
  "send the load to this origin instead of target.url's (in-cluster: http://<service>.<namespace>.svc)";

function origin(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('--target-origin must be a URL like http://fraud-scorer.ml-serving.svc');
  }
  if (!/^https?:$/.test(url.protocol) || url.pathname !== '/' || url.search || url.hash)
    throw new InvalidArgumentError(
      '--target-origin must be an http(s) origin with no path, e.g. http://fraud-scorer.ml-serving.svc',
    );
  return url.origin;
}

function configMapRef(value: string): string {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(value))
    throw new InvalidArgumentError(
      '--report-configmap must be <namespace>/<name>, e.g. ml-serving/chaos-report',
    );
  return value;
}

/** An SLO period in Prometheus units; at least the 3 d of the slowest ticket's long window. */
function sloPeriod(value: string): string {
  const m = /^(\d+)([hdw])$/.exec(value);
  const hours = m ? Number(m[1]) * ({ h: 1, d: 24, w: 168 } as const)[m[2] as 'h' | 'd' | 'w'] : 0;
  if (hours < 72)
    throw new InvalidArgumentError('--period must be a duration of at least 3d, like 30d, 28d or 4w');
  return value;
}

function ruleLabel(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const m = /^([a-zA-Z0-9][-a-zA-Z0-9_./]*)=([-a-zA-Z0-9_.]*)$/.exec(value);
  if (!m) throw new InvalidArgumentError('--label must be key=value, e.g. release=prometheus');
  return { ...previous, [m[1]!]: m[2]! };
}

function integer(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isSafeInteger(n) || n < 0) {
      throw new InvalidArgumentError(`${name} must be a non-negative integer`);
    }
    return n;
  };
}

export function createCli(out: Output, setExitCode: (code: number) => void): Command {
  const program = new Command('chaos')
    .description('Chaos experiments and load tests for ML model-serving endpoints on Kubernetes')
    .version(chaosVersion())
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXIT_CODES_HELP)
    .configureOutput({ writeOut: (s) => out.stdout(s), writeErr: (s) => out.info(s.trimEnd()) })
    .exitOverride();

  program
    .command('run')
    .description('run scenarios against the cluster and judge their SLOs')
    .argument('<file...>', 'scenario files')
    .option('--context <name>', 'kubeconfig context (default: the current one)')
    .option('--namespace <ns>', 'override target.namespace (must be allowed by the scenario)')
    .option('--report-dir <dir>', 'where reports go (default: reports/<UTC timestamp>-<scenario>/)')
    .option('--dry-run', 'plan, check the cluster read-only, and stop before any write')
    .option('--yes', 'allow a context the scenario does not list in safety.allowedContexts')
    .option('--force', 'start even though an unrecovered run ledger exists for this cluster')
    .option('--seed <n>', 'seed for every random choice (default: random, printed)', integer('--seed'))
    .option(
      '--time-scale <factor>',
      'multiply every window and fault time (e.g. 0.1 for CI)',
      positiveNumber('--time-scale'),
    )
    .option('--json', 'print one result document on stdout (human output goes to stderr)')
    .option(
      '--budget <file>',
      'error-budget ledger shared across runs; refuses to start (exit 3) below its floor',
    )
    .option(
      '--budget-floor <fraction>',
      'for a new budget file: the share of budget that must remain to start (default 0.25)',
      fraction,
    )
    .option('--target-origin <url>', TARGET_ORIGIN_HELP, origin)
    .option(
      '--runners <n>',
      'run the load as n k6 pods in the cluster, judged as one (load.runners)',
      integer('--runners'),
    )
    .option(
      '--runners-origin <url>',
      "the target's in-cluster origin for the runners (load.runners.targetOrigin), e.g. http://fraud-scorer.ml-serving.svc:80",
      origin,
    )
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (files: string[], opts: RunCliOptions) => {
      await refuseInvalid(files, 'scenario');
      const { runCommand } = await import('./commands/run.js');
      setExitCode(await runCommand(files, opts, out));
    });

  program
    .command('gameday')
    .description('run a game-day suite: scenarios in order, one run id, a postmortem-style report')
    .argument('<suite>', 'game-day suite file (kind: GameDay)')
    .option('--context <name>', 'kubeconfig context (default: the current one)')
    .option('--report-dir <dir>', 'where reports go (default: reports/<UTC timestamp>-gameday-<name>/)')
    .option('--yes', 'allow a context a scenario does not list in safety.allowedContexts')
    .option('--force', 'start even though an unrecovered run ledger exists for this cluster')
    .option('--seed <n>', 'seed for every random choice (default: random, printed)', integer('--seed'))
    .option('--time-scale <factor>', "override the suite's timeScale", positiveNumber('--time-scale'))
    .option('--budget <file>', 'error-budget ledger; each scenario refuses to start (exit 3) below its floor')
    .option(
      '--budget-floor <fraction>',
      'for a new budget file: the share that must remain (default 0.25)',
      fraction,
    )
    .option('--target-origin <url>', TARGET_ORIGIN_HELP, origin)
    .option('--json', 'print the game-day document on stdout')
    .option('--report-stdout', 'print the Markdown game-day report on stdout (for `kubectl logs`)')
    .option(
      '--report-configmap <namespace/name>',
      'also write the report into this existing ConfigMap',
      configMapRef,
    )
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (suite: string, opts: GameDayCliOptions) => {
      await refuseInvalid([suite], 'suite');
      const { gamedayCommand } = await import('./commands/gameday.js');
      setExitCode(await gamedayCommand(suite, opts, out));
    });

  program
    .command('schedule')
    .description('print (or --apply) a CronJob that runs a game-day suite in the cluster, least privilege')
    .argument('<suite>', 'game-day suite file (kind: GameDay)')
    .requiredOption('--cron <expr>', 'five-field cron expression or a macro like @daily')
    .option('--name <name>', 'CronJob and ServiceAccount name (default: chaos-<suite name>)')
    .option('--namespace <ns>', "where the CronJob runs (default: the first scenario's target namespace)")
    .option('--image <ref>', `harness image (default: ${harnessImage()}, built by the testbed)`)
    .option('--time-zone <tz>', 'IANA time zone for the schedule (default: the controller manager time zone)')
    .option('--time-scale <factor>', "override the suite's timeScale", positiveNumber('--time-scale'))
    .option('--target-origin <url>', TARGET_ORIGIN_HELP, origin)
    .option('--report-configmap', 'create <name>-report and have each run write its report there')
    .option('--context <name>', 'kubeconfig context to schedule on (and to apply to)')
    .option('--apply', 'apply the objects (server-side apply) instead of printing them')
    .option(
      '--allow-outside <dir>',
      "also copy files from this directory, outside the suite's tree (repeatable)",
      (dir: string, prev: string[] = []) => [...prev, dir],
    )
    .action(async (suite: string, opts: ScheduleCliOptions) => {
      // The suite's tree first: validation opens the payload and golden files it names.
      const { outsideTreeProblems } = await import('./schedule/boundary.js');
      const outside = await outsideTreeProblems(suite, opts.allowOutside ?? []);
      if (outside.length > 0) throw new InvalidInputError(outside);
      await refuseInvalid([suite], 'suite');
      const { scheduleCommand } = await import('./commands/schedule.js');
      await scheduleCommand(suite, opts, out);
    });

  program
    .command('alerts')
    .description(
      "write Prometheus burn-rate alerts for a scenario's (or a suite's) SLOs: a rules file and a PrometheusRule",
    )
    .argument('<file>', 'scenario file, or game-day suite (kind: GameDay)')
    .option('--out-dir <dir>', 'where the two files go (default: alerts/)')
    .option('--rules-file <file>', 'the rules file (default: <out-dir>/<name>.rules.yaml)')
    .option('--manifest-file <file>', 'the PrometheusRule (default: <out-dir>/<name>.prometheusrule.yaml)')
    .option('--period <duration>', 'the SLO period the budget is spent over (default: 30d)', sloPeriod)
    .option('--namespace <ns>', "the PrometheusRule's namespace (default: the scenario's target namespace)")
    .option('--name <name>', "the PrometheusRule's name (default: chaos-slo-<name>)")
    .option(
      '--label <key=value>',
      "a label on the PrometheusRule, for the operator's ruleSelector (repeatable)",
      ruleLabel,
    )
    .action(async (file: string, opts: AlertsCliOptions) => {
      await refuseInvalid([file], 'either');
      const { alertsCommand } = await import('./commands/alerts.js');
      await alertsCommand(file, opts, out);
    });

  program
    .command('validate')
    .description('check scenario files; prints every problem as file:line:col: path: message')
    .argument('<file...>', 'scenario files')
    .action(async (files: string[]) => {
      const { validateCommand } = await import('./commands/validate.js');
      await validateCommand(files, out);
    });

  program
    .command('plan')
    .description(
      'show the timeline and, if a cluster is reachable, the targets it would select now (read-only)',
    )
    .argument('<file>', 'scenario file')
    .option('--context <name>', 'kubeconfig context')
    .option('--namespace <ns>', 'override target.namespace')
    .option('--seed <n>', 'seed for random choices', integer('--seed'))
    .option('--time-scale <factor>', 'multiply every window and fault time', positiveNumber('--time-scale'))
    .action(async (file: string, opts: PlanCliOptions) => {
      await refuseInvalid([file], 'scenario');
      const { planCommand } = await import('./commands/plan.js');
      await planCommand(file, opts, out);
    });

  program
    .command('list')
    .description('list scenarios and game-day suites with their name and description')
    .argument('[dir]', 'directory', 'scenarios')
    .action(async (dir: string) => {
      const { listCommand } = await import('./commands/list.js');
      await listCommand(dir, out);
    });

  program
    .command('schema')
    .description('print the JSON Schema of scenario files (or, with --suite, of game-day suites)')
    .option('--suite', 'the schema of game-day suites (kind: GameDay)')
    .action(async (opts: { suite?: boolean }) => {
      const { schemaCommand } = await import('./commands/schema.js');
      schemaCommand(out, opts);
    });

  program
    .command('recover')
    .description('undo whatever a dead run left in the cluster, from its ledger')
    .option('--run <id>', 'only this run (default: every unrecovered run)')
    .option('--context <name>', 'kubeconfig context')
    .action(async (opts: RecoverCliOptions) => {
      const { recoverCommand } = await import('./commands/recover.js');
      await recoverCommand(opts, out);
    });

  const cluster = program.command('cluster').description('the local kind testbed');
  for (const verb of ['up', 'down', 'status'] as const) {
    cluster
      .command(verb)
      .description(
        `${verb === 'up' ? 'build (cached) and start' : verb === 'down' ? 'delete' : 'show'} the kind testbed`,
      )
      .action(async () => {
        const { clusterCommand } = await import('./commands/cluster.js');
        setExitCode(await clusterCommand(verb, out));
      });
  }
  program.addOption(new Option('--no-color', 'plain output').hideHelp());
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const out = processOutput();
  let code: number = ExitCode.Pass;
  const program = createCli(out, (c) => (code = c));
  try {
    await program.parseAsync(argv);
  } catch (error) {
    code = exitCodeFor(error, out);
  }
  process.exitCode = code;
}

export function exitCodeFor(error: unknown, out: Output): number {
  if (error instanceof CommanderError) {
    // --help and --version are not errors.
    if (
      error.code === 'commander.helpDisplayed' ||
      error.code === 'commander.version' ||
      error.exitCode === 0
    ) {
      return ExitCode.Pass;
    }
    return ExitCode.InvalidInput;
  }
  if (error instanceof InvalidInputError) {
    for (const line of error.lines) out.info(line);
    return error.exitCode;
  }
  if (error instanceof ChaosError) {
    out.info(`chaos: ${error.message}`);
    if (error.hint) out.info(`hint: ${error.hint}`);
    return error.exitCode;
  }
  out.info(`chaos: internal error (a bug in chaos, please report it):`);
  out.info(error instanceof Error ? (error.stack ?? error.message) : String(error));
  return ExitCode.Internal;
}

/**
 * Input is checked before a command that talks to a cluster is even loaded: a typo is refused at what
 * `chaos validate` costs, not after the start-up of the Kubernetes client and everything a run needs.
 */
async function refuseInvalid(files: string[], kind: 'scenario' | 'suite' | 'either'): Promise<void> {
  const { inputProblems } = await import('./commands/validate.js');
  const problems = await inputProblems(files, kind);
  if (problems.length > 0) throw new InvalidInputError(problems);
}
