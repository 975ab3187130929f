/**
 * Any kubectl action as a fault, with the same guarantees as the built-in kinds: the undo is journaled before
 * the inject runs, so every exit path and `chaos recover` run it. Commands are argument lists (no shell),
 * pointed at the run's context and namespace by the Kubernetes edge (Kube.kubectl); validation has already
 * refused arguments that would point them elsewhere (src/scenario/kubectl-rules.ts), and inject checks again
 * against the namespace the run really uses.
 *
 * A value the undo needs from before the fault (a replica count) is read by `capture`, a `get` whose output
 * replaces {{captured}} in the undo's arguments before they are journaled: the ledger holds the exact command
 * that puts things back, and `chaos recover` needs nothing else.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ReadOnlyViolation, type Kube } from '../adapters/kube.js';
import type { KubectlRun } from '../adapters/kubectl.js';
import type { UndoRecord } from '../ledger/ledger.js';
import { kubectlArgIssues, substituteCaptured, type KubectlStep } from '../scenario/kubectl-rules.js';
import type { FaultSpec } from '../scenario/schema.js';
import type { FaultCommand } from '../verdict/result.js';
import { emptyRecord, mutate, type FaultContext, type FaultPlugin, type Injection } from './fault.js';

type KubectlSpec = Extract<FaultSpec, { type: 'kubectl' }>;

/** Version 1: the undo command exactly as it will run (captured value in place), and where. */
export interface KubectlUndo extends UndoRecord {
  fault: 'kubectl';
  v: 1;
  namespace: string;
  args: string[];
  timeoutMs: number;
  /** The scenario's directory: relative files (`-f policy.yaml`) resolve against it, in recover too. */
  cwd: string;
}

const CONFIRM_EVERY_MS = 1000;

/** A kubectl command as people would type it, for logs and reports. */
export function commandLine(args: readonly string[]): string {
  return ['kubectl', ...args.map((a) => (/^[\w@%+=:,./{}[\]-]+$/.test(a) ? a : JSON.stringify(a)))].join(' ');
}

function oneLine(text: string, max = 300): string {
  const flat = text.trim().replace(/\s*\n\s*/g, ' | ');
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** Arguments a run may not use in the namespace it really runs in (a `--namespace` override included). */
function guard(spec: KubectlSpec, namespace: string): string[] {
  const steps: KubectlStep[] = ['capture', 'inject', 'confirm', 'undo'];
  return steps.flatMap((step) => {
    const args = spec[step];
    if (!args) return [];
    return kubectlArgIssues(args, { namespace, step, hasCapture: spec.capture !== undefined }).map(
      (x) => `${step}${x.index === null ? '' : `[${x.index}]`}: ${x.message}`,
    );
  });
}

export const kubectl: FaultPlugin<KubectlSpec> = {
  type: 'kubectl',

  preview(spec, ctx) {
    // Nothing runs in a preview, not even the capture: `--dry-run` prints the commands and runs none.
    const where = `--namespace ${ctx.namespace}`;
    const lines = [];
    if (spec.capture)
      lines.push(`would read ${commandLine(spec.capture)} (${where}); its output replaces {{captured}}`);
    lines.push(`would run ${commandLine(spec.inject)} (${where})`);
    if (spec.confirm)
      lines.push(`would confirm with ${commandLine(spec.confirm)} (within ${spec.confirmWithin.text})`);
    lines.push(`would undo with ${commandLine(spec.undo)} (journaled before the inject)`);
    return Promise.resolve(lines);
  },

  async inject(spec, ctx): Promise<Injection> {
    const record = emptyRecord('kubectl');
    const commands: FaultCommand[] = [];
    record.commands = commands;
    record.description = `${commandLine(spec.inject)} (undo: ${commandLine(spec.undo)})`;
    const refused = guard(spec, ctx.namespace);
    if (refused.length > 0) {
      record.notes.push(...refused.map((r) => `refused: ${r}`));
      return { record, mutations: [] };
    }
    const run = (args: string[], write: boolean) =>
      ctx.kube.kubectl(ctx.namespace, args, {
        write,
        timeoutMs: spec.timeout.ms,
        signal: ctx.signal,
        cwd: scenarioDir(ctx),
      });
    const keep = (step: FaultCommand['step'], r: KubectlRun, attempts?: number) => {
      const redact = ctx.redact ?? ((t: string) => t);
      const command: FaultCommand = {
        step,
        args: r.args.map(redact),
        exitCode: r.exitCode,
        failure: r.failure,
        output: redact(r.output),
        durationMs: r.durationMs,
        ...(attempts === undefined ? {} : { attempts }),
      };
      const i = commands.findIndex((c) => c.step === step);
      if (i >= 0) commands[i] = command;
      else commands.push(command);
      record.notes.push(
        `${step}: ${redact(commandLine(r.args))} → ${r.failure ?? 'exit 0'}${r.output.trim() ? `: ${redact(oneLine(r.output))}` : ''}`,
      );
    };

    let undoArgs = spec.undo;
    if (spec.capture) {
      let r: KubectlRun;
      try {
        r = await run(spec.capture, false);
      } catch (error) {
        record.notes.push(`capture could not run: ${(error as Error).message}`);
        return { record, mutations: [] };
      }
      keep('capture', r);
      if (r.failure) {
        record.notes.push('capture failed: nothing was injected, since the undo would lack its value');
        return { record, mutations: [] };
      }
      try {
        undoArgs = substituteCaptured(spec.undo, r.stdout.trim());
      } catch (error) {
        record.notes.push(`capture: ${(error as Error).message}; nothing was injected`);
        return { record, mutations: [] };
      }
    }
    record.description = `${commandLine(spec.inject)} (undo: ${commandLine(undoArgs)})`;

    const undo: KubectlUndo = {
      fault: 'kubectl',
      v: 1,
      namespace: ctx.namespace,
      args: undoArgs,
      timeoutMs: spec.timeout.ms,
      cwd: scenarioDir(ctx),
    };
    const at = new Date().toISOString();
    let injected: KubectlRun | null = null;
    let mutation;
    try {
      mutation = await mutate(ctx, 'kubectl', commandLine(spec.inject), undo, async () => {
        injected = await run(spec.inject, true);
        keep('inject', injected);
        // kubectl cannot say whether a failed command changed anything (one object of several applied, a
        // timeout after the write): the entry stays open and the undo runs, which is why it must be safe to
        // run whatever inject did.
        if (injected.failure) throw new Error(`inject failed (${injected.failure})`);
      });
    } catch (error) {
      record.notes.push(
        error instanceof ReadOnlyViolation
          ? error.message
          : `${(error as Error).message}; the undo runs all the same`,
      );
      if (injected) record.injectedAt = at;
      return { record, mutations: [] };
    }
    record.injectedAt = at;
    record.targets.push(`${ctx.namespace}: ${commandLine(spec.inject)}`);
    ctx.log(`fault kubectl: ${commandLine(spec.inject)} in ${ctx.namespace}`);

    if (!spec.confirm) {
      record.confirmed = true;
      return { record, mutations: [mutation] };
    }
    // The inject is made: from here on nothing may throw, or the run would lose the mutation to revert.
    const deadline = Date.now() + spec.confirmWithin.ms;
    let attempts = 0;
    while (!ctx.signal.aborted) {
      attempts++;
      const r = await run(spec.confirm, false).catch((error: unknown) => {
        record.notes.push(`confirm could not run: ${(error as Error).message}`);
        return null;
      });
      if (!r) break;
      if (!r.failure || Date.now() + CONFIRM_EVERY_MS > deadline) {
        // Only the attempt that decided is kept: earlier ones said the same "not yet".
        keep('confirm', r, attempts);
        record.confirmed = r.failure === null;
        break;
      }
      await sleep(CONFIRM_EVERY_MS, undefined, { signal: ctx.signal }).catch(() => undefined);
    }
    if (!record.confirmed)
      record.notes.push(
        `not confirmed within ${spec.confirmWithin.text} (${attempts} attempt(s)): the run is INCONCLUSIVE`,
      );
    return { record, mutations: [mutation] };
  },

  async undo(record, kube: Kube) {
    const { namespace, args, timeoutMs, cwd } = record as KubectlUndo;
    const r = await kube.kubectl(namespace, args, { write: true, timeoutMs, cwd });
    if (r.failure)
      throw new Error(
        `${commandLine(args)} in ${namespace}: ${r.failure}: ${oneLine(r.output) || 'no output'}`,
      );
    return `${commandLine(args)} in ${namespace}: ${oneLine(r.output) || 'exit 0'}`;
  },
};

function scenarioDir(ctx: Pick<FaultContext, 'plan'>): string {
  return path.dirname(path.resolve(ctx.plan.file));
}
