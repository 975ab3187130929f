/** Small HTTP probes of the endpoint under test (steady state, model version). Loopback or cluster URLs only. */
export interface HttpProbe {
  /** HTTP status of a GET, or null when nothing answered in time. */
  status(url: string): Promise<number | null>;
  /**
   * The model version a JSON document names, found by `pick` (the sample's /version: `modelVersion`; V2
   * metadata: `versions[0]`), or null.
   */
  modelVersion(url: string, pick: (doc: unknown) => unknown): Promise<string | null>;
}

export function fetchProbe(timeoutMs = 5000): HttpProbe {
  const get = async (url: string) => fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return {
    async status(url) {
      try {
        const res = await get(url);
        await res.arrayBuffer();
        return res.status;
      } catch {
        return null;
      }
    },
    async modelVersion(url, pick) {
      try {
        const res = await get(url);
        if (!res.ok) return null;
        const v = pick(await res.json());
        return typeof v === 'string' || typeof v === 'number' ? String(v) : null;
      } catch {
        return null;
      }
    },
  };
}
