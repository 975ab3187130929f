/**
 * The Kubernetes edge. Everything chaos does to or reads from a cluster goes through this one object, so
 * that `--dry-run` can be enforced in one place and tests can substitute a fake at this boundary.
 */
import http from 'node:http';
import https from 'node:https';
import { PassThrough } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import { EnvironmentError } from '../errors.js';
import { findKubectl, runKubectl, type KubectlRun } from './kubectl.js';
import { AttemptTimeout, KUBE_RETRY, withRetry } from './retry.js';

export type Pod = k8s.V1Pod;
export type Deployment = k8s.V1Deployment;
export type Node = k8s.V1Node;
export type CoreEvent = k8s.CoreV1Event;
export type HorizontalPodAutoscaler = k8s.V2HorizontalPodAutoscaler;
export type Lease = k8s.V1Lease;

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
  /** When chaos received it: the watch API has no per-event timestamp. */
  receivedAt: Date;
}

export interface KubeOptions {
  context?: string;
  /** Every write throws instead of reaching the API server. */
  readOnly?: boolean;
  /** The kubectl binary `kubectl` faults run; default: found on first use (findKubectl). */
  kubectlBin?: string;
}

export function selectorString(selector: Record<string, string>): string {
  return Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** Whether an object's labels hold every pair of an equality selector, as the API server's `k=v,…` would match. */
export function matchesSelector(
  labels: Record<string, string> | undefined,
  selector: Record<string, string>,
): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** The API server's answer to a failed call, reduced to what callers branch on. */
export function apiStatus(error: unknown): { code: number | null; message: string } {
  if (error instanceof k8s.ApiException) {
    const body =
      typeof error.body === 'string' ? safeJson(error.body) : (error.body as Record<string, unknown> | null);
    const message = (body && typeof body.message === 'string' ? body.message : null) ?? error.message;
    return { code: error.code, message };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: null, message };
}

function safeJson(text: string): Record<string, unknown> | null {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return null;
  }
}

const IN_CLUSTER_CONTEXT = 'inClusterContext';

/**
 * How long an idle connection is kept: less than the idle timeouts of the load balancers that commonly sit in
 * front of an API server (60 s and up), so a reuse does not meet a connection they have closed.
 */
const IDLE_SOCKET_MS = 30_000;

/**
 * One keep-alive agent per TLS identity. client-node 1.x builds a new https.Agent for every call
 * (KubeConfig.applySecurityAuthentication), so every call paid a TLS handshake on a new connection. A run calls
 * the API every second or so (contact checks, pods, the lease), and in a soak's heap profile those connections
 * were about half of what outlived the young generation.
 */
export class AgentPool {
  private current: { key: string; agent: https.Agent } | null = null;

  reuse<A extends http.Agent | undefined>(built: A): A | https.Agent {
    // Subclasses (the proxy agents) carry more than TLS options: kept as built.
    if (!(built instanceof https.Agent) || built.constructor !== https.Agent) return built;
    const o = built.options;
    // An exec credential plugin can hand out a new client certificate mid-run: a new identity, a new agent.
    const key = JSON.stringify(
      [o.ca, o.cert, o.key, o.pfx, o.passphrase, o.rejectUnauthorized, o.servername].map((v) =>
        Buffer.isBuffer(v) ? v.toString('base64') : v,
      ),
    );
    if (this.current?.key !== key) {
      this.current?.agent.destroy();
      this.current = { key, agent: new https.Agent({ ...o, keepAlive: true, timeout: IDLE_SOCKET_MS }) };
    }
    return this.current.agent;
  }
}

/** A KubeConfig whose API clients share AgentPool's connections. */
class PooledKubeConfig extends k8s.KubeConfig {
  readonly agents = new AgentPool();

  override async applySecurityAuthentication(context: k8s.RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const agent = this.agents.reuse(context.getAgent());
    if (agent) context.setAgent(agent);
  }
}

export class ReadOnlyViolation extends Error {
  constructor(what: string) {
    super(`refused a cluster write in read-only mode: ${what}`);
  }
}

export class Kube {
  readonly config: PooledKubeConfig;
  readonly core: k8s.CoreV1Api;
  readonly apps: k8s.AppsV1Api;
  readonly discovery: k8s.DiscoveryV1Api;
  readonly coordination: k8s.CoordinationV1Api;
  readonly readOnly: boolean;
  /** Count of write calls made: tests and --dry-run reports use it. */
  writes = 0;
  /**
   * Ends the retries of reads (src/adapters/retry.ts) when aborted: a run sets its interrupt here, so Ctrl-C
   * during an API outage goes straight to the revert.
   */
  retrySignal: AbortSignal | undefined;
  private kubectlBin: string | undefined;

  private constructor(config: PooledKubeConfig, readOnly: boolean) {
    this.config = config;
    this.readOnly = readOnly;
    this.core = config.makeApiClient(k8s.CoreV1Api);
    this.apps = config.makeApiClient(k8s.AppsV1Api);
    this.discovery = config.makeApiClient(k8s.DiscoveryV1Api);
    this.coordination = config.makeApiClient(k8s.CoordinationV1Api);
  }

  static connect(opts: KubeOptions = {}): Kube {
    const config = new PooledKubeConfig();
    try {
      config.loadFromDefault();
    } catch (error) {
      throw new EnvironmentError(
        `cannot load a kubeconfig: ${(error as Error).message}`,
        'set KUBECONFIG or run inside a cluster',
      );
    }
    // With no KUBECONFIG, no ~/.kube/config and no pod ServiceAccount, client-node makes up a context
    // ("loaded-context", http://localhost:8080) instead of failing: say what is really the matter.
    if (
      config.currentContext === 'loaded-context' &&
      config.getCurrentCluster()?.server === 'http://localhost:8080'
    )
      throw new EnvironmentError(
        'no cluster is configured: KUBECONFIG is not set, there is no ~/.kube/config, and this is not a pod',
        'point KUBECONFIG at a kubeconfig (and pass --context to pick one of its contexts), or bring up the local testbed with `npm run testbed:up`',
      );
    if (opts.context) {
      if (!config.getContexts().some((c) => c.name === opts.context)) {
        throw new EnvironmentError(
          `no context "${opts.context}" in the kubeconfig`,
          `known contexts: ${
            config
              .getContexts()
              .map((c) => c.name)
              .join(', ') || '(none)'
          }`,
        );
      }
      config.setCurrentContext(opts.context);
    }
    if (!config.getCurrentCluster()) {
      throw new EnvironmentError(
        'the kubeconfig has no current cluster',
        'run `chaos cluster up` or pass --context',
      );
    }
    const kube = new Kube(config, opts.readOnly ?? false);
    kube.kubectlBin = opts.kubectlBin;
    return kube;
  }

  /**
   * In a pod, client-node names the context "inClusterContext", which says nothing about which cluster it is;
   * CHAOS_CLUSTER_NAME (set by `chaos schedule` to the context it was applied from) names it instead, so a
   * scenario's safety.allowedContexts means the same thing inside the cluster as outside.
   */
  get context(): string {
    const current = this.config.getCurrentContext();
    return current === IN_CLUSTER_CONTEXT ? (process.env.CHAOS_CLUSTER_NAME ?? 'in-cluster') : current;
  }

  /** Throws EnvironmentError (exit 3) if the API server does not answer within the timeout. */
  async ping(timeoutMs = 10_000): Promise<string> {
    const version = this.config.makeApiClient(k8s.VersionApi);
    const timer = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000}s`)), timeoutMs).unref(),
    );
    try {
      const info = await Promise.race([version.getCode(), timer]);
      return info.gitVersion;
    } catch (error) {
      throw new EnvironmentError(
        `cluster unreachable (context ${this.context}, ${this.config.getCurrentCluster()?.server ?? '?'}): ${apiStatus(error).message}`,
        'is the cluster up? `chaos cluster status`',
      );
    }
  }

  /** A read, tried again through an API outage by the one retry policy: reading twice changes nothing. */
  private read<T>(what: string, call: () => Promise<T>): Promise<T> {
    return withRetry(what, call, KUBE_RETRY, { signal: this.retrySignal });
  }

  private write(what: string): void {
    if (this.readOnly) throw new ReadOnlyViolation(what);
    this.writes++;
  }

  listPods(namespace: string, selector: Record<string, string>): Promise<Pod[]> {
    return this.read(`list pods in ${namespace}`, () =>
      this.core
        .listNamespacedPod({ namespace, labelSelector: selectorString(selector) })
        .then((l) => l.items),
    );
  }

  readPod(namespace: string, name: string): Promise<Pod> {
    return this.read(`read pod ${namespace}/${name}`, () => this.core.readNamespacedPod({ namespace, name }));
  }

  listPodsOnNode(node: string): Promise<Pod[]> {
    return this.read(`list pods on ${node}`, () =>
      this.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}` }).then((l) => l.items),
    );
  }

  readDeployment(namespace: string, name: string): Promise<Deployment> {
    return this.read(`read deployment ${namespace}/${name}`, () =>
      this.apps.readNamespacedDeployment({ namespace, name }),
    );
  }

  listNodes(): Promise<Node[]> {
    return this.read('list nodes', () => this.core.listNode().then((l) => l.items));
  }

  readNode(name: string): Promise<Node> {
    return this.read(`read node ${name}`, () => this.core.readNode({ name }));
  }

  async readyEndpoints(namespace: string, service: string): Promise<string[]> {
    const slices = await this.read(`list endpointslices of ${namespace}/${service}`, () =>
      this.discovery.listNamespacedEndpointSlice({
        namespace,
        labelSelector: `kubernetes.io/service-name=${service}`,
      }),
    );
    return slices.items.flatMap((s) =>
      (s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).flatMap((e) => e.addresses),
    );
  }

  listEvents(namespace: string): Promise<CoreEvent[]> {
    return this.read(`list events in ${namespace}`, () =>
      this.core.listNamespacedEvent({ namespace }).then((l) => l.items),
    );
  }

  readService(namespace: string, name: string): Promise<k8s.V1Service> {
    return this.read(`read service ${namespace}/${name}`, () =>
      this.core.readNamespacedService({ namespace, name }),
    );
  }

  async podLog(
    namespace: string,
    name: string,
    opts: { container?: string; previous?: boolean; limitBytes?: number },
  ): Promise<string> {
    return this.read(`read log of ${namespace}/${name}`, () =>
      this.core.readNamespacedPodLog({
        namespace,
        name,
        container: opts.container,
        previous: opts.previous,
        limitBytes: opts.limitBytes ?? 64 * 1024,
      }),
    );
  }

  /**
   * Runs kubectl against this cluster: the context is this Kube's (in a pod, kubectl finds the ServiceAccount
   * itself, as client-node did) and the namespace is the caller's, both ahead of the fault's own arguments,
   * which validation has already kept from changing them. `write: false` is for commands that only read (a
   * capture, a confirm); a write in read-only mode throws before kubectl starts.
   */
  async kubectl(
    namespace: string,
    args: readonly string[],
    opts: { write: boolean; timeoutMs: number; signal?: AbortSignal; cwd?: string },
  ): Promise<KubectlRun> {
    if (opts.write) this.write(`kubectl ${args.join(' ')}`);
    this.kubectlBin ??= findKubectl(process.env);
    const current = this.config.getCurrentContext();
    const where = current === IN_CLUSTER_CONTEXT ? [] : ['--context', current];
    return runKubectl(this.kubectlBin, [...where, '--namespace', namespace, ...args], opts);
  }

  /** The Lease, or null when there is none (a 404). */
  async readLease(namespace: string, name: string): Promise<Lease | null> {
    try {
      return await this.read(`read lease ${namespace}/${name}`, () =>
        this.coordination.readNamespacedLease({ namespace, name }),
      );
    } catch (error) {
      if (apiStatus(error).code === 404) return null;
      throw error;
    }
  }

  async createLease(namespace: string, lease: Lease): Promise<Lease> {
    this.write(`create lease ${namespace}/${lease.metadata?.name ?? ''}`);
    return this.coordination.createNamespacedLease({ namespace, body: lease });
  }

  /** An update carrying the resourceVersion read: a 409 when someone else wrote it in between. */
  async replaceLease(namespace: string, lease: Lease): Promise<Lease> {
    const name = lease.metadata?.name ?? '';
    this.write(`update lease ${namespace}/${name}`);
    return this.coordination.replaceNamespacedLease({ namespace, name, body: lease });
  }

  /** Deletes only the version read (a 409 when it changed since): never another holder's lease. */
  async deleteLease(namespace: string, name: string, resourceVersion: string): Promise<void> {
    this.write(`delete lease ${namespace}/${name}`);
    await this.coordination.deleteNamespacedLease({
      namespace,
      name,
      body: { preconditions: { resourceVersion } },
    });
  }

  /** Replaces the data of an existing ConfigMap: an `update`, which RBAC can restrict to one name. */
  async updateConfigMap(namespace: string, name: string, data: Record<string, string>): Promise<void> {
    this.write(`update configmap ${namespace}/${name}`);
    await this.core.replaceNamespacedConfigMap({
      namespace,
      name,
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data },
    });
  }

  /** Server-side apply, as `kubectl apply --server-side` does: creates or updates, idempotently. */
  async apply(object: k8s.KubernetesObject, fieldManager = 'chaos'): Promise<void> {
    this.write(`apply ${object.kind} ${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`);
    const client = k8s.KubernetesObjectApi.makeApiClient(this.config);
    await client.patch(object, undefined, undefined, fieldManager, true, k8s.PatchStrategy.ServerSideApply);
  }

  async createPod(pod: Pod): Promise<void> {
    this.write(`create pod ${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`);
    await this.core.createNamespacedPod({ namespace: pod.metadata!.namespace!, body: pod });
  }

  async createConfigMap(cm: k8s.V1ConfigMap): Promise<void> {
    this.write(`create configmap ${cm.metadata?.namespace ?? ''}/${cm.metadata?.name ?? ''}`);
    await this.core.createNamespacedConfigMap({ namespace: cm.metadata!.namespace!, body: cm });
  }

  async deleteConfigMap(namespace: string, name: string): Promise<void> {
    this.write(`delete configmap ${namespace}/${name}`);
    await this.core.deleteNamespacedConfigMap({ namespace, name });
  }

  /** The log line names the Secret and its keys, never a value. */
  async createSecret(secret: k8s.V1Secret): Promise<void> {
    this.write(`create secret ${secret.metadata?.namespace ?? ''}/${secret.metadata?.name ?? ''}`);
    await this.core.createNamespacedSecret({ namespace: secret.metadata!.namespace!, body: secret });
  }

  async deleteSecret(namespace: string, name: string): Promise<void> {
    this.write(`delete secret ${namespace}/${name}`);
    await this.core.deleteNamespacedSecret({ namespace, name });
  }

  /**
   * One HTTP request to a pod's port through the API server's pod proxy (pods/proxy): the one way the host,
   * which reaches the cluster only through the API server, talks to a process in a pod. Resolves with any
   * status; rejects on a network error or the timeout.
   */
  async podProxy(
    namespace: string,
    pod: string,
    port: number,
    path: string,
    opts: { method?: string; body?: string; timeoutMs?: number } = {},
  ): Promise<{ status: number; body: Buffer }> {
    const method = opts.method ?? 'GET';
    if (method !== 'GET') this.write(`${method} ${namespace}/${pod}:${port}${path}`);
    const server = this.config.getCurrentCluster()?.server;
    if (!server) throw new Error('the kubeconfig has no current cluster');
    const url = new URL(
      `${server.replace(/\/$/, '')}/api/v1/namespaces/${namespace}/pods/${pod}:${port}/proxy${path}`,
    );
    const options: https.RequestOptions = {
      method,
      headers: opts.body === undefined ? {} : { 'content-type': 'application/json' },
    };
    await this.config.applyToHTTPSOptions(options);
    if (options.agent instanceof http.Agent) options.agent = this.config.agents.reuse(options.agent);
    const timeoutMs = opts.timeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const lib = url.protocol === 'http:' ? http : https;
      const req = lib.request(url, options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(opts.body);
    });
  }

  async deletePod(namespace: string, name: string, gracePeriodSeconds?: number): Promise<void> {
    this.write(`delete pod ${namespace}/${name}`);
    await this.core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds });
  }

  async evictPod(namespace: string, name: string): Promise<void> {
    this.write(`evict pod ${namespace}/${name}`);
    await this.core.createNamespacedPodEviction({
      namespace,
      name,
      body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } },
    });
  }

  async setUnschedulable(node: string, unschedulable: boolean): Promise<void> {
    this.write(`${unschedulable ? 'cordon' : 'uncordon'} node ${node}`);
    await this.core.patchNode(
      { name: node, body: { spec: { unschedulable } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
  }

  async patchDeployment(
    namespace: string,
    name: string,
    patch: object,
    strategy: k8s.PatchStrategy,
  ): Promise<Deployment> {
    this.write(`patch deployment ${namespace}/${name}`);
    return this.apps.patchNamespacedDeployment(
      { namespace, name, body: patch },
      k8s.setHeaderOptions('Content-Type', strategy),
    );
  }

  async addEphemeralContainer(
    namespace: string,
    pod: string,
    container: k8s.V1EphemeralContainer,
  ): Promise<void> {
    this.write(`add ephemeral container ${container.name} to ${namespace}/${pod}`);
    await this.core.patchNamespacedPodEphemeralcontainers(
      { namespace, name: pod, body: { spec: { ephemeralContainers: [container] } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
  }

  /** Runs a command in a container and returns its output; rejects on a non-zero exit. */
  async exec(
    namespace: string,
    pod: string,
    container: string,
    command: string[],
    timeoutMs = 20_000,
  ): Promise<string> {
    this.write(`exec in ${namespace}/${pod}/${container}: ${command.join(' ')}`);
    const exec = new k8s.Exec(this.config);
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    stdout.on('data', (d: Buffer) => (out += d.toString()));
    stderr.on('data', (d: Buffer) => (out += d.toString()));
    return new Promise<string>((resolve, reject) => {
      // No answer in time is an API server that does not answer (src/adapters/retry.ts retries it), not a
      // command that failed: an undo's exec through an outage must be tried again, not reported failed.
      const timer = setTimeout(
        () => reject(new AttemptTimeout(`exec in ${namespace}/${pod}/${container}`, timeoutMs)),
        timeoutMs,
      );
      exec
        .exec(namespace, pod, container, command, stdout, stderr, null, false, (status) => {
          clearTimeout(timer);
          if (status.status === 'Success') resolve(out);
          else reject(new Error(`${command.join(' ')} failed: ${status.message ?? ''} ${out}`.trim()));
        })
        .catch((error: unknown) => {
          clearTimeout(timer);
          // The WebSocket layer rejects with an event object, not an Error (a 403 arrives this way).
          reject(error instanceof Error ? error : new Error(describeRejection(error)));
        });
    });
  }

  /**
   * Streams watch events until `stop()`; re-establishes the watch when the server closes it, so a long run
   * keeps observing.
   */
  watch<T>(
    path: string,
    query: Record<string, string>,
    onEvent: (e: WatchEvent<T>) => void,
  ): { stop(): void } {
    const watcher = new k8s.Watch(this.config);
    let stopped = false;
    let controller: AbortController | undefined;
    // Resuming from the last version seen keeps the events of a reconnect gap (a DELETED missed there would
    // leave a dead pod counted as Ready); a 410 (too old) falls back to a fresh watch.
    let resourceVersion: string | undefined;
    const start = () => {
      if (stopped) return;
      watcher
        .watch(
          path,
          { ...query, allowWatchBookmarks: true, ...(resourceVersion ? { resourceVersion } : {}) },
          (type, object: { metadata?: { resourceVersion?: string }; code?: number }) => {
            if (type === 'ERROR') {
              if (object.code === 410) resourceVersion = undefined;
              return;
            }
            resourceVersion = object.metadata?.resourceVersion ?? resourceVersion;
            onEvent({ type: type as WatchEvent<T>['type'], object: object as T, receivedAt: new Date() });
          },
          () => {
            if (!stopped) setTimeout(start, 500).unref();
          },
        )
        .then((c) => {
          controller = c;
          if (stopped) c.abort();
        })
        .catch(() => {
          if (!stopped) setTimeout(start, 1000).unref();
        });
    };
    start();
    return {
      stop: () => {
        stopped = true;
        controller?.abort();
      },
    };
  }
}

function describeRejection(error: unknown): string {
  if (error && typeof error === 'object') {
    const e = error as { message?: unknown; error?: unknown; type?: unknown };
    if (typeof e.message === 'string' && e.message) return e.message;
    if (e.error instanceof Error) return e.error.message;
    if (typeof e.type === 'string') return `WebSocket ${e.type}`;
  }
  return String(error);
}
