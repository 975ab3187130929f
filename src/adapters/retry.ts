/**
 * The one retry policy for Kubernetes calls. An API server that stops answering (restarted, overloaded, its
 * node paused) is not a reason to leave a fault in place or to abandon a run: reads and undos are tried again
 * with bounded, growing pauses until the server answers or the policy gives up. A paused API server accepts
 * connections and never answers, so each attempt has its own deadline too.
 *
 * Only answers that say nothing about the request are retried: no answer at all, 429, and 5xx. A 4xx is the
 * server's word on the request and is returned at once.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryPolicy {
  /** Pause after the first failed attempt; doubled after each, up to maxDelayMs. */
  firstDelayMs: number;
  /**
   * Longest pause: small, so a call goes through within a couple of seconds of the server answering again
   * (the revert of a fault waits on it).
   */
  maxDelayMs: number;
  /** No attempt starts later than this after the first: then the last error is thrown. */
  giveUpAfterMs: number;
  /** An attempt that has not answered by then has failed. */
  attemptTimeoutMs: number;
}

export const KUBE_RETRY: RetryPolicy = {
  firstDelayMs: 250,
  maxDelayMs: 2_000,
  // Two minutes: an API server restart or a control-plane hiccup, not an outage to wait out for ever. A run
  // whose revert gives up says so and leaves the entry for `chaos recover`.
  giveUpAfterMs: 120_000,
  attemptTimeoutMs: 10_000,
};

/**
 * For undoing a mutation: the attempt's deadline is past the longest undo's own (kubectl 30 s, exec 20 s), so
 * an attempt is never abandoned while its command may still act; a request to a paused API server simply
 * waits and completes once it answers again.
 */
export const UNDO_RETRY: RetryPolicy = { ...KUBE_RETRY, attemptTimeoutMs: 45_000 };

export class AttemptTimeout extends Error {
  constructor(
    readonly what: string,
    ms: number,
  ) {
    super(`${what}: no answer within ${ms / 1000}s`);
    this.name = 'AttemptTimeout';
  }
}

/** HTTP status of a client-node error (`code`) or of a raw response error (`statusCode`); null for none. */
function statusOf(error: unknown): number | null {
  if (error && typeof error === 'object') {
    const e = error as { code?: unknown; statusCode?: unknown };
    if (typeof e.code === 'number') return e.code;
    if (typeof e.statusCode === 'number') return e.statusCode;
  }
  return null;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
]);
// The same, as kubectl and the WebSocket layer word them (their errors carry text, not codes).
const NETWORK_TEXT =
  /socket hang up|fetch failed|ECONNREFUSED|ECONNRESET|ETIMEDOUT|Unable to connect to the server|connection refused|i\/o timeout|TLS handshake timeout|http2: client connection lost/i;

function networkCode(error: unknown): string | null {
  for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}

/**
 * No answer (a refused or reset connection, an attempt that timed out), or an answer that says the server
 * could not deal with it now (429, 5xx). Anything else — a 4xx, a failed command — is an answer.
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof AttemptTimeout) return true;
  const status = statusOf(error);
  if (status !== null) return status === 429 || status >= 500;
  const code = networkCode(error);
  if (code !== null && NETWORK_CODES.has(code)) return true;
  return error instanceof Error && NETWORK_TEXT.test(error.message);
}

export interface RetryHooks {
  /** Ends the pauses (and the wait on a hanging attempt): the last error is thrown. */
  signal?: AbortSignal;
  /** Told of each failed attempt that will be tried again. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const realSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  sleep(ms, undefined, { signal, ref: false });

/** Runs `call` until it answers, a non-transient error, the policy gives up, or the signal aborts. */
export async function withRetry<T>(
  what: string,
  call: () => Promise<T>,
  policy: RetryPolicy = KUBE_RETRY,
  hooks: RetryHooks = {},
): Promise<T> {
  const now = hooks.now ?? Date.now;
  const pause = hooks.sleep ?? realSleep;
  const started = now();
  let delay = policy.firstDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await attemptWithin(what, call, policy.attemptTimeoutMs, hooks.signal);
    } catch (error) {
      const elapsed = now() - started;
      if (!isTransient(error) || hooks.signal?.aborted || elapsed + delay > policy.giveUpAfterMs) throw error;
      hooks.onRetry?.(error, attempt, delay);
      try {
        await pause(delay, hooks.signal);
      } catch {
        throw error;
      }
      delay = Math.min(policy.maxDelayMs, delay * 2);
    }
  }
}

/** The attempt, or AttemptTimeout; a hanging request is left to finish or fail on its own. */
function attemptWithin<T>(
  what: string,
  call: () => Promise<T>,
  ms: number,
  signal?: AbortSignal,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const interrupted = () => Object.assign(new Error(`${what}: interrupted`), { name: 'AbortError' });
    if (signal?.aborted) {
      reject(interrupted());
      return;
    }
    const onAbort = () => reject(interrupted());
    const timer = setTimeout(() => reject(new AttemptTimeout(what, ms)), ms);
    timer.unref();
    signal?.addEventListener('abort', onAbort, { once: true });
    call().then(
      (value) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
