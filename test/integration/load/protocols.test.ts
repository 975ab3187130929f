/**
 * The built-in load in each protocol, with the real k6, against a stand-in model server on 127.0.0.1 that speaks
 * the protocol strictly: it refuses (400) any body that is not exactly the protocol's shape, answers in the
 * protocol's own shape, and counts what it was sent. The scenario goes through the loader and the plan, and k6
 * gets the options `chaos run` gives it (planLoadOptions), so this is the wire format a run sends: payload rows,
 * golden rows and oversize batches in V2 and V1 bodies, answers and model versions read back from V2 and V1
 * answers. (The real MLServer is the e2e test's; this proves the harness side before it lands.)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchProbe } from '../../../src/adapters/http.js';
import { findK6, runK6 } from '../../../src/load/k6.js';
import type { AnswersSummary } from '../../../src/load/answers.js';
import { buildPlan } from '../../../src/plan/plan.js';
import { goldenOf, planLoadOptions } from '../../../src/run/run-scenario.js';
import { firstAt } from '../../../src/scenario/answer-path.js';
import { loadScenarioFile } from '../../../src/scenario/parse.js';
import { readyUrl } from '../../../src/scenario/protocol.js';

const k6 = findK6();
const WIDTH = 8;
const PAYLOAD = [
  [8.91, 16, 0.031, 5.7, 5, 244, 0, 0],
  [61.2, 16, 0.003, 53, 4, 291, 0, 1],
  [29, 19, 0.008, 0.3, 9, 458, 0, 0],
];
const GOLDEN = [
  [12.4, 9, 0.767, 17, 0, 540, 0, 0],
  [87.6, 13, 0.977, 11.3, 2, 74, 0, 0],
];
/** The stand-in model: P(positive) from the first feature, in hundredths so k6 writes it back exactly. */
const proba = (row: number[]) => (Math.round(row[0]!) % 100) / 100;
const OVERSIZE_ROWS = 40;
const MAX_ROWS = 10;

type Mode = 'v2' | 'v1-classes' | 'v1-probabilities';

class StandIn {
  private server: Server | undefined;
  origin = '';
  mode: Mode = 'v2';
  n = 0;
  bad: string[] = [];
  oversize = 0;
  /** Every row received (JSON) → times. */
  rows = new Map<string, number>();

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  reset(mode: Mode): void {
    this.mode = mode;
    this.n = 0;
    this.bad = [];
    this.oversize = 0;
    this.rows.clear();
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
        res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(body));
      // V2 metadata and readiness, for the version before the run and the steady-state default.
      if (req.method === 'GET' && req.url === '/v2/models/fraud')
        return json(200, { name: 'fraud', versions: ['v7'], platform: 'sklearn', inputs: [], outputs: [] });
      if (req.method === 'GET' && req.url === '/v2/models/fraud/ready') return res.writeHead(200).end();
      this.n++;
      const refuse = (why: string) => {
        this.bad.push(why);
        json(400, { error: why });
      };
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(parts).toString('utf8')) as Record<string, unknown>;
      } catch {
        return refuse('not JSON');
      }
      if (req.method !== 'POST' || req.headers['content-type'] !== 'application/json')
        return refuse(`${req.method} ${req.headers['content-type']}`);
      const rows =
        this.mode === 'v2' ? this.v2Rows(req.url, body, refuse) : this.v1Rows(req.url, body, refuse);
      if (!rows) return;
      for (const row of rows)
        this.rows.set(JSON.stringify(row), (this.rows.get(JSON.stringify(row)) ?? 0) + 1);
      if (rows.length > MAX_ROWS) {
        this.oversize++;
        // A server refusing with another status than the sample's 413: the scenario says which (refusedWith).
        return json(this.mode === 'v2' ? 413 : 422, {
          error: `batch of ${rows.length} rows; at most ${MAX_ROWS}`,
        });
      }
      const p = rows.map(proba);
      if (this.mode === 'v2')
        // predict_proba first: the answer paths must pick outputs by name, not by position.
        return json(200, {
          model_name: 'fraud',
          model_version: 'v7',
          id: String(this.n),
          parameters: {},
          outputs: [
            {
              name: 'predict_proba',
              shape: [rows.length, 2],
              datatype: 'FP64',
              data: p.flatMap((x) => [1 - x, x]),
            },
            {
              name: 'predict',
              shape: [rows.length, 1],
              datatype: 'INT64',
              data: p.map((x) => (x >= 0.5 ? 1 : 0)),
            },
          ],
        });
      const predictions =
        this.mode === 'v1-classes' ? p.map((x) => (x >= 0.5 ? 'fraud' : 'legit')) : p.map((x) => [1 - x, x]);
      // Lower case on the wire: k6 canonicalises header names, the scenario names it as X-Model-Version.
      return json(200, { predictions }, { 'x-model-version': 'v3' });
    });
  }

  /** The rows of an Open Inference Protocol request, or null after refusing one that is not exactly that. */
  private v2Rows(url: string | undefined, body: Record<string, unknown>, refuse: (why: string) => void) {
    if (url !== '/v2/models/fraud/versions/v7/infer') return (refuse(`path ${url}`), null);
    if (JSON.stringify(Object.keys(body).sort()) !== '["inputs","outputs"]')
      return (refuse(`keys ${Object.keys(body).join(',')}`), null);
    if (JSON.stringify(body.outputs) !== '[{"name":"predict"},{"name":"predict_proba"}]')
      return (refuse(`outputs ${JSON.stringify(body.outputs)}`), null);
    const inputs = body.inputs as { name?: unknown; shape?: unknown; datatype?: unknown; data?: unknown }[];
    const input = Array.isArray(inputs) && inputs.length === 1 ? inputs[0]! : null;
    if (!input || input.name !== 'input-0' || input.datatype !== 'FP32')
      return (refuse('input tensor'), null);
    const shape = input.shape as number[];
    const data = input.data as number[];
    if (!Array.isArray(shape) || shape.length !== 2 || shape[1] !== WIDTH || !Number.isInteger(shape[0]))
      return (refuse(`shape ${JSON.stringify(shape)}`), null);
    if (
      !Array.isArray(data) ||
      data.length !== shape[0]! * WIDTH ||
      !data.every((x) => typeof x === 'number')
    )
      return (refuse('data is not shape[0] × 8 numbers'), null);
    // Row-major: row i is data[i*8 .. i*8+8).
    return Array.from({ length: shape[0]! }, (_, i) => data.slice(i * WIDTH, (i + 1) * WIDTH));
  }

  private v1Rows(url: string | undefined, body: Record<string, unknown>, refuse: (why: string) => void) {
    if (url !== '/v1/models/fraud:predict') return (refuse(`path ${url}`), null);
    if (JSON.stringify(Object.keys(body)) !== '["instances"]')
      return (refuse(`keys ${Object.keys(body).join(',')}`), null);
    const rows = body.instances as unknown[];
    if (!Array.isArray(rows) || !rows.every((r) => Array.isArray(r) && r.length === WIDTH))
      return (refuse('instances are not rows of 8'), null);
    return rows as number[][];
  }
}

const server = new StandIn();
let dir: string;
beforeAll(async () => {
  await server.start();
  dir = mkdtempSync(path.join(tmpdir(), 'chaos-protocols-it-'));
  writeFileSync(path.join(dir, 'payload.json'), JSON.stringify({ features: PAYLOAD }));
  writeFileSync(path.join(dir, 'golden.json'), JSON.stringify({ features: GOLDEN }));
});
afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

function scenario(name: string, target: string, refusedWith: string): string {
  return `apiVersion: chaos/v1
kind: Scenario
metadata: { name: ${name} }
target:
  namespace: ml-serving
  selector: { app: model }
  url: ${server.origin}
${target}
load:
  executor: constant-arrival-rate
  rate: 40
  payload: { rows: 1, file: payload.json }
  golden: { file: golden.json, every: 4 }
windows: { baseline: 1s, fault: 1s, recovery: 1s }
faults:
  - { type: oversize-batch, rows: ${OVERSIZE_ROWS}, every: 5${refusedWith} }
slos:
  - { type: errorRate, max: 1% }
`;
}

/** Loads the scenario as `chaos run` does and runs its built-in load with the real k6. */
async function run(name: string, target: string, refusedWith = '') {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(file, scenario(name, target, refusedWith));
  const loaded = await loadScenarioFile(file);
  if (!loaded.ok)
    throw new Error(loaded.diagnostics.map((d) => `${d.line}:${d.col}: ${d.path}: ${d.message}`).join('\n'));
  const plan = buildPlan(loaded.scenario, {
    file,
    seed: 7,
    timeScale: 1,
    golden: goldenOf(file, loaded.scenario),
  });
  const outDir = path.join(dir, name);
  const r = await runK6({ ...planLoadOptions(plan, file), k6Bin: k6, outDir }).result;
  const all = r.summary.windows.find((w) => w.window === 'all')!;
  return { plan, r, all };
}

/** Every row sent was a payload, golden or (repeated payload) oversize row, unaltered; each kind was sent. */
function expectRowsIntact(): void {
  const known = new Set([...PAYLOAD, ...GOLDEN].map((r) => JSON.stringify(r)));
  expect([...server.rows.keys()].filter((r) => !known.has(r))).toEqual([]);
  for (const row of [...PAYLOAD, ...GOLDEN])
    expect(server.rows.get(JSON.stringify(row)) ?? 0).toBeGreaterThan(0);
  expect(server.oversize).toBeGreaterThan(0);
}

const goldenKeys = (a: AnswersSummary) =>
  Object.fromEntries(Object.entries(a.golden).map(([k, v]) => [k, Object.keys(v)]));

describe('the built-in load in each protocol, with the real k6', () => {
  it('v2: Open Inference Protocol bodies; class from predict, score = column 1 of predict_proba; model_version', async () => {
    server.reset('v2');
    const { plan, r, all } = await run(
      'v2',
      '  protocol: v2\n  model: { name: fraud, version: v7, outputs: [predict, predict_proba] }',
    );
    expect(r.failure).toBeNull();
    expect(server.bad).toEqual([]);
    expect(all.requests).toBe(server.n);
    expectRowsIntact();
    // Oversize batches are V2 too: the stand-in parsed them and answered 413, which the load expects.
    expect(all.statusByPayload.oversize).toEqual({ '413': server.oversize });
    expect(all.failed).toBe(0);
    // Every answered response named its version in the body; the oversize ones were not read.
    expect(all.modelVersions).toEqual({ v7: server.n - server.oversize, none: server.oversize });
    const a = all.answers;
    expect(a.missing).toEqual({});
    expect(a.answers).toBe(server.n - server.oversize);
    expect(a.scored).toBe(a.answers);
    expect(a.classes['0']! + a.classes['1']!).toBe(a.answers);
    // Golden row 0 (12.4 → 0.12, class 0) and row 1 (87.6 → 0.88, class 1): the positive column, by name.
    expect(goldenKeys(a)).toEqual({ '0': ['0.12|0'], '1': ['0.88|1'] });
    // Payload rows: 8.91 → 0.09, 61.2 → 0.61, 29 → 0.29 (score cells of 1/1000).
    for (const cell of [90, 610, 290, 120, 880]) expect(a.scoreCells[cell]).toBeGreaterThan(0);

    // The version before the run and the readiness default, from the same protocol's metadata.
    const t = plan.scenario.target;
    expect(t.versionUrl).toBe(`${server.origin}/v2/models/fraud/versions/v7`);
    const probe = fetchProbe();
    const metadata = `${server.origin}/v2/models/fraud`;
    expect(await probe.modelVersion(metadata, (doc) => firstAt(doc, t.modelVersion.urlField!))).toBe('v7');
    expect(await probe.status(readyUrl({ ...t, model: { name: 'fraud' } }))).toBe(200);
  });

  it('v1: instances bodies; predictions as classes; the version from a header the scenario names', async () => {
    server.reset('v1-classes');
    const { r, all } = await run(
      'v1',
      '  protocol: v1\n  model: { name: fraud }\n  modelVersion: { header: X-Model-Version }',
      ', refusedWith: [413, 422]',
    );
    expect(r.failure).toBeNull();
    expect(server.bad).toEqual([]);
    expect(all.requests).toBe(server.n);
    expectRowsIntact();
    // 422 is the refusal this scenario expects: no error.
    expect(all.statusByPayload.oversize).toEqual({ '422': server.oversize });
    expect(all.failed).toBe(0);
    expect(all.modelVersions).toEqual({ v3: server.n - server.oversize, none: server.oversize });
    const a = all.answers;
    expect(a.missing).toEqual({});
    expect(a.scored).toBe(0);
    expect(a.classes.fraud! + a.classes.legit!).toBe(server.n - server.oversize);
    expect(goldenKeys(a)).toEqual({ '0': ['|legit'], '1': ['|fraud'] });
  });

  it('v1 answering probabilities: the score is a column of each prediction row', async () => {
    server.reset('v1-probabilities');
    const { r, all } = await run(
      'v1-proba',
      '  protocol: v1\n  model: { name: fraud }\n  response: { score: predictions, scoreColumn: 1 }',
    );
    expect(r.failure).toBeNull();
    expect(server.bad).toEqual([]);
    const a = all.answers;
    expect(a.missing).toEqual({});
    expect(a.scored).toBe(server.n - server.oversize);
    expect(goldenKeys(a)).toEqual({ '0': ['0.12|'], '1': ['0.88|'] });
    // The same 422 refusals with refusedWith left at the sample's [413]: every one is a failed request.
    expect(all.statusByPayload.oversize).toEqual({ '422': server.oversize });
    expect(all.failed).toBe(server.oversize);
    // V1 has no version anywhere unless the scenario names one.
    expect(all.modelVersions).toEqual({ none: server.n });
  });
});
