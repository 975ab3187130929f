/**
 * The testbed itself, as the acceptance describes it: a real 3-node cluster on the pinned version,
 * nothing pulled, the sample stack serving through 127.0.0.1, resource metrics for `kubectl top` and the HPA,
 * PDB-respecting drains and pod replacement; and MLServer, a model server nobody here wrote, answering the Open
 * Inference Protocol through 127.0.0.1 with the model trained into its image.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyMlserver,
  applyStack,
  kubectl,
  kubectlJson,
  MLSERVER_NS,
  mlserverPods,
  NS,
  repo,
  resetStack,
  scorerPods,
  scorerReplicas,
  type PodJson,
} from './helpers.js';

const versions = await readFile(path.join(repo, 'testbed/versions.env'), 'utf8');
const pinned = /^KUBERNETES_VERSION=(\S+)/m.exec(versions)![1]!;

interface NodeJson {
  metadata: { name: string; labels: Record<string, string> };
  status: { conditions: { type: string; status: string }[]; nodeInfo: { kubeletVersion: string } };
}

const ready = (p: PodJson) =>
  p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return Date.now() - started;
    await sleep(500);
  }
  throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
}

describe('offline kind testbed', () => {
  beforeAll(async () => {
    await resetStack();
  });
  afterAll(async () => {
    await resetStack();
  });

  it(`has 3 Ready nodes running Kubernetes ${pinned}`, async () => {
    const nodes = await kubectlJson<{ items: NodeJson[] }>('get', 'nodes');
    expect(nodes.items).toHaveLength(3);
    for (const n of nodes.items) {
      expect(n.status.conditions.find((c) => c.type === 'Ready')?.status, n.metadata.name).toBe('True');
      expect(n.status.nodeInfo.kubeletVersion).toBe(pinned);
    }
    const roles = nodes.items
      .map((n) => ('node-role.kubernetes.io/control-plane' in n.metadata.labels ? 'cp' : 'worker'))
      .sort();
    expect(roles).toEqual(['cp', 'worker', 'worker']);
  });

  it('runs every pod without pulling an image', async () => {
    const pods = await kubectlJson<{ items: (PodJson & { metadata: { namespace: string } })[] }>(
      'get',
      'pods',
      '-A',
    );
    const bad = pods.items.filter(
      (p) =>
        !['Running', 'Succeeded'].includes(p.status.phase) ||
        (p.status.containerStatuses ?? []).some((c) =>
          ['ImagePullBackOff', 'ErrImagePull', 'ErrImageNeverPull'].includes(c.state.waiting?.reason ?? ''),
        ),
    );
    expect(bad.map((p) => `${p.metadata.namespace}/${p.metadata.name} ${p.status.phase}`)).toEqual([]);
    const events = await kubectl('get', 'events', '-A', '--field-selector', 'reason=Pulling', '-o', 'name');
    expect(events.trim()).toBe('');
  });

  it('serves the sample stack through 127.0.0.1', async () => {
    const deploys = await kubectlJson<{
      items: { metadata: { name: string }; spec: { replicas: number }; status: { readyReplicas?: number } }[];
    }>('-n', NS, 'get', 'deploy');
    for (const d of deploys.items) expect(d.status.readyReplicas, d.metadata.name).toBe(d.spec.replicas);
    const pods = await scorerPods();
    expect(new Set(pods.map((p) => p.spec.nodeName)).size).toBe(2);
    const payload = JSON.parse(
      await readFile(path.join(repo, 'scenarios/payloads/transactions.json'), 'utf8'),
    ) as { features: number[][] };
    const res = await fetch('http://127.0.0.1:30080/score', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ features: payload.features.slice(0, 4) }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { modelVersion: string; predictions: unknown[] };
    expect(body.predictions).toHaveLength(4);
    expect(res.headers.get('x-model-version')).toBe(body.modelVersion);
  });

  it('serves MLServer through 127.0.0.1:30090: Ready pods, V2 health, V2 inference with the model’s outputs', async () => {
    await applyMlserver();
    const pods = await mlserverPods();
    expect(pods).toHaveLength(3);
    for (const p of pods) expect(ready(p), p.metadata.name).toBe(true);
    const deploy = await kubectlJson<{ spec: { replicas: number }; status: { readyReplicas?: number } }>(
      '-n',
      MLSERVER_NS,
      'get',
      'deploy',
      'mlserver',
    );
    expect(deploy.status.readyReplicas).toBe(3);

    const health = await fetch('http://127.0.0.1:30090/v2/health/ready');
    expect(health.status).toBe(200);

    const payload = JSON.parse(
      await readFile(path.join(repo, 'scenarios/payloads/transactions.json'), 'utf8'),
    ) as { features: number[][] };
    const rows = payload.features.slice(0, 4);
    const infer = async (outputs?: string) => {
      const res = await fetch('http://127.0.0.1:30090/v2/models/fraud/infer', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          inputs: [{ name: 'transactions', shape: [rows.length, 8], datatype: 'FP64', data: rows.flat() }],
          ...(outputs ? { outputs: [{ name: outputs }] } : {}),
        }),
      });
      expect(res.status).toBe(200);
      return (await res.json()) as {
        model_name: string;
        model_version: string;
        outputs: { name: string; shape: number[]; datatype: string; data: number[] }[];
      };
    };
    // By default the scikit-learn runtime answers the class; asked for it, the class probabilities.
    const classes = await infer();
    expect(classes.model_name).toBe('fraud');
    expect(classes.model_version).toBe('v1');
    expect(classes.outputs).toHaveLength(1);
    expect(classes.outputs[0]).toMatchObject({ name: 'predict', shape: [4, 1], datatype: 'INT64' });
    for (const c of classes.outputs[0]!.data) expect([0, 1]).toContain(c);
    const proba = await infer('predict_proba');
    expect(proba.outputs[0]).toMatchObject({ name: 'predict_proba', shape: [4, 2], datatype: 'FP64' });
    const p = proba.outputs[0]!.data;
    for (let r = 0; r < 4; r++) {
      expect(p[2 * r]! + p[2 * r + 1]!).toBeCloseTo(1, 9);
      // The class it answered is the likelier one.
      expect(classes.outputs[0]!.data[r]).toBe(p[2 * r + 1]! > p[2 * r]! ? 1 : 0);
    }

    // Its own metrics on the port the scrape annotations name; the Service sent the two requests to any pods.
    const scraped = await Promise.all(
      pods.map((p) =>
        kubectl(
          'get',
          '--raw',
          `/api/v1/namespaces/${MLSERVER_NS}/pods/${p.metadata.name}:8082/proxy/metrics`,
        ),
      ),
    );
    const inferCount =
      /^rest_server_requests_total\{[^}]*path="\/v2\/models\/\{model_name\}\/infer"[^}]*\} (\S+)/m;
    for (const m of scraped) expect(m).toMatch(/^rest_server_requests_total\{/m);
    expect(scraped.reduce((n, m) => n + Number(inferCount.exec(m)?.[1] ?? 0), 0)).toBeGreaterThanOrEqual(2);
  });

  it('serves the resource metrics API: kubectl top answers and the scorer’s HPA reads its CPU', async () => {
    // A pod appears in `kubectl top` after its first scrapes (15 s apart): the reset before may have replaced some.
    let top = '';
    await waitFor('kubectl top to list three scorers', 90_000, async () => {
      try {
        top = await kubectl('-n', NS, 'top', 'pods', '-l', 'app=fraud-scorer', '--no-headers');
      } catch {
        // "metrics not available yet" for a pod not scraped yet: kubectl top exits 1, so try again
        return false;
      }
      return top.trim().split('\n').length >= 3;
    });
    for (const row of top.trim().split('\n'))
      expect(row.trim(), top).toMatch(/^fraud-scorer-\S+\s+\d+m\s+\d+Mi$/);
    // The HPA reads metrics every sync (15 s): within a minute of a reset it has a current utilisation.
    await waitFor('the HPA to report CPU utilisation', 60_000, async () => {
      const hpa = await kubectlJson<{
        spec: { minReplicas: number; maxReplicas: number };
        status: {
          currentMetrics?: { resource?: { name: string; current: { averageUtilization?: number } } }[];
          conditions?: { type: string; status: string }[];
        };
      }>('-n', NS, 'get', 'hpa', 'fraud-scorer');
      expect([hpa.spec.minReplicas, hpa.spec.maxReplicas]).toEqual([3, 6]);
      const cpu = hpa.status.currentMetrics?.find((m) => m.resource?.name === 'cpu');
      const active = hpa.status.conditions?.find((c) => c.type === 'ScalingActive')?.status === 'True';
      return active && typeof cpu?.resource?.current.averageUtilization === 'number';
    });
  });

  it('drains a worker with kubectl, honouring the PDB, and uncordons it', async () => {
    const pods = await scorerPods();
    const perNode = new Map<string, number>();
    for (const p of pods) perNode.set(p.spec.nodeName!, (perNode.get(p.spec.nodeName!) ?? 0) + 1);
    const node = [...perNode.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    const other = ['chaos-worker', 'chaos-worker2'].find((n) => n !== node)!;
    try {
      await kubectl('drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=180s');
      const after = await scorerPods();
      expect(after.filter((p) => p.spec.nodeName === node)).toEqual([]);
      // As many as the Deployment wants: the pod starts a drain causes can make the HPA add one or two.
      await waitFor('every scorer Ready on the other worker', 120_000, async () => {
        const now = await scorerPods();
        const want = await scorerReplicas();
        return (
          now.length >= 3 && now.length === want && now.every((p) => ready(p) && p.spec.nodeName === other)
        );
      });
      // The PDB (minAvailable 2) is what kept the endpoint serving during the drain.
      const pdb = await kubectlJson<{ spec: { minAvailable: number } }>(
        '-n',
        NS,
        'get',
        'pdb',
        'fraud-scorer-pdb',
      );
      expect(pdb.spec.minAvailable).toBe(2);
    } finally {
      await kubectl('uncordon', node);
    }
    const n = await kubectlJson<{ spec: { unschedulable?: boolean } }>('get', 'node', node);
    expect(n.spec.unschedulable ?? false).toBe(false);
  });

  it('replaces a deleted scorer pod with a Ready one within 60 s', async () => {
    await applyStack(null);
    const [victim] = await scorerPods();
    await kubectl('-n', NS, 'delete', 'pod', victim!.metadata.name, '--wait=false');
    const took = await waitFor('a Ready replacement', 60_000, async () => {
      const now = await scorerPods();
      return (
        now.length >= 3 &&
        now.length === (await scorerReplicas()) &&
        now.every(ready) &&
        !now.some((p) => p.metadata.name === victim!.metadata.name)
      );
    });
    expect(took).toBeLessThan(60_000);
  });
  it('runs Prometheus on 127.0.0.1:30900, with up = 1 for every scorer and feature-store pod', async () => {
    const prom = 'http://127.0.0.1:30900';
    await kubectl('-n', 'monitoring', 'rollout', 'status', 'deploy/prometheus', '--timeout=120s');
    await waitFor(
      'Prometheus /-/ready',
      60_000,
      async () => (await fetch(`${prom}/-/ready`).catch(() => null))?.ok === true,
    );
    const pods = await kubectlJson<{ items: PodJson[] }>(
      '-n',
      NS,
      'get',
      'pods',
      '-l',
      'app in (fraud-scorer,feature-store)',
    );
    const want = pods.items
      .filter((p) => !p.metadata.deletionTimestamp)
      .map((p) => p.metadata.name)
      .sort();
    expect(want.length).toBeGreaterThanOrEqual(5);
    let up: { pod: string; value: string }[] = [];
    // A pod started by resetStack is discovered within 5 s and scraped 5 s later.
    await waitFor('every sample pod scraped and up', 60_000, async () => {
      const q = encodeURIComponent('up{namespace="ml-serving",app=~"fraud-scorer|feature-store"}');
      const body = (await (await fetch(`${prom}/api/v1/query?query=${q}`)).json()) as {
        data: { result: { metric: { pod: string }; value: [number, string] }[] };
      };
      up = body.data.result.map((r) => ({ pod: r.metric.pod, value: r.value[1] }));
      return want.every((p) => up.some((u) => u.pod === p && u.value === '1'));
    });
    expect(want.filter((p) => !up.some((u) => u.pod === p && u.value === '1'))).toEqual([]);
  });

  it('runs Jaeger on 127.0.0.1:30686: a request sent with a traceparent is one trace across both services', async () => {
    const jaeger = 'http://127.0.0.1:30686';
    await kubectl('-n', 'monitoring', 'rollout', 'status', 'deploy/jaeger', '--timeout=120s');
    const payload = JSON.parse(
      await readFile(path.join(repo, 'scenarios/payloads/transactions.json'), 'utf8'),
    ) as { features: number[][] };
    // A fresh id per run of this test: Jaeger's memory keeps traces for the cluster's life.
    const traceId = randomBytes(16).toString('hex');
    const res = await fetch('http://127.0.0.1:30080/score', {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${'1'.repeat(16)}-01` },
      body: JSON.stringify({ features: payload.features.slice(0, 1) }),
    });
    expect(res.status).toBe(200);
    let services: string[] = [];
    let spans: { operationName: string; references: { spanID: string }[] }[] = [];
    // The services export in batches every few seconds.
    await waitFor('the trace in Jaeger with spans of both services', 30_000, async () => {
      const r = await fetch(`${jaeger}/api/traces/${traceId}`).catch(() => null);
      if (!r?.ok) return false;
      const doc = (await r.json()) as {
        data: { spans: typeof spans; processes: Record<string, { serviceName: string }> }[];
      };
      services = [...new Set(Object.values(doc.data[0]!.processes).map((p) => p.serviceName))].sort();
      spans = doc.data[0]!.spans;
      return services.length === 2;
    });
    expect(services).toEqual(['feature-store', 'fraud-scorer']);
    // The scorer's server span is the child of the span id the caller sent.
    expect(spans.some((s) => s.references.some((r) => r.spanID === '1'.repeat(16)))).toBe(true);
    const listed = (await (await fetch(`${jaeger}/api/services`)).json()) as { data: string[] };
    expect(listed.data).toEqual(expect.arrayContaining(['feature-store', 'fraud-scorer']));
  });
});
