/**
 * The permissions a scheduled game day needs, derived from what its scenarios do: each rule below names the
 * code path that makes the call. Nothing is granted for a fault the suite does not use, so the CronJob's
 * ServiceAccount can do no more harm than its suite describes.
 */
import { runnerSettings } from '../scenario/runner-rules.js';
import { LEASE_NAME as RUN_LEASE_NAME } from '../run/lease.js';
import type { Scenario } from '../scenario/schema.js';

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

export interface SuitePermissions {
  /** Role rules per namespace. */
  namespaced: Map<string, PolicyRule[]>;
  /** ClusterRole rules: only node drains need any (nodes are cluster-scoped; a drain evicts every namespace). */
  cluster: PolicyRule[];
}

type Grant = { group: string; resource: string; verb: string; why: string };

const g = (group: string, resource: string, verb: string, why: string): Grant => ({
  group,
  resource,
  verb,
  why,
});

export interface ClusterTraits {
  /**
   * Exec runs over a WebSocket, which starts as a GET: up to Kubernetes 1.34 that needs `get` on pods/exec
   * only; from 1.35 the API server also checks `create` (KEP-4006, AuthorizePodWebsocketUpgradeCreatePermission).
   */
  execNeedsCreate: boolean;
}

/** Unknown server version: grant what the newest servers check. */
export const NEWEST_SERVERS: ClusterTraits = { execNeedsCreate: true };

export function clusterTraits(gitVersion: string | null): ClusterTraits {
  const m = gitVersion ? /^v?(\d+)\.(\d+)/.exec(gitVersion) : null;
  if (!m) return NEWEST_SERVERS;
  return { execNeedsCreate: Number(m[1]) > 1 || Number(m[2]) >= 35 };
}

/** What one scenario calls, by namespace ('*' for cluster scope). */
export function scenarioGrants(s: Scenario, traits: ClusterTraits = NEWEST_SERVERS): Map<string, Grant[]> {
  const ns = s.target.namespace;
  const out = new Map<string, Grant[]>();
  const add = (where: string, ...grants: Grant[]) => out.set(where, [...(out.get(where) ?? []), ...grants]);

  add(
    ns,
    g('', 'pods', 'list', 'preflight target count; pod-kill and latency victims; triage'),
    g('', 'pods', 'watch', 'readiness timeline and recovery time (orchestrator pod watch)'),
  );
  if (s.target.deployment || s.steadyState.some((c) => c.type === 'readyReplicas'))
    add(ns, g('apps', 'deployments', 'get', 'desired replicas; readyReplicas steady-state check'));
  if (s.target.deployment && s.slos.some((slo) => slo.type === 'scaling'))
    // A watch without a resourceVersion starts with the current objects: `watch` alone, no `list`.
    add(
      ns,
      g('autoscaling', 'horizontalpodautoscalers', 'watch', 'scaling SLO: desired replicas and conditions'),
      g('apps', 'deployments', 'watch', 'scaling SLO: Ready replicas over time'),
    );
  const runners = runnerSettings(s);
  if (runners) {
    // src/runners/pool.ts: the pods and their ConfigMap, and k6's REST API and the agent through the pod proxy.
    const where = runners.namespace ?? ns;
    add(
      where,
      g('', 'configmaps', 'create', 'runners: the script, payload and agent'),
      g('', 'configmaps', 'delete', 'runners: cleanup'),
      g('', 'pods', 'create', 'runners: one pod per runner'),
      g('', 'pods', 'get', 'runners: scheduled, running, or gone'),
      g('', 'pods', 'delete', 'runners: stop and cleanup'),
      g('', 'pods/proxy', 'get', 'runners: read k6 output and status from the agent'),
      g('', 'pods/proxy', 'patch', "runners: start and stop k6 (its REST API's PATCH /v1/status)"),
      g('', 'pods/proxy', 'create', 'runners: tell the agent its output is all in (POST /done)'),
    );
    // load.secretEnv reaches the runner pods through one Secret per run: created, then deleted. Never read back.
    if (s.load.secretEnv.length > 0)
      add(
        where,
        g('', 'secrets', 'create', "runners: load.secretEnv's values for the runner pods"),
        g('', 'secrets', 'delete', 'runners: cleanup'),
      );
    if (runners.nodeSelector) add('*', g('', 'nodes', 'list', 'runners: a node selector must match a node'));
  }
  const hasFaults = s.faults.length > 0;
  if (s.steadyState.some((c) => c.type === 'endpoints') || (hasFaults && s.target.service))
    add(ns, g('discovery.k8s.io', 'endpointslices', 'list', 'endpoints steady-state check; triage'));
  if (hasFaults) {
    // Triage runs while the fault is in place: events, then current and --previous logs.
    add(ns, g('', 'events', 'list', 'triage'), g('', 'pods/log', 'get', 'triage: current and previous logs'));
    if (s.target.service) add(ns, g('', 'services', 'get', 'triage: the service in front of the pods'));
  }
  for (const f of s.faults) {
    switch (f.type) {
      case 'pod-kill':
        add(ns, g('', 'pods', 'delete', 'pod-kill'));
        break;
      case 'model-version':
        add(
          ns,
          g('apps', 'deployments', 'get', 'model-version: the template to restore'),
          g('apps', 'deployments', 'patch', 'model-version: inject and restore'),
        );
        break;
      case 'latency': {
        const where = f.namespace ?? ns;
        add(
          where,
          g('', 'pods', 'list', 'latency: victims'),
          g('', 'pods', 'get', 'latency revert: agent state'),
          g('', 'pods/ephemeralcontainers', 'patch', 'latency: add the agent'),
          g('', 'pods/exec', 'get', 'latency: confirm and stop the agent (WebSocket exec)'),
        );
        if (traits.execNeedsCreate)
          add(where, g('', 'pods/exec', 'create', 'latency: exec on Kubernetes ≥ 1.35'));
        break;
      }
      case 'node-drain':
        add(
          '*',
          g('', 'nodes', 'get', 'node-drain: cordon state'),
          g('', 'nodes', 'patch', 'node-drain: cordon and uncordon'),
          g('', 'pods', 'list', 'node-drain: the pods on the node, in every namespace'),
          g('', 'pods/eviction', 'create', 'node-drain: evict through the Eviction API (honours PDBs)'),
        );
        break;
      case 'oversize-batch':
        break;
      case 'kubectl':
        // Arbitrary commands: what they need is stated by the suite (`rbac:`), see suitePermissions.
        break;
    }
  }
  return out;
}

/** The namespaces a suite's kubectl faults run in: where its `rbac:` rules are granted. */
export function kubectlNamespaces(scenarios: Scenario[]): string[] {
  const ns = scenarios
    .filter((s) => s.faults.some((f) => f.type === 'kubectl'))
    .map((s) => s.target.namespace);
  return [...new Set(ns)].sort();
}

export function suitePermissions(
  scenarios: Scenario[],
  report?: { namespace: string; configMap: string },
  traits: ClusterTraits = NEWEST_SERVERS,
  /** The suite's `rbac:` rules, for its kubectl faults: granted as written, in their namespaces. */
  kubectlRules: PolicyRule[] = [],
): SuitePermissions {
  const byScope = new Map<string, Grant[]>();
  for (const s of scenarios)
    for (const [where, grants] of scenarioGrants(s, traits))
      byScope.set(where, [...(byScope.get(where) ?? []), ...grants]);
  const named: { where: string; rule: PolicyRule }[] = [];
  for (const where of kubectlNamespaces(scenarios))
    for (const rule of kubectlRules) {
      // A rule limited to some names stays its own rule; the rest merge with the derived grants.
      if (rule.resourceNames) {
        named.push({ where, rule });
        continue;
      }
      const grants = rule.apiGroups.flatMap((group) =>
        rule.resources.flatMap((resource) =>
          rule.verbs.map((verb) => g(group, resource, verb, "kubectl faults (the suite's rbac:)")),
        ),
      );
      byScope.set(where, [...(byScope.get(where) ?? []), ...grants]);
    }
  const namespaced = new Map<string, PolicyRule[]>();
  for (const [where, grants] of byScope) if (where !== '*') namespaced.set(where, toRules(grants));
  for (const { where, rule } of named) namespaced.set(where, [...(namespaced.get(where) ?? []), rule]);
  // The run lease (src/run/lease.ts), in each namespace a scenario targets. `create` cannot be limited to a
  // name (the name is not known when create is authorized); the rest can, to the lease's one name.
  for (const ns of new Set(scenarios.map((s) => s.target.namespace)))
    namespaced.set(ns, [
      ...(namespaced.get(ns) ?? []),
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        verbs: ['delete', 'get', 'update'],
        resourceNames: [RUN_LEASE_NAME],
      },
    ]);
  if (report) {
    // Update only, on one name: `chaos schedule --apply` creates the ConfigMap, so no create is needed.
    const rules = namespaced.get(report.namespace) ?? [];
    rules.push({
      apiGroups: [''],
      resources: ['configmaps'],
      verbs: ['update'],
      resourceNames: [report.configMap],
    });
    namespaced.set(report.namespace, rules);
  }
  return { namespaced, cluster: toRules(byScope.get('*') ?? []) };
}

/** One rule per (group, resource), verbs deduplicated and sorted: stable output for review and diff. */
function toRules(grants: Grant[]): PolicyRule[] {
  const verbs = new Map<string, Set<string>>();
  for (const x of grants) {
    const key = `${x.group}\u0000${x.resource}`;
    verbs.set(key, (verbs.get(key) ?? new Set()).add(x.verb));
  }
  return (
    [...verbs.entries()]
      // Code-unit order: the core group ("") first, as `kubectl describe role` lists it.
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, v]) => {
        const [group, resource] = key.split('\u0000') as [string, string];
        return { apiGroups: [group], resources: [resource], verbs: [...v].sort() };
      })
  );
}
