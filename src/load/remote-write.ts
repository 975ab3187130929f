/**
 * `load.remoteWrite` for k6: its built-in experimental-prometheus-rw output, configured by environment (k6
 * reads K6_PROMETHEUS_RW_*), and the run id as a tag on every sample so dashboards can pick one run.
 */
import type { Scenario } from '../scenario/schema.js';

export type RemoteWriteSpec = NonNullable<Scenario['load']['remoteWrite']>;

/** Labels on every series a run writes: k6's (as tags) and the fault markers. `scenario` is a k6 system tag. */
export function runLabels(runId: string, scenario: string): Record<string, string> {
  return { run_id: runId, chaos_scenario: scenario };
}

/** The secrets a remote-write spec names, read from the environment; the names of missing ones. */
export function remoteWriteSecrets(
  spec: RemoteWriteSpec,
  env: NodeJS.ProcessEnv,
): { values: { bearerToken?: string; password?: string }; missing: string[] } {
  const missing: string[] = [];
  const read = (name: string | undefined): string | undefined => {
    if (name === undefined) return undefined;
    const v = env[name];
    if (v === undefined || v === '') missing.push(name);
    return v;
  };
  return {
    values: { bearerToken: read(spec.bearerTokenEnv), password: read(spec.basicAuth?.passwordEnv) },
    missing,
  };
}

/** What k6 needs in its environment for the output. */
export function k6RemoteWriteEnv(
  spec: RemoteWriteSpec,
  secrets: { bearerToken?: string; password?: string },
): Record<string, string> {
  const env: Record<string, string> = {
    K6_PROMETHEUS_RW_SERVER_URL: spec.url,
    K6_PROMETHEUS_RW_PUSH_INTERVAL: `${spec.pushInterval.ms}ms`,
    K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM: String(spec.nativeHistograms),
    // Without native histograms, the stats a dashboard reads for latency.
    ...(spec.nativeHistograms ? {} : { K6_PROMETHEUS_RW_TREND_STATS: 'p(50),p(90),p(95),p(99),avg,max' }),
    // The run's series end when k6 does, instead of lingering for Prometheus's 5-minute lookback.
    K6_PROMETHEUS_RW_STALE_MARKERS: 'true',
    K6_PROMETHEUS_RW_INSECURE_SKIP_TLS_VERIFY: String(spec.insecureSkipVerify),
  };
  if (secrets.bearerToken !== undefined) env.K6_PROMETHEUS_RW_BEARER_TOKEN = secrets.bearerToken;
  if (spec.basicAuth) {
    env.K6_PROMETHEUS_RW_USERNAME = spec.basicAuth.username;
    if (secrets.password !== undefined) env.K6_PROMETHEUS_RW_PASSWORD = secrets.password;
  }
  for (const [name, value] of Object.entries(spec.headers)) env[`K6_PROMETHEUS_RW_HEADERS_${name}`] = value;
  return env;
}

/** k6's command-line part: the output, and the run's labels as tags on every metric. */
export function k6RemoteWriteArgs(labels: Record<string, string>): string[] {
  return [
    '--out',
    'experimental-prometheus-rw',
    ...Object.entries(labels).flatMap(([k, v]) => ['--tag', `${k}=${v}`]),
  ];
}

/** The same endpoint and credentials for the harness's own pushes (the fault markers). */
export function remoteWriteHeaders(
  spec: RemoteWriteSpec,
  secrets: { bearerToken?: string; password?: string },
): Record<string, string> {
  const headers: Record<string, string> = { ...spec.headers };
  if (secrets.bearerToken !== undefined) headers.Authorization = `Bearer ${secrets.bearerToken}`;
  else if (spec.basicAuth && secrets.password !== undefined)
    headers.Authorization = `Basic ${Buffer.from(`${spec.basicAuth.username}:${secrets.password}`).toString('base64')}`;
  return headers;
}
