/**
 * load.remoteWrite against a real Prometheus: Debian's prometheus (testbed/versions.env's PROMETHEUS_VERSION,
 * from scripts/install-system-deps.sh) on 127.0.0.1 with its remote-write receiver and native histograms, in an
 * ephemeral directory, stopped by pid after. Behind a loopback proxy that demands the bearer token, so the
 * secret provably travels. The real k6 writes its metrics there with the run's labels, the fault markers are
 * pushed beside them, and PromQL reads both back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushSeries } from '../../../src/adapters/remote-write.js';
import { findK6, runK6 } from '../../../src/load/k6.js';
import {
  k6RemoteWriteArgs,
  k6RemoteWriteEnv,
  remoteWriteHeaders,
  runLabels,
  type RemoteWriteSpec,
} from '../../../src/load/remote-write.js';
import { startFaultMarkers } from '../../../src/run/fault-markers.js';
import type { RunState } from '../../../src/run/state.js';
import { Duration } from '../../../src/scenario/units.js';
import type { FaultRecord } from '../../../src/verdict/result.js';
import { findPrometheusTool } from '../alerts/prometheus-binaries.js';

const TOKEN = 'rw-secret-token-42';
let dir: string;
let prometheus: ChildProcess;
let promUrl: string;
let proxy: Server;
let proxyUrl: string;
let target: Server;
let targetUrl: string;
const proxySeen = { authorized: 0, refused: 0, orgIds: new Set<string>() };

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

async function query(
  promql: string,
  atMs?: number,
): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const at = atMs === undefined ? '' : `&time=${atMs / 1000}`;
  const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(promql)}${at}`);
  const body = (await res.json()) as {
    status: string;
    data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
  };
  expect(body.status, `${promql}: ${JSON.stringify(body)}`).toBe('success');
  return body.data.result;
}

beforeAll(async () => {
  const bin = findPrometheusTool('prometheus');
  dir = mkdtempSync(path.join(tmpdir(), 'chaos-prom-'));
  writeFileSync(path.join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 5s\n');
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  prometheus = spawn(
    bin,
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-remote-write-receiver',
      '--enable-feature=native-histograms',
    ],
    { stdio: 'ignore' },
  );
  for (let i = 0; ; i++) {
    const ready = await fetch(`${promUrl}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (i > 100) throw new Error(`prometheus did not become ready on ${promUrl}`);
    await sleep(200);
  }
  // The endpoint as a team's would be: a bearer token in front of the receiver.
  proxy = createServer((req, res) => {
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      proxySeen.refused++;
      res.writeHead(401).end('unauthorized');
      req.resume();
      return;
    }
    proxySeen.authorized++;
    proxySeen.orgIds.add(String(req.headers['x-scope-orgid']));
    const up = request(`${promUrl}${req.url}`, { method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/api/v1/write`;
  let n = 0;
  target = createServer((req, res) => {
    req.resume();
    req.on('end', () =>
      res
        .writeHead(++n % 10 === 0 ? 500 : 200, { 'Content-Type': 'application/json' })
        .end('{"predictions":[]}'),
    );
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}/score`;
});

afterAll(async () => {
  proxy?.closeAllConnections();
  target?.closeAllConnections();
  await Promise.all([proxy, target].map((s) => new Promise((r) => (s ? s.close(r) : r(undefined)))));
  if (prometheus?.pid !== undefined && prometheus.exitCode === null) {
    const exited = new Promise((r) => prometheus.once('exit', r));
    process.kill(prometheus.pid, 'SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
    if (prometheus.exitCode === null && prometheus.signalCode === null)
      process.kill(prometheus.pid, 'SIGKILL');
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('load.remoteWrite', () => {
  const spec: RemoteWriteSpec = {
    url: '',
    bearerTokenEnv: 'PROM_RW_TOKEN',
    headers: { 'X-Scope-OrgID': 'ml-platform' },
    insecureSkipVerify: false,
    pushInterval: Duration.parse('1s'),
    nativeHistograms: true,
  };

  it("k6's metrics arrive with the run's labels, latency as a native histogram, next to the fault markers", async () => {
    const s = { ...spec, url: proxyUrl };
    const labels = runLabels('20261202T143000-abcd', 'remote-write-it');
    const out = mkdtempSync(path.join(dir, 'k6-'));
    const run = runK6({
      targetUrl,
      k6Bin: findK6(),
      scenario: {
        executor: 'constant-arrival-rate',
        rate: 40,
        timeUnit: '1s',
        preAllocatedVUs: 10,
        maxVUs: 20,
      },
      windows: [
        { name: 'baseline', seconds: 2 },
        { name: 'fault', seconds: 2 },
        { name: 'recovery', seconds: 2 },
      ],
      outDir: out,
      remoteWrite: { env: k6RemoteWriteEnv(s, { bearerToken: TOKEN }), args: k6RemoteWriteArgs(labels) },
    });

    // The fault markers, as a run pushes them: one pod-kill from t+2s to t+4s (it has nothing to revert).
    const record: FaultRecord = {
      type: 'pod-kill',
      description: 'deleted pod x',
      injectedAt: null,
      revertedAt: null,
      nothingToRevert: 'a deleted pod is replaced by its controller',
      confirmed: true,
      targets: [],
      notes: [],
    };
    const warnings: string[] = [];
    const state = {
      plan: { faults: [{ atMs: 0, spec: { type: 'pod-kill' } }] },
      faultRecords: [] as FaultRecord[],
      faultStartedMs: [] as number[],
      revertStartedMs: null as number | null,
      faultMarkers: null,
      deps: {
        redact: (t: string) => t.replaceAll(TOKEN, '[REDACTED]'),
        out: { warn: (l: string) => warnings.push(l) },
      },
    };
    await run.loadStarted;
    const markers = startFaultMarkers(
      state as unknown as RunState,
      {
        push: (series) =>
          pushSeries(
            {
              url: proxyUrl,
              headers: remoteWriteHeaders(s, { bearerToken: TOKEN }),
              insecureSkipVerify: false,
            },
            series,
          ),
      },
      labels,
      500,
    );
    await sleep(2000);
    state.faultStartedMs.push(Date.now());
    state.faultRecords.push({ ...record, injectedAt: new Date().toISOString() });
    await sleep(2000);
    const duringLoad = Date.now();
    state.revertStartedMs = Date.now();
    const r = await run.result;
    await markers.stop();
    expect(r.exitCode).toBe(0);
    expect(warnings).toEqual([]);
    expect(state.faultMarkers).toMatchObject({ series: 1, failures: 0, lastError: null });
    // The token went by environment and header only.
    expect(r.command.join(' ')).not.toContain(TOKEN);
    expect(r.command).toEqual(
      expect.arrayContaining(['--out', 'experimental-prometheus-rw', '--tag', 'run_id=20261202T143000-abcd']),
    );
    expect(proxySeen.refused).toBe(0);
    expect(proxySeen.authorized).toBeGreaterThan(3);
    expect([...proxySeen.orgIds]).toEqual(['ml-platform']);

    const sel = `{run_id="20261202T143000-abcd",chaos_scenario="remote-write-it"}`;
    // k6 flushes on exit; the receiver has it by the time k6 has returned. Counts equal what k6 itself counted.
    // k6 ends its series with stale markers, so an instant query at "now" finds none: the last value before.
    const reqs = await query(`sum by (window) (last_over_time(k6_http_reqs_total${sel}[5m]))`);
    const byWindow: Record<string, number> = Object.fromEntries(
      reqs.map((x): [string, number] => [x.metric.window ?? '', Number(x.value[1])]),
    );
    expect(Object.keys(byWindow).sort()).toEqual(['baseline', 'fault', 'recovery']);
    const total = Object.values(byWindow).reduce((a, b) => a + b, 0);
    expect(total).toBe(r.summary.windows.find((w) => w.window === 'all')!.requests);
    const failed = await query(
      `sum(last_over_time(k6_http_reqs_total{run_id="20261202T143000-abcd",status="500"}[5m]))`,
    );
    expect(Number(failed[0]!.value[1])).toBe(r.summary.windows.find((w) => w.window === 'all')!.failed);
    // A native histogram: histogram_quantile reads it without _bucket series (asked during the load: Prometheus
    // 2.42's last_over_time does not take histograms).
    const p95 = await query(
      `histogram_quantile(0.95, sum(rate(k6_http_req_duration_seconds${sel}[3s])))`,
      duringLoad,
    );
    expect(Number(p95[0]!.value[1])).toBeGreaterThan(0);
    expect(Number(p95[0]!.value[1])).toBeLessThan(1);
    expect(await query(`count(k6_http_req_duration_seconds_bucket${sel})`, duringLoad)).toEqual([]);
    expect(await query(`count(k6_http_req_duration_seconds${sel})`, duringLoad)).toHaveLength(1);

    // The marker: 0 before, 1 while the fault was in place, 0 after; labelled with the run and the fault.
    const marker = await query(`chaos_fault_active${sel}`);
    expect(marker.map((m) => m.metric)).toEqual([
      {
        __name__: 'chaos_fault_active',
        run_id: '20261202T143000-abcd',
        chaos_scenario: 'remote-write-it',
        fault: '1-pod-kill',
        fault_type: 'pod-kill',
      },
    ]);
    expect(marker[0]!.value[1]).toBe('0');
    const values = await fetch(
      `${promUrl}/api/v1/query?query=${encodeURIComponent(`chaos_fault_active${sel}[1m]`)}`,
    ).then((x) => x.json() as Promise<{ data: { result: Array<{ values: Array<[number, string]> }> } }>);
    const series = values.data.result[0]!.values.map((v) => v[1]);
    const first1 = series.indexOf('1');
    const last1 = series.lastIndexOf('1');
    expect(first1).toBeGreaterThan(0);
    expect(series.slice(0, first1).every((v) => v === '0')).toBe(true);
    expect(series.slice(first1, last1 + 1).every((v) => v === '1')).toBe(true);
    expect(series.slice(last1 + 1).every((v) => v === '0')).toBe(true);
    expect(series.slice(last1 + 1).length).toBeGreaterThan(0);
  });

  it('a refused push is counted and reported once, redacted, and never throws', async () => {
    const warnings: string[] = [];
    const state = {
      plan: { faults: [{ atMs: 0, spec: { type: 'latency' } }] },
      faultRecords: [],
      faultStartedMs: [],
      revertStartedMs: null,
      faultMarkers: null as null | { failures: number; pushes: number; lastError: string | null },
      deps: { redact: (t: string) => t, out: { warn: (l: string) => warnings.push(l) } },
    };
    const markers = startFaultMarkers(
      state as unknown as RunState,
      { push: (series) => pushSeries({ url: proxyUrl, headers: {}, insecureSkipVerify: false }, series) },
      runLabels('r', 's'),
      100,
    );
    await sleep(350);
    await markers.stop();
    expect(state.faultMarkers!.pushes).toBe(0);
    expect(state.faultMarkers!.failures).toBeGreaterThanOrEqual(3);
    expect(state.faultMarkers!.lastError).toBe('remote write answered 401: unauthorized');
    expect(warnings).toEqual(['fault markers: remote write answered 401: unauthorized']);
  });
});
