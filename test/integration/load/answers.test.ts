/**
 * The built-in script's answer capture with the real k6: answers read from response bodies by the scenario's
 * paths (k6's gjson selector), golden rows sent and tagged, bodies without answers counted by reason, every
 * response accounted for.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findK6, runK6 } from '../../../src/load/k6.js';
import { AnswerPath } from '../../../src/scenario/answer-path.js';

/**
 * Answers with the first value of every row it is sent, /100 as the score and "high"/"low" as the class; every
 * 7th response is not JSON and every 11th has no predictions, as a misbehaving gateway or model server might.
 */
class Echo {
  private server: Server | undefined;
  url = '';
  n = 0;
  notJson = 0;
  noPath = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        const i = ++this.n;
        const rows = (JSON.parse(Buffer.concat(parts).toString('utf8')) as { features: number[][] }).features;
        let body: string;
        if (i % 7 === 0) {
          this.notJson++;
          body = 'upstream error page';
        } else if (i % 11 === 0) {
          this.noPath++;
          body = '{"status":"degraded"}';
        } else {
          body = JSON.stringify({
            predictions: rows.map((r) => ({ p: r[0]! / 100, label: r[0]! >= 50 ? 'high' : 'low' })),
          });
        }
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(body);
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/score`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

describe('answer capture with the real k6', () => {
  const echo = new Echo();
  let dir: string;
  beforeAll(async () => {
    await echo.start();
    dir = mkdtempSync(join(tmpdir(), 'chaos-answers-it-'));
  });
  afterAll(async () => {
    await echo.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads every answer of a batch, tags golden rows, and counts responses without answers', async () => {
    const payload = join(dir, 'payload.json');
    writeFileSync(
      payload,
      JSON.stringify({
        features: [
          [20, 0],
          [80, 0],
        ],
      }),
    );
    const golden = join(dir, 'golden.json');
    writeFileSync(
      golden,
      JSON.stringify({
        features: [
          [10, 1],
          [60, 1],
          [90, 1],
        ],
      }),
    );
    const r = await runK6({
      targetUrl: echo.url,
      k6Bin: findK6(),
      windows: [
        { name: 'baseline', seconds: 2 },
        { name: 'fault', seconds: 2 },
      ],
      scenario: {
        executor: 'constant-arrival-rate',
        rate: 40,
        timeUnit: '1s',
        preAllocatedVUs: 10,
        maxVUs: 20,
      },
      payloadFile: payload,
      answerPaths: {
        score: AnswerPath.parse('predictions[*].p').gjson,
        class: AnswerPath.parse('predictions[*].label').gjson,
      },
      golden: { file: golden, every: 4 },
      outDir: dir,
    }).result;
    expect(r.failure).toBeNull();

    const all = r.summary.windows.find((w) => w.window === 'all')!.answers;
    const responses = r.summary.windows.find((w) => w.window === 'all')!.requests;
    expect(responses).toBe(echo.n);
    expect(all.missing).toEqual({ path_not_found: echo.noPath, unparsable_body: echo.notJson });
    const golden3 = Object.values(all.golden).flatMap((byKey) => Object.values(byKey));
    const goldenAnswers = golden3.reduce((a, b) => a + b, 0);
    // Normal requests carry the whole payload file (two rows), golden ones one row: answers add up exactly.
    const answered = responses - echo.notJson - echo.noPath;
    expect(all.answers).toBe(2 * (answered - goldenAnswers) + goldenAnswers);
    expect(responses).toBe(r.k6Summary!.metrics.http_reqs!.count);
    // Every response's model version counted once, whether its version came on an answer or on its own point.
    const versions = r.summary.windows.find((w) => w.window === 'all')!.modelVersions;
    expect(Object.values(versions).reduce((a, b) => a + b, 0)).toBe(responses);
    // Each golden row answered only as itself: its first value /100, its class.
    expect(Object.keys(all.golden).sort()).toEqual(['0', '1', '2']);
    expect(all.golden['0']).toEqual({ '0.1|low': expect.any(Number) as number });
    expect(all.golden['1']).toEqual({ '0.6|high': expect.any(Number) as number });
    expect(all.golden['2']).toEqual({ '0.9|high': expect.any(Number) as number });
    expect(all.classes.high! + all.classes.low!).toBe(all.answers);
    expect(
      all.scoreCells[200]! +
        all.scoreCells[800]! +
        all.scoreCells[100]! +
        all.scoreCells[600]! +
        all.scoreCells[900]!,
    ).toBe(all.answers);
  });
});
