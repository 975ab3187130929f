/**
 * Instant sleeps for code that waits with `node:timers/promises`: each sleep moves the (mocked) clock forward
 * by its duration and returns at once, so timeouts and deadlines are tested without waiting for them.
 *
 *   vi.mock('node:timers/promises', async (real) => (await import('../../fakes/clock.js')).instantTimers(await real()));
 *
 * Tests using it turn on `vi.useFakeTimers({ toFake: ['Date'] })` so the clock is theirs.
 */
import { vi } from 'vitest';

export const clock = {
  /** Every duration slept, in order. */
  sleeps: [] as number[],
  /** Runs on each sleep, before it returns: a test can change the world "while" the code waits. */
  onSleep: undefined as ((ms: number) => void) | undefined,
  reset(): void {
    this.sleeps.length = 0;
    this.onSleep = undefined;
  },
};

export function instantTimers<T extends object>(real: T): T {
  const setTimeout = <V>(ms = 0, value?: V, opts?: { signal?: AbortSignal }): Promise<V> => {
    if (opts?.signal?.aborted)
      return Promise.reject(new DOMException('The operation was aborted', 'AbortError'));
    clock.sleeps.push(ms);
    vi.setSystemTime(Date.now() + ms);
    clock.onSleep?.(ms);
    if (opts?.signal?.aborted)
      return Promise.reject(new DOMException('The operation was aborted', 'AbortError'));
    return Promise.resolve(value as V);
  };
  return { ...real, setTimeout };
}
