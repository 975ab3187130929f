/**
 * A report document as GitHub-flavoured Markdown. Words come from the document only; this module chooses the
 * markup and escapes every piece of text, since event messages and evidence can hold anything.
 */
import { escapeMarkdownCell, escapeMarkdownInline, relativeHref } from '../../report/escape.js';
import { REPORT_FILES } from '../../report/format.js';
import type { Block, Inline, List, ReportDocument } from '../postmortem/document.js';

export function renderMarkdown(doc: ReportDocument): string {
  const out: string[] = [`# ${line(doc.title, 'heading')}`, ''];
  for (const b of doc.header) out.push(...block(b));
  for (const s of doc.sections) {
    out.push(`## ${escapeMarkdownInline(s.title, false)}`, '');
    for (const b of s.blocks) out.push(...block(b));
  }
  out.push('---', '', line(doc.footer, 'text'), '');
  return out.join('\n');
}

function block(b: Block): string[] {
  switch (b.kind) {
    case 'paragraph':
      return b.tone === 'quote'
        ? [`> ${line(b.content, 'quote').replace(/\r?\n/g, '\n> ')}`, '']
        : [line(b.content, 'text'), ''];
    case 'subheading':
      return [`### ${escapeMarkdownInline(oneLine(b.text), false)}`, ''];
    case 'list':
      return [...listLines(b, ''), ''];
    case 'table':
      return [
        row(b.columns.map((c) => escapeMarkdownCell(c.header))),
        row(b.columns.map((c) => (c.numeric ? '---:' : '---'))),
        ...b.rows.map((cells) => row(cells.map(cell))),
        '',
      ];
    case 'facts':
      return [
        ...b.facts.map(
          (f) =>
            `- **${escapeMarkdownInline(f.label, false)}** ${escapeMarkdownInline(oneLine(f.value), false)}`,
        ),
        '',
      ];
  }
}

function listLines(list: List, indent: string): string[] {
  return list.items.flatMap((item, i) => {
    const marker = list.ordered ? `${i + 1}. ` : '- ';
    const nested = item.sublist ? listLines(item.sublist, indent + ' '.repeat(marker.length)) : [];
    return [`${indent}${marker}${line(item.content, 'text')}`, ...nested];
  });
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

/**
 * heading: emphasis is dropped, a heading is bold already. quote: line breaks are kept, each line then becomes a
 * quoted line. Only the first piece can begin a block, so only it has block markers escaped.
 */
function line(content: readonly Inline[], mode: 'text' | 'heading' | 'quote'): string {
  return content
    .map((x, i) => {
      const text = (t: string): string =>
        escapeMarkdownInline(mode === 'quote' ? t : oneLine(t), i === 0 && mode !== 'heading');
      const strong = (t: string): string => (mode === 'heading' ? text(t) : `**${text(t)}**`);
      if (typeof x === 'string') return text(x);
      switch (x.kind) {
        case 'span':
          return x.emphasis === 'strong' ? strong(x.text) : text(x.text);
        case 'verdict':
          return x.verdict === 'PASS' ? x.verdict : strong(x.verdict);
        case 'severity':
          return strong(x.text);
        case 'scenario-report':
          return reportLink(x.dir, text);
        case 'break':
          return ' ';
      }
    })
    .join('');
}

function cell(content: readonly Inline[]): string {
  return content
    .map((x) => {
      if (typeof x === 'string') return escapeMarkdownCell(x);
      switch (x.kind) {
        case 'span':
          return x.emphasis === 'strong' ? `**${escapeMarkdownCell(x.text)}**` : escapeMarkdownCell(x.text);
        case 'verdict':
          return x.verdict === 'PASS' ? x.verdict : `**${x.verdict}**`;
        case 'severity':
          return `**${escapeMarkdownCell(x.text)}**`;
        case 'scenario-report':
          return reportLink(x.dir, escapeMarkdownCell);
        case 'break':
          return '<br>';
      }
    })
    .join('');
}

/** The scenario's summary.md; a directory that is not a plain relative path is shown, not linked. */
function reportLink(dir: string, escape: (text: string) => string): string {
  const file = `${dir}/${REPORT_FILES.markdown}`;
  const href = relativeHref(file);
  if (href === null) return escape(file);
  // Angle brackets let the destination hold characters markdown would otherwise end the link on.
  return `[${escapeMarkdownCell(file)}](<${href.replace(/[<>]/g, encodeURIComponent)}>)`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\r?\n\s*/g, ' ');
}
