import { describe, expect, it } from 'vitest';
import { renderConsoleSummary } from '../../../src/report/console.js';
import { makeRunResult } from './fixture.js';

describe('renderConsoleSummary', () => {
  const result = makeRunResult();
  const text = renderConsoleSummary(result);
  const lines = text.trimEnd().split('\n');

  it('starts with the verdict and has one line per SLO', () => {
    expect(lines[0]).toBe('chaos FAIL: pod-kill-under-load (exit 1)');
    const sloLines = lines.filter((l) => /^ {2}(PASS|FAIL|INCONCLUSIVE) /.test(l));
    expect(sloLines).toHaveLength(result.slos.length);
    expect(sloLines[1]).toMatch(/^ {2}FAIL {10}latency-p99-fault +431\.7 ms +vs <= 300 ms {2}\[fault\]$/);
    expect(sloLines[4]).toMatch(
      /INCONCLUSIVE {2}prediction-agreement-fault {2}not measured {2}vs >= 99 % {2}\[fault\]/,
    );
  });

  it('explains non-passing SLOs on an indented line, truncated', () => {
    const failIndex = lines.findIndex((l) => l.includes('latency-p99-fault'));
    expect(lines[failIndex + 1]?.startsWith('      p99 431.7 ms')).toBe(true);
    expect(lines[failIndex + 1]?.length).toBeLessThanOrEqual(6 + 160);
    expect(lines[failIndex + 1]?.endsWith('...')).toBe(true);
  });

  it('has no colour unless asked, and colours verdict words when asked', () => {
    expect(text).not.toContain('\u001b');
    const coloured = renderConsoleSummary(result, { color: true });
    expect(coloured).toContain('\u001b[31mFAIL\u001b[0m');
    expect(coloured).toContain('\u001b[32mPASS');
  });

  it('strips control sequences from quoted text', () => {
    const run = makeRunResult({ reasons: ['pod log said \u001b[2J\u001b[Hgotcha\nsecond line'] });
    const out = renderConsoleSummary(run);
    expect(out).toContain('  - pod log said [2J[Hgotcha second line');
    expect(out).not.toContain('\u001b');
  });

  it('lists reasons, error budget and report files', () => {
    const out = renderConsoleSummary(makeRunResult({ reasons: ['interrupted'] }), {
      reportFiles: ['reports/x/report.html', 'reports/x/junit.xml'],
    });
    expect(out).toContain('reasons:\n  - interrupted\n');
    expect(out).toContain('error budget: 382.9% consumed (23/6006 errors against a 99.9% SLO)');
    expect(out).toContain(
      'burn rate: baseline 0×, fault 10.9×, recovery 0.5× (× the budget rate of the 99.9% objective, error-rate-all;',
    );
    expect(out.trimEnd().split('\n').at(-1)).toBe('reports: reports/x/report.html, reports/x/junit.xml');
  });

  it('says so when nothing was evaluated', () => {
    expect(renderConsoleSummary(makeRunResult({ slos: [] }))).toContain('(no SLOs were evaluated)');
  });

  it('lists k6 thresholds, held and crossed, when there are any', () => {
    const out = renderConsoleSummary(
      makeRunResult({
        thresholds: [
          { metric: 'http_req_duration', expression: 'p(95)<250', ok: false },
          { metric: 'http_req_failed', expression: 'rate<0.01', ok: true },
        ],
      }),
    );
    expect(out).toContain(
      [
        'k6 thresholds: 1 held, 1 crossed',
        '  CROSSED  http_req_duration  p(95)<250',
        '  held     http_req_failed    rate<0.01',
      ].join('\n'),
    );
    expect(text).not.toContain('k6 thresholds');
  });
});
