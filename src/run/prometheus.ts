/**
 * The run's Prometheus: connections built from the scenario's prometheus section (bearer token from the
 * environment, CA bundle from a file) and a querier that records every query with its raw result for
 * result.json. Built before anything is written to the cluster, so a missing token is an environment error.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { queryInstant, queryRange, type PromConnection } from '../adapters/prometheus.js';
import { EnvironmentError } from '../errors.js';
import type { PromQuerier, PromQueryRecord, PrometheusContext } from '../observe/prometheus.js';
import type { Scenario } from '../scenario/schema.js';

export interface PrometheusSetup {
  context: PrometheusContext;
  /** Secret values to redact (the bearer token). */
  secrets: string[];
}

/** Null when neither a prometheus section nor a promql SLO asks Prometheus anything. */
export function prometheusSetup(
  file: string,
  scenario: Scenario,
  env: Record<string, string | undefined>,
): PrometheusSetup | null {
  const section = scenario.prometheus;
  const usesPromql = scenario.slos.some((s) => s.type === 'promql');
  if (!section && !usesPromql) return null;
  const secrets: string[] = [];
  const base: Omit<PromConnection, 'url'> = {};
  if (section?.bearerTokenEnv) {
    const token = env[section.bearerTokenEnv];
    if (!token)
      throw new EnvironmentError(
        `${section.bearerTokenEnv} (prometheus.bearerTokenEnv) is not set in the environment`,
      );
    base.bearerToken = token;
    secrets.push(token);
  }
  if (section?.tls?.caFile) {
    const caPath = path.resolve(path.dirname(file), section.tls.caFile);
    try {
      base.ca = readFileSync(caPath, 'utf8');
    } catch (error) {
      throw new EnvironmentError(`prometheus.tls.caFile ${caPath}: ${(error as Error).message}`);
    }
  }
  if (section?.tls?.insecureSkipVerify) base.insecureSkipVerify = true;
  return {
    secrets,
    context: {
      querier: recordingQuerier(),
      stepS: (section?.scrapeInterval.ms ?? 5000) / 1000,
      connection: (url) => {
        const target = url ?? section?.url;
        if (!target)
          throw new Error('bug: a promql SLO without url passed validation without a prometheus section');
        // The token and TLS options belong to the section's server; another url gets none of them.
        return url && url !== section?.url ? { url } : { ...base, url: target };
      },
    },
  };
}

function recordingQuerier(): PromQuerier {
  const log: PromQueryRecord[] = [];
  const iso = (ms: number) => new Date(ms).toISOString();
  const record = async <T extends Awaited<ReturnType<typeof queryRange>>>(
    entry: Omit<PromQueryRecord, 'ok'>,
    run: () => Promise<T>,
  ): Promise<T> => {
    try {
      const result = await run();
      log.push({ ...entry, ok: true, result });
      return result;
    } catch (error) {
      log.push({ ...entry, ok: false, error: (error as Error).message });
      throw error;
    }
  };
  return {
    log,
    range: (purpose, conn, query, startMs, endMs, stepS) =>
      record({ purpose, query, kind: 'range', start: iso(startMs), end: iso(endMs), stepS }, () =>
        queryRange(conn, query, startMs / 1000, endMs / 1000, stepS),
      ),
    instant: (purpose, conn, query, atMs) =>
      record({ purpose, query, kind: 'instant', end: iso(atMs) }, () =>
        queryInstant(conn, query, atMs / 1000),
      ),
  };
}
