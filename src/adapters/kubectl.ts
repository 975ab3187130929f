/**
 * The kubectl process, for `kubectl` faults: found once, run with an argument list (never a shell), a timeout
 * and a cancel signal, classified by execa's fields. Where it points (context, namespace) is the caller's
 * business: `Kube.kubectl` adds both, so only the Kubernetes edge decides which cluster a command reaches.
 */
import { execa } from 'execa';
import { findBinary } from './binary.js';

/** Output kept per command: enough for a report, bounded whatever the command prints. */
export const KUBECTL_OUTPUT_LIMIT = 16 * 1024;

export interface KubectlRun {
  /** Everything kubectl was given, harness flags included. */
  args: string[];
  exitCode: number | null;
  /** stdout. */
  stdout: string;
  /** stdout and stderr interleaved, as a person would have seen it; truncated to KUBECTL_OUTPUT_LIMIT. */
  output: string;
  timedOut: boolean;
  /** Why it did not succeed (exit code, timeout, cancel, not started), or null when it exited 0. */
  failure: string | null;
  durationMs: number;
}

export interface RunKubectlOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** KUBECTL_BIN, then PATH, then the testbed's build cache (newest first): where a `kubectl` fault finds it. */
export function findKubectl(env: NodeJS.ProcessEnv = process.env): string {
  return findBinary(
    {
      name: 'kubectl',
      envVar: 'KUBECTL_BIN',
      hint: HINT,
      notFound: (cached) =>
        `kubectl was not found (looked for $KUBECTL_BIN, kubectl on PATH, ${cached}); the scenario has kubectl faults`,
    },
    env,
  );
}

const HINT =
  'install kubectl (https://kubernetes.io/docs/tasks/tools/), put it on PATH or set KUBECTL_BIN; `chaos cluster up` builds one';

export async function runKubectl(bin: string, args: string[], opts: RunKubectlOptions): Promise<KubectlRun> {
  const started = Date.now();
  const result = await execa(bin, args, {
    cwd: opts.cwd,
    env: {
      ...(opts.env ?? process.env),
      // kubectl's preferences file can alias commands and add default flags: the checked arguments are the
      // ones that run.
      KUBERC: 'off',
    },
    extendEnv: false,
    stdin: 'ignore',
    all: true,
    reject: false,
    timeout: opts.timeoutMs,
    cancelSignal: opts.signal,
    killSignal: 'SIGTERM',
    forceKillAfterDelay: 5000,
    maxBuffer: 1024 * 1024,
  });
  const all = typeof result.all === 'string' ? result.all : '';
  const output =
    all.length > KUBECTL_OUTPUT_LIMIT
      ? `${all.slice(0, KUBECTL_OUTPUT_LIMIT)}\n… (${all.length - KUBECTL_OUTPUT_LIMIT} more characters)`
      : all;
  const failure = result.timedOut
    ? `timed out after ${opts.timeoutMs / 1000}s`
    : result.isCanceled
      ? 'canceled'
      : result.failed
        ? result.exitCode === undefined
          ? (result.originalMessage ?? result.shortMessage ?? 'did not run')
          : `exit ${result.exitCode}`
        : null;
  return {
    args,
    exitCode: result.exitCode ?? null,
    stdout: typeof result.stdout === 'string' ? result.stdout : '',
    output,
    timedOut: result.timedOut,
    failure,
    durationMs: Date.now() - started,
  };
}
