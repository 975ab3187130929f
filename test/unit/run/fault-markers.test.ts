import { describe, expect, it } from 'vitest';
import { faultActive } from '../../../src/run/fault-markers.js';
import type { RunState } from '../../../src/run/state.js';
import type { FaultRecord } from '../../../src/verdict/result.js';

const record = (over: Partial<FaultRecord> = {}): FaultRecord => ({
  type: 'latency',
  description: 'd',
  injectedAt: '2026-12-02T00:00:00Z',
  revertedAt: null,
  confirmed: true,
  targets: [],
  notes: [],
  ...over,
});

function state(
  over: Partial<Pick<RunState, 'faultStartedMs' | 'faultRecords' | 'revertStartedMs'>>,
): RunState {
  return { faultStartedMs: [], faultRecords: [], revertStartedMs: null, ...over } as unknown as RunState;
}

describe('faultActive (chaos_fault_active)', () => {
  it('is 0 before the injection starts, 1 from then on while it is still injecting (a repeated pod kill)', () => {
    expect(faultActive(state({}), 0)).toBe(false);
    expect(faultActive(state({ faultStartedMs: [1] }), 0)).toBe(true);
    expect(faultActive(state({ faultStartedMs: [1], revertStartedMs: 2 }), 0)).toBe(false);
  });

  it('is 1 until the revert, or until the fault window ends for a fault with nothing to revert', () => {
    expect(faultActive(state({ faultStartedMs: [1], faultRecords: [record()] }), 0)).toBe(true);
    expect(faultActive(state({ faultStartedMs: [1], faultRecords: [record({ revertedAt: 'x' })] }), 0)).toBe(
      false,
    );
    const killed = record({ nothingToRevert: 'replaced by its controller' });
    expect(faultActive(state({ faultStartedMs: [1], faultRecords: [killed] }), 0)).toBe(true);
    expect(faultActive(state({ faultStartedMs: [1], faultRecords: [killed], revertStartedMs: 5 }), 0)).toBe(
      false,
    );
  });

  it('is 0 for an injection that ended unconfirmed (matched nothing, denied)', () => {
    expect(faultActive(state({ faultStartedMs: [1], faultRecords: [record({ confirmed: false })] }), 0)).toBe(
      false,
    );
  });
});
