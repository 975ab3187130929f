/**
 * loadScenarioFile: problems with the file itself, and the files a scenario refers to (resolved against
 * the scenario's directory, like `chaos run` does).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../../src/scenario/diagnostics.js';
import { loadScenarioFile } from '../../../src/scenario/parse.js';
import { MAX_SCENARIO_BYTES } from '../../../src/scenario/text.js';
import { VALID, VALID_FILE, edit } from './helpers.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'chaos-files-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function lines(file: string): Promise<string[]> {
  const result = await loadScenarioFile(file);
  return result.ok ? [] : result.diagnostics.map(formatDiagnostic);
}

function write(name: string, content: string | Buffer): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
}

describe('loadScenarioFile', () => {
  it('the valid fixture', async () => {
    const result = await loadScenarioFile(VALID_FILE);
    expect(result.ok).toBe(true);
  });

  it('a missing file', async () => {
    const file = path.join(dir, 'nope.yaml');
    expect(await lines(file)).toEqual([`${file}:1:1: (file): no such file`]);
  });

  it('a path through a file', async () => {
    const file = path.join(write('plain.yaml', VALID), 'x.yaml');
    expect(await lines(file)).toEqual([`${file}:1:1: (file): no such file (a parent is not a directory)`]);
  });

  it('a directory', async () => {
    expect(await lines(dir)).toEqual([`${dir}:1:1: (file): is a directory, expected a scenario file`]);
  });

  it('a FIFO is not read (it could block forever)', async () => {
    const fifo = path.join(dir, 'fifo.yaml');
    // No mkfifo is a broken test machine, not a pass: execFileSync throws and the test fails.
    execFileSync('mkfifo', [fifo]);
    expect(await lines(fifo)).toEqual([`${fifo}:1:1: (file): is not a regular file`]);
  });

  it('a file over 1 MiB is refused without reading it', async () => {
    const file = write('huge.yaml', '');
    truncateSync(file, 5 * 1024 * 1024 * 1024); // sparse: 5 GiB that would never fit in memory
    expect(await lines(file)).toEqual([
      `${file}:1:1: (file): file is 5368709120 bytes; scenarios are limited to 1 MiB (${MAX_SCENARIO_BYTES} bytes)`,
    ]);
  });

  it('the payload file and script are resolved against the scenario directory and must exist', async () => {
    const text = edit(VALID, '  rate: 40', '  rate: 40\n  payload: { file: data/rows.json }');
    const file = write('sub/payload.yaml', text);
    const missing = path.join(dir, 'sub', 'data', 'rows.json');
    expect(await lines(file)).toEqual([
      `${file}:16:20: load.payload.file: no such file: data/rows.json (resolved against the scenario's directory: ${missing})`,
    ]);
    write('sub/data/rows.json', '{"features": [[1,2,3,4,5,6,7,8]]}');
    expect(await lines(file)).toEqual([]);

    mkdirSync(path.join(dir, 'sub', 'k6.js'));
    const script = write('sub/script.yaml', edit(VALID, '  rate: 40', '  rate: 40\n  script: k6.js'));
    expect(await lines(script)).toEqual([`${script}:16:11: load.script: k6.js is not a file`]);
  });
});

describe('loadScenarioFile: the golden file', () => {
  const golden = (name: string) =>
    write(`golden/${name}.yaml`, edit(VALID, '  rate: 40', `  rate: 40\n  golden: { file: ${name}.json }`));
  const cases: [string, string, string][] = [
    ['empty', '', 'not JSON (Unexpected end of JSON input)'],
    ['no-rows', '{"features": []}', '"features" is empty: give at least one row'],
    ['not-rows', '{"rows": [[1]]}', 'needs a "features" array of rows, e.g. {"features": [[0.1, 2, ...]]}'],
    [
      'labels',
      '{"features": [[1,2,3,4,5,6,7,8]], "labels": ["fraud", "legit"]}',
      '2 labels for 1 rows; give one label per row',
    ],
  ];
  for (const [name, content, message] of cases) {
    it(`${name}: ${message}`, async () => {
      write(`golden/${name}.json`, content);
      const file = golden(name);
      expect(await lines(file)).toEqual([`${file}:16:19: load.golden.file: ${name}.json: ${message}`]);
    });
  }

  // A row of the wrong width or a value that is no number: at its own line and column in the golden file.
  const rowCases: [string, string, string][] = [
    [
      'narrow',
      '{"features": [\n  [1,2,3,4,5,6,7,8],\n  [1,2]\n]}',
      '3:3: load.golden.file: features[1] has 2 values; load.payload.features is 8',
    ],
    [
      'text',
      '{"features": [[1,2,3,4,5,6,7, "x"]]}',
      '1:31: load.golden.file: features[0][7] is not a number: "x"',
    ],
    [
      'flat',
      '{"features": [1,2,3,4,5,6,7,8]}',
      '1:15: load.golden.file: features[0] is not a row of numbers',
    ],
  ];
  for (const [name, content, message] of rowCases) {
    it(`${name}: ${message}`, async () => {
      const rows = write(`golden/${name}.json`, content);
      expect(await lines(golden(name))).toEqual([`${rows}:${message}`]);
    });
  }

  it('a good one, with labels', async () => {
    write('golden/good.json', '{"features": [[1,2,3,4,5,6,7,8]], "labels": ["legit"]}');
    expect(await lines(golden('good'))).toEqual([]);
  });

  it('a FIFO is refused without blocking on it', async () => {
    execFileSync('mkfifo', [path.join(dir, 'golden', 'fifo.json')]);
    const file = golden('fifo');
    expect(await lines(file)).toEqual([`${file}:16:19: load.golden.file: fifo.json is not a file`]);
  });
});

describe('loadScenarioFile: special files', () => {
  it('a symlink loop', async () => {
    const a = path.join(dir, 'loop-a.yaml');
    const b = path.join(dir, 'loop-b.yaml');
    symlinkSync(b, a);
    symlinkSync(a, b);
    expect(await lines(a)).toEqual([`${a}:1:1: (file): too many levels of symbolic links`]);
  });

  it('a device', async () => {
    expect(await lines('/dev/null')).toEqual(['/dev/null:1:1: (file): is not a regular file']);
  });
});
