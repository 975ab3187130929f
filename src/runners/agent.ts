/**
 * The program each runner pod runs (with the image's node), shipped in the runners' ConfigMap. It starts k6
 * paused and serves k6's NDJSON by byte offset on AGENT_PORT, so the harness reads every runner's output through
 * the API server's pod proxy as a contiguous byte range: a hole cannot arise (the harness asks from the byte
 * after the last it has), only an end, which the runner's own end-of-test count then exposes. Pod logs would
 * be lossy (rotation), which is why they are not the channel.
 *
 *   GET /raw/<offset>  the file's bytes from <offset>, up to 1 MiB, cut after the last complete line
 *   GET /status        {"exit": null | {"code", "signal"}, "size": bytes written so far}
 *   GET /summary       k6's --summary-export (404 until k6 has written it)
 *   POST /done         the harness has everything: the agent exits
 *
 * SIGTERM (the pod deleted, the run stopped) is passed to k6, and the agent exits with it. A dead-man switch
 * covers a harness that died without a word: once the harness has started reading, WATCHDOG_MS without any
 * request from it stops k6 and ends the pod, so no runner keeps loading a target nobody measures (the ledger
 * then has `chaos recover` delete the pods).
 */
export const WATCHDOG_MS = 5000;
export const AGENT_PORT = 6566;
export const K6_API_PORT = 6565;
export const AGENT_FILE = 'runner-agent.mjs';

export const AGENT_SOURCE = String.raw`// chaos runner agent: see src/runners/agent.ts in the chaos repository.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { open, readFile, writeFile } from 'node:fs/promises';

const RAW = '/tmp/k6-raw.ndjson';
const SUMMARY = '/tmp/k6-summary.json';
const CHUNK = 1 << 20;
// After k6 ends, the harness has this long to read the rest before the agent gives up on it.
const LINGER_MS = Number(process.env.CHAOS_AGENT_LINGER_MS || 300000);
const WATCHDOG_MS = Number(process.env.CHAOS_AGENT_WATCHDOG_MS || ${WATCHDOG_MS});
let lastContact = 0;
let orphaned = false;

await writeFile(RAW, '');
const args = JSON.parse(process.env.CHAOS_K6_ARGS);
const k6 = spawn(process.env.K6_BIN || 'k6', args, { stdio: ['ignore', 'inherit', 'inherit'] });
let exit = null;
let size = 0;
k6.on('exit', (code, signal) => {
  exit = { code, signal };
  setTimeout(() => process.exit(0), orphaned ? 500 : LINGER_MS).unref();
});
setInterval(() => {
  if (lastContact === 0 || exit !== null || Date.now() - lastContact <= WATCHDOG_MS) return;
  console.error('chaos runner agent: no request from the harness for ' + WATCHDOG_MS + ' ms; stopping k6');
  orphaned = true;
  lastContact = 0;
  k6.kill('SIGTERM');
  setTimeout(() => process.exit(0), 3000).unref();
}, 250).unref();
k6.on('error', (e) => {
  exit = { code: null, signal: null, error: String(e) };
});
process.on('SIGTERM', () => {
  k6.kill('SIGTERM');
  setTimeout(() => process.exit(0), 3000).unref();
  k6.on('exit', () => process.exit(0));
});

const fh = await open(RAW, 'r');
const buf = Buffer.allocUnsafe(CHUNK);
createServer(async (req, res) => {
  try {
    const path = (req.url || '/').split('?')[0];
    if (path.startsWith('/raw/')) lastContact = Date.now();
    else if (lastContact !== 0) lastContact = Date.now();
    if (path.startsWith('/raw/')) {
      const from = Number(path.slice(5));
      if (!Number.isSafeInteger(from) || from < 0) return send(res, 400, 'bad offset');
      const { bytesRead } = await fh.read(buf, 0, CHUNK, from);
      if (from + bytesRead > size) size = from + bytesRead;
      const nl = buf.subarray(0, bytesRead).lastIndexOf(10);
      return send(res, 200, Buffer.from(buf.subarray(0, nl + 1)));
    }
    if (path === '/status') {
      const st = await fh.stat();
      return send(res, 200, JSON.stringify({ exit, size: st.size }));
    }
    if (path === '/summary') {
      if (exit === null) return send(res, 404, 'k6 is running');
      try {
        return send(res, 200, await readFile(SUMMARY));
      } catch {
        return send(res, 404, 'no summary');
      }
    }
    if (path === '/done' && req.method === 'POST') {
      send(res, 200, 'bye');
      setTimeout(() => process.exit(0), 100);
      return;
    }
    send(res, 404, 'not found');
  } catch (e) {
    send(res, 500, String(e));
  }
}).listen(${AGENT_PORT}, '0.0.0.0');

function send(res, code, body) {
  res.writeHead(code, { 'content-type': 'application/octet-stream' });
  res.end(body);
}
`;
