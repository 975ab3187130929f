/**
 * A kubeconfig file whose one context points at a local stand-in for the API server (TLS not verified), set as
 * KUBECONFIG until the returned restore() runs.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';

export function useKubeconfig(dir: string, context: string, port: number): () => void {
  const file = path.join(dir, 'kubeconfig');
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: context,
          cluster: { server: `https://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true },
        },
      ],
      users: [{ name: 'u', user: { token: 't' } }],
      contexts: [{ name: context, context: { cluster: context, user: 'u' } }],
      'current-context': context,
    }),
  );
  const saved = process.env.KUBECONFIG;
  process.env.KUBECONFIG = file;
  return () => {
    if (saved === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = saved;
  };
}
