import { describe, expect, it } from 'vitest';
import { postmortem } from '../../../src/gameday/postmortem/index.js';
import { readyPodsOf } from '../../../src/gameday/postmortem/ready-pods.js';
import type { RunResult, TimelineEvent } from '../../../src/verdict/result.js';
import { loadResult, makeGameDay } from '../../fixtures/results/gameday.js';

const NOW = new Date('2026-11-24T09:00:00.000Z');

/**
 * The fixture as the orchestrator writes it since pod events carry data: data.readyPods on every pod event. The
 * words are replaced by ones that hold no number unless `keepWords`, so only the data can be read.
 */
function withPodData(r: RunResult, opts: { readyPods?: (n: number) => number; keepWords?: boolean } = {}) {
  r.events = r.events.map((e): TimelineEvent => {
    if (e.kind !== 'pod') return e;
    const n = Number(/^(\d+) target pod\(s\) Ready$/.exec(e.message)?.[1]);
    if (!Number.isFinite(n)) throw new Error(`fixture changed: ${e.message}`);
    return {
      ...e,
      message: opts.keepWords ? e.message : 'the target pods changed',
      data: { readyPods: (opts.readyPods ?? ((x) => x))(n) },
    };
  });
  return r;
}

function pmOf(r: RunResult) {
  return postmortem(makeGameDay([r]), { now: NOW });
}

describe('Ready pods in the postmortem', () => {
  it('reads the words of a result written before events carried data (the e2e fixtures)', () => {
    const r = loadResult('pod-kill-fail');
    const pods = r.events.filter((e) => e.kind === 'pod');
    expect(pods.length).toBeGreaterThan(3);
    expect(r.events.every((e) => !('data' in e))).toBe(true);
    const pm = pmOf(r);
    expect(pm.dateTime.mitigatedAt).toBe('2026-11-23T18:00:00.528Z');
    expect(pm.dateTime.scenarios[0]?.mitigation).toBe('Ready pods back to the pre-fault count of 3');
    expect(pm.contributingFactors.map((f) => f.factor)).toContain(
      'The fault took 2 of 3 Ready replicas out of service, leaving 1 to carry the load',
    );
  });

  it('reads data.readyPods, not the words, from a result that has it', () => {
    const pm = pmOf(withPodData(loadResult('pod-kill-fail')));
    expect(pm.dateTime.mitigatedAt).toBe('2026-11-23T18:00:00.528Z');
    expect(pm.dateTime.scenarios[0]?.mitigation).toBe('Ready pods back to the pre-fault count of 3');
    expect(pm.contributingFactors.map((f) => f.factor)).toContain(
      'The fault took 2 of 3 Ready replicas out of service, leaving 1 to carry the load',
    );

    const drain = pmOf(withPodData(loadResult('node-drain-fail')));
    expect(drain.dateTime.mitigatedAt).toBe('2026-11-23T18:02:12.672Z');
    expect(drain.contributingFactors.map((f) => f.factor)).toEqual(
      pmOf(loadResult('node-drain-fail')).contributingFactors.map((f) => f.factor),
    );
    expect(drain.contributingFactors.map((f) => f.factor)).toContain(
      'All 3 Ready target replicas ran on the drained node chaos-worker: nothing spread them across nodes',
    );
  });

  it('believes the data over the words when both are there', () => {
    // Data that says 5 pods stayed Ready throughout: no drop, so no self-healing moment, and 5 before the kill.
    const pm = pmOf(withPodData(loadResult('pod-kill-fail'), { readyPods: () => 5, keepWords: true }));
    expect(pm.dateTime.mitigatedAt).toBeNull();
    expect(pm.contributingFactors.map((f) => f.factor)).toContain(
      'The fault took 2 of 5 Ready replicas out of service, leaving 3 to carry the load',
    );
  });
});

describe('readyPodsOf', () => {
  const at = '2026-11-23T18:00:00.000Z';
  const event = (e: Partial<TimelineEvent>): TimelineEvent => ({ at, t: 1, kind: 'pod', message: '', ...e });

  it('takes the number from data, then from the words of an old result, and only for pod events', () => {
    expect(readyPodsOf(event({ message: 'x', data: { readyPods: 2 } }))).toBe(2);
    expect(readyPodsOf(event({ message: '3 target pod(s) Ready' }))).toBe(3);
    expect(readyPodsOf(event({ message: '3 target pod(s) Ready', data: {} }))).toBeNull();
    expect(readyPodsOf(event({ message: 'pod fraud-scorer-abc deleted' }))).toBeNull();
    expect(readyPodsOf(event({ kind: 'note', message: '3 target pod(s) Ready' }))).toBeNull();
    expect(readyPodsOf(event({ kind: 'note', message: 'x', data: { readyPods: 3 } }))).toBeNull();
  });
});
