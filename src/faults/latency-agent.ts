/**
 * The latency agent: the shell script that runs in an ephemeral container with NET_ADMIN in the pod's
 * network namespace, and the files and commands by which chaos talks to it from outside. tc netem where the
 * kernel has it; otherwise a delaying TCP proxy that ships in the agent image, fed by an iptables redirect.
 * Either way the agent removes its own rule when its TTL ends or on SIGTERM.
 */

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

/**
 * SIGTERM to the agent's own shell (its PID file), never to PID 1 of the pod: see AGENT_PID_FILE. The file
 * appears once the agent's trap is set, so wait a little for it.
 */
export const STOP_AGENT = `for i in $(seq 1 50); do [ -s ${AGENT_PID_FILE} ] && break; sleep 0.2; done; kill -TERM "$(cat ${AGENT_PID_FILE})"`;
