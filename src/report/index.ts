/** The end-of-run reports: pure renderers (RunResult to string) and one function that writes them. */
export { renderConsoleSummary } from './console.js';
export type { ConsoleSummaryOptions } from './console.js';
export { renderHtmlReport } from './html.js';
export { renderJunit } from './junit.js';
export { renderMarkdownSummary } from './markdown.js';
export type { MarkdownOptions } from './markdown.js';
export { REPORT_FILES } from './format.js';
export { ALL_REPORT_FORMATS, renderReport, renderResultJson, writeReports } from './write.js';
export type { ReportFormat, WriteReportsOptions } from './write.js';
