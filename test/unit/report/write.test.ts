import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { renderResultJson, writeReports } from '../../../src/report/index.js';
import { RESULT_SCHEMA_VERSION } from '../../../src/verdict/result.js';
import { makeRunResult } from './fixture.js';

describe('writeReports', () => {
  const dirs: string[] = [];
  const tempDir = async (): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'chaos-report-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  it('writes all four documents and returns their paths', async () => {
    const dir = join(await tempDir(), 'nested', 'run');
    const result = makeRunResult();
    const files = await writeReports(dir, result);
    expect(files).toEqual(['result.json', 'junit.xml', 'summary.md', 'report.html'].map((f) => join(dir, f)));
    expect((await readdir(dir)).sort()).toEqual(['junit.xml', 'report.html', 'result.json', 'summary.md']);
    const json = JSON.parse(await readFile(join(dir, 'result.json'), 'utf8')) as unknown;
    expect(json).toEqual(result);
    expect((json as { schemaVersion: string }).schemaVersion).toBe(RESULT_SCHEMA_VERSION);
  });

  it('writes only the requested formats', async () => {
    const dir = await tempDir();
    const files = await writeReports(dir, makeRunResult(), { formats: ['junit', 'junit', 'html'] });
    expect(files).toEqual([join(dir, 'junit.xml'), join(dir, 'report.html')]);
    expect((await readdir(dir)).sort()).toEqual(['junit.xml', 'report.html']);
  });

  it('pretty-prints result.json with a trailing newline', () => {
    const text = renderResultJson(makeRunResult());
    expect(text.startsWith('{\n  "schemaVersion": "chaos.result/v2",\n  "runId"')).toBe(true);
    expect(text.endsWith('}\n')).toBe(true);
  });
});
