/**
 * An in-memory stand-in for the `Kube` adapter: the surface faults, undo, steady-state checks, triage and the
 * orchestrator use, with just enough API-server behaviour to be honest about it — read-only mode, a write
 * counter, PodDisruptionBudgets that answer 429 like the Eviction API, 404s for missing objects, and a
 * latency agent per pod that reports its state and stops on SIGTERM or when its TTL runs out.
 *
 * Every call is journaled in `calls`; any method can be made to fail with `fail()`.
 */
import * as k8s from '@kubernetes/client-node';
import type { CoreEvent, Deployment, Kube, Lease, Node, Pod, WatchEvent } from '../../src/adapters/kube.js';
import type { KubectlRun } from '../../src/adapters/kubectl.js';
import { ReadOnlyViolation } from '../../src/adapters/kube.js';
import { AGENT_STATE_FILE, STOP_AGENT } from '../../src/faults/latency-agent.js';

type KubeSurface = Pick<
  Kube,
  | 'context'
  | 'readOnly'
  | 'writes'
  | 'ping'
  | 'listPods'
  | 'readPod'
  | 'listPodsOnNode'
  | 'readDeployment'
  | 'listNodes'
  | 'readNode'
  | 'readyEndpoints'
  | 'listEvents'
  | 'readService'
  | 'readLease'
  | 'createLease'
  | 'replaceLease'
  | 'deleteLease'
  | 'podLog'
  | 'deletePod'
  | 'evictPod'
  | 'setUnschedulable'
  | 'patchDeployment'
  | 'addEphemeralContainer'
  | 'exec'
  | 'kubectl'
  | 'watch'
>;

export type FakeMethod = Exclude<keyof KubeSurface, 'context' | 'readOnly' | 'writes'>;

export interface Call {
  method: FakeMethod;
  args: unknown[];
}

/** An error as the client library throws it for a non-2xx answer, with a Status body like the API server's. */
export function apiError(code: number, message: string): k8s.ApiException<string> {
  const reason = {
    403: 'Forbidden',
    404: 'NotFound',
    409: 'Conflict',
    422: 'Invalid',
    429: 'TooManyRequests',
  }[code];
  return new k8s.ApiException(
    code,
    message,
    JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code }),
    {},
  );
}

export interface PodOptions {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  node?: string;
  ready?: boolean;
  phase?: string;
  terminating?: boolean;
  restarts?: number;
  /** `kind` of the first owner reference, e.g. ReplicaSet or DaemonSet. */
  owner?: string;
  /** A static (mirror) pod. */
  mirror?: boolean;
  image?: string;
  env?: k8s.V1EnvVar[];
  ip?: string;
  uid?: string;
  waiting?: string;
  lastTerminated?: { reason: string; exitCode?: number; finishedAt?: string };
  terminated?: string;
}

let podIp = 10;

/** A pod as the API server returns it, from the few facts a test cares about. */
export function makePod(o: PodOptions): Pod {
  const ready = o.ready ?? true;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: o.name,
      namespace: o.namespace ?? 'ml-serving',
      uid: o.uid ?? `uid-${o.name}`,
      labels: o.labels ?? { app: 'fraud-scorer' },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: o.owner ?? 'ReplicaSet',
          name: `${o.name}-owner`,
          uid: `owner-${o.name}`,
        },
      ],
      annotations: o.mirror ? { 'kubernetes.io/config.mirror': 'abc123' } : {},
      ...(o.terminating ? { deletionTimestamp: new Date('2026-01-01T00:00:00Z') } : {}),
    },
    spec: {
      nodeName: o.node ?? 'worker-1',
      containers: [{ name: 'scorer', image: o.image ?? 'fraud-scorer:1.0', env: o.env ?? [] }],
    },
    status: {
      phase: o.phase ?? (ready ? 'Running' : 'Pending'),
      podIP: o.ip ?? `10.244.0.${podIp++}`,
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: [
        {
          name: 'scorer',
          image: o.image ?? 'fraud-scorer:1.0',
          imageID: '',
          ready,
          restartCount: o.restarts ?? 0,
          state: o.waiting
            ? { waiting: { reason: o.waiting } }
            : o.terminated
              ? { terminated: { reason: o.terminated, exitCode: 1 } }
              : { running: { startedAt: new Date('2026-01-01T00:00:00Z') } },
          ...(o.lastTerminated
            ? {
                lastState: {
                  terminated: {
                    reason: o.lastTerminated.reason,
                    exitCode: o.lastTerminated.exitCode ?? 137,
                    finishedAt: new Date(o.lastTerminated.finishedAt ?? '2026-01-01T00:00:00Z'),
                  },
                },
              }
            : {}),
        },
      ],
    },
  };
}

export function makeDeployment(o: {
  name: string;
  namespace?: string;
  replicas?: number;
  readyReplicas?: number;
  env?: k8s.V1EnvVar[] | undefined;
  containers?: k8s.V1Container[];
  generation?: number;
}): Deployment {
  const replicas = o.replicas ?? 3;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: o.name, namespace: o.namespace ?? 'ml-serving', generation: o.generation ?? 4 },
    spec: {
      replicas,
      selector: { matchLabels: { app: o.name } },
      template: {
        metadata: { labels: { app: o.name } },
        spec: {
          containers: o.containers ?? [
            { name: 'scorer', image: 'fraud-scorer:1.0', ...(o.env === undefined ? {} : { env: o.env }) },
          ],
        },
      },
    },
    status: {
      observedGeneration: o.generation ?? 4,
      replicas,
      readyReplicas: o.readyReplicas ?? replicas,
      updatedReplicas: replicas,
    },
  };
}

export function makeNode(name: string, unschedulable = false): Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: { unschedulable } };
}

export interface FakePdb {
  namespace: string;
  selector: Record<string, string>;
  minAvailable: number;
  /** Called on every eviction this budget blocks, with the count so far; a test can heal the cluster here. */
  onBlocked?: (blockedSoFar: number, pod: Pod) => void;
  blocked: number;
}

/** What a fake kubectl answers: exit code and output, or an Error for a kubectl that could not start. */
export type KubectlHandler = (
  namespace: string,
  args: readonly string[],
) => { exitCode: number; output: string } | Error;

export type ExecHandler = (
  namespace: string,
  pod: string,
  container: string,
  command: string[],
) => string | Error;

const clone = <T>(value: T): T => structuredClone(value);

function labelsMatch(pod: Pod, selector: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => pod.metadata?.labels?.[k] === v);
}

export function podKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export class FakeKube implements KubeSurface {
  readonly context: string = 'kind-chaos';
  writes = 0;
  readonly calls: Call[] = [];
  readonly pods = new Map<string, Pod>();
  readonly deployments = new Map<string, Deployment>();
  readonly nodes = new Map<string, Node>();
  readonly services = new Map<string, k8s.V1Service>();
  /** Leases by `ns/name`, with a resourceVersion the fake bumps on every write, like the API server. */
  readonly leases = new Map<string, Lease>();
  private leaseVersion = 100;
  readonly events: CoreEvent[] = [];
  /** `ns/pod/container[/previous]` → log text. */
  readonly logs = new Map<string, string>();
  readonly pdbs: FakePdb[] = [];
  /** Latency agents by `ns/pod/container`: what they report in their state file, and whether they still run. */
  readonly agents = new Map<string, { state: 'netem' | 'proxy' | 'failed' | 'removed'; running: boolean }>();
  /** Pods whose traffic a running agent currently delays (the fake's stand-in for the kernel). */
  readonly delayed = new Set<string>();
  /** What a new agent manages to set up: tc netem, the proxy fallback, or nothing. */
  agentMechanism: 'netem' | 'proxy' | 'failed' = 'netem';
  /**
   * What the Deployment controller does after a template change: `rollout` bumps observedGeneration and starts
   * one pod from the new template at once; `stuck` never observes the change.
   */
  deploymentController: 'rollout' | 'stuck' = 'rollout';
  /** State of a newly added ephemeral container: the kubelet starting it, or failing to pull its image. */
  ephemeralState: 'running' | 'waiting' = 'running';
  /** Replaces the default kubectl behaviour (scale and get -o jsonpath={.spec.replicas} of a Deployment). */
  kubectlHandler?: KubectlHandler;
  /** Replaces the default exec behaviour (an emulation of the latency agent). */
  execHandler?: ExecHandler;
  private readonly failures = new Map<FakeMethod, (args: unknown[]) => Error | undefined>();
  private readonly watchers: { path: string; onEvent: (e: WatchEvent<unknown>) => void; stopped: boolean }[] =
    [];

  constructor(readonly readOnly = false) {}

  /** As the code under test sees it. */
  asKube(): Kube {
    return this as unknown as Kube;
  }

  // ----- test set-up -----

  addPod(pod: Pod): Pod {
    this.pods.set(podKey(pod.metadata!.namespace!, pod.metadata!.name!), pod);
    if (pod.spec?.nodeName && !this.nodes.has(pod.spec.nodeName)) this.addNode(makeNode(pod.spec.nodeName));
    return pod;
  }

  addPods(...pods: PodOptions[]): Pod[] {
    return pods.map((p) => this.addPod(makePod(p)));
  }

  addNode(node: Node): void {
    this.nodes.set(node.metadata!.name!, node);
  }

  addDeployment(d: Deployment): void {
    this.deployments.set(podKey(d.metadata!.namespace!, d.metadata!.name!), d);
  }

  addService(namespace: string, name: string, selector: Record<string, string>): void {
    this.services.set(podKey(namespace, name), {
      metadata: { name, namespace },
      spec: {
        type: 'NodePort',
        clusterIP: '10.96.0.10',
        selector,
        ports: [{ port: 80, targetPort: 8080, nodePort: 30080 }],
      },
    });
  }

  addPdb(pdb: Omit<FakePdb, 'blocked'>): FakePdb {
    const p = { ...pdb, blocked: 0 };
    this.pdbs.push(p);
    return p;
  }

  /**
   * Makes a method fail: with a fixed error, or with whatever `when(args)` returns (undefined = proceed).
   * `times` limits how often it fails before the method behaves again.
   */
  fail(method: FakeMethod, error: Error | ((args: unknown[]) => Error | undefined), times = Infinity): void {
    let left = times;
    this.failures.set(method, (args) => {
      if (left <= 0) return undefined;
      const e = error instanceof Error ? error : error(args);
      if (e !== undefined) left--;
      return e;
    });
  }

  heal(method: FakeMethod): void {
    this.failures.delete(method);
  }

  callsTo(method: FakeMethod): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  /** Delivers a watch event to every live watcher, as the API server's watch stream would. */
  emit(type: WatchEvent<Pod>['type'], pod: Pod, receivedAt: Date | number): void {
    const at = typeof receivedAt === 'number' ? new Date(receivedAt) : receivedAt;
    for (const w of this.watchers) if (!w.stopped) w.onEvent({ type, object: clone(pod), receivedAt: at });
  }

  get activeWatches(): number {
    return this.watchers.filter((w) => !w.stopped).length;
  }

  // ----- the Kube surface -----

  private enter(method: FakeMethod, args: unknown[], write?: string): void {
    this.calls.push({ method, args });
    if (write !== undefined) {
      if (this.readOnly) throw new ReadOnlyViolation(write);
      this.writes++;
    }
    const error = this.failures.get(method)?.(args);
    if (error !== undefined) throw error;
  }

  ping(): Promise<string> {
    return this.run('ping', [], undefined, () => 'v1.31.0');
  }

  listPods(namespace: string, selector: Record<string, string>): Promise<Pod[]> {
    return this.run('listPods', [namespace, selector], undefined, () =>
      [...this.pods.values()]
        .filter((p) => p.metadata?.namespace === namespace && labelsMatch(p, selector))
        .map(clone),
    );
  }

  readPod(namespace: string, name: string): Promise<Pod> {
    return this.run('readPod', [namespace, name], undefined, () => clone(this.pod(namespace, name)));
  }

  listPodsOnNode(node: string): Promise<Pod[]> {
    return this.run('listPodsOnNode', [node], undefined, () =>
      [...this.pods.values()].filter((p) => p.spec?.nodeName === node).map(clone),
    );
  }

  readDeployment(namespace: string, name: string): Promise<Deployment> {
    return this.run('readDeployment', [namespace, name], undefined, () =>
      clone(this.deployment(namespace, name)),
    );
  }

  listNodes(): Promise<Node[]> {
    return this.run('listNodes', [], undefined, () => [...this.nodes.values()].map(clone));
  }

  readNode(name: string): Promise<Node> {
    return this.run('readNode', [name], undefined, () => clone(this.node(name)));
  }

  readyEndpoints(namespace: string, service: string): Promise<string[]> {
    return this.run('readyEndpoints', [namespace, service], undefined, () => {
      const svc = this.services.get(podKey(namespace, service));
      if (!svc) return [];
      return [...this.pods.values()]
        .filter(
          (p) =>
            p.metadata?.namespace === namespace &&
            labelsMatch(p, svc.spec?.selector ?? {}) &&
            !p.metadata?.deletionTimestamp &&
            isPodReady(p),
        )
        .map((p) => p.status!.podIP!);
    });
  }

  listEvents(namespace: string): Promise<CoreEvent[]> {
    return this.run('listEvents', [namespace], undefined, () =>
      this.events.filter((e) => e.metadata.namespace === namespace).map(clone),
    );
  }

  readService(namespace: string, name: string): Promise<k8s.V1Service> {
    return this.run('readService', [namespace, name], undefined, () => {
      const svc = this.services.get(podKey(namespace, name));
      if (!svc) throw apiError(404, `services "${name}" not found`);
      return clone(svc);
    });
  }

  readLease(namespace: string, name: string): Promise<Lease | null> {
    return this.run('readLease', [namespace, name], undefined, () => {
      const l = this.leases.get(podKey(namespace, name));
      // As JSON would carry them: MicroTimes arrive as strings.
      return l ? (JSON.parse(JSON.stringify(l)) as Lease) : null;
    });
  }

  createLease(namespace: string, lease: Lease): Promise<Lease> {
    const name = lease.metadata!.name!;
    return this.run('createLease', [namespace, lease], `create lease ${namespace}/${name}`, () => {
      if (this.leases.has(podKey(namespace, name)))
        throw apiError(409, `leases.coordination.k8s.io "${name}" already exists`);
      return this.storeLease(namespace, lease);
    });
  }

  replaceLease(namespace: string, lease: Lease): Promise<Lease> {
    const name = lease.metadata!.name!;
    return this.run('replaceLease', [namespace, lease], `update lease ${namespace}/${name}`, () => {
      const current = this.leases.get(podKey(namespace, name));
      if (!current) throw apiError(404, `leases.coordination.k8s.io "${name}" not found`);
      if (lease.metadata?.resourceVersion !== current.metadata!.resourceVersion)
        throw apiError(409, `Operation cannot be fulfilled on leases.coordination.k8s.io "${name}"`);
      return this.storeLease(namespace, lease);
    });
  }

  deleteLease(namespace: string, name: string, resourceVersion: string): Promise<void> {
    return this.run(
      'deleteLease',
      [namespace, name, resourceVersion],
      `delete lease ${namespace}/${name}`,
      () => {
        const current = this.leases.get(podKey(namespace, name));
        if (!current) throw apiError(404, `leases.coordination.k8s.io "${name}" not found`);
        if (current.metadata!.resourceVersion !== resourceVersion)
          throw apiError(409, `Precondition failed: UID in precondition`);
        this.leases.delete(podKey(namespace, name));
      },
    );
  }

  private storeLease(namespace: string, lease: Lease): Lease {
    const stored = JSON.parse(JSON.stringify(lease)) as Lease;
    stored.metadata!.resourceVersion = String(++this.leaseVersion);
    this.leases.set(podKey(namespace, lease.metadata!.name!), stored);
    return JSON.parse(JSON.stringify(stored)) as Lease;
  }

  podLog(
    namespace: string,
    name: string,
    opts: { container?: string; previous?: boolean; limitBytes?: number },
  ): Promise<string> {
    return this.run('podLog', [namespace, name, opts], undefined, () => {
      const key = `${namespace}/${name}/${opts.container ?? 'scorer'}${opts.previous ? '/previous' : ''}`;
      const text = this.logs.get(key);
      if (text === undefined) {
        throw apiError(
          400,
          opts.previous
            ? `previous terminated container "${opts.container}" in pod "${name}" not found`
            : `pod "${name}" not found`,
        );
      }
      return opts.limitBytes === undefined ? text : text.slice(0, opts.limitBytes);
    });
  }

  deletePod(namespace: string, name: string, gracePeriodSeconds?: number): Promise<void> {
    return this.run(
      'deletePod',
      [namespace, name, gracePeriodSeconds],
      `delete pod ${namespace}/${name}`,
      () => {
        const pod = this.pod(namespace, name);
        if (gracePeriodSeconds === 0) this.pods.delete(podKey(namespace, name));
        else pod.metadata!.deletionTimestamp = new Date();
      },
    );
  }

  evictPod(namespace: string, name: string): Promise<void> {
    return this.run('evictPod', [namespace, name], `evict pod ${namespace}/${name}`, () => {
      const pod = this.pod(namespace, name);
      for (const pdb of this.pdbs) {
        if (pdb.namespace !== namespace || !labelsMatch(pod, pdb.selector)) continue;
        const healthy = [...this.pods.values()].filter(
          (p) =>
            p.metadata?.namespace === namespace &&
            labelsMatch(p, pdb.selector) &&
            !p.metadata?.deletionTimestamp &&
            isPodReady(p),
        ).length;
        const disrupted = isPodReady(pod) && !pod.metadata?.deletionTimestamp ? 1 : 0;
        if (healthy - disrupted < pdb.minAvailable) {
          pdb.blocked++;
          pdb.onBlocked?.(pdb.blocked, clone(pod));
          throw apiError(429, "Cannot evict pod as it would violate the pod's disruption budget.");
        }
      }
      pod.metadata!.deletionTimestamp = new Date();
    });
  }

  setUnschedulable(node: string, unschedulable: boolean): Promise<void> {
    return this.run(
      'setUnschedulable',
      [node, unschedulable],
      `${unschedulable ? 'cordon' : 'uncordon'} node ${node}`,
      () => {
        this.node(node).spec = { ...this.node(node).spec, unschedulable };
      },
    );
  }

  patchDeployment(
    namespace: string,
    name: string,
    patch: object,
    strategy: k8s.PatchStrategy,
  ): Promise<Deployment> {
    return this.run(
      'patchDeployment',
      [namespace, name, clone(patch), strategy],
      `patch deployment ${namespace}/${name}`,
      () => {
        if (strategy !== k8s.PatchStrategy.JsonPatch)
          throw new Error(`the fake only speaks JSON patch, not ${strategy}`);
        const d = this.deployment(namespace, name);
        const patched = applyJsonPatch(d, patch as JsonPatchOp[]);
        patched.metadata!.generation = (patched.metadata!.generation ?? 0) + 1;
        if (this.deploymentController === 'rollout') {
          patched.status = {
            ...patched.status,
            observedGeneration: patched.metadata!.generation,
            updatedReplicas: 1,
          };
        }
        this.deployments.set(podKey(namespace, name), patched);
        return clone(patched);
      },
    );
  }

  addEphemeralContainer(namespace: string, pod: string, container: k8s.V1EphemeralContainer): Promise<void> {
    return this.run(
      'addEphemeralContainer',
      [namespace, pod, clone(container)],
      `add ephemeral container ${container.name} to ${namespace}/${pod}`,
      () => {
        const p = this.pod(namespace, pod);
        p.spec!.ephemeralContainers = [...(p.spec!.ephemeralContainers ?? []), container];
        const state: k8s.V1ContainerState =
          this.ephemeralState === 'running'
            ? { running: { startedAt: new Date() } }
            : { waiting: { reason: 'ErrImagePull', message: `pull ${container.image}: not found` } };
        p.status!.ephemeralContainerStatuses = [
          ...(p.status!.ephemeralContainerStatuses ?? []),
          {
            name: container.name,
            image: container.image ?? '',
            imageID: '',
            ready: false,
            restartCount: 0,
            state,
          },
        ];
        if (this.ephemeralState !== 'running') return;
        const key = `${podKey(namespace, pod)}/${container.name}`;
        this.agents.set(key, { state: this.agentMechanism, running: true });
        if (this.agentMechanism !== 'failed') this.delayed.add(podKey(namespace, pod));
      },
    );
  }

  /** A waiting agent (its image finally pulled) starts and sets up its delay. */
  startAgent(namespace: string, pod: string, container: string): void {
    const status = this.pods
      .get(podKey(namespace, pod))
      ?.status?.ephemeralContainerStatuses?.find((c) => c.name === container);
    if (!status) throw new Error(`no agent ${container} in ${namespace}/${pod}`);
    status.state = { running: { startedAt: new Date() } };
    this.agents.set(`${podKey(namespace, pod)}/${container}`, { state: this.agentMechanism, running: true });
    if (this.agentMechanism !== 'failed') this.delayed.add(podKey(namespace, pod));
  }

  /** The agent's TTL ran out: it cleaned up after itself and exited. */
  expireAgent(namespace: string, pod: string, container: string): void {
    this.stopAgent(namespace, pod, container, 'Completed');
  }

  private stopAgent(namespace: string, pod: string, container: string, reason: string): void {
    const agent = this.agents.get(`${podKey(namespace, pod)}/${container}`);
    if (!agent) return;
    agent.running = false;
    agent.state = 'removed';
    this.delayed.delete(podKey(namespace, pod));
    const status = this.pods
      .get(podKey(namespace, pod))
      ?.status?.ephemeralContainerStatuses?.find((c) => c.name === container);
    if (status) status.state = { terminated: { exitCode: 0, reason } };
  }

  exec(namespace: string, pod: string, container: string, command: string[]): Promise<string> {
    return this.run(
      'exec',
      [namespace, pod, container, command],
      `exec in ${namespace}/${pod}/${container}: ${command.join(' ')}`,
      () => {
        if (this.execHandler) {
          const r = this.execHandler(namespace, pod, container, command);
          if (r instanceof Error) throw r;
          return r;
        }
        const p = this.pods.get(podKey(namespace, pod));
        if (!p) throw apiError(404, `pods "${pod}" not found`);
        const known = [...(p.spec?.containers ?? []), ...(p.spec?.ephemeralContainers ?? [])].some(
          (c) => c.name === container,
        );
        const failed = (why: string) => new Error(`${command.join(' ')} failed: ${why}`);
        if (!known) throw failed(`container not found ("${container}")`);
        const agent = this.agents.get(`${podKey(namespace, pod)}/${container}`);
        const isAgent = p.spec?.ephemeralContainers?.some((c) => c.name === container) ?? false;
        if (isAgent && !agent) throw failed(`container not found ("${container}")`);
        if (agent && !agent.running) throw failed('cannot exec in a stopped state: unknown');
        const line = command.join(' ');
        if (agent && line === `cat ${AGENT_STATE_FILE}`) return `${agent.state}\n`;
        if (agent && line === `sh -c ${STOP_AGENT}`) {
          this.stopAgent(namespace, pod, container, 'Completed');
          return '';
        }
        if (command[0] === 'tc' && command[2] === 'show') {
          return this.delayed.has(podKey(namespace, pod)) && agent?.state === 'netem'
            ? `qdisc netem 8001: root refcnt 2 limit 1000 delay 300ms\n`
            : `qdisc noqueue 0: dev ${command[4]} root refcnt 2\n`;
        }
        return '';
      },
    );
  }

  /** Full argument lists as kubectl would get them, harness flags included: what each command ran. */
  kubectl(
    namespace: string,
    args: readonly string[],
    opts: { write: boolean; timeoutMs: number; signal?: AbortSignal; cwd?: string },
  ): Promise<KubectlRun> {
    const full = ['--context', this.context, '--namespace', namespace, ...args];
    return this.run(
      'kubectl',
      [namespace, [...args], opts],
      opts.write ? `kubectl ${args.join(' ')}` : undefined,
      () => {
        const r = this.kubectlHandler
          ? this.kubectlHandler(namespace, args)
          : this.defaultKubectl(namespace, args);
        if (r instanceof Error) throw r;
        const stdout = r.exitCode === 0 ? r.output : '';
        return {
          args: full,
          exitCode: r.exitCode,
          stdout,
          output: r.output,
          timedOut: false,
          failure: r.exitCode === 0 ? null : `exit ${r.exitCode}`,
          durationMs: 5,
        };
      },
    );
  }

  /** What the fake kubectl does when no handler replaces it. */
  defaultKubectl(namespace: string, args: readonly string[]): { exitCode: number; output: string } {
    const name = /^(?:deployment|deploy|deployments)\/(.+)$/.exec(args[1] ?? '')?.[1];
    const d = name ? this.deployments.get(podKey(namespace, name)) : undefined;
    if (name && !d)
      return {
        exitCode: 1,
        output: `Error from server (NotFound): deployments.apps "${name}" not found\n`,
      };
    if (d && args[0] === 'get' && args.includes('jsonpath={.spec.replicas}'))
      return { exitCode: 0, output: String(d.spec!.replicas) };
    const replicas = args.find((a) => a.startsWith('--replicas='))?.slice('--replicas='.length);
    if (d && args[0] === 'scale' && replicas !== undefined && /^\d+$/.test(replicas)) {
      d.spec!.replicas = Number(replicas);
      return { exitCode: 0, output: `deployment.apps/${name} scaled\n` };
    }
    return { exitCode: 1, output: `error: the fake kubectl does not know ${args.join(' ')}\n` };
  }

  watch<T>(
    path: string,
    _query: Record<string, string>,
    onEvent: (e: WatchEvent<T>) => void,
  ): { stop(): void } {
    this.calls.push({ method: 'watch', args: [path, _query] });
    const w = { path, onEvent: onEvent as (e: WatchEvent<unknown>) => void, stopped: false };
    this.watchers.push(w);
    return { stop: () => (w.stopped = true) };
  }

  // ----- internals -----

  private async run<T>(
    method: FakeMethod,
    args: unknown[],
    write: string | undefined,
    body: () => T,
  ): Promise<T> {
    // Like the real client: an answer is never synchronous.
    await Promise.resolve();
    this.enter(method, args, write);
    return body();
  }

  private pod(namespace: string, name: string): Pod {
    const p = this.pods.get(podKey(namespace, name));
    if (!p) throw apiError(404, `pods "${name}" not found`);
    return p;
  }

  private node(name: string): Node {
    const n = this.nodes.get(name);
    if (!n) throw apiError(404, `nodes "${name}" not found`);
    return n;
  }

  private deployment(namespace: string, name: string): Deployment {
    const d = this.deployments.get(podKey(namespace, name));
    if (!d) throw apiError(404, `deployments.apps "${name}" not found`);
    return d;
  }
}

export function isPodReady(p: Pod): boolean {
  return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export interface JsonPatchOp {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}

/** RFC 6902 add/replace/remove, strict like the API server: a replace of a missing member is a 422. */
export function applyJsonPatch<T>(doc: T, ops: JsonPatchOp[]): T {
  const out = clone(doc);
  for (const op of ops) {
    const parts = op.path
      .split('/')
      .slice(1)
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = parts.pop();
    if (last === undefined) throw apiError(422, `invalid path ${op.path}`);
    let parent: unknown = out;
    for (const p of parts) {
      const next: unknown = (parent as Record<string, unknown> | undefined)?.[p];
      if (next === undefined || next === null)
        throw apiError(422, `the server rejected our request: path ${op.path} does not exist`);
      parent = next;
    }
    if (Array.isArray(parent)) {
      const i = last === '-' ? parent.length : Number(last);
      if (!Number.isInteger(i) || i < 0 || i > parent.length || (op.op !== 'add' && i >= parent.length)) {
        throw apiError(422, `index ${last} out of range at ${op.path}`);
      }
      if (op.op === 'add') parent.splice(i, 0, clone(op.value));
      else if (op.op === 'replace') parent[i] = clone(op.value);
      else parent.splice(i, 1);
    } else {
      const obj = parent as Record<string, unknown>;
      if (op.op !== 'add' && !(last in obj)) throw apiError(422, `path ${op.path} does not exist`);
      if (op.op === 'remove') delete obj[last];
      else obj[last] = clone(op.value);
    }
  }
  return out;
}
