/**
 * Network delay on selected pods, from an ephemeral container with NET_ADMIN in each pod's network namespace.
 * The agent uses tc netem where the kernel has it; otherwise (kernels built without sch_netem, like the VMs
 * CI runs on) it redirects new connections to the pod's port through a delaying TCP proxy that ships in the
 * agent image. Either way it removes its own rule when its TTL ends, so the delay disappears even if chaos
 * dies and nobody runs `chaos recover`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { apiStatus, type Kube } from '../adapters/kube.js';
import type { UndoRecord } from '../ledger/ledger.js';
import type { FaultSpec } from '../scenario/schema.js';
import {
  emptyRecord,
  isReady,
  isTerminating,
  mutate,
  type FaultContext,
  type FaultPlugin,
  type Injection,
} from './fault.js';
import { AGENT_STATE_FILE, agentScript, kubernetesEscape, STOP_AGENT } from './latency-agent.js';

type LatencySpec = Extract<FaultSpec, { type: 'latency' }>;

/** Version 1: the agent to stop, and when it would have stopped by itself. */
export interface LatencyUndo extends UndoRecord {
  fault: 'latency';
  v: 1;
  namespace: string;
  pod: string;
  container: string;
  expiresAt: string;
}

function ttlMs(spec: LatencySpec, ctx: Omit<FaultContext, 'ledger'>): number {
  if (spec.duration) return spec.duration.ms * ctx.plan.timeScale;
  const fault = ctx.plan.windows.find((w) => w.name === 'fault')!;
  return fault.endMs - fault.startMs - spec.at.ms * ctx.plan.timeScale;
}

async function victims(spec: LatencySpec, ctx: Omit<FaultContext, 'ledger'>) {
  const ns = spec.namespace ?? ctx.namespace;
  const pods = (await ctx.kube.listPods(ns, spec.selector)).filter((p) => !isTerminating(p) && isReady(p));
  // The safety caps bound the blast radius whatever the selector matches, as for pod-kill.
  const { maxPods, maxPercent } = ctx.plan.scenario.safety;
  let cap = maxPods ?? pods.length;
  if (maxPercent !== undefined) cap = Math.min(cap, Math.floor(pods.length * maxPercent.ratio));
  const port = spec.port ?? pods[0]?.spec?.containers[0]?.ports?.[0]?.containerPort ?? 8080;
  return {
    ns,
    port,
    names: pods
      .map((p) => p.metadata!.name!)
      .sort()
      .slice(0, cap),
  };
}

export const latency: FaultPlugin<LatencySpec> = {
  type: 'latency',

  async preview(spec, ctx) {
    const { ns, names } = await victims(spec, ctx);
    if (names.length === 0) return ['would delay nothing: the selector matches no ready pod'];
    return names.map(
      (n) =>
        `would add ${spec.delay.text} netem delay to ${ns}/${n} for ${Math.round(ttlMs(spec, ctx) / 1000)}s`,
    );
  },

  async inject(spec, ctx): Promise<Injection> {
    const record = emptyRecord('latency');
    let selected: Awaited<ReturnType<typeof victims>>;
    try {
      selected = await victims(spec, ctx);
    } catch (error) {
      record.notes.push(`cannot list the pods to delay: ${apiStatus(error).message}`);
      record.description = 'delayed nothing: the pods could not be listed';
      return { record, mutations: [] };
    }
    const { ns, names, port } = selected;
    const delayMs = spec.delay.ms;
    const jitterMs = spec.jitter ? spec.jitter.ms : 0;
    const ttlS = Math.max(1, Math.round(ttlMs(spec, ctx) / 1000));
    const mutations: Injection['mutations'] = [];
    if (names.length === 0) {
      record.description = 'delayed nothing: the selector matches no ready pod';
      return { record, mutations };
    }
    // A container name is a DNS label; a run id need not be one (a game day's scenarios end in ".01").
    const runTag = ctx.runId.replace(/[^a-z0-9]/g, '').slice(-6);
    const container = `chaos-latency-${runTag}-${Date.now().toString(36)}`;
    for (const pod of names) {
      const expiresAt = new Date(Date.now() + ttlS * 1000).toISOString();
      try {
        mutations.push(
          await mutate(
            ctx,
            'latency',
            `latency agent (${spec.delay.text}) in ${ns}/${pod} until ${expiresAt}`,
            { fault: 'latency', v: 1, namespace: ns, pod, container, expiresAt } satisfies LatencyUndo,
            () =>
              ctx.kube.addEphemeralContainer(ns, pod, {
                name: container,
                image: spec.image,
                imagePullPolicy: 'IfNotPresent',
                command: [
                  'sh',
                  '-c',
                  kubernetesEscape(agentScript({ iface: spec.interface, port, delayMs, jitterMs, ttlS })),
                ],
                securityContext: { capabilities: { add: ['NET_ADMIN'] } },
              }),
          ),
        );
      } catch (error) {
        const { code, message } = apiStatus(error);
        record.notes.push(
          `adding the netem agent to ${ns}/${pod} refused (${code ?? 'no status'}): ${message}`,
        );
      }
    }
    // Confirm from inside the pod, not from our intent: the agent reports which mechanism took effect.
    const confirmed: string[] = [];
    const mechanisms = new Set<string>();
    const deadline = Date.now() + 30_000;
    for (const m of mutations) {
      const pod = (m.undo as LatencyUndo).pod;
      let last = 'no answer';
      for (;;) {
        try {
          last = (await ctx.kube.exec(ns, pod, container, ['cat', AGENT_STATE_FILE])).trim();
          if (last === 'netem' || last === 'proxy') {
            confirmed.push(`${ns}/${pod}`);
            mechanisms.add(last);
            break;
          }
          if (last === 'failed') break;
        } catch (error) {
          last = (error as Error).message.split('\n')[0] ?? 'exec failed';
        }
        if (Date.now() > deadline || ctx.signal.aborted) break;
        await sleep(500);
      }
      if (!confirmed.includes(`${ns}/${pod}`))
        record.notes.push(`latency agent in ${ns}/${pod} not confirmed: ${last}`);
    }
    record.targets = confirmed;
    record.injectedAt = confirmed.length > 0 ? new Date().toISOString() : null;
    record.confirmed = confirmed.length > 0;
    const how = [...mechanisms]
      .map((m) => (m === 'netem' ? 'tc netem' : `delay proxy on port ${port} (kernel has no netem)`))
      .join(', ');
    record.description = `${spec.delay.text}${jitterMs ? ` ±${spec.jitter?.text}` : ''} delay on ${confirmed.length}/${names.length} pod(s) matching ${JSON.stringify(spec.selector)}${how ? ` via ${how}` : ''}, self-expiring after ${ttlS}s`;
    ctx.log(`fault latency: ${record.description}`);
    return { record, mutations };
  },

  undo: (record, kube) => stopAgent(kube, record as LatencyUndo),
};

async function stopAgent(kube: Kube, undo: LatencyUndo): Promise<string> {
  // The agent may still be starting (a run killed right after asking for it): wait for it to run or end,
  // rather than declaring it gone and letting it apply its delay afterwards.
  const deadline = Date.now() + 60_000;
  let signalled = false;
  for (;;) {
    let pod;
    try {
      pod = await kube.readPod(undo.namespace, undo.pod);
    } catch (error) {
      if (apiStatus(error).code === 404)
        return `pod ${undo.namespace}/${undo.pod} is gone, and its latency agent with it`;
      throw error;
    }
    if (!pod.spec?.ephemeralContainers?.some((c) => c.name === undo.container)) {
      return `latency agent ${undo.container} was never added to ${undo.namespace}/${undo.pod}`;
    }
    const state = pod.status?.ephemeralContainerStatuses?.find((c) => c.name === undo.container)?.state;
    if (state?.terminated) {
      return signalled
        ? `stopped the latency agent in ${undo.namespace}/${undo.pod}`
        : `latency agent in ${undo.namespace}/${undo.pod} already ended (${state.terminated.reason ?? 'exited'})`;
    }
    if (state?.running && !signalled) {
      // SIGTERM to the agent's shell runs its cleanup trap: the rule goes, whichever mechanism it used.
      try {
        await kube.exec(undo.namespace, undo.pod, undo.container, ['sh', '-c', STOP_AGENT]);
      } catch (error) {
        // The agent's TTL is the end of the fault window, so it often exits on its own just as we revert;
        // the exec then fails ("error executing setns process") while the pod status still says running.
        const ended = await endedMeanwhile(kube, undo);
        if (ended) return `latency agent in ${undo.namespace}/${undo.pod} already ended (${ended})`;
        throw error;
      }
      signalled = true;
      // Not done until the agent has exited: that is when its cleanup has run.
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `latency agent in ${undo.namespace}/${undo.pod} ${signalled ? 'did not exit after SIGTERM' : 'neither ran nor ended'} within 60s`,
      );
    }
    await sleep(signalled ? 250 : 1000);
  }
}

/** After a failed exec: whether the agent is reported terminated within a few seconds (the kubelet lags). */
async function endedMeanwhile(kube: Kube, undo: LatencyUndo): Promise<string | undefined> {
  for (let i = 0; i < 10; i++) {
    let pod;
    try {
      pod = await kube.readPod(undo.namespace, undo.pod);
    } catch (error) {
      if (apiStatus(error).code === 404) return 'pod gone';
      return undefined;
    }
    const state = pod.status?.ephemeralContainerStatuses?.find((c) => c.name === undo.container)?.state;
    if (state?.terminated) return state.terminated.reason ?? 'exited';
    await sleep(1000);
  }
  return undefined;
}
