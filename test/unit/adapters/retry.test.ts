import { describe, expect, it } from 'vitest';
import { AttemptTimeout, isTransient, withRetry, type RetryPolicy } from '../../../src/adapters/retry.js';
import { ContactMonitor } from '../../../src/observe/contact.js';
import { apiError } from '../../fakes/kube.js';

const POLICY: RetryPolicy = {
  firstDelayMs: 250,
  maxDelayMs: 2000,
  giveUpAfterMs: 60_000,
  attemptTimeoutMs: 10_000,
};

/** A fake clock: sleeps move it and return at once; an aborted signal ends a sleep like the real one. */
function fakeClock() {
  const c = {
    t: 0,
    sleeps: [] as number[],
    now: () => c.t,
    sleep: (ms: number, signal?: AbortSignal): Promise<void> => {
      if (signal?.aborted) return Promise.reject(new DOMException('aborted', 'AbortError'));
      c.sleeps.push(ms);
      c.t += ms;
      return Promise.resolve();
    },
  };
  return c;
}

const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' });

describe('the retry policy', () => {
  it('tells no answer from an answer', () => {
    expect(isTransient(refused())).toBe(true);
    expect(isTransient(new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } }))).toBe(true);
    expect(isTransient(new AttemptTimeout('list pods', 10_000))).toBe(true);
    expect(
      isTransient(new Error('Unable to connect to the server: dial tcp 127.0.0.1:6443: i/o timeout')),
    ).toBe(true);
    expect(isTransient(apiError(429, 'too many requests'))).toBe(true);
    expect(isTransient(Object.assign(new Error('x'), { code: 503 }))).toBe(true);
    expect(isTransient(apiError(404, 'not found'))).toBe(false);
    expect(isTransient(apiError(403, 'forbidden'))).toBe(false);
    expect(isTransient(apiError(409, 'conflict'))).toBe(false);
    expect(isTransient(new Error('kubectl scale failed: exit 1'))).toBe(false);
  });

  it('backs off 250 ms, doubling to a 2 s cap, until the server answers', async () => {
    const clock = fakeClock();
    let calls = 0;
    const retried: number[] = [];
    const value = await withRetry(
      'list pods',
      () => (++calls < 8 ? Promise.reject(refused()) : Promise.resolve('pods')),
      POLICY,
      { now: clock.now, sleep: clock.sleep, onRetry: (_e, attempt) => retried.push(attempt) },
    );
    expect(value).toBe('pods');
    expect(clock.sleeps).toEqual([250, 500, 1000, 2000, 2000, 2000, 2000]);
    expect(retried).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('an answer is returned at once: a 404 is not retried', async () => {
    const clock = fakeClock();
    let calls = 0;
    await expect(
      withRetry('read pod', () => (calls++, Promise.reject(apiError(404, 'gone'))), POLICY, clock),
    ).rejects.toMatchObject({ code: 404 });
    expect(calls).toBe(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('is bounded: gives up with the last error once no attempt may start within giveUpAfterMs', async () => {
    const clock = fakeClock();
    let calls = 0;
    await expect(
      withRetry('list pods', () => (calls++, Promise.reject(refused())), POLICY, clock),
    ).rejects.toThrow(/ECONNREFUSED/);
    // 250 + 500 + 1000 = 1750, then 2000 each: the last pause ends at or before 60 s.
    expect(clock.t).toBeLessThanOrEqual(POLICY.giveUpAfterMs);
    expect(clock.t).toBeGreaterThan(POLICY.giveUpAfterMs - POLICY.maxDelayMs);
    expect(calls).toBe(clock.sleeps.length + 1);
  });

  it('honours an abort: the pause ends, and the last error is thrown without another attempt', async () => {
    const clock = fakeClock();
    const interrupt = new AbortController();
    let calls = 0;
    await expect(
      withRetry('list pods', () => (calls++, Promise.reject(refused())), POLICY, {
        ...clock,
        signal: interrupt.signal,
        // Ctrl-C while the server is away, just as the second pause begins.
        onRetry: (_e, attempt) => attempt === 2 && interrupt.abort(),
      }),
    ).rejects.toThrow(/ECONNREFUSED/);
    expect(calls).toBe(2);
    expect(clock.sleeps).toEqual([250]);
  });

  it('an attempt that hangs (a paused API server) fails at its deadline, or at once on an abort', async () => {
    const hang = () => new Promise<never>(() => undefined);
    const short = { ...POLICY, attemptTimeoutMs: 20, giveUpAfterMs: 0 };
    await expect(withRetry('list pods', hang, short)).rejects.toBeInstanceOf(AttemptTimeout);
    const interrupt = new AbortController();
    const started = Date.now();
    setTimeout(() => interrupt.abort(), 10);
    await expect(
      withRetry('list pods', hang, { ...POLICY, attemptTimeoutMs: 60_000 }, { signal: interrupt.signal }),
    ).rejects.toThrow('list pods: interrupted');
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('the contact monitor', () => {
  function monitor(minOutageMs = 5000) {
    let t = 0;
    let up = true;
    let pings = 0;
    const changes: string[] = [];
    const m = new ContactMonitor({
      ping: () => {
        pings++;
        return up ? Promise.resolve('v1.34') : Promise.reject(new Error('no answer within 2s'));
      },
      now: () => t,
      minOutageMs,
      onChange: (lost, o) => changes.push(lost ? `lost at ${o.from}` : `back at ${o.to} after ${o.from}`),
    });
    const set = (ms: number, answering: boolean) => {
      t = ms;
      up = answering;
    };
    return {
      m,
      changes,
      pings: () => pings,
      set,
      at: async (ms: number, answering: boolean) => {
        set(ms, answering);
        await m.check();
      },
    };
  }

  it('measures an outage from the first unanswered request to the first answer after it', async () => {
    const { m, changes, at } = monitor();
    await at(0, true);
    await at(1000, false);
    for (let s = 2; s <= 31; s++) await at(s * 1000, false);
    expect(m.outages()).toEqual([{ from: 1000, to: null }]);
    await at(32_000, true);
    expect(m.outages()).toEqual([{ from: 1000, to: 32_000 }]);
    expect(changes).toEqual(['lost at 1000', 'back at 32000 after 1000']);
    await at(33_000, true);
    expect(m.outages()).toHaveLength(1);
  });

  it('settling checks once more while an outage is open: a run that outlived it says when it ended', async () => {
    const { m, changes, at, set, pings } = monitor();
    for (let s = 0; s <= 30; s++) await at(s * 1000, s === 0);
    // The server is back, and the run ends before the next check would have seen it.
    set(31_500, true);
    await m.settle();
    expect(m.outages()).toEqual([{ from: 1000, to: 31_500 }]);
    expect(changes.at(-1)).toBe('back at 31500 after 1000');
    const before = pings();
    await m.settle();
    expect(pings()).toBe(before);
  });

  it('settling with the server still silent keeps the outage open', async () => {
    const { m, at } = monitor();
    for (let s = 1; s <= 10; s++) await at(s * 1000, false);
    await m.settle();
    expect(m.outages()).toEqual([{ from: 1000, to: null }]);
  });

  it('a silence shorter than minOutageMs is not an outage', async () => {
    const { m, changes, at } = monitor(5000);
    await at(0, false);
    await at(3000, false);
    await at(4000, true);
    expect(m.outages()).toEqual([]);
    expect(changes).toEqual([]);
  });
});
