import { LRUCache } from 'lru-cache';

export interface LastKnownOptions {
  /** Entities remembered; the least recently used is dropped past this. 0 turns remembering off. */
  readonly maxEntries: number;
  /** How long a lookup's answer may stand in for the store; older entries are never served. */
  readonly ttlMs: number;
  /** Tests pass a fake clock; production uses `performance`. */
  readonly clock?: { now(): number };
}

export interface Recalled<F> {
  readonly features: F;
  readonly ageMs: number;
}

interface Entry<F> {
  readonly features: F;
  readonly storedAt: number;
}

/**
 * The entity's features from its last successful feature-store lookup, so a failed lookup can still score
 * with what the store said a moment ago instead of the request's own (possibly stale, client-side) copy.
 * Bounded by count and by age: a long outage ends in request-only features, not in ever older ones.
 */
export class LastKnownFeatures<F extends object> {
  private readonly cache: LRUCache<string, Entry<F>> | undefined;
  private readonly clock: { now(): number };

  constructor(options: LastKnownOptions) {
    this.clock = options.clock ?? performance;
    if (options.maxEntries <= 0) return;
    this.cache = new LRUCache<string, Entry<F>>({
      max: options.maxEntries,
      ttl: options.ttlMs,
      // lru-cache otherwise reuses one clock reading for 1 ms via a timer; a reading per lookup is cheap next
      // to the HTTP call it replaces, and keeps expiry exact under a test's fake clock.
      ttlResolution: 0,
      perf: this.clock,
    });
  }

  get enabled(): boolean {
    return this.cache !== undefined;
  }

  get size(): number {
    return this.cache?.size ?? 0;
  }

  remember(entityId: string, features: F): void {
    this.cache?.set(entityId, { features, storedAt: this.clock.now() });
  }

  /** Expired entries read as missing (and are dropped), so a caller never sees features past the TTL. */
  recall(entityId: string): Recalled<F> | undefined {
    const entry = this.cache?.get(entityId);
    if (entry === undefined) return undefined;
    return { features: entry.features, ageMs: Math.max(0, Math.round(this.clock.now() - entry.storedAt)) };
  }
}
