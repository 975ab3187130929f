import { describe, expect, it } from 'vitest';
import { parseXml } from './xml.js';

// The junit and SVG tests lean on this checker; it must reject what a real parser rejects.
describe('parseXml (test helper)', () => {
  it.each([
    ['<a><b></a></b>', /unexpected close tag/],
    ['<a>x & y</a>', /unclosed tag: a/], // saxes reads "& y</a>" as an unterminated entity
    ['<a>1 < 2</a>', /disallowed character in tag name/],
    ['<a b=c/>', /unquoted attribute value/],
    ['<a b="1" b="2"/>', /duplicate attribute: b/],
    ['<a b="<"/>', /disallowed character/],
    ['<a/><b/>', /only one root/],
    ['<a>&nbsp;</a>', /undefined entity/],
    ['<a>\u0000</a>', /disallowed character/],
    ['<a>', /unclosed tag: a/],
    ['<a>]]></a>', /"]]>" is disallowed/],
  ])('rejects %j', (xml, error) => {
    expect(() => parseXml(xml)).toThrow(error);
  });

  it('decodes entities and keeps encoded newlines in attributes', () => {
    const el = parseXml(
      '<?xml version="1.0"?><a m="x&#10;y&#x9;z &amp; &quot;q&quot;" n="p\nq">t &lt;&gt; &apos;</a>',
    );
    expect(el.attrs).toEqual({ m: 'x\ny\tz & "q"', n: 'p q' });
    expect(el.text).toBe("t <> '");
  });
});
