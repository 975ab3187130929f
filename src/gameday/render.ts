/**
 * gameday.md and gameday.html: the game day's headline and scenario table, then the postmortem in the runbook
 * template's order. Both are pure functions of the GameDayResult and render the same content; every string that
 * came from a cluster, a scenario file or a log is escaped, because event messages and evidence can hold anything.
 */
import { escapeHtml, escapeMarkdownCell, escapeMarkdownInline, relativeHref } from '../report/escape.js';
import {
  REPORT_FILES,
  formatCount,
  formatDuration,
  formatMs,
  formatNumber,
  formatPercent,
} from '../report/format.js';
import { judgedVerdict, type Verdict } from '../verdict/result.js';
import type {
  ActionItem,
  EvidenceSource,
  Postmortem,
  PostmortemTimelineEntry,
  RootCauseCandidate,
  TimelineMinute,
} from './postmortem/index.js';
import { UNOWNED, postmortem } from './postmortem/index.js';
import type { GameDayResult, GameDayScenario } from './result.js';

/** Sources shown per root-cause candidate; the rest are counted, since a pod that flaps emits dozens. */
const MAX_SOURCES = 5;
/** Evidence can be a whole log line; the source's own report holds the rest. */
const MAX_EXCERPT = 240;

/** Template section titles, in the runbook's order; "Contributing factors" appears only when derived. */
export const POSTMORTEM_SECTIONS = [
  'Incident title',
  'Date/time',
  'Severity',
  'Detection',
  'Root cause',
  'Contributing factors',
  'Timeline',
  'Impact',
  'What went well',
  'What went wrong',
  'Action items',
] as const;

type ScenarioVerdict = Verdict | 'SKIPPED';

interface Shared {
  pm: Postmortem;
  counts: Record<ScenarioVerdict, number>;
  emptyText: {
    rootCause: string;
    wentWell: string;
    wentWrong: string;
    actionItems: string;
    timeline: string;
  };
}

function shared(g: GameDayResult): Shared {
  // The report must read the same whenever it is rendered, so the postmortem's clock is the game day's end.
  const pm = postmortem(g, { now: new Date(Date.parse(g.finishedAt) || 0) });
  const counts: Record<ScenarioVerdict, number> = { PASS: 0, FAIL: 0, INCONCLUSIVE: 0, SKIPPED: 0 };
  for (const s of g.scenarios) counts[scenarioVerdict(s)] += 1;
  const troubled = counts.FAIL + counts.INCONCLUSIVE > 0;
  return {
    pm,
    counts,
    emptyText: {
      rootCause: troubled
        ? 'The triage evidence names no cause; the failed and inconclusive checks are listed under What went wrong.'
        : 'Every scenario that ran passed: there is no failure to explain.',
      wentWell: 'Nothing was measured as going well: no check passed and no fault was undone cleanly.',
      wentWrong:
        'Nothing went wrong: every check passed, every fault was applied and undone as planned, and no scenario was skipped.',
      actionItems: 'No check failed, so no action item follows from this game day.',
      timeline: 'No events or load were recorded.',
    },
  };
}

function scenarioVerdict(s: GameDayScenario): ScenarioVerdict {
  return s.result ? judgedVerdict(s.result.verdict) : 'SKIPPED';
}

function countsLine(counts: Record<ScenarioVerdict, number>, total: number): string {
  return (
    `${total} scenario${total === 1 ? '' : 's'}: ${counts.PASS} passed, ${counts.FAIL} failed, ` +
    `${counts.INCONCLUSIVE} inconclusive, ${counts.SKIPPED} skipped`
  );
}

function excerpt(text: string): string {
  const flat = oneLine(text);
  const chars = [...flat];
  return chars.length <= MAX_EXCERPT ? flat : `${chars.slice(0, MAX_EXCERPT).join('')}…`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\r?\n\s*/g, ' ');
}

function clock(iso: string): string {
  return iso.slice(11, 23);
}

function minuteHeading(m: TimelineMinute): string {
  const rate = m.requests > 0 ? ` (${formatPercent(m.errors / m.requests)})` : '';
  const p95 = m.worstP95Ms === null ? 'no latency samples' : `worst per-second p95 ${formatMs(m.worstP95Ms)}`;
  const load =
    m.requests === 0 && m.errors === 0
      ? 'no load'
      : `${formatCount(m.requests)} requests, ${formatCount(m.errors)} errors${rate}, ${p95}`;
  return `${m.minute} UTC: ${load}`;
}

function sourceLine(s: EvidenceSource): string {
  return `${s.scenario}, ${s.from}${s.at ? ` at ${s.at}` : ''}: ${excerpt(s.text)}`;
}

function budgetText(budget: { slo: number; consumed: number } | null): string {
  return budget === null
    ? 'no availability objective'
    : `${formatPercent(budget.consumed)} of the budget of a ${formatNumber(budget.slo * 100, 3)}% objective`;
}

function scenarioDir(s: GameDayScenario, file: string): string | null {
  return s.reportDir === null ? null : relativeHref(`${s.reportDir.replace(/\/+$/, '')}/${file}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Markdown

export function renderGameDayMarkdown(g: GameDayResult): string {
  const { pm, counts, emptyText } = shared(g);
  const md = escapeMarkdownInline;
  const out: string[] = [];
  const section = (title: string): void => {
    out.push(`## ${title}`, '');
  };
  const list = (items: readonly string[], empty: string): void => {
    out.push(...(items.length === 0 ? [md(empty)] : items.map((i) => `- ${md(oneLine(i))}`)), '');
  };

  out.push(`# Game day ${md(g.verdict)}: ${md(g.suite.name)}`, '');
  out.push(
    `**Verdict: ${md(g.verdict)}** (exit code ${md(String(g.exitCode))}). ${countsLine(counts, g.scenarios.length)}. ` +
      `Severity **${pm.severity.level}**.`,
    '',
  );
  out.push(
    `Run ${md(g.runId)}, ${md(g.startedAt)} to ${md(g.finishedAt)} (${formatDuration(g.durationS)}); ` +
      `cluster ${md(g.cluster.context ?? 'current context')}; suite ${md(g.suite.file)}; ` +
      `owner ${md(g.suite.owner ?? UNOWNED)}.`,
    '',
  );
  if (g.suite.description.trim() !== '') {
    out.push(`> ${md(g.suite.description.trim()).replace(/\r?\n/g, '\n> ')}`, '');
  }

  section('Scenarios');
  out.push('| # | Scenario | Verdict | Exit code | Report |', '| ---: | --- | --- | ---: | --- |');
  for (const s of g.scenarios) out.push(mdScenarioRow(s));
  out.push('');

  section('Game-day phases');
  out.push('| Phase | When | What the harness did |', '| --- | --- | --- |');
  for (const p of pm.phases) out.push(row([p.phase, cell(p.at ?? 'did not happen'), cell(p.what)]));
  out.push('');

  section('Incident title');
  out.push(md(pm.title), '');

  section('Date/time');
  mdDateTime(out, pm);

  section('Severity');
  out.push(
    `**${pm.severity.level}: ${pm.severity.meaning}.** Response: ${pm.severity.response}.`,
    '',
    md(pm.severity.reason),
    '',
    'Scope:',
    '',
  );
  list(pm.severity.scope, 'the whole game day');
  out.push(`Rule: ${md(pm.severity.rule)}`, '');

  section('Detection');
  mdDetection(out, pm);

  section('Root cause');
  mdRootCauses(out, pm.rootCauseCandidates, emptyText.rootCause);

  if (pm.contributingFactors.length > 0) {
    section('Contributing factors');
    list(
      pm.contributingFactors.map((f) => `${f.scenario}: ${f.factor} (${excerpt(f.evidence)})`),
      'none derived',
    );
  }

  section('Timeline');
  mdTimeline(out, pm.timeline, emptyText.timeline);

  section('Impact');
  mdImpact(out, pm);

  section('What went well');
  list(pm.wentWell, emptyText.wentWell);

  section('What went wrong');
  list(pm.wentWrong, emptyText.wentWrong);

  section('Action items');
  mdActionItems(out, pm.actionItems, emptyText.actionItems);

  out.push(
    '---',
    '',
    `Generated by chaos from gameday.json (${md(g.schemaVersion)}) for run ${md(g.runId)}.`,
    '',
  );
  return out.join('\n');
}

const cell = escapeMarkdownCell;

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function mdLink(text: string, href: string | null): string {
  if (href === null) return escapeMarkdownCell(text);
  // Angle brackets let the destination hold characters markdown would otherwise end the link on.
  return `[${escapeMarkdownCell(text)}](<${href.replace(/[<>]/g, encodeURIComponent)}>)`;
}

function mdScenarioRow(s: GameDayScenario): string {
  const verdict = scenarioVerdict(s);
  const report =
    s.result === null
      ? cell(`not run: ${s.skippedReason ?? 'no reason was recorded'}`)
      : s.reportDir === null
        ? 'no report directory'
        : mdLink(`${s.reportDir}/${REPORT_FILES.markdown}`, scenarioDir(s, REPORT_FILES.markdown));
  return row([
    cell(String(s.index)),
    cell(s.name),
    verdict === 'PASS' ? 'PASS' : `**${cell(verdict)}**`,
    s.result === null ? 'not run' : cell(String(s.result.exitCode)),
    report,
  ]);
}

function mdDateTime(out: string[], pm: Postmortem): void {
  const md = escapeMarkdownInline;
  const dt = pm.dateTime;
  out.push(md(dt.summary), '');
  if (dt.scenarios.length > 0) {
    out.push(
      '| Scenario | Injected | Detected | Mitigated | Resolved | Seconds in breach |',
      '| --- | --- | --- | --- | --- | ---: |',
    );
    for (const s of dt.scenarios) {
      out.push(
        row([
          cell(s.scenario),
          mdStamp(s.injectedAt, s.injection),
          mdStamp(s.detectedAt, s.detectedBy ?? 'no breach'),
          mdStamp(s.mitigatedAt, s.mitigation ?? 'no breach'),
          mdStamp(s.resolvedAt, s.resolution),
          String(s.breachSeconds),
        ]),
      );
    }
    out.push('');
  }
  out.push('How these times are derived:', '');
  for (const rule of dt.rules) out.push(`- ${md(rule)}`);
  out.push('');
}

/** A timestamp and what it means, in one cell. */
function mdStamp(at: string | null, note: string): string {
  return at === null ? cell(note) : `${cell(at)}<br>${cell(note)}`;
}

function mdDetection(out: string[], pm: Postmortem): void {
  out.push(escapeMarkdownInline(pm.detection.summary), '');
  if (pm.detection.checks.length === 0) return;
  out.push(
    '| Scenario | Check | Window | Measured | Threshold | First breaching second | Evidence |',
    '| --- | --- | --- | ---: | --- | --- | --- |',
  );
  for (const c of pm.detection.checks) {
    out.push(
      row([
        cell(c.scenario),
        cell(c.sloId),
        cell(c.window),
        cell(c.measured),
        cell(c.threshold),
        c.firstBreachAt === null ? `none; judged at end of run ${cell(c.judgedAt)}` : cell(c.firstBreachAt),
        cell(c.evidence),
      ]),
    );
  }
  out.push('');
}

function mdRootCauses(out: string[], candidates: readonly RootCauseCandidate[], empty: string): void {
  const md = escapeMarkdownInline;
  if (candidates.length === 0) {
    out.push(md(empty), '');
    return;
  }
  out.push(
    'Candidates ranked by how directly the evidence names them: what Kubernetes or the service reported, then the ' +
      'mechanism a failed check shows, then what kept a run from judging. Each cites where it was found.',
    '',
  );
  for (const c of candidates) {
    out.push(`${c.rank}. ${md(oneLine(c.cause))}`);
    for (const s of c.sources.slice(0, MAX_SOURCES)) out.push(`   - ${md(sourceLine(s))}`);
    if (c.sources.length > MAX_SOURCES) out.push(`   - and ${c.sources.length - MAX_SOURCES} more`);
  }
  out.push('');
}

function mdTimeline(out: string[], minutes: readonly TimelineMinute[], empty: string): void {
  if (minutes.length === 0) {
    out.push(escapeMarkdownInline(empty), '');
    return;
  }
  out.push(
    'All scenarios merged in UTC. Per minute: requests and errors summed over the load timeline, and the worst ' +
      'per-second p95 (percentiles of different seconds cannot be merged exactly).',
    '',
  );
  for (const m of minutes) {
    out.push(`### ${escapeMarkdownInline(minuteHeading(m), false)}`, '');
    if (m.entries.length === 0) out.push('Load only; no event in this minute.');
    for (const e of m.entries) out.push(`- ${escapeMarkdownInline(entryLine(e))}`);
    out.push('');
  }
}

function entryLine(e: PostmortemTimelineEntry): string {
  return `${clock(e.at)} · ${e.scenario} · ${e.kind} · ${oneLine(e.message)}`;
}

function mdImpact(out: string[], pm: Postmortem): void {
  const { impact } = pm;
  out.push(
    '| Scenario | Verdict | Seconds in breach | Requests | Errors | Error rate | Error budget consumed |',
    '| --- | --- | ---: | ---: | ---: | ---: | --- |',
  );
  for (const s of impact.scenarios) {
    out.push(
      row([
        cell(s.scenario),
        cell(s.verdict),
        String(s.breachSeconds),
        formatCount(s.requests),
        formatCount(s.errors),
        formatPercent(s.errorRate),
        budgetText(s.errorBudget),
      ]),
    );
  }
  const t = impact.total;
  out.push(
    row([
      '**Total**',
      '',
      String(t.breachSeconds),
      formatCount(t.requests),
      formatCount(t.errors),
      formatPercent(t.errorRate),
      budgetText(t.errorBudget),
    ]),
    '',
  );
  for (const n of impact.notRun) out.push(`- Not run: ${escapeMarkdownInline(oneLine(n))}`);
  if (impact.notRun.length > 0) out.push('');
  out.push(escapeMarkdownInline(impact.rule), '');
}

function mdActionItems(out: string[], items: readonly ActionItem[], empty: string): void {
  if (items.length === 0) {
    out.push(escapeMarkdownInline(empty), '');
    return;
  }
  out.push(
    '| # | Check | Action | Why (measured) | Runbook basis | Owner | Due |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const a of items) {
    out.push(
      row([
        a.id,
        cell(`${a.scenario}: ${a.sloId}`),
        cell(a.action),
        cell(a.why),
        cell(a.basis),
        cell(a.owner),
        cell(a.due),
      ]),
    );
  }
  out.push('');
}

// ---------------------------------------------------------------------------------------------------------------
// HTML

const h = escapeHtml;

/**
 * One page with inline CSS and no script or external reference; the Content-Security-Policy forbids any load, so a
 * later edit that adds one fails visibly.
 */
export function renderGameDayHtml(g: GameDayResult): string {
  const { pm, counts, emptyText } = shared(g);
  const title = `Game day ${g.verdict}: ${g.suite.name}`;
  const sections = [
    card('Scenarios', 'scenarios', htmlScenarios(g)),
    card('Game-day phases', 'phases', htmlPhases(pm)),
    card('Incident title', 'incident-title', `<p class="lead">${h(pm.title)}</p>`),
    card('Date/time', 'date-time', htmlDateTime(pm)),
    card('Severity', 'severity', htmlSeverity(pm)),
    card('Detection', 'detection', htmlDetection(pm)),
    card('Root cause', 'root-cause', htmlRootCauses(pm.rootCauseCandidates, emptyText.rootCause)),
    pm.contributingFactors.length > 0
      ? card(
          'Contributing factors',
          'contributing-factors',
          htmlList(pm.contributingFactors.map((f) => `${f.scenario}: ${f.factor} (${excerpt(f.evidence)})`)),
        )
      : '',
    card('Timeline', 'timeline', htmlTimeline(pm.timeline, emptyText.timeline)),
    card('Impact', 'impact', htmlImpact(pm)),
    card('What went well', 'went-well', htmlList(pm.wentWell, emptyText.wentWell)),
    card('What went wrong', 'went-wrong', htmlList(pm.wentWrong, emptyText.wentWrong)),
    card('Action items', 'action-items', htmlActionItems(pm.actionItems, emptyText.actionItems)),
  ];
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta name="generator" content="chaos ${h(g.schemaVersion)}">`,
    `<title>${h(title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    '<main>',
    htmlHeader(g, pm, counts),
    ...sections.filter((s) => s !== ''),
    `<footer>Generated by chaos from gameday.json (${h(g.schemaVersion)}) for run ${h(g.runId)}.</footer>`,
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function badge(verdict: string): string {
  return `<span class="badge b-${h(verdict)}">${h(verdict)}</span>`;
}

function card(title: string, id: string, body: string): string {
  return `<section class="card" id="${h(id)}"><h2>${h(title)}</h2>\n${body}\n</section>`;
}

function table(headers: readonly string[], rows: readonly string[][]): string {
  const head = headers.map((x) => `<th>${h(x)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  return `<div class="scroll"><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

function htmlList(items: readonly string[], empty = ''): string {
  if (items.length === 0) return `<p class="muted">${h(empty)}</p>`;
  return `<ul>${items.map((i) => `<li>${h(oneLine(i))}</li>`).join('')}</ul>`;
}

/** A timestamp and what it means, one above the other. */
function stamp(at: string | null, note: string): string {
  return at === null
    ? h(note)
    : `<span class="mono">${h(at)}</span><br><span class="muted">${h(note)}</span>`;
}

function htmlHeader(g: GameDayResult, pm: Postmortem, counts: Record<ScenarioVerdict, number>): string {
  const meta: Array<[string, string]> = [
    ['Run', g.runId],
    ['Started', g.startedAt],
    ['Finished', g.finishedAt],
    ['Duration', formatDuration(g.durationS)],
    ['Cluster', g.cluster.context ?? 'current context'],
    ['Suite file', g.suite.file],
    ['Owner', g.suite.owner ?? UNOWNED],
    ['Exit code', String(g.exitCode)],
  ];
  return [
    '<header class="card hero">',
    `<div class="hero-head">${badge(g.verdict)}<div><div class="eyebrow">chaos game day</div><h1>${h(g.suite.name)}</h1></div></div>`,
    g.suite.description.trim() !== '' ? `<p class="muted">${h(g.suite.description)}</p>` : '',
    `<p>${h(countsLine(counts, g.scenarios.length))}. Severity <strong>${h(pm.severity.level)}</strong>.</p>`,
    `<dl>${meta.map(([k, v]) => `<div><dt>${h(k)}</dt><dd>${h(v)}</dd></div>`).join('')}</dl>`,
    '</header>',
  ].join('\n');
}

function htmlScenarios(g: GameDayResult): string {
  const rows = g.scenarios.map((s) => {
    const href = scenarioDir(s, REPORT_FILES.html);
    const report =
      s.result === null
        ? h(`not run: ${s.skippedReason ?? 'no reason was recorded'}`)
        : href === null
          ? h(s.reportDir ?? 'no report directory')
          : `<a href="${h(href)}">${h(`${s.reportDir ?? ''}/${REPORT_FILES.html}`)}</a>`;
    return [
      h(String(s.index)),
      h(s.name),
      badge(scenarioVerdict(s)),
      s.result === null ? 'not run' : h(String(s.result.exitCode)),
      report,
    ];
  });
  return table(['#', 'Scenario', 'Verdict', 'Exit code', 'Report'], rows);
}

function htmlPhases(pm: Postmortem): string {
  return table(
    ['Phase', 'When', 'What the harness did'],
    pm.phases.map((p) => [
      `<span class="nowrap">${h(p.phase)}</span>`,
      p.at === null ? 'did not happen' : `<span class="mono nowrap">${h(p.at)}</span>`,
      h(p.what),
    ]),
  );
}

function htmlDateTime(pm: Postmortem): string {
  const dt = pm.dateTime;
  const rows = dt.scenarios.map((s) => [
    h(s.scenario),
    stamp(s.injectedAt, s.injection),
    stamp(s.detectedAt, s.detectedBy ?? 'no breach'),
    stamp(s.mitigatedAt, s.mitigation ?? 'no breach'),
    stamp(s.resolvedAt, s.resolution),
    String(s.breachSeconds),
  ]);
  return [
    `<p class="lead">${h(dt.summary)}</p>`,
    rows.length > 0
      ? table(['Scenario', 'Injected', 'Detected', 'Mitigated', 'Resolved', 'Seconds in breach'], rows)
      : '',
    '<h3>How these times are derived</h3>',
    htmlList(dt.rules),
  ].join('\n');
}

function htmlSeverity(pm: Postmortem): string {
  const s = pm.severity;
  return [
    `<p class="lead"><span class="sev sev-${h(s.level)}">${h(s.level)}</span> ${h(s.meaning)}. Response: ${h(s.response)}.</p>`,
    `<p>${h(s.reason)}</p>`,
    '<h3>Scope</h3>',
    htmlList(s.scope),
    `<p class="muted">Rule: ${h(s.rule)}</p>`,
  ].join('\n');
}

function htmlDetection(pm: Postmortem): string {
  const rows = pm.detection.checks.map((c) => [
    h(c.scenario),
    `<span class="mono">${h(c.sloId)}</span>`,
    h(c.window),
    h(c.measured),
    h(c.threshold),
    c.firstBreachAt === null
      ? `none; judged at end of run <span class="mono">${h(c.judgedAt)}</span>`
      : `<span class="mono">${h(c.firstBreachAt)}</span>`,
    h(c.evidence),
  ]);
  return [
    `<p>${h(pm.detection.summary)}</p>`,
    rows.length > 0
      ? table(
          ['Scenario', 'Check', 'Window', 'Measured', 'Threshold', 'First breaching second', 'Evidence'],
          rows,
        )
      : '',
  ].join('\n');
}

function htmlRootCauses(candidates: readonly RootCauseCandidate[], empty: string): string {
  if (candidates.length === 0) return `<p class="muted">${h(empty)}</p>`;
  const items = candidates.map((c) => {
    const sources = c.sources.slice(0, MAX_SOURCES).map((s) => `<li>${h(sourceLine(s))}</li>`);
    if (c.sources.length > MAX_SOURCES) sources.push(`<li>and ${c.sources.length - MAX_SOURCES} more</li>`);
    return `<li><strong>${h(c.cause)}</strong><ul class="sources">${sources.join('')}</ul></li>`;
  });
  return [
    '<p class="muted">Ranked by how directly the evidence names them: what Kubernetes or the service reported, then the mechanism a failed check shows, then what kept a run from judging.</p>',
    `<ol>${items.join('\n')}</ol>`,
  ].join('\n');
}

function htmlTimeline(minutes: readonly TimelineMinute[], empty: string): string {
  if (minutes.length === 0) return `<p class="muted">${h(empty)}</p>`;
  const blocks = minutes.map((m) => {
    const entries = m.entries.map(
      (e) =>
        `<li class="k-${h(e.kind)}"><span class="mono">${h(clock(e.at))}</span> <span class="scn">${h(e.scenario)}</span> ` +
        `<span class="kind">${h(e.kind)}</span> ${h(oneLine(e.message))}</li>`,
    );
    return (
      `<h3>${h(minuteHeading(m))}</h3>` +
      (entries.length === 0
        ? '<p class="muted">Load only; no event in this minute.</p>'
        : `<ol class="events">${entries.join('')}</ol>`)
    );
  });
  return [
    '<p class="muted">All scenarios merged in UTC. Per minute: requests and errors summed over the load timeline, and the worst per-second p95 (percentiles of different seconds cannot be merged exactly).</p>',
    ...blocks,
  ].join('\n');
}

function htmlImpact(pm: Postmortem): string {
  const { impact } = pm;
  const rows = impact.scenarios.map((s) => [
    h(s.scenario),
    badge(s.verdict),
    String(s.breachSeconds),
    formatCount(s.requests),
    formatCount(s.errors),
    h(formatPercent(s.errorRate)),
    h(budgetText(s.errorBudget)),
  ]);
  const t = impact.total;
  rows.push([
    '<strong>Total</strong>',
    '',
    String(t.breachSeconds),
    formatCount(t.requests),
    formatCount(t.errors),
    h(formatPercent(t.errorRate)),
    h(budgetText(t.errorBudget)),
  ]);
  return [
    table(
      [
        'Scenario',
        'Verdict',
        'Seconds in breach',
        'Requests',
        'Errors',
        'Error rate',
        'Error budget consumed',
      ],
      rows,
    ),
    impact.notRun.length > 0 ? htmlList(impact.notRun.map((n) => `Not run: ${n}`)) : '',
    `<p class="muted">${h(impact.rule)}</p>`,
  ].join('\n');
}

function htmlActionItems(items: readonly ActionItem[], empty: string): string {
  if (items.length === 0) return `<p class="muted">${h(empty)}</p>`;
  return table(
    ['#', 'Check', 'Action', 'Why (measured)', 'Runbook basis', 'Owner', 'Due'],
    items.map((a) => [
      h(a.id),
      h(`${a.scenario}: ${a.sloId}`),
      h(a.action),
      h(a.why),
      h(a.basis),
      h(a.owner),
      `<span class="mono">${h(a.due)}</span>`,
    ]),
  );
}

const CSS = `
:root{--ink:#111827;--muted:#6b7280;--line:#e5e7eb;--bg:#f6f7f9;--pass:#166534;--fail:#991b1b;--inc:#92400e;--skip:#374151}
*{box-sizing:border-box}
.nowrap{white-space:nowrap}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:1180px;margin:0 auto;padding:24px}
h1{margin:0;font-size:22px}h2{margin:0 0 12px;font-size:17px}h3{margin:16px 0 6px;font-size:14px}
.card{background:#fff;border:1px solid var(--line);border-radius:10px;padding:16px 20px;margin-top:14px}
.hero-head{display:flex;gap:14px;align-items:center}
.eyebrow{font-size:11px;text-transform:uppercase;letter-spacing:.08em;color:var(--muted)}
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
