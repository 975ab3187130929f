/** The HPA and Deployment watch replayed: what the scaling observer keeps, and what it ignores. */
import { describe, expect, it } from 'vitest';
import type { Deployment, HorizontalPodAutoscaler, WatchEvent } from '../../../src/adapters/kube.js';
import { ScalingObserver, sampleAt, type HpaSample } from '../../../src/observe/scaling.js';

const T0 = Date.parse('2026-12-02T11:00:00.000Z');

function hpaEvent(
  s: number,
  desired: number,
  cpu: number | null,
  over: { type?: WatchEvent<HorizontalPodAutoscaler>['type']; target?: string; name?: string } = {},
): WatchEvent<HorizontalPodAutoscaler> {
  return {
    type: over.type ?? 'MODIFIED',
    receivedAt: new Date(T0 + s * 1000),
    object: {
      metadata: { name: over.name ?? 'fraud-scorer', namespace: 'ml-serving' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: over.target ?? 'fraud-scorer' },
        minReplicas: 3,
        maxReplicas: 6,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } },
          },
        ],
      },
      status: {
        desiredReplicas: desired,
        currentReplicas: 3,
        currentMetrics:
          cpu === null
            ? []
            : [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: cpu } } }],
        conditions: [
          {
            type: 'ScalingActive',
            status: cpu === null ? 'False' : 'True',
            reason: cpu === null ? 'FailedGetResourceMetric' : 'ValidMetricFound',
          },
        ],
      },
    },
  };
}

function deploymentEvent(
  s: number,
  replicas: number,
  ready: number,
  name = 'fraud-scorer',
): WatchEvent<Deployment> {
  return {
    type: 'MODIFIED',
    receivedAt: new Date(T0 + s * 1000),
    object: {
      metadata: { name },
      spec: { replicas, selector: {}, template: {} },
      status: { readyReplicas: ready },
    },
  };
}

describe('ScalingObserver', () => {
  it('keeps each change of the HPA that scales the Deployment, stamped when it arrived', () => {
    const changes: [HpaSample, HpaSample | undefined][] = [];
    const o = new ScalingObserver('fraud-scorer', (now, before) => changes.push([now, before]));
    o.applyHpa(hpaEvent(0, 3, null, { type: 'ADDED' }));
    o.applyHpa(hpaEvent(1, 3, null)); // the same state again: not a change
    o.applyHpa(hpaEvent(15, 3, 20));
    o.applyHpa(hpaEvent(30, 5, 90));
    o.applyHpa(hpaEvent(31, 5, 90, { target: 'feature-store', name: 'feature-store' })); // another HPA
    o.applyHpa({ ...hpaEvent(32, 5, 90), type: 'BOOKMARK' });
    const tl = o.timeline();
    expect(tl.hpa).toEqual({ name: 'fraud-scorer', minReplicas: 3, maxReplicas: 6, cpuTargetPercent: 50 });
    expect(tl.hpaSamples.map((s) => [(s.at - T0) / 1000, s.desired, s.cpuPercent])).toEqual([
      [0, 3, null],
      [15, 3, 20],
      [30, 5, 90],
    ]);
    expect(tl.hpaSamples[0]!.conditions).toEqual([
      { type: 'ScalingActive', status: 'False', reason: 'FailedGetResourceMetric', message: null },
    ]);
    expect(changes.map(([now, before]) => [before?.desired, now.desired])).toEqual([
      [undefined, 3],
      [3, 3],
      [3, 5],
    ]);
  });

  it('records an HPA deleted mid-run as desiring nothing', () => {
    const o = new ScalingObserver('fraud-scorer');
    o.applyHpa(hpaEvent(0, 3, 10, { type: 'ADDED' }));
    o.applyHpa(hpaEvent(5, 3, 10, { type: 'DELETED' }));
    expect(o.timeline().hpaSamples.map((s) => s.desired)).toEqual([3, null]);
  });

  it('keeps the Deployment’s asked-for and Ready replicas, only on change, only for the target', () => {
    const o = new ScalingObserver('fraud-scorer');
    o.applyDeployment(deploymentEvent(0, 3, 3));
    o.applyDeployment(deploymentEvent(1, 3, 3));
    o.applyDeployment(deploymentEvent(30, 5, 3));
    o.applyDeployment(deploymentEvent(31, 2, 2, 'feature-store'));
    o.applyDeployment(deploymentEvent(38, 5, 4));
    const samples = o.timeline().replicaSamples;
    expect(samples.map((s) => [(s.at - T0) / 1000, s.replicas, s.ready])).toEqual([
      [0, 3, 3],
      [30, 5, 3],
      [38, 5, 4],
    ]);
    expect(sampleAt(samples, T0 + 37_000)?.ready).toBe(3);
    expect(sampleAt(samples, T0 + 38_000)?.ready).toBe(4);
    expect(sampleAt(samples, T0 - 1)).toBeUndefined();
  });

  it('without an HPA for the Deployment, says so (null), whatever else it saw', () => {
    const o = new ScalingObserver('fraud-scorer');
    o.applyHpa(hpaEvent(0, 2, 10, { target: 'feature-store', name: 'feature-store', type: 'ADDED' }));
    expect(o.timeline().hpa).toBeNull();
    expect(o.timeline().hpaSamples).toEqual([]);
  });
});
