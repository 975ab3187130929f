// Kubernetes pod discovery for the testbed's Prometheus, served as Prometheus HTTP service discovery.
// Debian's prometheus package is built without kubernetes_sd_configs (its client libraries are not packaged),
// so this sidecar lists pods through the API server with the pod's ServiceAccount and answers Prometheus's
// http_sd_configs poll with every Running pod annotated prometheus.io/scrape: "true".
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { request } from 'node:https';

const sa = '/var/run/secrets/kubernetes.io/serviceaccount';
const ca = readFileSync(`${sa}/ca.crt`);
const api = `https://${process.env.KUBERNETES_SERVICE_HOST}:${process.env.KUBERNETES_SERVICE_PORT}`;

function listPods() {
  return new Promise((resolve, reject) => {
    // The token is re-read each time: the kubelet rotates it.
    const token = readFileSync(`${sa}/token`, 'utf8').trim();
    const req = request(
      `${api}/api/v1/pods`,
      { ca, headers: { Authorization: `Bearer ${token}` }, timeout: 4000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(JSON.parse(body).items)
            : reject(new Error(`API server: ${res.statusCode} ${body.slice(0, 200)}`)),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('API server timed out')));
    req.on('error', reject);
    req.end();
  });
}

function targetGroups(pods) {
  return (
    pods
      .filter((p) => p.metadata.annotations?.['prometheus.io/scrape'] === 'true')
      // A terminating pod stays Running until it exits: it is scraped to the end, so its last requests count.
      .filter((p) => p.status?.phase === 'Running' && p.status.podIP)
      .map((p) => {
        const a = p.metadata.annotations;
        const port = a['prometheus.io/port'] ?? p.spec.containers[0]?.ports?.[0]?.containerPort ?? 80;
        return {
          targets: [`${p.status.podIP}:${port}`],
          labels: {
            __metrics_path__: a['prometheus.io/path'] ?? '/metrics',
            namespace: p.metadata.namespace,
            pod: p.metadata.name,
            app: p.metadata.labels?.app ?? '',
            node: p.spec.nodeName ?? '',
          },
        };
      })
  );
}

createServer((req, res) => {
  listPods().then(
    (pods) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(targetGroups(pods)));
    },
    (err) => {
      res.writeHead(503, { 'Content-Type': 'text/plain' });
      res.end(String(err.message));
    },
  );
}).listen(8000, '127.0.0.1', () => console.log('pod discovery on 127.0.0.1:8000'));
