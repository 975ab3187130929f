/** Counts per tag value, with the number of distinct values capped so memory never grows per request. */
// Tag values come from the server (model_version) or a custom script; a server echoing a request id as its
// "version" must not make memory grow per request, so distinct keys are capped and the rest pooled.
export const MAX_KEYS = 200;
export const OTHER_KEY = '(other)';

export class Counts {
  readonly map = new Map<string, number>();
  constructor(private readonly maxKeys = MAX_KEYS) {}
  add(key: string, n: number): void {
    const cur = this.map.get(key);
    if (cur !== undefined) this.map.set(key, cur + n);
    else if (this.map.size < this.maxKeys) this.map.set(key, n);
    else this.map.set(OTHER_KEY, (this.map.get(OTHER_KEY) ?? 0) + n);
  }
  /** Adds another's counts; exact while the union of keys stays under the cap, pooled beyond like add(). */
  merge(other: Counts): void {
    for (const [k, n] of other.map) this.add(k, n);
  }
  toRecord(): Record<string, number> {
    return Object.fromEntries([...this.map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
}
