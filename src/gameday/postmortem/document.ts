/**
 * The game-day report as plain data: sections of paragraphs, lists, tables and facts. It is built once
 * (report.ts) and rendered to Markdown and to HTML (src/gameday/render/), so every sentence is written in one
 * place and the two files cannot say different things. Renderers only choose markup and escaping; they add no
 * words, except that a scenario's report link names that scenario's report in the renderer's own format.
 */
import type { Verdict } from '../../verdict/result.js';
import type { SeverityLevel } from './severity.js';

export type ScenarioVerdict = Verdict | 'SKIPPED';

/**
 * How a run of text is set apart. Markdown keeps `strong` only; HTML styles each: `code` in monospace (times,
 * ids), `muted` in grey, `name` semi-bold, `tag` as a small upper-case label.
 */
export type Emphasis = 'strong' | 'code' | 'muted' | 'name' | 'tag';

export interface Span {
  kind: 'span';
  text: string;
  emphasis?: Emphasis;
  /** Keep on one line in HTML (phase names, timestamps in narrow columns). */
  nowrap?: boolean;
}

/** A verdict: a coloured badge in HTML, bold in Markdown unless it is PASS. */
export interface VerdictMark {
  kind: 'verdict';
  verdict: ScenarioVerdict;
}

/** Text stated at a severity level: a pill in that level's colour in HTML, bold in Markdown. */
export interface SeverityMark {
  kind: 'severity';
  level: SeverityLevel;
  text: string;
}

/**
 * A scenario's own report in the format being rendered (summary.md from Markdown, report.html from HTML), in
 * its report directory relative to the game day's. A directory that is not a plain relative path is shown, not
 * linked.
 */
export interface ScenarioReportLink {
  kind: 'scenario-report';
  dir: string;
}

/** A line break inside a table cell. */
export interface LineBreak {
  kind: 'break';
}

/** A bare string is plain text. */
export type Inline = string | Span | VerdictMark | SeverityMark | ScenarioReportLink | LineBreak;

export interface Paragraph {
  kind: 'paragraph';
  content: Inline[];
  /** lead: larger, the section's main statement; muted: explanation or an empty section; quote: as written. */
  tone?: 'lead' | 'muted' | 'quote';
}

/** A heading inside a section. */
export interface Subheading {
  kind: 'subheading';
  text: string;
}

export interface ListItem {
  content: Inline[];
  /** What kind of entry this is (a timeline event's kind); HTML colours by it. */
  marker?: string;
  sublist?: List;
}

export interface List {
  kind: 'list';
  ordered: boolean;
  /** events: a compact list without bullets; sources: the citations under a root cause. */
  style?: 'events' | 'sources';
  items: ListItem[];
}

export interface Column {
  header: string;
  numeric?: boolean;
}

export interface Table {
  kind: 'table';
  columns: Column[];
  /** Each row holds one cell per column; each cell is a run of inlines. */
  rows: Inline[][][];
}

/** Labelled values: a grid in HTML, a list in Markdown. */
export interface Facts {
  kind: 'facts';
  facts: Array<{ label: string; value: string }>;
}

export type Block = Paragraph | Subheading | List | Table | Facts;

export interface Section {
  /** HTML anchor. */
  id: string;
  title: string;
  blocks: Block[];
}

export interface ReportDocument {
  title: Inline[];
  /** Who made it, for the HTML generator meta tag. */
  generator: string;
  /** What stands under the title, before the first section. */
  header: Block[];
  sections: Section[];
  footer: Inline[];
}

export function span(text: string, emphasis?: Emphasis, nowrap?: boolean): Span {
  return {
    kind: 'span',
    text,
    ...(emphasis === undefined ? {} : { emphasis }),
    ...(nowrap ? { nowrap } : {}),
  };
}

export function paragraph(content: Inline | Inline[], tone?: Paragraph['tone']): Paragraph {
  return {
    kind: 'paragraph',
    content: Array.isArray(content) ? content : [content],
    ...(tone ? { tone } : {}),
  };
}

/** One item per string. */
export function bullets(items: readonly string[]): List {
  return { kind: 'list', ordered: false, items: items.map((i) => ({ content: [i] })) };
}

/** As bullets, but an empty list becomes the muted sentence that says why it is empty. */
export function listOr(items: readonly string[], empty: string): Block {
  return items.length === 0 ? paragraph(empty, 'muted') : bullets(items);
}

export function table(columns: Array<string | Column>, rows: Inline[][][]): Table {
  return {
    kind: 'table',
    columns: columns.map((c) => (typeof c === 'string' ? { header: c } : c)),
    rows,
  };
}
