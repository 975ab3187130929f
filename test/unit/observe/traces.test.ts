import { describe, expect, it } from 'vitest';
import type { Span } from '../../../src/adapters/jaeger.js';
import { describeBottleneck, summariseTrace } from '../../../src/observe/traces.js';

const T = 1_767_268_800_000_000; // epoch µs

function span(
  id: string,
  parent: string | null,
  service: string,
  op: string,
  startMs: number,
  ms: number,
  error = false,
): Span {
  return {
    spanId: id,
    parentId: parent,
    service,
    operation: op,
    startUs: T + startMs * 1000,
    durationUs: ms * 1000,
    error,
    errorMessage: error ? 'timeout' : null,
    attributes: {},
  };
}

// The sample stack with a slow feature store: the scorer's server span waits on its feature-store call, which
// waits on the network before the feature store's own (fast) server span.
const slowDependency = [
  span('a', null, 'fraud-scorer', 'POST /score', 0, 306),
  span('b', 'a', 'fraud-scorer', 'feature-store lookup', 1, 302),
  span('c', 'b', 'feature-store', 'GET /features/:id', 301, 1),
  span('d', 'a', 'fraud-scorer', 'model.predict', 303, 2),
];

describe('summariseTrace', () => {
  it('names the dependency call as where the time went', () => {
    const t = summariseTrace('f'.repeat(32), slowDependency);
    expect(t.durationMs).toBe(306);
    expect(t.services).toEqual(['feature-store', 'fraud-scorer']);
    expect(t.bottleneck).toEqual({ service: 'fraud-scorer', operation: 'feature-store lookup', ms: 301 });
    expect(describeBottleneck(t)).toBe('fraud-scorer › feature-store lookup 301 ms of 306 ms (98 %)');
    // In the order the request met them; the shares add up to the root's duration.
    expect(t.criticalPath.map((s) => `${s.operation}:${s.ms}`)).toEqual([
      'POST /score:2',
      'feature-store lookup:301',
      'GET /features/:id:1',
      'model.predict:2',
    ]);
    expect(t.criticalPath.reduce((a, s) => a + s.ms, 0)).toBe(306);
    expect(t.selfTime[0]).toEqual({ service: 'fraud-scorer', operation: 'feature-store lookup', ms: 301 });
    expect(t.errorSpan).toBeNull();
    expect(t.waterfall.map((b) => `${b.operation}@${b.depth}`)).toEqual([
      'POST /score@0',
      'feature-store lookup@1',
      'GET /features/:id@2',
      'model.predict@1',
    ]);
  });

  it('takes the deepest errored span as where the failure started', () => {
    const spans = [
      span('a', null, 'fraud-scorer', 'POST /score', 0, 110, true),
      span('b', 'a', 'fraud-scorer', 'feature-store lookup', 1, 100, true),
    ];
    expect(summariseTrace('e'.repeat(32), spans).errorSpan).toEqual({
      service: 'fraud-scorer',
      operation: 'feature-store lookup',
      message: 'timeout',
    });
  });

  it('counts overlapping children once in a parent’s self time', () => {
    const spans = [
      span('a', null, 'svc', 'fan-out', 0, 100),
      span('b', 'a', 'svc', 'call', 10, 50),
      span('c', 'a', 'svc', 'call', 20, 60),
    ];
    const t = summariseTrace('d'.repeat(32), spans);
    expect(t.selfTime.find((s) => s.operation === 'fan-out')!.ms).toBe(30);
    // Walked back from the end: the later-ending call (20–80 ms), then the earlier one up to where the later
    // began (10–20 ms), as Jaeger's own critical path does.
    expect(t.criticalPath.map((s) => `${s.operation}:${s.ms}`)).toEqual(['fan-out:30', 'call:70']);
  });
});
