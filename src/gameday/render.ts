/**
 * gameday.md and gameday.html: one report document (postmortem/report.ts), rendered twice. Both renderers take
 * every word from that document, so the two files cannot drift apart.
 */
import { gameDayReport } from './postmortem/report.js';
import type { GameDayResult } from './result.js';
import { renderHtml } from './render/html.js';
import { renderMarkdown } from './render/markdown.js';

export { POSTMORTEM_SECTIONS } from './postmortem/report.js';

export function renderGameDayMarkdown(g: GameDayResult): string {
  return renderMarkdown(gameDayReport(g));
}

export function renderGameDayHtml(g: GameDayResult): string {
  return renderHtml(gameDayReport(g));
}
