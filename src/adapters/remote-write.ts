/**
 * A minimal Prometheus remote-write (1.0) client for the harness's own series (fault markers): a WriteRequest
 * encoded as protobuf and compressed as a snappy block, POSTed. Written out rather than taken from npm: the one
 * maintained client there pulls protobufjs for four messages, needs node-fetch or a fetch without TLS options,
 * and reads Prometheus's 204 as an error.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface RemoteWriteSeries {
  /** Must include __name__. */
  labels: Record<string, string>;
  samples: Array<{ value: number; timestampMs: number }>;
}

/** Protobuf varint (non-negative integers up to 2^53). */
function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

/** A length-delimited field (wire type 2). */
function lengthDelimited(field: number, bytes: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([(field << 3) | 2, ...varint(bytes.length)]), bytes]);
}

/**
 * prometheus.WriteRequest { repeated TimeSeries timeseries = 1; }
 * TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; }
 * Label { string name = 1; string value = 2; }   Sample { double value = 1; int64 timestamp = 2; }
 * Labels sorted by name, as the protocol requires.
 */
export function encodeWriteRequest(series: readonly RemoteWriteSeries[]): Buffer {
  const parts = series.map((s) => {
    const labels = Object.entries(s.labels)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, value]) =>
        lengthDelimited(
          1,
          Buffer.concat([
            lengthDelimited(1, Buffer.from(name, 'utf8')),
            lengthDelimited(2, Buffer.from(value, 'utf8')),
          ]),
        ),
      );
    const samples = s.samples.map((x) => {
      const value = Buffer.alloc(9);
      value[0] = (1 << 3) | 1; // field 1, 64-bit
      value.writeDoubleLE(x.value, 1);
      const ts = Buffer.from([(2 << 3) | 0, ...varint(Math.round(x.timestampMs))]);
      return lengthDelimited(2, Buffer.concat([value, ts]));
    });
    return lengthDelimited(1, Buffer.concat([...labels, ...samples]));
  });
  return Buffer.concat(parts);
}

/**
 * A snappy block made of literals only: valid snappy (any decoder reads it) without compressing, which a few
 * hundred bytes of markers every few seconds do not need.
 */
export function snappyBlock(data: Uint8Array): Buffer {
  const out: Buffer[] = [Buffer.from(varint(data.length))];
  const MAX = 65536;
  for (let i = 0; i < data.length; i += MAX) {
    const chunk = data.subarray(i, Math.min(i + MAX, data.length));
    const n = chunk.length - 1;
    // Tag: literal (low bits 00); lengths up to 60 in the tag, longer ones in 1 or 2 bytes after it.
    const tag = n < 60 ? [n << 2] : n < 256 ? [60 << 2, n] : [61 << 2, n & 0xff, (n >> 8) & 0xff];
    out.push(Buffer.from(tag), Buffer.from(chunk));
  }
  return Buffer.concat(out);
}

export interface RemoteWriteTarget {
  url: string;
  headers: Record<string, string>;
  insecureSkipVerify: boolean;
  timeoutMs?: number;
}

/** POSTs one WriteRequest; rejects with the server's status and first line of its answer when it is not 2xx. */
export function pushSeries(target: RemoteWriteTarget, series: readonly RemoteWriteSeries[]): Promise<void> {
  const body = snappyBlock(encodeWriteRequest(series));
  const url = new URL(target.url);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          ...target.headers,
          'Content-Type': 'application/x-protobuf',
          'Content-Encoding': 'snappy',
          'X-Prometheus-Remote-Write-Version': '0.1.0',
          'Content-Length': body.length,
        },
        timeout: target.timeoutMs ?? 5000,
        ...(url.protocol === 'https:' ? { rejectUnauthorized: !target.insecureSkipVerify } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.length < 16 && chunks.push(c));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else {
            const text = Buffer.concat(chunks).toString('utf8').split('\n')[0]!.slice(0, 300);
            reject(new Error(`remote write answered ${status}${text ? `: ${text}` : ''}`));
          }
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`remote write timed out after ${target.timeoutMs ?? 5000} ms`)),
    );
    req.on('error', reject);
    req.end(body);
  });
}
