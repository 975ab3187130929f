import { describe, expect, it } from 'vitest';
import { faultMarkers, loadStartEpochMs } from '../../../src/report/timing.js';
import { LOAD_START, makeRunResult } from './fixture.js';

describe('loadStartEpochMs', () => {
  it('recovers load start from events that carry both clock and offset', () => {
    expect(loadStartEpochMs(makeRunResult())).toBe(LOAD_START);
  });

  it('ignores one late-stamped event', () => {
    const run = makeRunResult();
    run.events = run.events.map((e, i) => (i === 2 ? { ...e, at: '2026-11-23T15:35:00.000Z' } : e));
    expect(loadStartEpochMs(run)).toBe(LOAD_START);
  });

  it('uses loadStartedAt when the result has it', () => {
    const run = makeRunResult({ events: [] });
    expect(loadStartEpochMs(run)).toBe(Date.parse(run.loadStartedAt!));
  });

  it('falls back to startedAt without loadStartedAt or anchored events', () => {
    const run = makeRunResult({ events: [], loadStartedAt: null });
    expect(loadStartEpochMs(run)).toBe(Date.parse(run.startedAt));
  });
});

describe('faultMarkers', () => {
  it('merges fault records with fault/revert events at the same moment', () => {
    expect(faultMarkers(makeRunResult()).map((m) => [m.kind, m.t, m.label])).toEqual([
      ['inject', 40.2, 'pod-kill'],
      ['revert', 58, 'pod-kill'],
    ]);
  });

  it('keeps events that no fault record covers, and flags unconfirmed faults', () => {
    const run = makeRunResult();
    const fault = run.faults[0];
    if (!fault) throw new Error('fixture changed');
    run.faults = [{ ...fault, confirmed: false, revertedAt: null }];
    run.events.push({
      at: '2026-11-23T15:31:30.000Z',
      t: null,
      kind: 'fault',
      message: 'pod-kill: second kill',
    });
    run.events.push({ at: '2026-11-23T15:31:40.000Z', t: null, kind: 'revert', message: 'all reverted' });
    const markers = faultMarkers(run);
    expect(markers.map((m) => [m.kind, m.t, m.confirmed, m.label])).toEqual([
      ['inject', 40.2, false, 'pod-kill'],
      ['revert', 58, true, ''],
      ['inject', 90, true, 'pod-kill'],
      ['revert', 100, true, ''],
    ]);
    expect(markers[0]?.detail).toContain('not confirmed');
  });

  it('draws a marker for every round of a repeated fault, not only the first', () => {
    const run = makeRunResult();
    const fault = run.faults[0];
    if (!fault) throw new Error('fixture changed');
    // What the orchestrator records for a pod-kill with repeat: 2 — one 'fault' event, at the first kill.
    run.faults = [
      {
        ...fault,
        revertedAt: null,
        nothingToRevert: 'pods are replaced by their controller',
        injections: [fault.injectedAt!, '2026-11-23T15:31:20.200Z'],
      },
    ];
    run.events = run.events.filter((e) => e.kind !== 'revert');
    const markers = faultMarkers(run);
    expect(markers.map((m) => [m.kind, m.t, m.label])).toEqual([
      ['inject', 40.2, 'pod-kill'],
      ['inject', 80.2, 'pod-kill'],
    ]);
    expect(markers.map((m) => m.detail.slice(0, 'injected (1 of 2)'.length))).toEqual([
      'injected (1 of 2)',
      'injected (2 of 2)',
    ]);
  });
});
