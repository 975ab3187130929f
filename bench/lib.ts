/**
 * What the benches share: CPU accounting from /proc, k6 summary figures, and the target process they load (the
 * real examples/fraud-scorer, or a node:http stub) on 127.0.0.1, run as a child of the bench itself.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { K6SummaryExport } from '../src/load/k6.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface LoadFigures {
  httpReqs: number;
  rps: number;
  failedRate: number;
  p95Ms: number | null;
}

export const TICK_S = 1 / (Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100);

/** utime+stime (own) and cutime+cstime (reaped children) of a process, in seconds. */
export function procCpu(pid: number | 'self'): { own: number; children: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const n = (i: number): number => Number(f[i]);
  return { own: (n(11) + n(12)) * TICK_S, children: (n(13) + n(14)) * TICK_S };
}

/** Busy CPU seconds of the whole machine so far (all cores), from /proc/stat. */
export function machineBusyS(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  return ((f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0)) * TICK_S;
}

export function cpuS(u: NodeJS.CpuUsage): number {
  return (u.user + u.system) / 1e6;
}

export function fromSummary(s: K6SummaryExport | null): LoadFigures {
  const m = s?.metrics ?? {};
  return {
    httpReqs: m.http_reqs?.count ?? 0,
    rps: m.http_reqs?.rate ?? 0,
    // --summary-export writes a rate metric as {passes, fails, value}.
    failedRate: m.http_req_failed?.value ?? m.http_req_failed?.rate ?? 0,
    p95Ms: m.http_req_duration?.['p(95)'] ?? null,
  };
}

export function readSummaryFile(path: string): K6SummaryExport | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as K6SummaryExport;
  } catch {
    return null;
  }
}

// Role: target. Prints {"url","pid"} once listening; exits when its stdin closes (the parent is gone) or on TERM.

export async function roleTarget(kind: string): Promise<void> {
  let close: () => Promise<void>;
  let url: string;
  if (kind === 'stub') {
    const body = JSON.stringify({
      modelVersion: 'v1',
      predictions: [{ label: 'legit', fraudProbability: 0.01 }],
    });
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () =>
        res
          .writeHead(req.method === 'POST' && req.url === '/score' ? 200 : 404, {
            'Content-Type': 'application/json',
            'Content-Length': Buffer.byteLength(body),
            'X-Model-Version': 'v1',
          })
          .end(body),
      );
    });
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    };
  } else {
    const { configFromEnv } = await import('../examples/fraud-scorer/src/config.js');
    const { startServer } = await import('../examples/fraud-scorer/src/server.js');
    const config = configFromEnv({
      HOST: '127.0.0.1',
      PORT: '0',
      MODEL_DIR: join(ROOT, 'models', 'fraud'),
      MODEL_VERSION: 'v1',
      LOG_LEVEL: 'warn',
      SHUTDOWN_DRAIN_MS: '0',
    });
    const scorer = await startServer(config);
    url = scorer.url;
    close = () => scorer.close();
  }
  const quit = (): void => void close().finally(() => process.exit(0));
  process.stdin.on('close', quit);
  process.stdin.resume();
  process.once('SIGTERM', quit);
  process.stdout.write(`${JSON.stringify({ url: `${url}/score`, pid: process.pid })}\n`);
}

export const children = new Set<ChildProcess>();

export function child(args: string[], nodeArgs: string[] = []): ChildProcess {
  const c = spawn(process.execPath, [...process.execArgv, ...nodeArgs, process.argv[1]!, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.add(c);
  c.on('exit', () => children.delete(c));
  return c;
}

export function firstLine(c: ChildProcess): Promise<string> {
  return new Promise((res, rej) => {
    let buf = '';
    c.stdout!.setEncoding('utf8');
    c.stdout!.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) res(buf.slice(0, nl));
    });
    c.on('exit', (code, signal) => rej(new Error(`child exited (${code ?? signal}) before reporting`)));
  });
}

export async function startTarget(kind: string): Promise<{ url: string; pid: number; proc: ChildProcess }> {
  const proc = child(['--role', 'target', kind]);
  const { url, pid } = JSON.parse(await firstLine(proc)) as { url: string; pid: number };
  return { url, pid, proc };
}
