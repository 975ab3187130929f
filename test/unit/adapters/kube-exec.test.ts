/**
 * An exec against an API server that accepts connections and never answers (a stopped kube-apiserver does
 * exactly this): it must end as "no answer", which the retry policy retries, not as a failed command — an undo
 * that execs (the latency agent's stop) would otherwise be reported REVERT FAILED after an outage.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Kube } from '../../../src/adapters/kube.js';
import { AttemptTimeout, isTransient } from '../../../src/adapters/retry.js';
import { useKubeconfig } from '../../fakes/kubeconfig.js';
import { tempDir } from '../../fakes/scenario.js';

const tmp = tempDir('chaos-kube-exec-');
const sockets: Socket[] = [];
let server: Server;
let restoreKubeconfig: () => void;

beforeAll(async () => {
  // Takes the connection and sends nothing back: the TLS handshake, like every request, waits for ever.
  server = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  restoreKubeconfig = useKubeconfig(tmp.dir, 'silent', (server.address() as { port: number }).port);
});
afterAll(async () => {
  restoreKubeconfig();
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
  tmp.cleanup();
});

it('an exec with no answer within its deadline rejects with AttemptTimeout, which the retry policy retries', async () => {
  const kube = Kube.connect({ context: 'silent' });
  const started = Date.now();
  const error = await kube.exec('ml-serving', 'p', 'c', ['true'], 300).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AttemptTimeout);
  expect((error as Error).message).toBe('exec in ml-serving/p/c: no answer within 0.3s');
  expect(isTransient(error)).toBe(true);
  expect(Date.now() - started).toBeLessThan(5_000);
  expect(sockets.length).toBeGreaterThan(0);
});
