// Fallback latency agent for kernels without sch_netem: a TCP proxy in the target pod's network namespace
// that forwards to the real port and holds every byte coming back for a fixed delay (plus jitter), which is
// what egress netem on the pod does to request/response traffic. iptables REDIRECT sends new connections here.
//
//   node delay-proxy.mjs <listenPort> <targetPort> <delayMs> [jitterMs]
import net from 'node:net';

const [listenPort, targetPort, delayMs, jitterMs = '0'] = process.argv.slice(2).map(Number);
if (![listenPort, targetPort, delayMs, jitterMs].every(Number.isFinite)) {
  console.error('usage: delay-proxy.mjs <listenPort> <targetPort> <delayMs> [jitterMs]');
  process.exit(2);
}

// Box-Muller: netem's "distribution normal" for the jitter.
const delay = () =>
  Math.max(
    0,
    delayMs + jitterMs * Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random()),
  );

const server = net.createServer((client) => {
  const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
  client.pipe(upstream);
  // Keep order: each chunk leaves no earlier than the previous one.
  let last = 0;
  upstream.on('data', (chunk) => {
    const at = Math.max(Date.now() + delay(), last);
    last = at;
    setTimeout(() => client.writable && client.write(chunk), at - Date.now());
  });
  upstream.on('end', () => setTimeout(() => client.end(), Math.max(0, last - Date.now())));
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  upstream.on('error', close);
  client.on('error', close);
});
server.listen(listenPort, '0.0.0.0', () =>
  console.log(`chaos-delay-proxy :${listenPort} -> 127.0.0.1:${targetPort} +${delayMs}ms`),
);
