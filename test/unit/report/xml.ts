/**
 * A strict little XML 1.0 parser for tests: Node has no built-in one, and junit.xml (and each inline SVG) must be
 * well-formed or CI drops the whole report. It rejects what real parsers reject: unbalanced or misnested tags,
 * raw "<" or stray "&", unknown entities, duplicate or unquoted attributes, several roots, forbidden characters.
 */

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Concatenated, decoded text directly inside this element. */
  text: string;
}

const NAME = /^[A-Za-z_:][\w.:-]*/;
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

export function parseXml(xml: string): XmlElement {
  if (FORBIDDEN.test(xml)) throw new Error('character not allowed in XML 1.0');
  let i = 0;
  const root: XmlElement = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: XmlElement[] = [root];
  const top = (): XmlElement => {
    const el = stack[stack.length - 1];
    if (!el) throw new Error('parser stack empty');
    return el;
  };

  if (xml.startsWith('<?xml')) {
    const end = xml.indexOf('?>');
    if (end < 0) throw new Error('unterminated XML declaration');
    i = end + 2;
  }

  while (i < xml.length) {
    if (xml.startsWith('<!--', i)) {
      const end = xml.indexOf('-->', i + 4);
      if (end < 0) throw new Error(`unterminated comment at ${i}`);
      i = end + 3;
    } else if (xml.startsWith('<![CDATA[', i)) {
      const end = xml.indexOf(']]>', i);
      if (end < 0) throw new Error(`unterminated CDATA at ${i}`);
      if (stack.length === 1) throw new Error('CDATA outside the root element');
      top().text += xml.slice(i + 9, end);
      i = end + 3;
    } else if (xml.startsWith('</', i)) {
      const m = NAME.exec(xml.slice(i + 2));
      if (!m) throw new Error(`bad end tag at ${i}`);
      const close = xml.indexOf('>', i);
      if (xml.slice(i + 2 + m[0].length, close).trim() !== '') throw new Error(`junk in end tag at ${i}`);
      const open = stack.pop();
      if (!open || open.name !== m[0]) throw new Error(`</${m[0]}> closes <${open?.name}> at ${i}`);
      i = close + 1;
    } else if (xml[i] === '<') {
      const m = NAME.exec(xml.slice(i + 1));
      if (!m) throw new Error(`raw "<" at ${i}: ${xml.slice(i, i + 30)}`);
      const el: XmlElement = { name: m[0], attrs: {}, children: [], text: '' };
      i += 1 + m[0].length;
      for (;;) {
        const ws = /^\s*/.exec(xml.slice(i))?.[0] ?? '';
        i += ws.length;
        if (xml.startsWith('/>', i)) {
          i += 2;
          addChild(el, false);
          break;
        }
        if (xml[i] === '>') {
          i += 1;
          addChild(el, true);
          break;
        }
        if (ws === '') throw new Error(`attributes must be separated by whitespace at ${i}`);
        const an = NAME.exec(xml.slice(i));
        if (!an) throw new Error(`bad attribute at ${i}: ${xml.slice(i, i + 20)}`);
        i += an[0].length;
        const eq = /^\s*=\s*/.exec(xml.slice(i));
        if (!eq) throw new Error(`attribute ${an[0]} without value at ${i}`);
        i += eq[0].length;
        const quote = xml[i];
        if (quote !== '"' && quote !== "'") throw new Error(`unquoted attribute ${an[0]} at ${i}`);
        const end = xml.indexOf(quote, i + 1);
        if (end < 0) throw new Error(`unterminated attribute ${an[0]}`);
        const raw = xml.slice(i + 1, end);
        if (raw.includes('<')) throw new Error(`raw "<" in attribute ${an[0]}`);
        if (Object.hasOwn(el.attrs, an[0])) throw new Error(`duplicate attribute ${an[0]}`);
        // Attribute-value normalisation applies to literal whitespace only, so an encoded &#10; stays a newline.
        el.attrs[an[0]] = decode(raw.replace(/[\t\n\r]/g, ' '));
        i = end + 1;
      }
    } else {
      const next = xml.indexOf('<', i);
      const raw = xml.slice(i, next < 0 ? xml.length : next);
      if (stack.length === 1) {
        if (raw.trim() !== '') throw new Error(`text outside the root element: ${raw.slice(0, 30)}`);
      } else {
        if (raw.includes(']]>')) throw new Error('"]]>" in text');
        top().text += decode(raw);
      }
      i = next < 0 ? xml.length : next;
    }
  }
  if (stack.length !== 1) throw new Error(`unclosed <${top().name}>`);
  const [doc, ...rest] = root.children;
  if (!doc || rest.length > 0)
    throw new Error(`expected exactly one root element, got ${root.children.length}`);
  return doc;

  function addChild(el: XmlElement, open: boolean): void {
    if (stack.length === 1 && root.children.length > 0) throw new Error('second root element');
    top().children.push(el);
    if (open) stack.push(el);
  }
}

function decode(raw: string): string {
  return raw.replace(/&([^;\s&<]*);?/g, (match, body: string) => {
    if (!match.endsWith(';')) throw new Error(`stray "&" near ${JSON.stringify(match)}`);
    switch (body) {
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'amp':
        return '&';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
    }
    const num = /^#(?:x([0-9a-fA-F]+)|(\d+))$/.exec(body);
    if (!num) throw new Error(`unknown entity &${body};`);
    const code = num[1] !== undefined ? parseInt(num[1], 16) : Number(num[2]);
    return String.fromCodePoint(code);
  });
}

export function findAll(el: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (const child of el.children) {
    if (child.name === name) out.push(child);
    out.push(...findAll(child, name));
  }
  return out;
}
