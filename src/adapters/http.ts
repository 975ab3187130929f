/** Small HTTP probes of the endpoint under test (steady state, model version). Loopback or cluster URLs only. */
export interface HttpProbe {
  /** HTTP status of a GET, or null when nothing answered in time. */
  status(url: string): Promise<number | null>;
  /** `modelVersion` from a JSON /version document, or null. */
  modelVersion(url: string): Promise<string | null>;
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
    async modelVersion(url) {
      try {
        const res = await get(url);
        if (!res.ok) return null;
        const body = (await res.json()) as { modelVersion?: unknown };
        return typeof body.modelVersion === 'string' ? body.modelVersion : null;
      } catch {
        return null;
      }
    },
  };
}
