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

/** Instant-query a Prometheus server; the first sample's value, or null when the result is empty. */
export async function promqlScalar(
  baseUrl: string,
  query: string,
  timeoutMs = 10_000,
): Promise<number | null> {
  const url = new URL('/api/v1/query', baseUrl);
  url.searchParams.set('query', query);
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`Prometheus answered ${res.status}`);
  const body = (await res.json()) as { data?: { resultType?: string; result?: unknown } };
  const result = body.data?.result;
  if (body.data?.resultType === 'scalar' && Array.isArray(result)) return Number(result[1]);
  if (Array.isArray(result) && result.length > 0) {
    const first = result[0] as { value?: [number, string] };
    return first.value ? Number(first.value[1]) : null;
  }
  return null;
}
