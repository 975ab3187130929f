/**
 * Network delay (tc netem) on the egress of selected pods, from an ephemeral container with NET_ADMIN in
 * each pod's network namespace. The container removes its own rule when its TTL ends, so the delay
 * disappears even if chaos dies and nobody runs `chaos recover`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { apiStatus } from '../adapters/kube.js';
import { parseDurationMs } from '../scenario/units.js';
import type { FaultSpec } from '../scenario/schema.js';
import { emptyRecord, isReady, isTerminating, mutate, type FaultContext, type FaultPlugin, type Injection } from './fault.js';

type LatencySpec = Extract<FaultSpec, { type: 'latency' }>;

export function netemScript(iface: string, delayMs: number, jitterMs: number, ttlS: number): string {
  const jitter = jitterMs > 0 ? ` ${jitterMs}ms distribution normal` : '';
  return [
    `tc qdisc replace dev ${iface} root netem delay ${delayMs}ms${jitter}`,
    `echo chaos-netem applied`,
    `trap 'tc qdisc del dev ${iface} root 2>/dev/null; echo chaos-netem removed; exit 0' TERM INT`,
    `sleep ${ttlS} & wait $!`,
    `tc qdisc del dev ${iface} root 2>/dev/null`,
    `echo chaos-netem expired`,
  ].join('; ');
}

function ttlMs(spec: LatencySpec, ctx: Omit<FaultContext, 'ledger'>): number {
  if (spec.duration) return parseDurationMs(spec.duration) * ctx.plan.timeScale;
  const fault = ctx.plan.windows.find((w) => w.name === 'fault')!;
  return fault.endMs - fault.startMs - parseDurationMs(spec.at) * ctx.plan.timeScale;
}

async function victims(spec: LatencySpec, ctx: Omit<FaultContext, 'ledger'>) {
  const ns = spec.namespace ?? ctx.namespace;
  const pods = (await ctx.kube.listPods(ns, spec.selector)).filter((p) => !isTerminating(p) && isReady(p));
  const cap = ctx.plan.scenario.safety.maxPods ?? pods.length;
  return { ns, names: pods.map((p) => p.metadata!.name!).sort().slice(0, cap) };
}

export const latency: FaultPlugin<LatencySpec> = {
  type: 'latency',

  async preview(spec, ctx) {
    const { ns, names } = await victims(spec, ctx);
    if (names.length === 0) return ['would delay nothing: the selector matches no ready pod'];
    return names.map((n) => `would add ${spec.delay} netem delay to ${ns}/${n} for ${Math.round(ttlMs(spec, ctx) / 1000)}s`);
  },

  async inject(spec, ctx): Promise<Injection> {
    const record = emptyRecord('latency');
    const { ns, names } = await victims(spec, ctx);
    const delayMs = parseDurationMs(spec.delay);
    const jitterMs = spec.jitter ? parseDurationMs(spec.jitter) : 0;
    const ttlS = Math.max(1, Math.round(ttlMs(spec, ctx) / 1000));
    const mutations: Injection['mutations'] = [];
    if (names.length === 0) {
      record.description = 'delayed nothing: the selector matches no ready pod';
      return { record, mutations };
    }
    const container = `chaos-netem-${ctx.runId.slice(-8)}-${Date.now().toString(36)}`;
    for (const pod of names) {
      const expiresAt = new Date(Date.now() + ttlS * 1000).toISOString();
      try {
        mutations.push(
          await mutate(
            ctx,
            'latency',
            `netem ${spec.delay} on ${ns}/${pod} until ${expiresAt}`,
            { kind: 'removeNetem', namespace: ns, pod, container, iface: spec.interface, expiresAt },
            () =>
              ctx.kube.addEphemeralContainer(ns, pod, {
                name: container,
                image: spec.image,
                imagePullPolicy: 'IfNotPresent',
                command: ['sh', '-c', netemScript(spec.interface, delayMs, jitterMs, ttlS)],
                securityContext: { capabilities: { add: ['NET_ADMIN'] } },
              }),
          ),
        );
      } catch (error) {
        const { code, message } = apiStatus(error);
        record.notes.push(`adding the netem agent to ${ns}/${pod} refused (${code ?? 'no status'}): ${message}`);
      }
    }
    // Confirm from the cluster, not from our intent: the agent must be running with the rule in place.
    const confirmed: string[] = [];
    const deadline = Date.now() + 30_000;
    for (const pod of names) {
      for (;;) {
        const p = (await ctx.kube.listPods(ns, spec.selector)).find((x) => x.metadata?.name === pod);
        const status = p?.status?.ephemeralContainerStatuses?.find((s) => s.name === container);
        if (status?.state?.running) {
          try {
            const qdisc = await ctx.kube.exec(ns, pod, container, ['tc', 'qdisc', 'show', 'dev', spec.interface]);
            if (qdisc.includes('netem')) {
              confirmed.push(`${ns}/${pod}`);
              break;
            }
          } catch {
            // The agent may still be applying its rule.
          }
        }
        const waiting = status?.state?.waiting ?? status?.state?.terminated;
        if (status?.state?.terminated || Date.now() > deadline || ctx.signal.aborted) {
          record.notes.push(`netem agent in ${ns}/${pod} not confirmed: ${JSON.stringify(waiting ?? 'no status')}`);
          break;
        }
        await sleep(500);
      }
    }
    record.targets = confirmed;
    record.injectedAt = confirmed.length > 0 ? new Date().toISOString() : null;
    record.confirmed = confirmed.length > 0;
    record.description = `${spec.delay}${jitterMs ? ` ±${spec.jitter}` : ''} egress delay on ${confirmed.length}/${names.length} pod(s) matching ${JSON.stringify(spec.selector)}, self-expiring after ${ttlS}s`;
    ctx.log(`fault latency: ${record.description}`);
    return { record, mutations };
  },
};
