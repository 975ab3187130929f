import type { RunResult, RunVerdict, SloResult, ThresholdResult } from '../verdict/result.js';
import { renderConsoleSummary } from './console.js';
import { escapeXml, escapeXmlAttr } from './escape.js';
import { faultStatus, formatMeasured, qualityWindows, windowFor } from './format.js';

/**
 * JUnit XML for CI test tabs: one <testsuite> per scenario run, one <testcase> per SLO named by its id and one
 * per k6 threshold (a crossed one is a <failure>, as it fails the run).
 *
 * INCONCLUSIVE is written as <error>, not <skipped>. Jenkins, GitLab, Azure DevOps and the common GitHub junit
 * actions all count <skipped> as "not a failure" and keep the build green, which would let a run whose fault never
 * landed (or whose metrics were lost) pass the gate. <error> is rendered as not-passed everywhere, and its
 * separate counter still tells a reviewer "could not judge" apart from "judged and failed".
 *
 * A dry run (verdict DRY-RUN, exit 0) is the one <skipped> case: it judged nothing, and its gate is green.
 *
 * The shape is the intersection of the two schemas strict consumers check (committed with their origin in
 * test/fixtures/junit-schemas/): Jenkins xUnit's junit-10.xsd and the Ant JUnit schema. Ant allows no attribute
 * on <testsuites>, so the totals are on each <testsuite> only; neither allows testcase@file, and Ant not
 * testsuite@file either (the scenario file is the chaos.scenario.file property); Ant requires <system-out> and
 * <system-err>, in that order, after the testcases, and at most one failure, error or skipped per testcase.
 */
export function renderJunit(results: RunResult | readonly RunResult[]): string {
  const runs: readonly RunResult[] = isRunArray(results) ? results : [results];
  const suites = runs.map((run, index) => buildSuite(run, index));
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<testsuites>',
    ...suites.map((s) => s.xml),
    '</testsuites>',
    '',
  ].join('\n');
}

function isRunArray(value: RunResult | readonly RunResult[]): value is readonly RunResult[] {
  return Array.isArray(value);
}

interface Testcase {
  name: string;
  verdict: RunVerdict;
  kind: string;
  time: number;
  message: string;
  detail: string;
}

function buildSuite(run: RunResult, index: number): { xml: string } {
  const cases: Testcase[] = [
    ...run.slos.map((slo) => sloCase(run, slo)),
    ...(run.thresholds ?? []).map((t) => thresholdCase(run, t)),
  ];
  const runCase = runVerdictCase(run, cases);
  if (runCase !== null) cases.push(runCase);

  const failures = cases.filter((c) => c.verdict === 'FAIL').length;
  const errors = cases.filter((c) => c.verdict === 'INCONCLUSIVE').length;
  const skipped = cases.filter((c) => c.verdict === 'DRY-RUN').length;
  const classname = `chaos.${run.scenario.name}`;
  const attrs = [
    attr('name', run.scenario.name),
    attr('tests', String(cases.length)),
    attr('failures', String(failures)),
    attr('errors', String(errors)),
    attr('skipped', String(skipped)),
    attr('time', seconds(run.durationS)),
    attr('timestamp', junitTimestamp(run.startedAt)),
    // A non-empty token for Ant's schema; a run without a context (in a pod) has none.
    attr('hostname', nonEmpty(run.cluster.context) ?? 'unknown'),
    attr('id', String(index)),
    attr('package', 'chaos'),
  ].join(' ');

  const lines = [`  <testsuite ${attrs}>`, '    <properties>'];
  for (const [name, value] of properties(run)) {
    lines.push(`      <property ${attr('name', name)} ${attr('value', value)}/>`);
  }
  lines.push('    </properties>');
  for (const c of cases) {
    const caseAttrs = [
      attr('name', c.name),
      attr('classname', classname),
      attr('time', seconds(c.time)),
    ].join(' ');
    if (c.verdict === 'PASS') {
      lines.push(`    <testcase ${caseAttrs}/>`);
      continue;
    }
    if (c.verdict === 'DRY-RUN') {
      lines.push(
        `    <testcase ${caseAttrs}>`,
        `      <skipped ${attr('message', c.message)}/>`,
        '    </testcase>',
      );
      continue;
    }
    const tag = c.verdict === 'FAIL' ? 'failure' : 'error';
    const type = c.verdict === 'FAIL' ? c.kind : 'INCONCLUSIVE';
    lines.push(
      `    <testcase ${caseAttrs}>`,
      `      <${tag} ${attr('message', c.message)} ${attr('type', type)}>${escapeXml(c.detail)}</${tag}>`,
      '    </testcase>',
    );
  }
  lines.push(
    `    <system-out>${escapeXml(systemOut(run))}</system-out>`,
    '    <system-err/>',
    '  </testsuite>',
  );
  return { xml: lines.join('\n') };
}

function sloCase(run: RunResult, slo: SloResult): Testcase {
  const win = windowFor(run, slo.window);
  const detail = [
    `SLO ${slo.id} (${slo.kind}) over the ${slo.window} window: ${slo.verdict}`,
    `measured:  ${formatMeasured(slo)}`,
    `threshold: ${slo.threshold}`,
    `evidence:  ${slo.evidence}`,
  ].join('\n');
  return {
    name: slo.id,
    verdict: slo.verdict,
    kind: slo.kind,
    // An SLO has no duration of its own; the window it was judged over is the time its evidence covers.
    time: win ? Math.max(0, win.endOffsetS - win.startOffsetS) : 0,
    message: slo.evidence,
    detail,
  };
}

function thresholdCase(run: RunResult, t: ThresholdResult): Testcase {
  const win = windowFor(run, 'all');
  const verdict: RunVerdict = t.ok ? 'PASS' : 'FAIL';
  return {
    name: `k6 threshold ${t.metric} ${t.expression}`,
    verdict,
    kind: 'k6Threshold',
    // k6 judges a threshold over the whole load.
    time: win ? Math.max(0, win.endOffsetS - win.startOffsetS) : 0,
    message: `k6 threshold ${t.expression} on ${t.metric} ${t.ok ? 'held' : 'crossed'}`,
    detail: `k6 threshold on ${t.metric}: ${t.expression} — ${t.ok ? 'held' : 'crossed (k6 exit 99)'}`,
  };
}

/**
 * The run verdict can be worse than every SLO verdict: an unconfirmed fault, an interrupted run or a run that
 * never measured anything. Without an extra case the suite would show green while the gate exits non-zero.
 */
function runVerdictCase(run: RunResult, cases: readonly Testcase[]): Testcase | null {
  if (run.verdict === 'PASS') return null;
  if (cases.some((c) => c.verdict === run.verdict)) return null;
  const unconfirmed = run.faults.filter((f) => !f.confirmed).map((f) => `${f.type}: ${f.description}`);
  const why =
    run.reasons.length > 0 ? run.reasons : unconfirmed.length > 0 ? unconfirmed : ['no reason recorded'];
  return {
    name: 'run-verdict',
    verdict: run.verdict,
    kind: 'run',
    time: run.durationS,
    message: `run ${run.verdict} (exit ${run.exitCode}): ${why.join('; ')}`,
    detail: [`run verdict ${run.verdict}, exit code ${run.exitCode}`, ...why.map((r) => `- ${r}`)].join('\n'),
  };
}

function properties(run: RunResult): Array<[string, string]> {
  const props: Array<[string, string]> = [
    ['chaos.schemaVersion', run.schemaVersion],
    ['chaos.runId', run.runId],
    ['chaos.verdict', run.verdict],
    ['chaos.exitCode', String(run.exitCode)],
    ['chaos.startedAt', run.startedAt],
    ['chaos.finishedAt', run.finishedAt],
    ['chaos.seed', String(run.seed)],
    ['chaos.timeScale', String(run.timeScale)],
    ['chaos.cluster.context', run.cluster.context ?? ''],
    ['chaos.cluster.namespace', run.cluster.namespace],
    ['chaos.scenario.file', run.scenario.file],
  ];
  for (const [key, value] of Object.entries(run.scenario.labels).sort(([a], [b]) => a.localeCompare(b))) {
    props.push([`chaos.label.${key}`, value]);
  }
  if (run.errorBudget) {
    props.push(['chaos.errorBudget.consumed', String(run.errorBudget.consumed)]);
  }
  // Raw counts, so a CI dashboard can chart answers across runs; the quality SLOs are the testcases.
  for (const w of qualityWindows(run.windows)) {
    const q = w.quality;
    const prefix = `chaos.quality.${w.window}`;
    const missing = Object.entries(q.missing).sort(([a], [b]) => a.localeCompare(b));
    props.push([`${prefix}.answers`, String(q.answers)]);
    props.push([`${prefix}.missing`, String(missing.reduce((n, [, c]) => n + c, 0))]);
    for (const [reason, n] of missing) props.push([`${prefix}.missing.${reason}`, String(n)]);
    for (const [label, n] of Object.entries(q.classes).sort(([a], [b]) => a.localeCompare(b))) {
      props.push([`${prefix}.class.${label}`, String(n)]);
    }
    props.push([`${prefix}.goldenAnswers`, String(q.goldenAnswers)]);
    // Absent rather than empty without labels: an empty value would read as a measured accuracy of nothing.
    if (q.accuracy !== null) props.push([`${prefix}.accuracy`, String(q.accuracy)]);
  }
  return props;
}

function systemOut(run: RunResult): string {
  const lines = [renderConsoleSummary(run).trimEnd()];
  if (run.faults.length > 0) {
    lines.push('', 'faults:');
    for (const f of run.faults) {
      lines.push(`  ${f.type} [${faultStatus(f)}] ${f.description}`);
      if (f.injectedAt) lines.push(`    injected ${f.injectedAt}`);
      if (f.revertedAt) lines.push(`    reverted ${f.revertedAt}`);
      for (const note of f.notes) lines.push(`    note: ${note}`);
    }
  }
  return `\n${lines.join('\n')}\n    `;
}

function attr(name: string, value: string): string {
  return `${name}="${escapeXmlAttr(value)}"`;
}

/** Both schemas want an unsigned decimal (Jenkins' pattern has no sign, no exponent). */
function seconds(value: number): string {
  return Number.isFinite(value) && value > 0 ? value.toFixed(3) : '0.000';
}

function nonEmpty(value: string | null | undefined): string | undefined {
  return value !== null && value !== undefined && value.trim() !== '' ? value : undefined;
}

/**
 * The JUnit XSD types timestamp as a dateTime without zone or fraction, and strict consumers reject anything else.
 * The value is UTC; the exact original is kept in the chaos.startedAt property.
 */
function junitTimestamp(iso: string): string {
  const ms = Date.parse(iso);
  // The attribute is required by Ant's schema; an unreadable start (never written by a run) becomes the epoch.
  if (!Number.isFinite(ms)) return '1970-01-01T00:00:00';
  return new Date(ms).toISOString().slice(0, 19);
}
