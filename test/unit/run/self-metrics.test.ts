import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { startSelfMetrics } from '../../../src/run/self-metrics.js';

describe('startSelfMetrics', () => {
  it('samples RSS on its interval and sees a blocked event loop', async () => {
    const self = startSelfMetrics(20);
    await sleep(120);
    // 150 ms of synchronous work: the loop cannot turn, as when a run blocks it.
    const until = performance.now() + 150;
    while (performance.now() < until);
    await sleep(50);
    const m = self.stop();
    expect(m.sampleEveryS).toBe(0.02);
    expect(m.rss.length).toBeGreaterThanOrEqual(4);
    expect(m.rss.every((s) => s.bytes > 10 * 1024 * 1024)).toBe(true);
    expect(m.rss.map((s) => s.t)).toEqual([...m.rss.map((s) => s.t)].sort((a, b) => a - b));
    expect(m.rssMaxBytes).toBe(Math.max(...m.rss.map((s) => s.bytes)));
    expect(m.eventLoopDelayMs.max).toBeGreaterThanOrEqual(130);
    expect(m.eventLoopDelayMs.p50).toBeLessThan(m.eventLoopDelayMs.max);
    // Stopping twice returns the same figures and samples no more.
    expect(self.stop()).toBe(m);
  });
});
