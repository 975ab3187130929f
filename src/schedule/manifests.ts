/**
 * The Kubernetes objects for a scheduled game day: the suite's files in a ConfigMap, a ServiceAccount with
 * only the permissions the suite needs, and a CronJob running the harness image with them.
 */
import path from 'node:path';
import type { Scenario } from '../scenario/schema.js';
import { suitePermissions, type ClusterTraits, type PolicyRule } from './rbac.js';

export interface ScheduleInput {
  name: string;
  /** Where the CronJob, its ServiceAccount and ConfigMaps live. */
  namespace: string;
  cron: string;
  timeZone?: string;
  image: string;
  /** The suite file and every file it reaches (scenarios, payloads, scripts), absolute paths → contents. */
  files: Map<string, string>;
  suiteFile: string;
  scenarios: Scenario[];
  /** The context the schedule was made for: the pod names its cluster so (safety.allowedContexts). */
  clusterName: string;
  targetOrigin?: string;
  timeScale?: number;
  reportConfigMap: boolean;
  /** What the target cluster's version asks of the RBAC rules. */
  cluster?: ClusterTraits;
  /** Upper bound on one game day, from the plans: the Job is killed (and reverts) past it. */
  deadlineSeconds: number;
  /** The suite's `rbac:` rules for its kubectl faults. */
  kubectlRules?: PolicyRule[];
}

export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
} & Record<string, unknown>;

const SUITE_MOUNT = '/etc/chaos/suite';

export function scheduleObjects(input: ScheduleInput): KubeObject[] {
  const labels = { 'app.kubernetes.io/name': 'chaos', 'app.kubernetes.io/instance': input.name };
  const meta = (name: string, namespace?: string) => ({ name, ...(namespace ? { namespace } : {}), labels });
  const reportName = `${input.name}-report`;
  const perms = suitePermissions(
    input.scenarios,
    input.reportConfigMap ? { namespace: input.namespace, configMap: reportName } : undefined,
    input.cluster,
    input.kubectlRules,
  );
  const { data, items, root } = packFiles(input.files);
  const suitePath = `${SUITE_MOUNT}/${path.relative(root, input.suiteFile).split(path.sep).join('/')}`;

  const objects: KubeObject[] = [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(input.name, input.namespace) },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(`${input.name}-suite`, input.namespace), data },
  ];
  if (input.reportConfigMap)
    objects.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta(reportName, input.namespace),
      data: {},
    });
  const subject = [{ kind: 'ServiceAccount', name: input.name, namespace: input.namespace }];
  for (const [ns, rules] of [...perms.namespaced].sort(([a], [b]) => a.localeCompare(b))) {
    objects.push(
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: meta(input.name, ns),
        rules: rules.map(ruleObject),
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: meta(input.name, ns),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: input.name },
        subjects: subject,
      },
    );
  }
  if (perms.cluster.length > 0) {
    const clusterName = `chaos-${input.namespace}-${input.name}`;
    objects.push(
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: meta(clusterName),
        rules: perms.cluster.map(ruleObject),
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: meta(clusterName),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterName },
        subjects: subject,
      },
    );
  }

  const args = ['gameday', suitePath, '--report-dir', '/tmp/chaos/reports', '--report-stdout'];
  if (input.timeScale !== undefined) args.push('--time-scale', String(input.timeScale));
  if (input.targetOrigin) args.push('--target-origin', input.targetOrigin);
  if (input.reportConfigMap) args.push('--report-configmap', `${input.namespace}/${reportName}`);
  objects.push({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: meta(input.name, input.namespace),
    spec: {
      schedule: input.cron,
      ...(input.timeZone ? { timeZone: input.timeZone } : {}),
      // Two game days at once would inject into each other's measurements.
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 300,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        metadata: { labels },
        spec: {
          // A FAIL is a finding, not a flake: retrying would inject the faults again.
          backoffLimit: 0,
          activeDeadlineSeconds: input.deadlineSeconds,
          template: {
            metadata: { labels },
            spec: {
              serviceAccountName: input.name,
              restartPolicy: 'Never',
              // Room to revert every fault after SIGTERM (deadline or deletion) before SIGKILL.
              terminationGracePeriodSeconds: 120,
              securityContext: {
                runAsNonRoot: true,
                runAsUser: 65534,
                runAsGroup: 65534,
                seccompProfile: { type: 'RuntimeDefault' },
              },
              containers: [
                {
                  name: 'chaos',
                  image: input.image,
                  imagePullPolicy: 'IfNotPresent',
                  args,
                  env: [
                    { name: 'CHAOS_CLUSTER_NAME', value: input.clusterName },
                    // The ledger lives as long as the pod; a SIGKILLed pod's faults are what the agents'
                    // self-expiry and `chaos recover` from a workstation are for.
                    { name: 'CHAOS_STATE_DIR', value: '/tmp/chaos/state' },
                    { name: 'HOME', value: '/tmp/chaos' },
                  ],
                  securityContext: {
                    allowPrivilegeEscalation: false,
                    readOnlyRootFilesystem: true,
                    capabilities: { drop: ['ALL'] },
                  },
                  resources: { requests: { cpu: '200m', memory: '256Mi' }, limits: { memory: '1Gi' } },
                  volumeMounts: [
                    { name: 'suite', mountPath: SUITE_MOUNT, readOnly: true },
                    { name: 'scratch', mountPath: '/tmp' },
                  ],
                },
              ],
              volumes: [
                { name: 'suite', configMap: { name: `${input.name}-suite`, items } },
                { name: 'scratch', emptyDir: { sizeLimit: '1Gi' } },
              ],
            },
          },
        },
      },
    },
  });
  return objects;
}

function ruleObject(r: PolicyRule): Record<string, unknown> {
  return {
    apiGroups: r.apiGroups,
    resources: r.resources,
    verbs: r.verbs,
    ...(r.resourceNames ? { resourceNames: r.resourceNames } : {}),
  };
}

/**
 * ConfigMap keys cannot hold '/', so each file gets a flat key and a volume item puts it back at its path
 * relative to the common root: scenarios find their payloads where they expect them.
 */
function packFiles(files: Map<string, string>): {
  data: Record<string, string>;
  items: { key: string; path: string }[];
  root: string;
} {
  const paths = [...files.keys()].sort();
  const under = (dir: string) => (dir.endsWith(path.sep) ? dir : dir + path.sep);
  let root = path.dirname(paths[0]!);
  while (!paths.every((p) => p.startsWith(under(root))) && path.dirname(root) !== root)
    root = path.dirname(root);
  const data: Record<string, string> = {};
  const items: { key: string; path: string }[] = [];
  for (const p of paths) {
    const rel = path.relative(root, p).split(path.sep).join('/');
    const flat = rel.replace(/[^-._a-zA-Z0-9]/g, '_');
    // "a/b.yaml" and "a_b.yaml" flatten alike; the second gets a suffix rather than overwriting the first.
    let key = flat;
    for (let n = 2; key in data; n++) key = `${n}-${flat}`;
    data[key] = files.get(p)!;
    items.push({ key, path: rel });
  }
  return { data, items, root };
}
