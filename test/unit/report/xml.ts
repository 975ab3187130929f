/**
 * XML for tests, through saxes, a strict XML 1.0 parser (the one jsdom uses): an oracle independent of the
 * code that writes junit.xml and the inline SVGs, which must be well-formed or CI drops the whole report. Any
 * well-formedness error — misnested tags, raw "<" or stray "&", unknown entities, duplicate or unquoted
 * attributes, several roots, forbidden characters — throws.
 */
import { SaxesParser } from 'saxes';

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Concatenated, decoded text directly inside this element. */
  text: string;
}

export function parseXml(xml: string): XmlElement {
  const parser = new SaxesParser();
  const root: XmlElement = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: XmlElement[] = [root];
  const top = (): XmlElement => stack[stack.length - 1]!;
  let error: Error | undefined;
  parser.on('error', (e) => (error ??= e));
  parser.on('opentag', (tag) => {
    const el: XmlElement = {
      name: tag.name,
      attrs: { ...(tag.attributes as Record<string, string>) },
      children: [],
      text: '',
    };
    top().children.push(el);
    stack.push(el);
  });
  parser.on('closetag', () => void stack.pop());
  parser.on('text', (text) => {
    if (stack.length > 1) top().text += text;
  });
  parser.on('cdata', (text) => (top().text += text));
  parser.write(xml).close();
  if (error) throw error;
  const [doc] = root.children;
  if (!doc || root.children.length !== 1)
    throw new Error(`expected exactly one root element, got ${root.children.length}`);
  return doc;
}

export function findAll(el: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (const child of el.children) {
    if (child.name === name) out.push(child);
    out.push(...findAll(child, name));
  }
  return out;
}
