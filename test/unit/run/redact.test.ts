import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeRedactor } from '../../../src/run/redact.js';

describe('makeRedactor: secret values', () => {
  const redact = makeRedactor(['sk-live-4f9a2c71e3', 'hunter2']);

  it('replaces every occurrence of every secret', () => {
    expect(redact('ENDPOINT_KEY=sk-live-4f9a2c71e3 and again sk-live-4f9a2c71e3; password hunter2')).toBe(
      'ENDPOINT_KEY=[REDACTED] and again [REDACTED]; password [REDACTED]',
    );
  });

  it('replaces the longest secret first, so one containing another goes whole', () => {
    const r = makeRedactor(['abc123', 'abc123-extended-suffix']);
    expect(r('token=abc123-extended-suffix')).toBe('token=[REDACTED]');
    const reversed = makeRedactor(['abc123-extended-suffix', 'abc123']);
    expect(reversed('token=abc123-extended-suffix / abc123')).toBe('token=[REDACTED] / [REDACTED]');
  });

  it('catches a secret as JSON and URLs carry it', () => {
    const r = makeRedactor(['p"a\\ss w&rd']);
    expect(r(JSON.stringify({ password: 'p"a\\ss w&rd' }))).toBe('{"password":"[REDACTED]"}');
    expect(r(`https://scorer.example/score?key=${encodeURIComponent('p"a\\ss w&rd')}`)).toBe(
      'https://scorer.example/score?key=[REDACTED]',
    );
  });

  it('treats regex characters in secrets literally', () => {
    const r = makeRedactor(['a.b*c(d)']);
    expect(r('x a.b*c(d) aXbbbc(d)')).toBe('x [REDACTED] aXbbbc(d)');
  });

  it('ignores empty secrets and leaves text without secrets alone', () => {
    const r = makeRedactor(['', 'tok3n']);
    expect(r('p95 = 61.7 ms over 2400 requests')).toBe('p95 = 61.7 ms over 2400 requests');
    expect(makeRedactor([])('nothing to hide')).toBe('nothing to hide');
  });

  it('is idempotent and keeps markers whole, even when a secret is a piece of the marker', () => {
    const r = makeRedactor(['ACT', 'swordfish']);
    const once = r('swordfish ACT');
    expect(once).toBe('[REDACTED] [REDACTED]');
    expect(r(once)).toBe(once);
  });

  it('property: no secret survives, wherever it sits in the text', () => {
    const secret = fc.stringMatching(/^[a-z0-9]{4,24}$/);
    fc.assert(
      fc.property(
        fc.array(secret, { minLength: 1, maxLength: 4 }),
        fc.array(fc.string(), { maxLength: 6 }),
        (secrets, parts) => {
          const r = makeRedactor(secrets);
          const text = parts.map((p, i) => p + secrets[i % secrets.length]!).join('');
          const out = r(text);
          for (const s of secrets) expect(out).not.toContain(s);
        },
      ),
      { numRuns: 300, seed: 11 },
    );
  });
});

describe('makeRedactor: Authorization headers, whatever the secret list says', () => {
  const redact = makeRedactor([]);

  it.each([
    [
      'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjaSJ9.c2lnbmF0dXJl',
      'Authorization: Bearer [REDACTED]',
    ],
    ['authorization: basic dXNlcjpwYXNzd29yZA==', 'authorization: basic [REDACTED]'],
    [
      'Proxy-Authorization: Basic dXNlcjpwYXNz\r\nHost: x',
      'Proxy-Authorization: Basic [REDACTED]\r\nHost: x',
    ],
    ['{"Authorization":"Bearer abc.def"}', '{"Authorization":"Bearer [REDACTED]"}'],
    ["{ authorization: 'Token 7f3a9c' }", "{ authorization: 'Token [REDACTED]' }"],
    ['Authorization: Token 7f3a9c', 'Authorization: Token [REDACTED]'],
    ['Authorization: ApiKey k-123', 'Authorization: ApiKey [REDACTED]'],
    ['Authorization: sk-live-999', 'Authorization: [REDACTED]'],
    ['GET /score?authorization=sk-1&x=1', 'GET /score?authorization=[REDACTED]&x=1'],
    [
      'map[Authorization:[Bearer abc123] Content-Type:[application/json]]',
      'map[Authorization:[Bearer [REDACTED]] Content-Type:[application/json]]',
    ],
    ['{"authorization":"Bearer a\\"b c"}', '{"authorization":"Bearer [REDACTED]"}'],
  ])('%s', (input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  it('redacts every header in a multi-line dump and keeps the other lines', () => {
    const dump =
      'POST /score HTTP/1.1\nAuthorization: Custom abc def\nContent-Type: application/json\nauthorization: Bearer xyz';
    expect(redact(dump)).toBe(
      'POST /score HTTP/1.1\nAuthorization: [REDACTED]\nContent-Type: application/json\nauthorization: Bearer [REDACTED]',
    );
  });

  it('leaves the word alone when nothing follows it', () => {
    expect(redact('authorization: ')).toBe('authorization: ');
    expect(redact('the authorization check passed')).toBe('the authorization check passed');
  });

  it('never leaves a credential behind a scheme it does not know', () => {
    for (const scheme of ['Token', 'ApiKey', 'Custom', 'X-Key', 'SAPISIDHASH']) {
      expect(redact(`Authorization: ${scheme} s3cr3t-value`)).not.toContain('s3cr3t-value');
    }
  });
});
