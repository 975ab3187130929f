/**
 * The Kubernetes objects of one run's runners: one ConfigMap with the k6 script (the built-in one, or a custom
 * script as k6's own archive), the payload, the golden rows and the agent (agent.ts); a Secret with
 * load.secretEnv's values when there are any; and one pod per runner running its execution segment of the same
 * script and options, paused. Secret values reach the pods only through `envFrom: secretRef`: never a
 * ConfigMap, never the pod spec.
 */
import type { V1ConfigMap, V1Pod, V1Secret } from '@kubernetes/client-node';
import { AGENT_FILE, AGENT_PORT, K6_API_PORT } from './agent.js';

export interface RunnerObjectsInput {
  runId: string;
  namespace: string;
  count: number;
  image: string;
  cpu: string;
  memory: string;
  nodeSelector?: Record<string, string>;
  /** k6's environment (k6Env), with file paths already pointing into MOUNT. */
  env: Record<string, string>;
  /** File name in the ConfigMap → content: the script (SCRIPT_FILE and what it imports), the payload, the agent. */
  files: Record<string, string>;
  /** Files that are not UTF-8 text (a custom script's k6 archive), in the ConfigMap's binaryData. */
  binaryFiles?: Record<string, Uint8Array>;
  /** The file in MOUNT that k6 runs; default SCRIPT_FILE (the built-in script). */
  script?: string;
  /** load.secretEnv's values by name: a Secret the pods take their environment from. */
  secrets?: Record<string, string>;
}

export const MOUNT = '/chaos';
export const SCRIPT_FILE = 'score.ts';
/** A custom script, its local modules and the files it open()s, as `k6 archive` packs them. */
export const ARCHIVE_FILE = 'script.tar';
/** What one ConfigMap may hold (the API server refuses more than 1 MiB); a little is left for metadata. */
export const CONFIGMAP_MAX_BYTES = 1_000_000;
const RAW = '/tmp/k6-raw.ndjson';
const SUMMARY = '/tmp/k6-summary.json';
export const RUNNER_LABEL = 'chaos.runner/run';

/** The `--execution-segment-sequence` of n equal runners and runner i's segment of it. */
export function executionSegments(n: number): { sequence: string; segments: string[] } {
  if (!Number.isInteger(n) || n < 1) throw new Error(`bug: ${n} runners`);
  const at = (i: number): string => (i === 0 ? '0' : i === n ? '1' : `${i}/${n}`);
  const cuts = Array.from({ length: n + 1 }, (_, i) => at(i));
  return { sequence: cuts.join(','), segments: cuts.slice(0, n).map((c, i) => `${c}:${cuts[i + 1]}`) };
}

/** Names for one run: DNS-1123 labels, unique per run (the run id's random tail). */
export function runnerNames(
  runId: string,
  count: number,
): { tag: string; configMap: string; secret: string; pods: string[] } {
  const tag = (runId.split('-').at(-1) ?? 'run').toLowerCase().replace(/[^a-z0-9]/g, '') || 'run';
  return {
    tag,
    configMap: `chaos-runners-${tag}`,
    secret: `chaos-runners-${tag}`,
    pods: Array.from({ length: count }, (_, i) => `chaos-runner-${tag}-${i}`),
  };
}

export function k6RunnerArgs(segment: string, sequence: string, script: string = SCRIPT_FILE): string[] {
  return [
    'run',
    '--no-color',
    '--quiet',
    '--no-usage-report',
    // Started by the harness through k6's REST API, all at one moment.
    '--paused',
    '--address',
    `0.0.0.0:${K6_API_PORT}`,
    '--out',
    `json=${RAW}`,
    '--summary-export',
    SUMMARY,
    '--summary-trend-stats',
    'avg,min,med,max,p(90),p(95),p(99)',
    '--execution-segment',
    segment,
    '--execution-segment-sequence',
    sequence,
    `${MOUNT}/${script}`,
  ];
}

export function runnerObjects(input: RunnerObjectsInput): {
  configMap: V1ConfigMap;
  secret: V1Secret | null;
  pods: V1Pod[];
} {
  const names = runnerNames(input.runId, input.count);
  const labels = { 'app.kubernetes.io/name': 'chaos-runner', [RUNNER_LABEL]: names.tag };
  const { sequence, segments } = executionSegments(input.count);
  const configMap: V1ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: names.configMap, namespace: input.namespace, labels },
    data: input.files,
    ...(input.binaryFiles && Object.keys(input.binaryFiles).length > 0
      ? {
          binaryData: Object.fromEntries(
            Object.entries(input.binaryFiles).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
          ),
        }
      : {}),
  };
  const secrets = input.secrets ?? {};
  const secret: V1Secret | null =
    Object.keys(secrets).length === 0
      ? null
      : {
          apiVersion: 'v1',
          kind: 'Secret',
          type: 'Opaque',
          metadata: { name: names.secret, namespace: input.namespace, labels },
          stringData: secrets,
        };
  const pods: V1Pod[] = names.pods.map((name, i) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: input.namespace,
      labels: { ...labels, 'chaos.runner/index': String(i) },
    },
    spec: {
      restartPolicy: 'Never',
      // k6 flushes on SIGTERM within a second; a runner must be gone within 5 s of a stop.
      terminationGracePeriodSeconds: 3,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      ...(input.nodeSelector ? { nodeSelector: input.nodeSelector } : {}),
      // One machine's network and CPU is what runners exist to get past: spread them over the nodes.
      topologySpreadConstraints: [
        {
          maxSkew: 1,
          topologyKey: 'kubernetes.io/hostname',
          whenUnsatisfiable: 'ScheduleAnyway',
          labelSelector: { matchLabels: { [RUNNER_LABEL]: names.tag } },
        },
      ],
      securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534 },
      containers: [
        {
          name: 'k6',
          image: input.image,
          imagePullPolicy: 'IfNotPresent',
          command: ['node', `${MOUNT}/${AGENT_FILE}`],
          workingDir: '/tmp',
          env: [
            ...Object.entries(input.env).map(([k, v]) => ({ name: k, value: v })),
            {
              name: 'CHAOS_K6_ARGS',
              value: JSON.stringify(k6RunnerArgs(segments[i]!, sequence, input.script)),
            },
          ],
          ...(secret ? { envFrom: [{ secretRef: { name: names.secret } }] } : {}),
          ports: [
            { name: 'k6-api', containerPort: K6_API_PORT },
            { name: 'agent', containerPort: AGENT_PORT },
          ],
          resources: {
            requests: { cpu: input.cpu, memory: input.memory },
            limits: { cpu: input.cpu, memory: input.memory },
          },
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
          volumeMounts: [{ name: 'chaos', mountPath: MOUNT, readOnly: true }],
        },
      ],
      volumes: [{ name: 'chaos', configMap: { name: names.configMap } }],
    },
  }));
  return { configMap, secret, pods };
}
