import { describe, expect, it } from 'vitest';
import { checkCron } from '../../../src/commands/schedule.js';
import { withTargetOrigin } from '../../../src/run/run-scenario.js';
import { scheduleObjects, type ScheduleInput } from '../../../src/schedule/manifests.js';
import { clusterTraits, suitePermissions } from '../../../src/schedule/rbac.js';
import type { ScenarioInput } from '../../../src/scenario/schema.js';
import { makeScenario as scenario } from '../../fakes/scenario.js';

type FaultInput = NonNullable<ScenarioInput['faults']>[number];
const withFaults = (...faults: FaultInput[]) => scenario({ faults });
/** The run lease's rules, in every target namespace: create (no name can be given), the rest on its name. */
const LEASE_RULES = [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
  {
    apiGroups: ['coordination.k8s.io'],
    resources: ['leases'],
    verbs: ['delete', 'get', 'update'],
    resourceNames: ['chaos-run'],
  },
];

describe('suitePermissions', () => {
  it('pod-kill: reads for observation and triage, delete on pods, nothing cluster-wide', () => {
    const p = suitePermissions([scenario()]);
    expect(p.cluster).toEqual([]);
    expect(p.namespaced.get('ml-serving')).toEqual([
      { apiGroups: [''], resources: ['events'], verbs: ['list'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['delete', 'list', 'watch'] },
      { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
      { apiGroups: [''], resources: ['services'], verbs: ['get'] },
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list'] },
      ...LEASE_RULES,
    ]);
  });

  it('a scaling SLO adds a watch on the HPAs and the Deployment, nothing more', () => {
    const p = suitePermissions([
      scenario({
        slos: [
          { type: 'latency', max: '250ms' },
          { type: 'scaling', window: 'fault' },
        ],
      }),
    ]);
    const rules = p.namespaced.get('ml-serving')!;
    expect(rules).toContainEqual({
      apiGroups: ['apps'],
      resources: ['deployments'],
      verbs: ['get', 'watch'],
    });
    expect(rules).toContainEqual({
      apiGroups: ['autoscaling'],
      resources: ['horizontalpodautoscalers'],
      verbs: ['watch'],
    });
    expect(
      suitePermissions([scenario()])
        .namespaced.get('ml-serving')!
        .map((r) => r.apiGroups[0]),
    ).not.toContain('autoscaling');
  });

  it('no write verb for a scenario without faults, but the run lease', () => {
    const all = suitePermissions([withFaults()]).namespaced.get('ml-serving')!;
    expect(all.slice(-2)).toEqual(LEASE_RULES);
    const rules = all.slice(0, -2);
    expect(rules.flatMap((r) => r.verbs).filter((v) => !['get', 'list', 'watch'].includes(v))).toEqual([]);
    expect(rules.map((r) => r.resources[0])).not.toContain('pods/log');
  });

  it('latency in another namespace is granted there, not in the target namespace', () => {
    const p = suitePermissions([
      scenario({
        faults: [
          {
            type: 'latency',
            at: '5s',
            namespace: 'features',
            selector: { app: 'feature-store' },
            delay: '300ms',
          },
        ],
        safety: { allowedNamespaces: ['ml-serving', 'features'] },
      }),
    ]);
    expect(p.namespaced.get('features')).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
      { apiGroups: [''], resources: ['pods/ephemeralcontainers'], verbs: ['patch'] },
      { apiGroups: [''], resources: ['pods/exec'], verbs: ['create', 'get'] },
    ]);
    expect(p.namespaced.get('ml-serving')!.map((r) => r.resources[0])).not.toContain('pods/exec');
  });

  it('exec over WebSocket: get up to Kubernetes 1.34, get and create from 1.35 (or when the version is unknown)', () => {
    const latency = scenario({
      faults: [{ type: 'latency', at: '5s', selector: { app: 'feature-store' }, delay: '300ms' }],
    });
    const execVerbs = (version: string | null) =>
      suitePermissions([latency], undefined, clusterTraits(version))
        .namespaced.get('ml-serving')!
        .find((r) => r.resources[0] === 'pods/exec')!.verbs;
    expect(execVerbs('v1.34.4')).toEqual(['get']);
    expect(execVerbs('v1.35.0')).toEqual(['create', 'get']);
    expect(execVerbs('v2.0.0')).toEqual(['create', 'get']);
    expect(execVerbs(null)).toEqual(['create', 'get']);
  });

  it('node-drain is the only fault that needs a ClusterRole', () => {
    const p = suitePermissions([withFaults({ type: 'node-drain', at: '5s' })]);
    expect(p.cluster).toEqual([
      { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'patch'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
      { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
    ]);
  });

  it("kubectl faults get exactly the suite's rbac: rules, in their namespace, and nothing without them", () => {
    const kubectlFault: FaultInput = {
      type: 'kubectl',
      capture: ['get', 'deployment/feature-store', '-o', 'jsonpath={.spec.replicas}'],
      inject: ['scale', 'deployment/feature-store', '--replicas=0'],
      undo: ['scale', 'deployment/feature-store', '--replicas={{captured}}'],
    };
    const s = scenario({
      faults: [kubectlFault],
      safety: { allowedNamespaces: ['ml-serving'], allowKubectl: true },
    });
    const rbac = [
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get' as const] },
      { apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['patch' as const] },
      {
        apiGroups: [''],
        resources: ['configmaps'],
        verbs: ['update' as const],
        resourceNames: ['model-settings'],
      },
    ];
    const p = suitePermissions([s], undefined, undefined, rbac);
    expect(p.cluster).toEqual([]);
    expect(p.namespaced.get('ml-serving')).toEqual([
      { apiGroups: [''], resources: ['events'], verbs: ['list'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] },
      { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
      { apiGroups: [''], resources: ['services'], verbs: ['get'] },
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get'] },
      { apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['patch'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list'] },
      { apiGroups: [''], resources: ['configmaps'], verbs: ['update'], resourceNames: ['model-settings'] },
      ...LEASE_RULES,
    ]);
    // A suite's rules are for its kubectl faults: a scenario without one gets none of them.
    expect(suitePermissions([scenario()], undefined, undefined, rbac).namespaced.get('ml-serving')).toEqual(
      suitePermissions([scenario()]).namespaced.get('ml-serving'),
    );
  });

  it('the report ConfigMap: update on that one name, never create', () => {
    const rules = suitePermissions([scenario()], {
      namespace: 'ml-serving',
      configMap: 'x-report',
    }).namespaced.get('ml-serving')!;
    expect(rules.at(-1)).toEqual({
      apiGroups: [''],
      resources: ['configmaps'],
      verbs: ['update'],
      resourceNames: ['x-report'],
    });
  });
});

describe('scheduleObjects', () => {
  const input = (over: Partial<ScheduleInput> = {}): ScheduleInput => ({
    name: 'chaos-weekly',
    namespace: 'ml-serving',
    cron: '0 3 * * 1',
    image: 'chaos.local/chaos:0.1.0',
    files: new Map([
      ['/repo/gamedays/weekly.yaml', 'suite'],
      ['/repo/scenarios/pod-kill.yaml', 'scenario'],
      ['/repo/scenarios/payloads/transactions.json', '[]'],
    ]),
    suiteFile: '/repo/gamedays/weekly.yaml',
    scenarios: [scenario()],
    clusterName: 'kind-chaos',
    reportConfigMap: false,
    deadlineSeconds: 900,
    ...over,
  });

  it('keeps the files at their relative paths, so scenarios find their payloads', () => {
    const objects = scheduleObjects(input());
    const cm = objects.find((o) => o.kind === 'ConfigMap')!;
    expect(Object.keys(cm.data as object)).toEqual([
      'gamedays_weekly.yaml',
      'scenarios_payloads_transactions.json',
      'scenarios_pod-kill.yaml',
    ]);
    const cron = objects.find((o) => o.kind === 'CronJob')! as unknown as {
      spec: {
        jobTemplate: {
          spec: {
            backoffLimit: number;
            template: {
              spec: {
                volumes: { configMap?: { items: unknown[] } }[];
                containers: { args: string[]; env: { name: string; value: string }[] }[];
              };
            };
          };
        };
      };
    };
    const pod = cron.spec.jobTemplate.spec.template.spec;
    expect(pod.volumes[0]!.configMap!.items).toContainEqual({
      key: 'scenarios_payloads_transactions.json',
      path: 'scenarios/payloads/transactions.json',
    });
    expect(pod.containers[0]!.args.slice(0, 2)).toEqual(['gameday', '/etc/chaos/suite/gamedays/weekly.yaml']);
    expect(pod.containers[0]!.env).toContainEqual({ name: 'CHAOS_CLUSTER_NAME', value: 'kind-chaos' });
    expect(cron.spec.jobTemplate.spec.backoffLimit).toBe(0);
  });

  it('files with nothing in common but the filesystem root, and names that flatten alike, all survive', () => {
    const files = new Map([
      ['/a/suite.yaml', 'suite'],
      ['/b/x/y.yaml', 'one'],
      ['/b/x_y.yaml', 'two'],
    ]);
    const cm = scheduleObjects(input({ files, suiteFile: '/a/suite.yaml' })).find(
      (o) => o.kind === 'ConfigMap',
    )!;
    expect(cm.data).toEqual({ 'a_suite.yaml': 'suite', 'b_x_y.yaml': 'one', '2-b_x_y.yaml': 'two' });
  });

  it('binds one Role per namespace to the ServiceAccount, and a ClusterRole only for node drains', () => {
    expect(scheduleObjects(input()).map((o) => o.kind)).toEqual([
      'ServiceAccount',
      'ConfigMap',
      'Role',
      'RoleBinding',
      'CronJob',
    ]);
    const drain = scheduleObjects(input({ scenarios: [withFaults({ type: 'node-drain', at: '5s' })] }));
    expect(drain.map((o) => o.kind)).toContain('ClusterRoleBinding');
  });
});

describe('checkCron', () => {
  it('accepts five fields and macros, and says when it would run', () => {
    for (const e of ['0 3 * * 1', '*/15 * * * *', '@daily']) expect(checkCron(e)).toHaveProperty('next');
  });
  it('rejects what Kubernetes would not take, with the reason', () => {
    expect(checkCron('0 0 3 * * 1')).toEqual({
      problem: 'expected five fields (minute hour day-of-month month day-of-week) or a macro like @daily',
    });
    expect(checkCron('61 * * * *')).toEqual({ problem: 'Invalid value for minute: 61' });
  });
  it('computes the next runs in the schedule time zone, and refuses an unknown zone', () => {
    const next = (tz?: string) => (checkCron('0 3 * * *', tz) as { next: Date[] }).next[0]!;
    expect(next().getUTCHours()).toBe(3);
    expect([1, 2]).toContain(next('Europe/Paris').getUTCHours());
    expect(checkCron('0 3 * * *', 'Mars/Olympus')).toEqual({
      problem: '--time-zone Mars/Olympus is not an IANA time zone (e.g. Europe/Paris)',
    });
  });
});

describe('withTargetOrigin', () => {
  it('moves every URL on the target origin, keeping paths, and nothing else', () => {
    const s = scenario({
      steadyState: [
        { type: 'http', url: 'http://127.0.0.1:30080/healthz', status: 200 },
        { type: 'http', url: 'http://127.0.0.1:30081/ready', status: 200 },
      ],
    });
    const moved = withTargetOrigin(s, 'http://fraud-scorer.ml-serving.svc');
    expect(moved.target.url).toBe('http://fraud-scorer.ml-serving.svc/score');
    expect(moved.target.versionUrl).toBe('http://fraud-scorer.ml-serving.svc/version');
    expect(moved.steadyState).toEqual([
      { type: 'http', url: 'http://fraud-scorer.ml-serving.svc/healthz', status: 200 },
      { type: 'http', url: 'http://127.0.0.1:30081/ready', status: 200 },
    ]);
    expect(withTargetOrigin(s, undefined)).toBe(s);
  });
});
