/**
 * Network delay on selected pods, from an ephemeral container with NET_ADMIN in each pod's network namespace.
 * The agent uses tc netem where the kernel has it; otherwise (kernels built without sch_netem, like the VMs
 * CI runs on) it redirects new connections to the pod's port through a delaying TCP proxy that ships in the
 * agent image. Either way it removes its own rule when its TTL ends, so the delay disappears even if chaos
 * dies and nobody runs `chaos recover`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { apiStatus } from '../adapters/kube.js';
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

type LatencySpec = Extract<FaultSpec, { type: 'latency' }>;

export const AGENT_STATE_FILE = '/tmp/chaos-agent.state';
/**
 * The agent shell's own PID, for the revert to signal. Not "PID 1": in a pod with shareProcessNamespace the
 * ephemeral container shares the pod's PID namespace, where PID 1 is the pause container — SIGTERM there
 * takes the whole pod down.
 */
export const AGENT_PID_FILE = '/tmp/chaos-agent.pid';
const PROXY_PORT = 15999;

export interface AgentOptions {
  iface: string;
  /** The pod port the proxy fallback intercepts. */
  port: number;
  delayMs: number;
  jitterMs: number;
  ttlS: number;
}

/** The agent's whole life in one shell script: apply, report, sleep the TTL (or until SIGTERM), clean up. */
export function agentScript(o: AgentOptions): string {
  const jitter = o.jitterMs > 0 ? ` ${o.jitterMs}ms distribution normal` : '';
  const redirect = `PREROUTING -p tcp --dport ${o.port} -j REDIRECT --to-ports ${PROXY_PORT}`;
  return [
    `state=${AGENT_STATE_FILE}; proxy=''`,
    `cleanup() { tc qdisc del dev ${o.iface} root 2>/dev/null; iptables -t nat -D ${redirect} 2>/dev/null; [ -n "$proxy" ] && kill $proxy 2>/dev/null; echo removed > $state; }`,
    `trap 'cleanup; echo chaos-agent removed; exit 0' TERM INT`,
    // The PID is published only once the trap is set: the shell is PID 1 of its container, and PID 1 ignores
    // a SIGTERM it has no handler for, so a revert racing the agent's start would be lost.
    `echo $$ > ${AGENT_PID_FILE}`,
    `if tc qdisc replace dev ${o.iface} root netem delay ${o.delayMs}ms${jitter} 2>/dev/null; then echo netem > $state; else`,
    `  node /opt/chaos/delay-proxy.mjs ${PROXY_PORT} ${o.port} ${o.delayMs} ${o.jitterMs} & proxy=$!; sleep 0.5`,
    `  iptables -t nat -I ${redirect} && echo proxy > $state || echo failed > $state`,
    // Established connections keep their old path; dropping their conntrack entries moves them to the proxy.
    `  conntrack -D -p tcp --dport ${o.port} >/dev/null 2>&1 || true`,
    `fi`,
    `echo "chaos-agent applied: $(cat $state) ${o.delayMs}ms for ${o.ttlS}s"`,
    `sleep ${o.ttlS} & wait $!`,
    `cleanup; echo chaos-agent expired`,
  ].join('\n');
}

/**
 * The kubelet expands $(VAR) in a container's command and turns $$ into $: the agent's `echo $$` would write
 * a literal "$" as its PID. Doubling every $$ survives that expansion.
 */
export function kubernetesEscape(script: string): string {
  return script.split('$$').join('$$$$');
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
            { kind: 'stopLatencyAgent', namespace: ns, pod, container, expiresAt },
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
      const pod = (m.undo as { pod: string }).pod;
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
};
