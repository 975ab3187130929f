/**
 * Cordon a node, then evict its pods through the Eviction API, like `kubectl drain` but in the open: every
 * eviction a PodDisruptionBudget blocks (HTTP 429) is recorded, backed off and retried until a timeout.
 */
import { apiStatus, matchesSelector, type Pod } from '../adapters/kube.js';
import type { UndoRecord } from '../ledger/ledger.js';
import type { FaultSpec } from '../scenario/schema.js';
import {
  emptyRecord,
  isTerminating,
  mutate,
  type FaultContext,
  type FaultPlugin,
  type Injection,
} from './fault.js';

type NodeDrainSpec = Extract<FaultSpec, { type: 'node-drain' }>;

/** Version 1: the node to uncordon. */
export interface NodeDrainUndo extends UndoRecord {
  fault: 'node-drain';
  v: 1;
  node: string;
}

const isDaemonSetPod = (p: Pod) => p.metadata?.ownerReferences?.some((o) => o.kind === 'DaemonSet') ?? false;
const isMirrorPod = (p: Pod) => Boolean(p.metadata?.annotations?.['kubernetes.io/config.mirror']);
const isFinished = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

async function chooseNode(spec: NodeDrainSpec, ctx: Omit<FaultContext, 'ledger'>): Promise<string | null> {
  if (spec.node) return spec.node;
  const pods = (await ctx.kube.listPods(ctx.namespace, ctx.plan.scenario.target.selector)).filter(
    (p) => !isTerminating(p),
  );
  const perNode = new Map<string, number>();
  for (const p of pods) {
    const n = p.spec?.nodeName;
    if (n) perNode.set(n, (perNode.get(n) ?? 0) + 1);
  }
  // Most target pods first; the name breaks ties so the same cluster state always picks the same node.
  const ranked = [...perNode.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return ranked[0]?.[0] ?? null;
}

export const nodeDrain: FaultPlugin<NodeDrainSpec> = {
  type: 'node-drain',

  async preview(spec, ctx) {
    const node = await chooseNode(spec, ctx);
    if (!node) return ['would drain nothing: no target pod runs on any node'];
    const pods = (await ctx.kube.listPodsOnNode(node)).filter(
      (p) => !isDaemonSetPod(p) && !isMirrorPod(p) && !isFinished(p),
    );
    return [
      `would cordon ${node} and evict ${pods.length} pod(s): ${pods.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`).join(', ')}`,
    ];
  },

  async inject(spec, ctx): Promise<Injection> {
    const record = emptyRecord('node-drain');
    let node: string | null;
    try {
      node = await chooseNode(spec, ctx);
    } catch (error) {
      record.notes.push(`cannot list the target pods: ${apiStatus(error).message}`);
      record.description = 'drained nothing: the target pods could not be listed';
      return { record, mutations: [] };
    }
    if (!node) {
      record.description = 'drained nothing: no target pod runs on any node';
      return { record, mutations: [] };
    }
    const mutations: Injection['mutations'] = [];
    // A node someone already cordoned (maintenance) stays cordoned: uncordoning it afterwards is not our call.
    const alreadyCordoned = await ctx.kube.readNode(node).then(
      (n) => n.spec?.unschedulable === true,
      () => false,
    );
    const at = new Date().toISOString();
    if (alreadyCordoned) {
      record.notes.push(`node ${node} was already cordoned; it stays cordoned after the run`);
    } else {
      try {
        mutations.push(
          await mutate(
            ctx,
            'node-drain',
            `cordon node ${node}`,
            { fault: 'node-drain', v: 1, node } satisfies NodeDrainUndo,
            () => ctx.kube.setUnschedulable(node, true),
          ),
        );
      } catch (error) {
        const { code, message } = apiStatus(error);
        record.notes.push(`cordon ${node} refused (${code ?? 'no status'}): ${message}`);
        record.description = `could not cordon ${node}`;
        return { record, mutations };
      }
    }
    record.injectedAt = at;
    record.targets.push(`node/${node}`);
    ctx.log(`fault node-drain: cordoned ${node}`);

    let pods: Pod[];
    try {
      pods = (await ctx.kube.listPodsOnNode(node)).filter((p) => !isTerminating(p) && !isFinished(p));
    } catch (error) {
      // The cordon stays in `mutations`, so the run still reverts it.
      record.notes.push(`cannot list the pods on ${node}: ${apiStatus(error).message}`);
      record.description = `cordoned ${node}; evicted nothing: its pods could not be listed`;
      return { record, mutations };
    }
    const skipped = pods.filter((p) => isDaemonSetPod(p) || isMirrorPod(p));
    if (skipped.length > 0) record.notes.push(`skipped ${skipped.length} DaemonSet/mirror pod(s)`);
    const toEvict = pods.filter((p) => !isDaemonSetPod(p) && !isMirrorPod(p));
    const deadline = Date.now() + spec.evictionTimeout.ms;
    const backoff = spec.backoff.ms;
    const evicted: string[] = [];
    const selector = ctx.plan.scenario.target.selector;
    const underTest = (p: Pod): boolean =>
      p.metadata?.namespace === ctx.namespace && matchesSelector(p.metadata?.labels, selector);
    let blocked = 0;
    // Counted apart: another workload's budget (the feature store's, a second model server's) blocking its own
    // pods says nothing about whether the pods under test had one.
    let blockedUnderTest = 0;

    await Promise.all(
      toEvict.map(async (pod) => {
        const ns = pod.metadata!.namespace!;
        const name = pod.metadata!.name!;
        for (;;) {
          try {
            await ctx.kube.evictPod(ns, name);
            evicted.push(`${ns}/${name}`);
            ctx.log(`fault node-drain: evicted ${ns}/${name}`);
            return;
          } catch (error) {
            const { code, message } = apiStatus(error);
            if (code === 404) return;
            if (code === 429) {
              blocked++;
              if (underTest(pod)) blockedUnderTest++;
              record.notes.push(
                `${new Date().toISOString()} eviction of ${ns}/${name} blocked (429): ${message}`,
              );
              if (Date.now() + backoff > deadline || ctx.signal.aborted) {
                record.notes.push(`gave up evicting ${ns}/${name} after ${spec.evictionTimeout.text}`);
                return;
              }
              await new Promise((r) => setTimeout(r, backoff));
              continue;
            }
            record.notes.push(`eviction of ${ns}/${name} refused (${code ?? 'no status'}): ${message}`);
            return;
          }
        }
      }),
    );
    record.targets.push(...evicted.map((p) => `pod/${p}`));
    const evictedTargets = toEvict.filter(
      (p) => underTest(p) && evicted.includes(`${ctx.namespace}/${p.metadata?.name}`),
    ).length;
    // A drain that evicted none of the pods under test did not test them.
    record.confirmed = evictedTargets > 0;
    record.description = `cordoned ${node}; evicted ${evicted.length}/${toEvict.length} pod(s) (${evictedTargets} under test); ${blocked} eviction(s) blocked by a PDB (${blockedUnderTest} of pods under test)`;
    return { record, mutations };
  },

  async undo(record, kube) {
    const { node } = record as NodeDrainUndo;
    try {
      await kube.setUnschedulable(node, false);
    } catch (error) {
      if (apiStatus(error).code === 404) return `node ${node} no longer exists`;
      throw error;
    }
    return `uncordoned node ${node}`;
  },
};
