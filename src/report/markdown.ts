import { describeBottleneck } from '../observe/traces.js';
import type { RunResult } from '../verdict/result.js';
import { escapeMarkdownCell, escapeMarkdownInline, relativeHref } from './escape.js';
import {
  describeCriticalPath,
  describeStop,
  exemplarsCause,
  traceFiles,
  REPORT_FILES,
  faultStatus,
  formatAccuracy,
  formatClassShares,
  formatCount,
  formatBurn,
  formatDuration,
  formatMeasured,
  formatMissing,
  formatMs,
  formatNumber,
  formatOffset,
  formatPercent,
  formatStatusCounts,
  orderedArtifacts,
  orderedWindows,
  qualityWindows,
  verdictCounts,
} from './format.js';
import { loadStartEpochMs, offsetOf } from './timing.js';

export interface MarkdownOptions {
  /**
   * Prefix for artifact links, e.g. the CI artifact browser URL. Without it links stay relative to the report
   * directory, which is right when summary.md is read next to the other files.
   */
  artifactBaseUrl?: string;
}

/** summary.md, shaped for $GITHUB_STEP_SUMMARY: headline, SLO table, faults, windows, reasons, links. */
export function renderMarkdownSummary(result: RunResult, opts: MarkdownOptions = {}): string {
  const md = escapeMarkdownInline;
  const cell = escapeMarkdownCell;
  const counts = verdictCounts(result.slos);
  const loadStart = loadStartEpochMs(result);
  const out: string[] = [];
  const base = opts.artifactBaseUrl?.replace(/\/+$/, '');
  const link = (text: string, path: string): string => {
    const href = relativeHref(path);
    if (href === null) return md(path);
    const target = base === undefined ? href : `${base}/${href}`;
    // Angle brackets let the destination hold characters markdown would otherwise end the link on.
    return `[${md(text)}](<${target.replace(/[<>]/g, encodeURIComponent)}>)`;
  };

  out.push(`## chaos ${result.verdict}: ${md(result.scenario.name)}`, '');
  out.push(
    `**Verdict: ${result.verdict}** (exit code ${result.exitCode}). ` +
      `SLOs: ${counts.PASS} passed, ${counts.FAIL} failed, ${counts.INCONCLUSIVE} inconclusive.`,
    '',
  );
  const context = result.cluster.context === null ? 'current context' : md(result.cluster.context);
  out.push(
    `Run ${md(result.runId)}, started ${md(result.startedAt)}, lasted ${formatDuration(result.durationS)}; ` +
      `cluster ${context}, namespace ${md(result.cluster.namespace)}; seed ${result.seed}, time scale ${formatNumber(result.timeScale)}.`,
    '',
  );
  if (result.scenario.description.trim() !== '') {
    out.push(`> ${md(result.scenario.description.trim()).replace(/\r?\n/g, '\n> ')}`, '');
  }

  if (result.stoppedBy) out.push(`**${md(describeStop(result.stoppedBy))}**`, '');
  if (result.reasons.length > 0) {
    out.push('### Reasons', '');
    for (const reason of result.reasons) out.push(`- ${md(reason).replace(/\r?\n/g, ' ')}`);
    out.push('');
  }

  out.push('### SLOs', '');
  if (result.slos.length === 0) {
    out.push('No SLOs were evaluated.', '');
  } else {
    out.push(
      '| SLO | Window | Measured | Threshold | Verdict | Evidence |',
      '| --- | --- | ---: | --- | --- | --- |',
    );
    for (const slo of result.slos) {
      out.push(
        row([
          cell(slo.id),
          slo.window,
          cell(formatMeasured(slo)),
          cell(slo.threshold),
          slo.verdict === 'PASS' ? 'PASS' : `**${slo.verdict}**`,
          cell(slo.evidence),
        ]),
      );
    }
    out.push('');
  }
  // Absent, not even a blank line, without exemplars: a result without traces renders as it did.
  out.push(...traceExemplars(result, link));

  if (result.errorBudget) {
    const b = result.errorBudget;
    out.push(
      '### Error budget',
      '',
      `${formatPercent(b.consumed)} of the error budget consumed: ${formatCount(b.errors)} errors in ` +
        `${formatCount(b.requests)} requests against a ${formatNumber(b.slo * 100, 3)}% objective.`,
      '',
    );
  }

  if (result.burnRate) {
    const r = result.burnRate;
    out.push(
      '### Error-budget burn rate',
      '',
      `Each window's error rate as a multiple of the rate the ${formatNumber(r.slo * 100, 3)}% objective (\`${r.from}\`) allows: ` +
        '1× spends exactly the budget over the SLO period, 14.4× spends 2 % of a 30-day budget in an hour.',
      '',
      '| window | requests | errors | error rate | burn rate |',
      '| --- | --- | --- | --- | --- |',
      ...r.windows.map(
        (w) =>
          `| ${w.window} | ${formatCount(w.requests)} | ${formatCount(w.errors)} | ${formatPercent(w.errorRate)} | ${formatBurn(w.burnRate)} |`,
      ),
      '',
    );
  }

  out.push('### Faults', '');
  if (result.faults.length === 0) {
    out.push('No faults were injected.', '');
  } else {
    out.push(
      '| Fault | Description | Injected | Reverted | Status | Targets |',
      '| --- | --- | --- | --- | --- | --- |',
    );
    for (const f of result.faults) {
      const when = (iso: string | null): string =>
        iso === null ? 'never' : `${formatOffset(offsetOf(iso, loadStart))} (${cell(iso)})`;
      const status = f.confirmed ? faultStatus(f) : `**${faultStatus(f)}**`;
      const notes = f.notes.length > 0 ? `<br>${f.notes.map((n) => cell(n)).join('<br>')}` : '';
      out.push(
        row([
          cell(f.type),
          `${cell(f.description)}${notes}`,
          (f.injections ?? [f.injectedAt]).map(when).join('<br>'),
          f.revertedAt === null && f.nothingToRevert !== undefined ? 'nothing to revert' : when(f.revertedAt),
          status,
          f.targets.length > 0 ? f.targets.map(cell).join('<br>') : 'none',
        ]),
      );
    }
    out.push('');
  }

  out.push('### Windows', '');
  if (result.windows.length === 0) {
    out.push('No load windows were recorded.', '');
  } else {
    out.push(
      '| Window | Span | Requests | Failed | Error rate | RPS | p50 | p95 | p99 | Max | Status codes |',
      '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    );
    for (const w of orderedWindows(result.windows)) {
      out.push(
        row([
          w.window,
          `${formatOffset(w.startOffsetS)} to ${formatOffset(w.endOffsetS)}`,
          formatCount(w.requests),
          formatCount(w.failed),
          formatPercent(w.errorRate),
          formatNumber(w.rps, 1),
          formatMs(w.p50Ms),
          formatMs(w.p95Ms),
          formatMs(w.p99Ms),
          formatMs(w.maxMs),
          cell(formatStatusCounts(w.statusCounts)),
        ]),
      );
    }
    out.push('');
  }

  const answered = qualityWindows(result.windows);
  if (answered.length > 0) {
    out.push(
      '### Answers',
      '',
      '| Window | Answers | Without an answer | Class shares | Golden answers | Accuracy |',
      '| --- | ---: | --- | --- | ---: | ---: |',
    );
    for (const w of answered) {
      const q = w.quality;
      out.push(
        row([
          w.window,
          formatCount(q.answers),
          cell(formatMissing(q.missing)),
          cell(formatClassShares(q.classes)),
          formatCount(q.goldenAnswers),
          formatAccuracy(q),
        ]),
      );
    }
    out.push('');
  }

  const server = result.prometheus?.serverSide;
  if (server) {
    out.push(
      '### Server side (Prometheus)',
      '',
      '| Window | k6 sent | Servers counted | Connection errors (k6) | Unexplained | Server p95 | Server 5xx | |',
      '| --- | ---: | ---: | --- | ---: | ---: | ---: | --- |',
    );
    for (const r of server.reconciliation) {
      const c = server.checks.find((x) => x.window === r.window);
      const errors = Object.entries(r.connectionErrorsByCode)
        .map(([k, n]) => `${k} ${formatCount(n)}`)
        .join(', ');
      out.push(
        row([
          r.window,
          formatCount(r.sent),
          formatCount(r.counted),
          cell(errors ? `${formatCount(r.connectionErrors)} (${errors})` : '0'),
          `${formatCount(r.unexplained)} (${formatPercent(r.unexplainedShare)})`,
          formatMs(c?.p95Ms ?? null),
          c?.errorRatio === null || c?.errorRatio === undefined ? '–' : formatPercent(c.errorRatio),
          r.flagged ? `⚠ unexplained gap beyond ${formatCount(r.tolerance)}` : '',
        ]),
      );
    }
    for (const p of server.problems) out.push('', `- ${md(p).replace(/\r?\n/g, ' ')}`);
    out.push('');
  }

  out.push('### Artifacts', '');
  out.push(`- ${link(REPORT_FILES.html, REPORT_FILES.html)}: charts, fault markers and the event timeline`);
  out.push(
    `- ${link(REPORT_FILES.json, REPORT_FILES.json)}: the full result (schema ${md(result.schemaVersion)})`,
  );
  out.push(`- ${link(REPORT_FILES.junit, REPORT_FILES.junit)}: one test case per SLO`);
  for (const [name, path] of orderedArtifacts(result.artifacts)) {
    out.push(name === path ? `- ${link(path, path)}` : `- ${link(path, path)} (${md(name)})`);
  }
  out.push('');
  return out.join('\n');
}

/**
 * Per SLO that asked for exemplars: which requests they are and, per trace, where its time went (the critical
 * path's largest step), the path itself, and the span that errored. The SLO table's evidence already ends with the
 * first trace's bottleneck; this is the detail behind it.
 */
function traceExemplars(result: RunResult, link: (text: string, path: string) => string): string[] {
  const traced = result.slos.filter((s) => s.traces !== undefined);
  const runProblem = result.traces?.problem ?? null;
  if (traced.length === 0 && runProblem === null) return [];
  const md = escapeMarkdownInline;
  const text = (t: string): string => md(t, false).replace(/\r?\n/g, ' ');
  const files = traceFiles(result.artifacts);
  const id = (traceId: string): string => {
    const file = files.get(traceId);
    if (file !== undefined) return link(traceId, file);
    return /^[0-9a-f]+$/i.test(traceId) ? `\`${traceId}\`` : text(traceId);
  };
  const out: string[] = ['### Trace exemplars', ''];
  if (runProblem !== null) out.push(`**Trace backend:** ${text(runProblem)}`, '');
  else if (result.traces) {
    const t = result.traces;
    out.push(
      `From the trace backend at ${text(t.url)}: ${formatCount(t.fetched)} traces fetched` +
        (t.missing > 0 ? `, ${formatCount(t.missing)} not held` : '') +
        '.',
      '',
    );
  }
  for (const slo of traced) {
    const t = slo.traces!;
    out.push(`**${text(slo.id)}** (${slo.window} window, ${slo.verdict}): ${exemplarsCause(t)}.`, '');
    for (const e of t.exemplars) {
      const s = e.summary;
      out.push(
        `- trace ${id(e.traceId)}: ${formatMs(e.ms)}, ${e.status === '0' ? 'no response' : `status ${text(e.status)}`}, ended ${formatOffset(e.offsetS)}`,
        `  - where the time went: ${text(describeBottleneck(s))}`,
      );
      if (s.criticalPath.length > 0)
        out.push(`  - critical path: ${text(describeCriticalPath(s.criticalPath))}`);
      if (s.errorSpan) {
        const err = s.errorSpan;
        out.push(
          `  - error span: ${text(`${err.service} › ${err.operation}`)}${err.message ? `: ${text(err.message)}` : ''}`,
        );
      }
    }
    if (t.missing.length > 0) out.push(`- not held by the trace backend: ${t.missing.map(id).join(', ')}`);
    if (t.problem !== null)
      out.push(`- ${t.problem === runProblem ? 'exemplars could not be fetched (above)' : text(t.problem)}`);
    out.push('');
  }
  return out;
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}
