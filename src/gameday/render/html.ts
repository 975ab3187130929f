/**
 * A report document as one HTML page with inline CSS and no script or external reference; the
 * Content-Security-Policy forbids any load, so a later edit that adds one fails visibly. Words come from the
 * document only; this module chooses the markup and escapes every piece of text.
 */
import { escapeHtml as h, relativeHref } from '../../report/escape.js';
import { REPORT_FILES } from '../../report/format.js';
import type { Block, Inline, List, ReportDocument, Span } from '../postmortem/document.js';

export function renderHtml(doc: ReportDocument): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta name="generator" content="${h(doc.generator)}">`,
    `<title>${h(plainText(doc.title))}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    '<main>',
    '<header class="card hero">',
    `<h1>${inlines(doc.title)}</h1>`,
    ...doc.header.map(block),
    '</header>',
    ...doc.sections.map(
      (s) =>
        `<section class="card" id="${h(s.id)}"><h2>${h(s.title)}</h2>\n${s.blocks.map(block).join('\n')}\n</section>`,
    ),
    `<footer>${inlines(doc.footer)}</footer>`,
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function block(b: Block): string {
  switch (b.kind) {
    case 'paragraph': {
      const tone = b.tone === 'quote' ? 'muted' : b.tone;
      return `<p${tone ? ` class="${tone}"` : ''}>${inlines(b.content)}</p>`;
    }
    case 'subheading':
      return `<h3>${h(b.text)}</h3>`;
    case 'list':
      return list(b);
    case 'table': {
      const head = b.columns.map((c) => `<th>${h(c.header)}</th>`).join('');
      const body = b.rows
        .map((cells) => `<tr>${cells.map((c) => `<td>${inlines(c)}</td>`).join('')}</tr>`)
        .join('\n');
      return `<div class="scroll"><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
    }
    case 'facts':
      return `<dl>${b.facts.map((f) => `<div><dt>${h(f.label)}</dt><dd>${h(f.value)}</dd></div>`).join('')}</dl>`;
  }
}

function list(l: List): string {
  const tag = l.ordered ? 'ol' : 'ul';
  const items = l.items.map(
    (i) =>
      `<li${i.marker === undefined ? '' : ` class="k-${h(i.marker)}"`}>${inlines(i.content)}` +
      `${i.sublist ? list(i.sublist) : ''}</li>`,
  );
  return `<${tag}${l.style ? ` class="${l.style}"` : ''}>${items.join(l.style === 'events' ? '' : '\n')}</${tag}>`;
}

const EMPHASIS_CLASS: Record<NonNullable<Span['emphasis']>, string> = {
  strong: '',
  code: 'mono',
  muted: 'muted',
  name: 'scn',
  tag: 'kind',
};

function inlines(content: readonly Inline[]): string {
  return content
    .map((x) => {
      if (typeof x === 'string') return h(x);
      switch (x.kind) {
        case 'span': {
          if (x.emphasis === 'strong') return `<strong>${h(x.text)}</strong>`;
          const classes = [x.emphasis && EMPHASIS_CLASS[x.emphasis], x.nowrap && 'nowrap'].filter(Boolean);
          return classes.length === 0 ? h(x.text) : `<span class="${classes.join(' ')}">${h(x.text)}</span>`;
        }
        case 'verdict':
          return `<span class="badge b-${h(x.verdict)}">${h(x.verdict)}</span>`;
        case 'severity':
          return `<span class="sev sev-${h(x.level)}">${h(x.text)}</span>`;
        case 'scenario-report': {
          // The scenario's report.html; a directory that is not a plain relative path is shown, not linked.
          const file = `${x.dir}/${REPORT_FILES.html}`;
          const href = relativeHref(file);
          return href === null ? h(file) : `<a href="${h(href)}">${h(file)}</a>`;
        }
        case 'break':
          return '<br>';
      }
    })
    .join('');
}

function plainText(content: readonly Inline[]): string {
  return content
    .map((x) => (typeof x === 'string' ? x : x.kind === 'verdict' ? x.verdict : 'text' in x ? x.text : ' '))
    .join('');
}

const CSS = `
:root{--ink:#111827;--muted:#6b7280;--line:#e5e7eb;--bg:#f6f7f9;--pass:#166534;--fail:#991b1b;--inc:#92400e;--skip:#374151}
*{box-sizing:border-box}
.nowrap{white-space:nowrap}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:1180px;margin:0 auto;padding:24px}
h1{margin:0;font-size:22px}h2{margin:0 0 12px;font-size:17px}h3{margin:16px 0 6px;font-size:14px}
h1 .badge{vertical-align:middle}
.card{background:#fff;border:1px solid var(--line);border-radius:10px;padding:16px 20px;margin-top:14px}
dl{display:grid;grid-template-columns:repeat(4,minmax(0,1fr));gap:8px 16px;margin:12px 0 0}
dt{font-size:11px;text-transform:uppercase;color:var(--muted)}dd{margin:0;overflow-wrap:anywhere}
.badge{display:inline-block;padding:2px 8px;border-radius:999px;font-weight:700;font-size:12px}
.b-PASS{color:var(--pass);background:#dcfce7}.b-FAIL{color:var(--fail);background:#fee2e2}
.b-INCONCLUSIVE{color:var(--inc);background:#fef3c7}.b-SKIPPED{color:var(--skip);background:#e5e7eb}
.sev{font-weight:700;padding:2px 8px;border-radius:6px}
.sev-Sev-1{background:#fee2e2;color:var(--fail)}.sev-Sev-2{background:#fef3c7;color:var(--inc)}.sev-Sev-3{background:#e0f2fe;color:#075985}
.lead{font-size:15px}.muted{color:var(--muted)}
.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:13px}
th{text-align:left;color:var(--muted);font-size:11px;text-transform:uppercase;border-bottom:1px solid var(--line);padding:6px 8px}
td{border-bottom:1px solid #f3f4f6;padding:6px 8px;vertical-align:top;overflow-wrap:anywhere}
.sources{color:var(--muted);font-size:12.5px}
.events{list-style:none;margin:0;padding:0}.events li{padding:2px 0;overflow-wrap:anywhere}
.scn{font-weight:600}.kind{font-size:11px;text-transform:uppercase;color:var(--muted)}
.k-fault .kind,.k-detected .kind{color:var(--fail)}.k-revert .kind,.k-mitigated .kind,.k-resolved .kind{color:var(--pass)}
footer{margin-top:18px;text-align:center;color:var(--muted);font-size:12px}
@media (max-width:800px){dl{grid-template-columns:repeat(2,minmax(0,1fr))}}
`;
