import { describe, expect, it } from 'vitest';
import type { WatchEvent, Pod } from '../../../src/adapters/kube.js';
import { PodObserver } from '../../../src/observe/pods.js';
import { makePod, type PodOptions } from '../../fakes/kube.js';

const T0 = Date.parse('2026-11-23T15:30:00.000Z');
const at = (s: number) => T0 + s * 1000;

/** Replays a recorded watch stream: [seconds after T0, event type, pod]. */
function replay(
  events: [number, WatchEvent<Pod>['type'], PodOptions][],
  onChange?: (ready: number) => void,
): PodObserver {
  const obs = new PodObserver(onChange);
  for (const [s, type, o] of events) obs.apply({ type, object: makePod(o), receivedAt: new Date(at(s)) });
  return obs;
}

const initial = (): [number, WatchEvent<Pod>['type'], PodOptions][] => [
  [0, 'ADDED', { name: 'scorer-a', node: 'worker-1' }],
  [0, 'ADDED', { name: 'scorer-b', node: 'worker-1' }],
  [0, 'ADDED', { name: 'scorer-c', node: 'worker-2' }],
];

/** One replica killed at t=10 and replaced: terminating → new pod pending → old one gone → new one Ready. */
const killAndReplace = (readyAt = 25): [number, WatchEvent<Pod>['type'], PodOptions][] => [
  ...initial(),
  [10.05, 'MODIFIED', { name: 'scorer-c', node: 'worker-2', terminating: true }],
  [10.1, 'ADDED', { name: 'scorer-d', ready: false, node: 'worker-1' }],
  [11, 'DELETED', { name: 'scorer-c', node: 'worker-2', terminating: true, ready: false }],
  [readyAt, 'MODIFIED', { name: 'scorer-d', node: 'worker-1' }],
];

describe('PodObserver: the Ready timeline', () => {
  it('samples the Ready count only when it changes, and tells the listener', () => {
    const seen: number[] = [];
    const obs = replay(killAndReplace(), (n) => seen.push(n));
    expect(obs.readyTimeline).toEqual([
      { at: at(0), ready: 1 },
      { at: at(0), ready: 2 },
      { at: at(0), ready: 3 },
      { at: at(10.05), ready: 2 },
      { at: at(25), ready: 3 },
    ]);
    expect(seen).toEqual([1, 2, 3, 2, 3]);
    expect(obs.readyCount()).toBe(3);
  });

  it('does not count a terminating pod even while its Ready condition is still True', () => {
    const obs = replay([...initial(), [5, 'MODIFIED', { name: 'scorer-a', terminating: true, ready: true }]]);
    expect(obs.readyCount()).toBe(2);
    expect(obs.pods.get('scorer-a')).toMatchObject({ ready: true, terminating: true, deleted: false });
  });

  it('does not count a deleted pod', () => {
    const obs = replay([...initial(), [5, 'DELETED', { name: 'scorer-b', ready: true }]]);
    expect(obs.readyCount()).toBe(2);
    expect(obs.pods.get('scorer-b')?.deleted).toBe(true);
  });

  it('ignores bookmarks, errors and nameless objects', () => {
    const obs = replay(initial());
    obs.apply({
      type: 'BOOKMARK',
      object: { metadata: { resourceVersion: '12345' } },
      receivedAt: new Date(at(1)),
    });
    obs.apply({ type: 'ERROR', object: { metadata: {} }, receivedAt: new Date(at(1)) });
    obs.apply({ type: 'ADDED', object: { metadata: {} }, receivedAt: new Date(at(1)) });
    expect(obs.pods.size).toBe(3);
    expect(obs.readyTimeline).toHaveLength(3);
  });

  it('readyAt answers the count at any moment, null before the first sample', () => {
    const obs = replay(killAndReplace());
    expect(obs.readyAt(at(-1))).toBeNull();
    expect(obs.readyAt(at(5))).toBe(3);
    expect(obs.readyAt(at(10.05))).toBe(2);
    expect(obs.readyAt(at(24.999))).toBe(2);
    expect(obs.readyAt(at(25))).toBe(3);
  });

  it('minReadyBetween includes the count carried into the span and every change inside it', () => {
    const obs = replay(killAndReplace());
    expect(obs.minReadyBetween(at(0), at(10))).toBe(3);
    expect(obs.minReadyBetween(at(5), at(30))).toBe(2);
    // The dip started before the span and lasts into it.
    expect(obs.minReadyBetween(at(12), at(20))).toBe(2);
    expect(obs.minReadyBetween(at(26), at(60))).toBe(3);
    expect(new PodObserver().minReadyBetween(at(0), at(60))).toBeNull();
  });
});

describe('PodObserver: first sight, restarts and container states', () => {
  it('dates a pod by when the watch first saw it, not by later events', () => {
    const obs = replay(killAndReplace());
    expect(obs.pods.get('scorer-d')?.createdAt).toBe(at(10.1));
    expect(obs.podsCreatedAfter(at(10)).map((p) => p.name)).toEqual(['scorer-d']);
    expect(obs.pods.get('scorer-d')?.node).toBe('worker-1');
  });

  it('counts restarts relative to first sight', () => {
    const obs = replay([
      [0, 'ADDED', { name: 'scorer-a', restarts: 4 }],
      [0, 'ADDED', { name: 'scorer-b', restarts: 0 }],
      [30, 'MODIFIED', { name: 'scorer-a', restarts: 6 }],
      [31, 'MODIFIED', { name: 'scorer-b', restarts: 0 }],
    ]);
    expect(obs.restartsDuringRun()).toEqual([{ pod: 'scorer-a', restarts: 2 }]);
  });

  it('finds containers OOMKilled during the run, from lastState or the current state', () => {
    const obs = replay([
      ...initial(),
      [
        40,
        'MODIFIED',
        {
          name: 'scorer-a',
          restarts: 1,
          lastTerminated: { reason: 'OOMKilled', finishedAt: '2026-11-23T15:30:39Z' },
        },
      ],
      [41, 'MODIFIED', { name: 'scorer-b', ready: false, terminated: 'OOMKilled' }],
    ]);
    expect(obs.oomKilled()).toEqual(['scorer-a', 'scorer-b']);
  });

  it('does not blame the run for an OOM kill that happened before it', () => {
    const old = { reason: 'OOMKilled', finishedAt: '2026-11-22T03:12:00Z' };
    const obs = replay([
      [0, 'ADDED', { name: 'scorer-a', restarts: 1, lastTerminated: old }],
      [20, 'MODIFIED', { name: 'scorer-a', restarts: 1, lastTerminated: old }],
    ]);
    expect(obs.oomKilled()).toEqual([]);
    // A new OOM kill of the same container during the run does count.
    obs.apply({
      type: 'MODIFIED',
      object: makePod({
        name: 'scorer-a',
        restarts: 2,
        lastTerminated: { reason: 'OOMKilled', finishedAt: '2026-11-23T15:30:50Z' },
      }),
      receivedAt: new Date(at(51)),
    });
    expect(obs.oomKilled()).toEqual(['scorer-a']);
  });

  it('records CrashLoopBackOff and the reason of the crash for new pods', () => {
    const obs = replay([
      ...initial(),
      [61, 'ADDED', { name: 'scorer-new', ready: false, waiting: 'ContainerCreating' }],
      [70, 'MODIFIED', { name: 'scorer-new', ready: false, restarts: 1, terminated: 'Error' }],
      [
        72,
        'MODIFIED',
        {
          name: 'scorer-new',
          ready: false,
          restarts: 1,
          waiting: 'CrashLoopBackOff',
          lastTerminated: { reason: 'Error', exitCode: 1 },
        },
      ],
    ]);
    const p = obs.pods.get('scorer-new')!;
    expect([...p.waitingReasons]).toEqual(['ContainerCreating', 'CrashLoopBackOff']);
    expect([...p.terminatedReasons]).toEqual(['Error']);
    expect(obs.restartsDuringRun()).toEqual([{ pod: 'scorer-new', restarts: 1 }]);
    expect(obs.readyCount()).toBe(3);
  });

  it('keeps image and literal env from first sight (valueFrom entries have no value)', () => {
    const obs = replay([
      [
        0,
        'ADDED',
        {
          name: 'scorer-a',
          image: 'fraud-scorer:1.4',
          env: [
            { name: 'MODEL_VERSION', value: 'v3' },
            { name: 'API_KEY', valueFrom: { secretKeyRef: { name: 'scorer', key: 'api-key' } } },
          ],
        },
      ],
    ]);
    expect(obs.pods.get('scorer-a')).toMatchObject({
      image: 'fraud-scorer:1.4',
      env: { MODEL_VERSION: 'v3' },
    });
  });

  it('treats a new pod that reuses a deleted pod’s name (StatefulSet) as new', () => {
    const obs = replay([
      [0, 'ADDED', { name: 'scorer-0', uid: 'u1', restarts: 3 }],
      [10, 'DELETED', { name: 'scorer-0', uid: 'u1', terminating: true }],
      [12, 'ADDED', { name: 'scorer-0', uid: 'u2', ready: false }],
      [20, 'MODIFIED', { name: 'scorer-0', uid: 'u2' }],
    ]);
    const p = obs.pods.get('scorer-0')!;
    expect(p.createdAt).toBe(at(12));
    expect(p.restartsAtStart).toBe(0);
    expect(obs.podsCreatedAfter(at(10)).map((x) => x.name)).toEqual(['scorer-0']);
    expect(obs.recoveredAt(at(10), 1, 1)).toBe(at(20));
  });
});

describe('PodObserver.recoveredAt', () => {
  it('is the first moment the desired count is Ready with the removed pods replaced', () => {
    const obs = replay(killAndReplace(25));
    expect(obs.recoveredAt(at(10), 3, 1)).toBe(at(25));
  });

  it('does not take the survivors alone for recovery when fewer replicas are asked for', () => {
    // Two survivors already make 2 Ready at the kill; recovery still waits for the replacement.
    const obs = replay(killAndReplace(25));
    expect(obs.recoveredAt(at(10), 2, 1)).toBe(at(25));
    expect(obs.recoveredAt(at(10), 2, 0)).toBe(at(10.05));
  });

  it('is null while the replacement is not Ready', () => {
    const obs = replay(killAndReplace(25).slice(0, -1));
    expect(obs.recoveredAt(at(10), 3, 1)).toBeNull();
  });

  it('needs every removed pod replaced: a drain of two pods, PDB lets them go one at a time', () => {
    const obs = replay([
      ...initial(),
      [10.1, 'MODIFIED', { name: 'scorer-a', terminating: true }],
      [10.2, 'ADDED', { name: 'scorer-x', ready: false, node: 'worker-2' }],
      [18, 'MODIFIED', { name: 'scorer-x', node: 'worker-2' }],
      [18.5, 'MODIFIED', { name: 'scorer-b', terminating: true }],
      [18.6, 'ADDED', { name: 'scorer-y', ready: false, node: 'worker-2' }],
      [27, 'MODIFIED', { name: 'scorer-y', node: 'worker-2' }],
    ]);
    expect(obs.recoveredAt(at(10), 3, 1)).toBe(at(18));
    expect(obs.recoveredAt(at(10), 3, 2)).toBe(at(27));
  });

  it('does not count a replacement created before the fault as fresh', () => {
    // A surge pod that was already there is not what the fault's removal brought back.
    const obs = replay([
      ...initial(),
      [5, 'ADDED', { name: 'scorer-surge', ready: false }],
      [8, 'MODIFIED', { name: 'scorer-surge' }],
      [10.05, 'MODIFIED', { name: 'scorer-c', terminating: true }],
      [30, 'ADDED', { name: 'scorer-late', ready: false }],
      [40, 'MODIFIED', { name: 'scorer-late' }],
    ]);
    expect(obs.recoveredAt(at(10), 3, 1)).toBe(at(40));
  });
});
