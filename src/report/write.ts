import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunResult } from '../verdict/result.js';
import { REPORT_FILES } from './format.js';
import { renderHtmlReport } from './html.js';
import { renderJunit } from './junit.js';
import type { MarkdownOptions } from './markdown.js';
import { renderMarkdownSummary } from './markdown.js';

export type ReportFormat = 'json' | 'junit' | 'markdown' | 'html';

export const ALL_REPORT_FORMATS: readonly ReportFormat[] = ['json', 'junit', 'markdown', 'html'];

export interface WriteReportsOptions extends MarkdownOptions {
  /** Which documents to write; all four by default. */
  formats?: readonly ReportFormat[];
}

/** result.json: the RunResult itself, pretty-printed, so it diffs and greps well. */
export function renderResultJson(result: RunResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}

export function renderReport(
  format: ReportFormat,
  result: RunResult,
  opts: WriteReportsOptions = {},
): string {
  switch (format) {
    case 'json':
      return renderResultJson(result);
    case 'junit':
      return renderJunit(result);
    case 'markdown':
      return renderMarkdownSummary(result, opts);
    case 'html':
      return renderHtmlReport(result);
  }
}

/**
 * Writes the reports into `dir` (created if missing) and returns their paths, in the order of `formats`.
 * Every document is rendered before the first byte is written, so a renderer bug cannot leave a half-updated
 * report directory; each file is written atomically (see writeAtomically).
 */
export async function writeReports(
  dir: string,
  result: RunResult,
  opts: WriteReportsOptions = {},
): Promise<string[]> {
  const formats = [...new Set(opts.formats ?? ALL_REPORT_FORMATS)];
  const documents = formats.map((format) => ({
    path: join(dir, REPORT_FILES[format]),
    content: renderReport(format, result, opts),
  }));
  await mkdir(dir, { recursive: true });
  return writeAtomically(documents);
}

/**
 * Each file is written to a temporary name and renamed, so a reader (a CI step tailing the directory, a second
 * run) never sees a truncated file. Returns the paths, in order.
 */
export async function writeAtomically(
  documents: readonly { path: string; content: string }[],
): Promise<string[]> {
  const written: string[] = [];
  for (const doc of documents) {
    const tmp = `${doc.path}.${process.pid}.${Date.now()}.tmp`;
    try {
      await writeFile(tmp, doc.content, 'utf8');
      await rename(tmp, doc.path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    written.push(doc.path);
  }
  return written;
}
