import { describe, expect, it } from 'vitest';
import { AGENT_PORT, K6_API_PORT } from '../../../src/runners/agent.js';
import {
  ARCHIVE_FILE,
  executionSegments,
  runnerNames,
  runnerObjects,
} from '../../../src/runners/manifests.js';
import { k6RequestCount, undoRunners, type RunnersUndo } from '../../../src/runners/pool.js';
import { ApiException } from '@kubernetes/client-node';
import type { Kube } from '../../../src/adapters/kube.js';
import { scenarioGrants } from '../../../src/schedule/rbac.js';
import { parseScenario } from '../../../src/scenario/parse.js';
import { VALID, edit } from '../scenario/helpers.js';

describe('execution segments', () => {
  it('cut [0,1] into n equal segments that together are the whole', () => {
    expect(executionSegments(1)).toEqual({ sequence: '0,1', segments: ['0:1'] });
    expect(executionSegments(3)).toEqual({
      sequence: '0,1/3,2/3,1',
      segments: ['0:1/3', '1/3:2/3', '2/3:1'],
    });
    for (let n = 1; n <= 8; n++) {
      const { sequence, segments } = executionSegments(n);
      expect(segments).toHaveLength(n);
      expect(
        segments
          .join(',')
          .split(/[:,]/)
          .filter((_, i) => i % 2 === 0)
          .join(',') + ',1',
      ).toBe(sequence);
    }
  });
});

describe('runner objects', () => {
  const { configMap, pods } = runnerObjects({
    runId: '20261202T142355-pod-kill-1ec281',
    namespace: 'ml-serving',
    count: 3,
    image: 'chaos.local/chaos:0.1.0',
    cpu: '250m',
    memory: '256Mi',
    nodeSelector: { pool: 'load' },
    env: { TARGET_URL: 'http://fraud-scorer.ml-serving.svc:80/score' },
    files: { 'score.ts': '// script' },
  });

  it('one pod per segment, same script and options, paused with the REST API open', () => {
    expect(runnerNames('20261202T142355-pod-kill-1ec281', 3).pods).toEqual(pods.map((p) => p.metadata!.name));
    expect(configMap.metadata!.name).toBe('chaos-runners-1ec281');
    pods.forEach((p, i) => {
      const c = p.spec!.containers[0]!;
      const args = JSON.parse(c.env!.find((e) => e.name === 'CHAOS_K6_ARGS')!.value!) as string[];
      expect(args).toContain('--paused');
      expect(args[args.indexOf('--address') + 1]).toBe(`0.0.0.0:${K6_API_PORT}`);
      expect(args[args.indexOf('--execution-segment') + 1]).toBe(executionSegments(3).segments[i]);
      expect(args[args.indexOf('--execution-segment-sequence') + 1]).toBe('0,1/3,2/3,1');
      expect(args.at(-1)).toBe('/chaos/score.ts');
      expect(c.ports!.map((x) => x.containerPort)).toEqual([K6_API_PORT, AGENT_PORT]);
      expect(c.resources).toEqual({
        requests: { cpu: '250m', memory: '256Mi' },
        limits: { cpu: '250m', memory: '256Mi' },
      });
      expect(p.spec!.nodeSelector).toEqual({ pool: 'load' });
      expect(p.spec!.topologySpreadConstraints![0]!.topologyKey).toBe('kubernetes.io/hostname');
      expect(p.spec!.restartPolicy).toBe('Never');
    });
  });
});

describe('runner objects of a custom script with secrets', () => {
  const SECRET = 's3cr3t-value-7f1a';
  const archive = new Uint8Array([0x6d, 0x65, 0x74, 0x61, 0x00, 0xff, 0x10]);
  const input = {
    runId: '20261202T142355-custom-9a7b3c',
    namespace: 'ml-serving',
    count: 2,
    image: 'chaos.local/chaos:0.1.0',
    cpu: '250m',
    memory: '256Mi',
    env: { TARGET_URL: 'http://feature-store.ml-serving.svc:80/features/customer-42' },
    files: { 'runner-agent.mjs': '// agent' },
    binaryFiles: { [ARCHIVE_FILE]: archive },
    script: ARCHIVE_FILE,
  };

  it("runs k6's archive from the ConfigMap's binaryData", () => {
    const { configMap, pods } = runnerObjects(input);
    expect(configMap.binaryData).toEqual({ [ARCHIVE_FILE]: Buffer.from(archive).toString('base64') });
    expect(configMap.data).toEqual({ 'runner-agent.mjs': '// agent' });
    for (const p of pods) {
      const c = p.spec!.containers[0]!;
      const args = JSON.parse(c.env!.find((e) => e.name === 'CHAOS_K6_ARGS')!.value!) as string[];
      expect(args.at(-1)).toBe(`/chaos/${ARCHIVE_FILE}`);
    }
  });

  it('secrets go into a Secret the pods take their environment from: never the ConfigMap, never the pod spec', () => {
    const { configMap, secret, pods } = runnerObjects({ ...input, secrets: { ENDPOINT_KEY: SECRET } });
    expect(secret).not.toBeNull();
    expect(secret!.kind).toBe('Secret');
    expect(secret!.metadata!.name).toBe(runnerNames(input.runId, 2).secret);
    expect(secret!.metadata!.namespace).toBe('ml-serving');
    expect(secret!.stringData).toEqual({ ENDPOINT_KEY: SECRET });
    expect(JSON.stringify(configMap)).not.toContain(SECRET);
    for (const p of pods) {
      expect(JSON.stringify(p)).not.toContain(SECRET);
      expect(p.spec!.containers[0]!.envFrom).toEqual([{ secretRef: { name: secret!.metadata!.name } }]);
    }
  });

  it('no secrets: no Secret and no envFrom', () => {
    const { secret, pods } = runnerObjects(input);
    expect(secret).toBeNull();
    for (const p of pods) expect(p.spec!.containers[0]!.envFrom).toBeUndefined();
  });

  it('the undo deletes the Secret with the pods and the ConfigMap; one already gone counts as deleted', async () => {
    const calls: string[] = [];
    const gone = new ApiException(404, 'not found', {}, {});
    const kube = {
      deletePod: (ns: string, name: string) => (calls.push(`pod ${ns}/${name}`), Promise.resolve()),
      deleteConfigMap: (ns: string, name: string) => (calls.push(`cm ${ns}/${name}`), Promise.reject(gone)),
      deleteSecret: (ns: string, name: string) => (calls.push(`secret ${ns}/${name}`), Promise.resolve()),
    } as unknown as Kube;
    const undo: RunnersUndo = {
      fault: 'runners',
      v: 1,
      namespace: 'ml-serving',
      configMap: 'chaos-runners-9a7b3c',
      secret: 'chaos-runners-9a7b3c',
      pods: ['chaos-runner-9a7b3c-0'],
    };
    expect(await undoRunners(undo, kube)).toMatch(/Secret chaos-runners-9a7b3c/);
    expect(calls).toEqual([
      'pod ml-serving/chaos-runner-9a7b3c-0',
      'cm ml-serving/chaos-runners-9a7b3c',
      'secret ml-serving/chaos-runners-9a7b3c',
    ]);
    // A record written before runners had Secrets: nothing to delete but pods and ConfigMap.
    calls.length = 0;
    const { secret: _, ...old } = undo;
    await undoRunners(old, kube);
    expect(calls.some((c) => c.startsWith('secret'))).toBe(false);
  });
});

describe('k6RequestCount', () => {
  it('reads http_reqs.count from a summary export', () => {
    expect(k6RequestCount('{"metrics":{"http_reqs":{"count":851,"rate":13.5}}}')).toBe(851);
    expect(k6RequestCount('{"metrics":{}}')).toBeNull();
    expect(k6RequestCount('not json')).toBeNull();
  });
});

describe('schedule RBAC for runners', () => {
  it('grants exactly pods, their proxy and configmaps on top of what the scenario needs anyway', () => {
    const r = parseScenario(
      edit(
        VALID,
        '  rate: 40',
        '  rate: 40\n  runners: { count: 2, targetOrigin: "http://fraud-scorer.ml-serving.svc:80" }',
      ),
      's.yaml',
    );
    if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
    const without = parseScenario(VALID, 's.yaml');
    if (!without.ok) throw new Error('fixture');
    const key = (x: { resource: string; verb: string }) => `${x.resource} ${x.verb}`;
    const before = new Set(scenarioGrants(without.scenario).get('ml-serving')!.map(key));
    const grants = scenarioGrants(r.scenario).get('ml-serving')!;
    const added = new Set(grants.map(key).filter((k) => !before.has(k)));
    const has = (resource: string, verb: string) =>
      grants.some((x) => x.resource === resource && x.verb === verb);
    for (const [res, verb] of [
      ['pods', 'create'],
      ['pods', 'get'],
      ['pods', 'delete'],
      ['pods/proxy', 'get'],
      ['pods/proxy', 'patch'],
      ['pods/proxy', 'create'],
      ['configmaps', 'create'],
      ['configmaps', 'delete'],
    ])
      expect(has(res!, verb!), `${res} ${verb}`).toBe(true);
    expect([...added].sort()).toEqual([
      'configmaps create',
      'configmaps delete',
      'pods create',
      'pods get',
      'pods/proxy create',
      'pods/proxy get',
      'pods/proxy patch',
    ]);
  });

  it('with load.secretEnv adds exactly secrets create and delete, in the runners namespace', () => {
    const parse = (extra: string) => {
      const r = parseScenario(
        edit(
          VALID,
          '  rate: 40',
          `  rate: 40\n  runners: { count: 2, targetOrigin: "http://fraud-scorer.ml-serving.svc:80" }${extra}`,
        ),
        's.yaml',
      );
      if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
      return r.scenario;
    };
    const key = (x: { resource: string; verb: string }) => `${x.resource} ${x.verb}`;
    const before = new Set(scenarioGrants(parse('')).get('ml-serving')!.map(key));
    const after = scenarioGrants(parse('\n  secretEnv: [ENDPOINT_KEY]')).get('ml-serving')!.map(key);
    expect(after.filter((k) => !before.has(k)).sort()).toEqual(['secrets create', 'secrets delete']);
    // No secret read: the harness never needs one back.
    expect(after.some((k) => k.startsWith('secrets') && !/create|delete/.test(k))).toBe(false);
  });
});
