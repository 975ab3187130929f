import { describe, expect, it } from 'vitest';
import { renderMarkdownSummary } from '../../../src/report/markdown.js';
import { makeRunResult } from './fixture.js';

/** Rows of the table that follows `### heading`, header and delimiter excluded. */
function tableRows(md: string, heading: string): string[][] {
  const lines = md.split('\n');
  const start = lines.indexOf(`### ${heading}`);
  if (start < 0) throw new Error(`no section ${heading}`);
  const rows: string[][] = [];
  let i = start + 1;
  while (lines[i] === '') i++;
  for (; i < lines.length && lines[i]?.startsWith('|'); i++) rows.push(splitRow(lines[i] ?? ''));
  return rows.slice(2);
}

/** Splits on unescaped pipes, as GitHub does. */
function splitRow(line: string): string[] {
  return line
    .slice(1, -1)
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

describe('renderMarkdownSummary', () => {
  const result = makeRunResult();
  const md = renderMarkdownSummary(result);

  it('leads with the verdict as a word, no emoji', () => {
    const [headline, , verdictLine] = md.split('\n');
    expect(headline).toBe('## chaos FAIL: pod-kill-under-load');
    expect(verdictLine).toContain('**Verdict: FAIL** (exit code 1)');
    expect(verdictLine).toContain('3 passed, 1 failed, 1 inconclusive');
    expect(md).not.toMatch(/\p{Extended_Pictographic}/u);
  });

  it('has one SLO table row per SLO with six cells each', () => {
    const rows = tableRows(md, 'SLOs');
    expect(rows).toHaveLength(result.slos.length);
    expect(rows.every((r) => r.length === 6)).toBe(true);
    expect(rows.map((r) => r[0])).toEqual(result.slos.map((s) => s.id));
    const failed = rows.find((r) => r[0] === 'latency-p99-fault');
    expect(failed).toEqual([
      'latency-p99-fault',
      'fault',
      '431.7 ms',
      '<= 300 ms',
      '**FAIL**',
      expect.stringContaining('was \\<terminating> & endpoints reported "2/3" ready') as string,
    ]);
    expect(rows.find((r) => r[0] === 'prediction-agreement-fault')?.[2]).toBe('not measured');
  });

  it('keeps hostile evidence inside its cell', () => {
    const run = makeRunResult();
    const slo = run.slos[0];
    if (!slo) throw new Error('fixture changed');
    run.slos = [{ ...slo, evidence: 'a | b\nc *d* _e_ [x](y) <img src=x> `code` &amp;' }];
    const rows = tableRows(renderMarkdownSummary(run), 'SLOs');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toHaveLength(6);
    expect(rows[0]?.[5]).toBe('a \\| b<br>c \\*d\\* \\_e\\_ \\[x\\](y) \\<img src=x> \\`code\\` \\&amp;');
  });

  it('has faults and window tables', () => {
    const faults = tableRows(md, 'Faults');
    expect(faults).toHaveLength(1);
    expect(faults[0]?.[0]).toBe('pod-kill');
    expect(faults[0]?.[2]).toBe('t+40.2s (2026-11-23T15:30:40.200Z)');
    expect(faults[0]?.[3]).toBe('t+58s (2026-11-23T15:30:58.000Z)');
    const windows = tableRows(md, 'Windows');
    expect(windows.map((w) => w[0])).toEqual(['baseline', 'fault', 'recovery']);
    expect(windows[1]?.[3]).toBe('22');
  });

  it('links the report files and triage artifacts in triage order', () => {
    const links = [...md.matchAll(/^- \[([^\]]+)\]\(<([^>]+)>\)(.*)$/gm)].map((m) => [m[2], m[3]]);
    expect(links).toEqual([
      ['report.html', ': charts, fault markers and the event timeline'],
      ['result.json', ': the full result (schema chaos.result/v2)'],
      ['junit.xml', ': one test case per SLO'],
      ['triage/1-service.txt', ' (triage-1)'],
      ['triage/2-endpoints.txt', ' (triage-2)'],
      ['triage/3-pods.txt', ' (triage-3)'],
      ['triage/4-events.txt', ' (triage-4)'],
      ['triage/logs/fraud-scorer-7d4b9f-mp9wz.server.current.log', ' (triage-6)'],
      ['triage/logs/fraud-scorer-7d4b9f-q8w2n.server.current.log', ' (triage-5)'],
      ['k6-raw.ndjson', ' (k6Raw)'],
    ]);
  });

  it('prefixes links with artifactBaseUrl and refuses absolute artifact paths', () => {
    const run = makeRunResult({
      artifacts: { evil: 'javascript:alert(1)', abs: '/etc/passwd', spaced: 'triage/my pods.txt' },
    });
    const out = renderMarkdownSummary(run, { artifactBaseUrl: 'https://ci.example/artifacts/' });
    expect(out).toContain('[report.html](<https://ci.example/artifacts/report.html>)');
    expect(out).toContain(
      '[triage/my pods.txt](<https://ci.example/artifacts/triage/my%20pods.txt>) (spaced)',
    );
    expect(out).toContain('- javascript:alert(1) (evil)');
    expect(out).toContain('- /etc/passwd (abs)');
  });

  it('lists reasons and omits empty sections gracefully', () => {
    const run = makeRunResult({
      verdict: 'INCONCLUSIVE',
      reasons: ['fault pod-kill matched no pods', '- not a list'],
      faults: [],
      windows: [],
      slos: [],
      errorBudget: null,
      burnRate: null,
    });
    const out = renderMarkdownSummary(run);
    expect(out).toContain('### Reasons\n\n- fault pod-kill matched no pods\n- \\- not a list\n');
    expect(out).toContain('No SLOs were evaluated.');
    expect(out).toContain('No faults were injected.');
    expect(out).toContain('No load windows were recorded.');
    expect(out).not.toContain('### Error budget');
    expect(out).not.toContain('burn rate');
  });

  it('reports the burn rate per window', () => {
    expect(md).toContain('### Error-budget burn rate');
    expect(md).toContain('| fault | 2,010 | 22 | 1.09% | 10.9× |');
    expect(md).toContain('| baseline | 2,000 | 0 | 0% | 0× |');
  });

  it('reports the error budget', () => {
    expect(md).toContain(
      '382.9% of the error budget consumed: 23 errors in 6,006 requests against a 99.9% objective.',
    );
  });
});
