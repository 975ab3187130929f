/**
 * Escaping for every text that crosses into a report. Evidence strings come from kubectl output, k6 errors and
 * pod logs, so they can hold anything: markup, control bytes, pipes, half a surrogate pair.
 */

// XML 1.0 forbids these code points even as character references, so a single stray byte from a log line would
// make the whole junit.xml unparseable; they are replaced rather than encoded.
const XML_INVALID =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function stripXmlInvalid(text: string): string {
  return text.replace(XML_INVALID, '\uFFFD');
}

/** For XML text nodes and attribute values alike. */
export function escapeXml(text: string): string {
  return stripXmlInvalid(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/**
 * Attribute values additionally encode whitespace: a parser normalises literal newlines and tabs in attributes to
 * spaces, and multi-line evidence in a junit failure message should survive the round trip.
 */
export function escapeXmlAttr(text: string): string {
  return escapeXml(text).replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

/** For HTML text and double- or single-quoted attribute values. */
export function escapeHtml(text: string): string {
  return stripXmlInvalid(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * For one GitHub-flavoured markdown table cell. A literal pipe would end the cell and a newline the row; markdown
 * syntax is escaped so that pod names, thresholds and evidence such as `<terminating>` render verbatim instead of
 * as emphasis, links or raw HTML.
 */
export function escapeMarkdownCell(text: string): string {
  // Cells hold inline content only, so block markers at the start of a line ("> ", "- ") need no escaping.
  return escapeMarkdownInline(text, false).replace(/\r\n|\n|\r/g, '<br>');
}

/**
 * Only what markdown would interpret is escaped, so the raw file stays readable in a terminal: "<= 250 ms" needs
 * nothing, "<terminating>" would be swallowed as an HTML tag, "&amp;" would decode to "&". With `blockStart`, a
 * leading "#", "> ", "- " or "1. " is escaped too, for text that begins a paragraph or list item.
 */
export function escapeMarkdownInline(text: string, blockStart = true): string {
  const inline = stripXmlInvalid(text)
    .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`)
    .replace(/<(?=[A-Za-z/!?])/g, '\\<')
    .replace(/&(?=#|[A-Za-z0-9]+;)/g, '\\&');
  if (!blockStart) return inline;
  return inline.replace(
    /^([ \t]*)(>|#{1,6}(?=\s|$)|[+-](?=\s|$)|\d{1,9}[.)](?=\s|$))/gm,
    (_m, space: string, mark: string) =>
      /^\d/.test(mark) ? `${space}${mark.slice(0, -1)}\\${mark.slice(-1)}` : `${space}\\${mark}`,
  );
}

/**
 * A relative artifact path as an href. Anything carrying a scheme (javascript:, http:) or an absolute path is
 * refused: the reports promise to link only to files next to them.
 */
export function relativeHref(path: string): string | null {
  const trimmed = path.trim();
  if (
    trimmed === '' ||
    trimmed.startsWith('/') ||
    trimmed.startsWith('\\') ||
    /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(trimmed)
  ) {
    return null;
  }
  return trimmed
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
}
