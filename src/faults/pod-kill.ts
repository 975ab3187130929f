/** Deletes pods matching the target selector: a seeded choice, a count or a percentage, optionally repeated. */
import { setTimeout as sleep } from 'node:timers/promises';
import { apiStatus } from '../adapters/kube.js';
import type { UndoRecord } from '../ledger/ledger.js';
import type { FaultSpec } from '../scenario/schema.js';
import {
  emptyRecord,
  isReady,
  isTerminating,
  mutate,
  pick,
  type FaultContext,
  type FaultPlugin,
  type Injection,
} from './fault.js';

type PodKillSpec = Extract<FaultSpec, { type: 'pod-kill' }>;

/** Version 1: nothing to undo, journalled all the same so the ledger tells the whole story of a run. */
const REPLACED: UndoRecord = { fault: 'pod-kill', v: 1, nothing: 'the ReplicaSet replaces a deleted pod' };

/** How often the Ready count is read while a repeat waits for the last round's replacements. */
const READY_POLL_MS = 1000;

async function readyTargets(ctx: Omit<FaultContext, 'ledger'>): Promise<number> {
  const pods = await ctx.kube.listPods(ctx.namespace, ctx.plan.scenario.target.selector);
  return pods.filter((p) => !isTerminating(p) && isReady(p)).length;
}

/**
 * Waits until `want` target pods are Ready again, or the fault window ends. Without it, a repeat that lands
 * mid-replacement (a slow image start, a short interval at a small time scale) takes down a second replica
 * while the first is still coming back: a different experiment from the one the scenario describes.
 */
async function untilReplaced(
  ctx: Omit<FaultContext, 'ledger'>,
  want: number,
): Promise<{ ready: number | null; waitedMs: number }> {
  const start = Date.now();
  const deadline = ctx.windowEndMs ?? start + 60_000;
  let ready: number | null = null;
  for (;;) {
    try {
      ready = await readyTargets(ctx);
      if (ready >= want) break;
    } catch {
      // A read that fails is retried like a pod that is not Ready yet; the deadline bounds both.
    }
    if (Date.now() + READY_POLL_MS >= deadline) break;
    if (!(await sleep(READY_POLL_MS, true, { signal: ctx.signal }).catch(() => false))) break;
  }
  return { ready, waitedMs: Date.now() - start };
}

async function victims(
  spec: PodKillSpec,
  ctx: Omit<FaultContext, 'ledger'>,
): Promise<{ names: string[]; of: number }> {
  const s = ctx.plan.scenario;
  const pods = (await ctx.kube.listPods(ctx.namespace, s.target.selector)).filter((p) => !isTerminating(p));
  let n = spec.count ?? Math.ceil(pods.length * (spec.percent?.ratio ?? 0));
  // The safety caps bound the blast radius whatever the fault asks for.
  if (s.safety.maxPods !== undefined) n = Math.min(n, s.safety.maxPods);
  if (s.safety.maxPercent !== undefined) n = Math.min(n, Math.floor(pods.length * s.safety.maxPercent.ratio));
  const names = pods.map((p) => p.metadata!.name!).sort();
  return { names: pick(names, Math.min(n, names.length), ctx.random), of: pods.length };
}

export const podKill: FaultPlugin<PodKillSpec> = {
  type: 'pod-kill',

  async preview(spec, ctx) {
    const { names, of } = await victims(spec, ctx);
    return names.map((n) => `would delete pod ${ctx.namespace}/${n} (1 of ${of} matching)`);
  },

  async inject(spec, ctx): Promise<Injection> {
    const record = emptyRecord('pod-kill');
    record.nothingToRevert = 'pods are replaced by their controller';
    const injections: string[] = [];
    const mutations: Injection['mutations'] = [];
    const grace = spec.gracePeriod === undefined ? undefined : Math.round(spec.gracePeriod.ms / 1000);
    const interval = spec.interval ? spec.interval.ms * ctx.plan.timeScale : 0;
    // Read before the first kill: what "replaced" means for the rounds after it.
    const readyBefore = spec.repeat > 1 && spec.waitReady ? await readyTargets(ctx).catch(() => null) : null;
    for (let round = 0; round < spec.repeat && !ctx.signal.aborted; round++) {
      if (round > 0) {
        // An interrupt during the interval must not be followed by one more kill.
        const slept = await sleep(interval, true, { signal: ctx.signal }).catch(() => false);
        // An abort that lands as the interval ends still wins.
        if (!slept || ctx.signal.aborted) break;
        if (readyBefore !== null) {
          const { ready, waitedMs } = await untilReplaced(ctx, readyBefore);
          if (ctx.signal.aborted) break;
          if (ready === null || ready < readyBefore) {
            record.notes.push(
              `round ${round + 1} not run: ${ready ?? 'unknown'}/${readyBefore} target pods Ready when the fault window ended`,
            );
            ctx.log(
              `fault pod-kill: round ${round + 1} not run, the pods of round ${round} are not replaced yet`,
            );
            break;
          }
          if (waitedMs >= READY_POLL_MS)
            record.notes.push(
              `round ${round + 1} waited ${(waitedMs / 1000).toFixed(1)}s for ${readyBefore} Ready target pods`,
            );
        }
      }
      let names: string[];
      let of: number;
      try {
        ({ names, of } = await victims(spec, ctx));
      } catch (error) {
        record.notes.push(`round ${round + 1}: cannot list the target pods: ${apiStatus(error).message}`);
        continue;
      }
      if (names.length === 0) {
        record.notes.push(`round ${round + 1}: the selector matched no running pod (${of} matching)`);
        continue;
      }
      const before = injections.length;
      for (const name of names) {
        const description = `delete pod ${ctx.namespace}/${name}${grace === undefined ? '' : ` (grace ${grace}s)`}`;
        // Taken before the call: the ReplicaSet may create the replacement before the delete call returns, and a
        // replacement dated before the fault would not count as one.
        const at = new Date().toISOString();
        try {
          mutations.push(
            await mutate(ctx, 'pod-kill', description, { ...REPLACED }, () =>
              ctx.kube.deletePod(ctx.namespace, name, grace),
            ),
          );
          record.targets.push(`${ctx.namespace}/${name}`);
          record.injectedAt ??= at;
          // One moment per round: the pods of one round go together, and each round gets its chart marker.
          if (injections.length === before) injections.push(at);
          ctx.log(`fault pod-kill: deleted ${ctx.namespace}/${name}`);
        } catch (error) {
          const { code, message } = apiStatus(error);
          record.notes.push(`delete ${name} refused (${code ?? 'no status'}): ${message}`);
        }
      }
    }
    if (injections.length > 1) record.injections = injections;
    record.confirmed = record.targets.length > 0;
    record.description =
      record.targets.length > 0
        ? `deleted ${record.targets.length} pod(s): ${record.targets.join(', ')}${grace === undefined ? '' : ` with grace ${grace}s`}`
        : 'deleted nothing';
    return { record, mutations };
  },

  undo: (record) => Promise.resolve(`nothing to undo (${record.nothing ?? REPLACED.nothing})`),
};
