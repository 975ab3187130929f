/** A fault that touches nothing proves nothing: the run must be INCONCLUSIVE (exit 4), never PASS. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  editedScenario,
  explain,
  kubectl,
  kubectlJson,
  NS,
  resetStack,
  runScenario,
  snapshot,
} from './helpers.js';

describe('faults that match nothing or are refused', () => {
  beforeAll(async () => {
    await resetStack();
  });

  it('a latency fault whose selector matches no pod is INCONCLUSIVE', async () => {
    const { file } = await editedScenario('feature-store-latency', (y) =>
      y.replace('selector: { app: feature-store }', 'selector: { app: does-not-exist }'),
    );
    const run = await runScenario(file, 0.1);
    expect(run.exitCode, explain(run)).toBe(4);
    expect(run.result?.verdict).toBe('INCONCLUSIVE');
    expect(run.result?.faults[0]?.confirmed).toBe(false);
    expect(run.junit).toMatch(/<error/);
  });

  describe('a pod kill the API server refuses (RBAC: read-only user)', () => {
    const SA = 'chaos-e2e-readonly';
    afterAll(async () => {
      await kubectl('-n', NS, 'delete', 'serviceaccount,role,rolebinding', SA, '--ignore-not-found');
      await kubectl('-n', NS, 'delete', 'role,rolebinding', `${SA}-lease`, '--ignore-not-found');
    });

    it('is INCONCLUSIVE (exit 4), with the 403 in the fault notes, and the stack untouched', async () => {
      // Everything a run reads, nothing it writes but the run lease: the delete is the first fault write and
      // is refused.
      await kubectl('-n', NS, 'create', 'serviceaccount', SA);
      await kubectl(
        '-n',
        NS,
        'create',
        'role',
        SA,
        '--verb=get,list,watch',
        '--resource=pods,pods/log,services,events,endpointslices.discovery.k8s.io,deployments.apps',
      );
      await kubectl('-n', NS, 'create', 'rolebinding', SA, `--role=${SA}`, `--serviceaccount=${NS}:${SA}`);
      await kubectl(
        '-n',
        NS,
        'create',
        'role',
        `${SA}-lease`,
        '--verb=get,create,update,delete',
        '--resource=leases.coordination.k8s.io',
      );
      await kubectl(
        '-n',
        NS,
        'create',
        'rolebinding',
        `${SA}-lease`,
        `--role=${SA}-lease`,
        `--serviceaccount=${NS}:${SA}`,
      );
      const token = (await kubectl('-n', NS, 'create', 'token', SA, '--duration=30m')).trim();
      // Same cluster, same context name (so safety.allowedContexts holds), a user that may not delete.
      const raw = await kubectlJson<{
        clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
      }>('config', 'view', '--raw', '--minify');
      const kubeconfig = path.join(await mkdtemp(path.join(os.tmpdir(), 'chaos-e2e-readonly-')), 'config');
      await writeFile(
        kubeconfig,
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name: 'kind-chaos', cluster: raw.clusters[0]!.cluster }],
          users: [{ name: SA, user: { token } }],
          contexts: [{ name: 'kind-chaos', context: { cluster: 'kind-chaos', user: SA, namespace: NS } }],
          'current-context': 'kind-chaos',
        }),
      );
      const before = await snapshot();
      const pods = (await kubectl('-n', NS, 'get', 'pods', '-l', 'app=fraud-scorer', '-o', 'name')).trim();

      const run = await runScenario('scenarios/pod-kill.yaml', 0.1, [], { env: { KUBECONFIG: kubeconfig } });
      expect(run.exitCode, explain(run)).toBe(4);
      expect(run.result?.verdict).toBe('INCONCLUSIVE');
      const fault = run.result?.faults[0] as { confirmed: boolean; notes: string[] } | undefined;
      expect(fault?.confirmed).toBe(false);
      expect(fault?.notes.join('\n')).toMatch(/refused \(403\)/);
      expect(run.junit).toMatch(/<error/);
      // Refused means refused: every pod is still there (the HPA may have added one), the same templates.
      const after = (await kubectl('-n', NS, 'get', 'pods', '-l', 'app=fraud-scorer', '-o', 'name')).split(
        '\n',
      );
      expect(pods.split('\n').filter((p) => !after.includes(p))).toEqual([]);
      expect(await snapshot()).toEqual(before);
    });
  });
});
