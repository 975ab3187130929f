import { describe, expect, it } from 'vitest';
import { encodeWriteRequest, snappyBlock } from '../../../src/adapters/remote-write.js';
import {
  k6RemoteWriteArgs,
  k6RemoteWriteEnv,
  remoteWriteHeaders,
  remoteWriteSecrets,
  runLabels,
  type RemoteWriteSpec,
} from '../../../src/load/remote-write.js';
import { k6Args, k6Env } from '../../../src/load/k6.js';
import { Duration } from '../../../src/scenario/units.js';

const spec: RemoteWriteSpec = {
  url: 'https://prom.example/api/v1/write',
  bearerTokenEnv: 'PROM_TOKEN',
  headers: { 'X-Scope-OrgID': 'ml' },
  insecureSkipVerify: false,
  pushInterval: Duration.parse('5s'),
  nativeHistograms: true,
};

describe("k6's remote-write output", () => {
  it('is configured by environment, the token included, and tagged with the run on the command line', () => {
    expect(k6RemoteWriteEnv(spec, { bearerToken: 't0k' })).toEqual({
      K6_PROMETHEUS_RW_SERVER_URL: 'https://prom.example/api/v1/write',
      K6_PROMETHEUS_RW_PUSH_INTERVAL: '5000ms',
      K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM: 'true',
      K6_PROMETHEUS_RW_STALE_MARKERS: 'true',
      K6_PROMETHEUS_RW_INSECURE_SKIP_TLS_VERIFY: 'false',
      K6_PROMETHEUS_RW_BEARER_TOKEN: 't0k',
      'K6_PROMETHEUS_RW_HEADERS_X-Scope-OrgID': 'ml',
    });
    const args = k6RemoteWriteArgs(runLabels('run-1', 'pod-kill'));
    expect(args).toEqual([
      '--out',
      'experimental-prometheus-rw',
      '--tag',
      'run_id=run-1',
      '--tag',
      'chaos_scenario=pod-kill',
    ]);
    const files = { raw: '/o/raw', summary: '/o/sum', stdout: '/o/out', stderr: '/o/err' };
    expect(k6Args('/s.js', files, args).join(' ')).toContain(
      '--out json=/o/raw --out experimental-prometheus-rw --tag',
    );
    expect(k6Args('/s.js', files, args).at(-1)).toBe('/s.js');
    const env = k6Env({
      targetUrl: 'http://t',
      scenario: { executor: 'constant-vus', vus: 1 },
      outDir: '.',
      windows: [{ name: 'baseline', seconds: 1 }],
      env: {},
      remoteWrite: { env: { K6_PROMETHEUS_RW_SERVER_URL: 'u' }, args },
    });
    expect(env.K6_PROMETHEUS_RW_SERVER_URL).toBe('u');
  });

  it('without native histograms asks for the percentiles as gauges; basic auth by username and password', () => {
    const env = k6RemoteWriteEnv(
      {
        ...spec,
        bearerTokenEnv: undefined,
        nativeHistograms: false,
        basicAuth: { username: 'u', passwordEnv: 'PW' },
      },
      { password: 'p' },
    );
    expect(env).toMatchObject({
      K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM: 'false',
      K6_PROMETHEUS_RW_TREND_STATS: 'p(50),p(90),p(95),p(99),avg,max',
      K6_PROMETHEUS_RW_USERNAME: 'u',
      K6_PROMETHEUS_RW_PASSWORD: 'p',
    });
    expect(env).not.toHaveProperty('K6_PROMETHEUS_RW_BEARER_TOKEN');
    expect(
      remoteWriteHeaders(
        { ...spec, bearerTokenEnv: undefined, basicAuth: { username: 'u', passwordEnv: 'PW' } },
        { password: 'p' },
      ),
    ).toEqual({ 'X-Scope-OrgID': 'ml', Authorization: `Basic ${Buffer.from('u:p').toString('base64')}` });
    expect(remoteWriteHeaders(spec, { bearerToken: 't' })).toEqual({
      'X-Scope-OrgID': 'ml',
      Authorization: 'Bearer t',
    });
  });

  it('reads its secrets from the environment and names the missing ones', () => {
    expect(remoteWriteSecrets(spec, { PROM_TOKEN: 'x' })).toEqual({
      values: { bearerToken: 'x', password: undefined },
      missing: [],
    });
    expect(
      remoteWriteSecrets({ ...spec, basicAuth: { username: 'u', passwordEnv: 'PW' } }, { PROM_TOKEN: '' })
        .missing,
    ).toEqual(['PROM_TOKEN', 'PW']);
  });
});

describe('remote-write encoding', () => {
  it('encodes a WriteRequest as protobuf, labels sorted', () => {
    const bytes = encodeWriteRequest([
      { labels: { b: '2', __name__: 'm' }, samples: [{ value: 1, timestampMs: 300 }] },
    ]);
    // Hand-assembled: TimeSeries(1){ Label(1){name(1)="__name__" value(2)="m"} Label(1){"b","2"} Sample(2){double 1.0, ts 300} }
    const label = (n: string, v: string) => [
      0x0a,
      2 + n.length + 2 + v.length,
      0x0a,
      n.length,
      ...Buffer.from(n),
      0x12,
      v.length,
      ...Buffer.from(v),
    ];
    const sample = [0x12, 12, 0x09, ...Buffer.from([0, 0, 0, 0, 0, 0, 0xf0, 0x3f]), 0x10, 0xac, 0x02];
    const series = [...label('__name__', 'm'), ...label('b', '2'), ...sample];
    expect([...bytes]).toEqual([0x0a, series.length, ...series]);
  });

  it('frames a snappy block of literals: the length, then tagged chunks', () => {
    expect([...snappyBlock(Buffer.from('abc'))]).toEqual([3, 2 << 2, 0x61, 0x62, 0x63]);
    const long = snappyBlock(Buffer.alloc(100, 7));
    expect([...long.subarray(0, 3)]).toEqual([100, 60 << 2, 99]);
    expect(long.length).toBe(3 + 100);
    const big = snappyBlock(Buffer.alloc(70_000, 1));
    // varint 70000, then a 65536-byte literal (tag 61, length-1 in two bytes), then the rest (4464: 4463 = 0x116f).
    expect([...big.subarray(0, 6)]).toEqual([0xf0, 0xa2, 0x04, 61 << 2, 0xff, 0xff]);
    expect([...big.subarray(6 + 65536, 6 + 65536 + 3)]).toEqual([61 << 2, 0x6f, 0x11]);
    expect(big.length).toBe(3 + 3 + 65536 + 3 + 4464);
  });
});
