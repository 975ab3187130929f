/**
 * The API clients share one keep-alive connection: client-node alone opens a new TLS connection for every call.
 * A local TLS server stands in for the API server and counts the handshakes.
 */
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AgentPool, Kube } from '../../../src/adapters/kube.js';
import { useKubeconfig } from '../../fakes/kubeconfig.js';
import { tempDir } from '../../fakes/scenario.js';

const tmp = tempDir('chaos-kube-agent-');
let restoreKubeconfig: () => void;
let server: https.Server;
let handshakes = 0;

beforeAll(async () => {
  const key = path.join(tmp.dir, 'key.pem');
  const cert = path.join(tmp.dir, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-keyout', key, '-out', cert,
  ], { stdio: 'ignore' }); // prettier-ignore
  server = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ gitVersion: 'v1.34.0', major: '1', minor: '34' }));
  });
  server.on('secureConnection', () => handshakes++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  restoreKubeconfig = useKubeconfig(tmp.dir, 'local', (server.address() as AddressInfo).port);
});
afterAll(async () => {
  restoreKubeconfig();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  tmp.cleanup();
});

it('five API calls in a row make one TLS handshake', async () => {
  const kube = Kube.connect({ context: 'local' });
  for (let i = 0; i < 5; i++) expect(await kube.ping()).toBe('v1.34.0');
  expect(handshakes).toBe(1);
});

it('a new TLS identity gets a new agent, and the old one is closed; other agents pass through', () => {
  const pool = new AgentPool();
  const a = pool.reuse(new https.Agent({ cert: 'A', key: 'k' }));
  expect(pool.reuse(new https.Agent({ cert: 'A', key: 'k' }))).toBe(a);
  expect(a).toMatchObject({ keepAlive: true });
  let destroyed = false;
  a.destroy = () => {
    destroyed = true;
  };
  const b = pool.reuse(new https.Agent({ cert: Buffer.from('B'), key: 'k' }));
  expect(b).not.toBe(a);
  expect(destroyed).toBe(true);
  expect(pool.reuse(new https.Agent({ cert: Buffer.from('B'), key: 'k' }))).toBe(b);
  const plain = new http.Agent();
  expect(pool.reuse(plain)).toBe(plain);
  class Proxy extends https.Agent {}
  const proxy = new Proxy();
  expect(pool.reuse(proxy)).toBe(proxy);
  expect(pool.reuse(undefined)).toBeUndefined();
});
