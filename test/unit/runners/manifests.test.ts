import { describe, expect, it } from 'vitest';
import { AGENT_PORT, K6_API_PORT } from '../../../src/runners/agent.js';
import { executionSegments, runnerNames, runnerObjects } from '../../../src/runners/manifests.js';
import { k6RequestCount } from '../../../src/runners/pool.js';
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
});
