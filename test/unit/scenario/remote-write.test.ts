import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../src/scenario/parse.js';
import { VALID, edit, expectOk, problems } from './helpers.js';

const withRemoteWrite = (yaml: string) => edit(VALID, /^load:\n/m, `load:\n  remoteWrite:\n${yaml}`);

describe('load.remoteWrite', () => {
  it('takes a URL and fills in the defaults', () => {
    const result = parseScenario(withRemoteWrite('    url: http://127.0.0.1:30900/api/v1/write\n'), 's.yaml');
    expectOk(result);
    expect(result.scenario.load.remoteWrite).toMatchObject({
      url: 'http://127.0.0.1:30900/api/v1/write',
      headers: {},
      insecureSkipVerify: false,
      nativeHistograms: true,
    });
    expect(result.scenario.load.remoteWrite?.pushInterval.ms).toBe(5000);
  });

  it('refuses what it cannot use, at its line', () => {
    const bad = problems(
      withRemoteWrite(
        [
          '    url: ftp://x',
          '    bearerTokenEnv: not-a-name',
          '    headers: { "Bad Header": x }',
          '    pushInterval: soon',
          '    basicAuth: { username: u }',
          '',
        ].join('\n'),
      ),
    );
    expect(bad).toEqual([
      '15:10: load.remoteWrite.url: expected an http(s) URL, got "ftp://x"',
      '16:21: load.remoteWrite.bearerTokenEnv: expected an environment variable name (A-Z, 0-9, _; not starting with a digit), got "not-a-name"',
      '17:16: load.remoteWrite.headers["Bad Header"]: invalid key "Bad Header": expected an HTTP header name',
      '18:19: load.remoteWrite.pushInterval: expected a duration like 250ms, 30s, 2m or 1h, got "soon"',
      '19:5: load.remoteWrite.basicAuth.passwordEnv: required key "passwordEnv" is missing',
    ]);
  });
});
