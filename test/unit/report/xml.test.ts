import { describe, expect, it } from 'vitest';
import { parseXml } from './xml.js';

// The junit and SVG tests lean on this checker; it must reject what a real parser rejects.
describe('parseXml (test helper)', () => {
  it.each([
    ['<a><b></a></b>', /closes/],
    ['<a>x & y</a>', /stray/],
    ['<a>1 < 2</a>', /raw "<"/],
    ['<a b=c/>', /unquoted/],
    ['<a b="1" b="2"/>', /duplicate/],
    ['<a b="<"/>', /raw "<"/],
    ['<a/><b/>', /second root/],
    ['<a>&nbsp;</a>', /unknown entity/],
    ['<a>\u0000</a>', /not allowed/],
    ['<a>', /unclosed/],
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
