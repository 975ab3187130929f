/**
 * The harness watching itself during a run: RSS sampled at a fixed interval and the event-loop delay histogram.
 * A chaos run lasts as long as its load; a leak or a blocked loop (late fault timings, a late revert) would
 * show here first. Timers are unref'd: they never keep the process alive.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { HarnessMetrics } from '../verdict/result.js';

export const SELF_SAMPLE_EVERY_MS = 5000;
const RESOLUTION_MS = 10;

export interface SelfMetrics {
  stop(): HarnessMetrics;
}

export function startSelfMetrics(everyMs = SELF_SAMPLE_EVERY_MS): SelfMetrics {
  const started = performance.now();
  const rss: HarnessMetrics['rss'] = [];
  const sample = () =>
    rss.push({ t: Math.round((performance.now() - started) / 10) / 100, bytes: process.memoryUsage.rss() });
  sample();
  const timer = setInterval(sample, everyMs);
  timer.unref();
  const loop = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  loop.enable();
  let result: HarnessMetrics | null = null;
  return {
    stop(): HarnessMetrics {
      if (result) return result;
      clearInterval(timer);
      loop.disable();
      sample();
      // The histogram holds the time between two ticks of its 10 ms timer: the delay is what exceeds 10 ms.
      const ms = (ns: number) => Math.max(0, Math.round((ns - RESOLUTION_MS * 1e6) / 1e4) / 100);
      result = {
        sampleEveryS: everyMs / 1000,
        rss,
        rssMaxBytes: Math.max(...rss.map((s) => s.bytes)),
        // An empty histogram (a run shorter than one resolution tick) reports NaN and huge minima: zero then.
        eventLoopDelayMs:
          loop.count === 0
            ? { p50: 0, p99: 0, max: 0, mean: 0 }
            : {
                p50: ms(loop.percentile(50)),
                p99: ms(loop.percentile(99)),
                max: ms(loop.max),
                mean: ms(loop.mean),
              },
      };
      return result;
    },
  };
}
