/**
 * A custom script on runners that cannot be shipped as it is, refused by the real CLI and the real k6 before any
 * cluster call (no kubeconfig at all): exit 2 at `file:line:col: load.script`, no stack trace.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findK6 } from '../../../src/load/k6.js';
import { chaos, ensureBuilt, ROOT } from './helpers.js';

describe('chaos run: custom scripts on runners refused up front', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'chaos-runners-cli-'));
  // HOME moves away from the testbed cache, so k6 is handed over explicitly: the refusals need the real k6.
  const noCluster = { KUBECONFIG: path.join(dir, 'none'), HOME: dir, K6_BIN: findK6() };
  const scenario = (script: string): string => {
    const source = readFileSync(path.join(ROOT, 'examples/custom-script/feature-store-pod-kill.yaml'), 'utf8')
      .replace('$schema=../../scenarios/schema.json', `$schema=${path.join(ROOT, 'scenarios/schema.json')}`)
      .replace('script: load.js', `script: ${script}`)
      .replace(
        '\n  rate: 30\n',
        '\n  rate: 30\n  runners: { count: 2, targetOrigin: "http://feature-store.ml-serving.svc:80" }\n',
      );
    const file = path.join(dir, `${path.basename(script, '.js')}.yaml`);
    writeFileSync(file, source);
    return file;
  };

  beforeAll(() => ensureBuilt());
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("a script's own thresholds: k6 would judge them on each runner's share", () => {
    writeFileSync(
      path.join(dir, 'own-thresholds.js'),
      [
        "import http from 'k6/http';",
        "export const options = { thresholds: { http_req_duration: ['p(95)<100'] } };",
        'export default function () { http.get(__ENV.TARGET_URL); }',
      ].join('\n'),
    );
    const file = scenario('own-thresholds.js');
    const r = chaos(['run', file, '--yes'], { env: noCluster });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      `${file}:19:11: load.script: own-thresholds.js sets options.thresholds (http_req_duration), which k6 would judge on each runner's share: move them to load.thresholds`,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a script whose opened files do not fit in a ConfigMap', () => {
    // 1.2 MB of data the init code opens: k6's archive carries it, a ConfigMap cannot.
    writeFileSync(path.join(dir, 'big.json'), JSON.stringify({ pad: 'x'.repeat(1_200_000) }));
    writeFileSync(
      path.join(dir, 'big-data.js'),
      [
        "import http from 'k6/http';",
        "const DATA = JSON.parse(open('./big.json'));",
        'export default function () { http.get(__ENV.TARGET_URL + "?n=" + DATA.pad.length); }',
      ].join('\n'),
    );
    const file = scenario('big-data.js');
    const r = chaos(['run', file, '--yes'], { env: noCluster });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(
        `${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:19:11: load\\.script: big-data\\.js with the modules it imports and the files it opens come to \\d+ KiB in the runners' ConfigMap, which holds at most 976 KiB`,
      ),
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
