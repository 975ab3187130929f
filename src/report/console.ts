import type { RunResult, RunVerdict } from '../verdict/result.js';
import {
  describeStop,
  formatAccuracy,
  formatBurnRates,
  formatClassShares,
  formatCount,
  formatDuration,
  formatMeasured,
  formatMissing,
  formatNumber,
  formatPercent,
  qualityWindows,
  verdictCounts,
} from './format.js';

export interface ConsoleSummaryOptions {
  /** Wrap verdict words in ANSI colours; the caller decides from isTTY/NO_COLOR. */
  color?: boolean;
  /** Report files to point at, as the caller wants them shown (usually relative to the cwd). */
  reportFiles?: readonly string[];
  /** Evidence of non-passing SLOs is cut to this many characters to keep the block short. */
  evidenceWidth?: number;
}

const ANSI: Record<RunVerdict, string> = {
  PASS: '\u001b[32m',
  FAIL: '\u001b[31m',
  INCONCLUSIVE: '\u001b[33m',
  'DRY-RUN': '\u001b[36m',
};
const RESET = '\u001b[0m';

/** The block printed at the end of a run: the verdict first, then one line per SLO. */
export function renderConsoleSummary(result: RunResult, opts: ConsoleSummaryOptions = {}): string {
  const paint = (verdict: RunVerdict, text: string): string =>
    opts.color ? `${ANSI[verdict]}${text}${RESET}` : text;
  const width = opts.evidenceWidth ?? 160;
  const counts = verdictCounts(result.slos);
  const context = result.cluster.context ?? 'current context';

  const lines = [
    `chaos ${paint(result.verdict, result.verdict)}: ${clean(result.scenario.name)} (exit ${result.exitCode})`,
    `run ${clean(result.runId)}, ${formatDuration(result.durationS)}, ${clean(context)}/${clean(result.cluster.namespace)}, seed ${result.seed}`,
  ];
  if (result.stoppedBy) lines.push(clean(describeStop(result.stoppedBy)));
  if (result.verdict !== 'DRY-RUN')
    lines.push(`SLOs: ${counts.PASS} pass, ${counts.FAIL} fail, ${counts.INCONCLUSIVE} inconclusive`);

  const rows = result.slos.map((slo) => ({
    slo,
    id: clean(slo.id),
    measured: clean(formatMeasured(slo)),
    threshold: clean(slo.threshold),
  }));
  const idWidth = Math.max(0, ...rows.map((r) => r.id.length));
  const measuredWidth = Math.max(0, ...rows.map((r) => r.measured.length));
  for (const r of rows) {
    const verdict = paint(r.slo.verdict, r.slo.verdict.padEnd('INCONCLUSIVE'.length));
    lines.push(
      `  ${verdict}  ${r.id.padEnd(idWidth)}  ${r.measured.padEnd(measuredWidth)}  vs ${r.threshold}  [${r.slo.window}]`,
    );
    if (r.slo.verdict !== 'PASS') lines.push(`      ${truncate(clean(r.slo.evidence), width)}`);
  }
  if (result.slos.length === 0)
    lines.push(result.verdict === 'DRY-RUN' ? '  (a dry run judges no SLO)' : '  (no SLOs were evaluated)');

  // The answers behind the quality SLOs, so a reader sees what was judged without opening result.json.
  const answered = qualityWindows(result.windows);
  if (answered.length > 0) {
    lines.push('answers:');
    const nameWidth = Math.max(...answered.map((w) => w.window.length));
    for (const w of answered) {
      const q = w.quality;
      lines.push(
        `  ${w.window.padEnd(nameWidth)}  ${formatCount(q.answers)} answers, ${clean(formatMissing(q.missing))} without; ` +
          `classes ${clean(formatClassShares(q.classes))}; ${formatCount(q.goldenAnswers)} golden, accuracy ${formatAccuracy(q)}`,
      );
    }
  }

  const thresholds = result.thresholds ?? [];
  if (thresholds.length > 0) {
    const crossed = thresholds.filter((t) => !t.ok).length;
    lines.push(`k6 thresholds: ${thresholds.length - crossed} held, ${crossed} crossed`);
    const metricWidth = Math.max(...thresholds.map((t) => clean(t.metric).length));
    for (const t of thresholds) {
      const verdict = t.ok ? paint('PASS', 'held'.padEnd(7)) : paint('FAIL', 'CROSSED');
      lines.push(`  ${verdict}  ${clean(t.metric).padEnd(metricWidth)}  ${clean(t.expression)}`);
    }
  }

  if (result.reasons.length > 0) {
    lines.push('reasons:');
    for (const reason of result.reasons) lines.push(`  - ${clean(reason)}`);
  }
  // The SLO lines above already carry each trace's bottleneck; only a backend that did not answer is news here.
  if (result.traces?.problem) lines.push(`traces: ${truncate(clean(result.traces.problem), width)}`);
  if (result.errorBudget) {
    const b = result.errorBudget;
    lines.push(
      `error budget: ${formatPercent(b.consumed)} consumed (${b.errors}/${b.requests} errors against a ${formatNumber(b.slo * 100, 3)}% SLO)`,
    );
  }
  if (result.burnRate) {
    const r = result.burnRate;
    lines.push(
      `burn rate: ${formatBurnRates(r)} (× the budget rate of the ${formatNumber(r.slo * 100, 3)}% objective, ${r.from}; 1× spends exactly the budget over the SLO period)`,
    );
  }
  if (opts.reportFiles && opts.reportFiles.length > 0) {
    lines.push(`reports: ${opts.reportFiles.join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Evidence quotes pod logs; an escape sequence in there would repaint the operator's terminal, and a newline would
 * break the one-line-per-SLO shape.
 */
function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\r?\n|\r|\t/g, ' ').replace(/[\u0000-\u001F\u007F-\u009F]/g, '');
}

function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 3))}...`;
}
