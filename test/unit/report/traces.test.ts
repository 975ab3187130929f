import { describe, expect, it } from 'vitest';
import { renderConsoleSummary } from '../../../src/report/console.js';
import { renderHtmlReport } from '../../../src/report/html.js';
import { renderMarkdownSummary } from '../../../src/report/markdown.js';
import { makeQualityRunResult, makeRunResult } from './fixture.js';
import {
  BACKEND_DOWN,
  EVIL_OPERATION,
  FAILED_1,
  MISSING,
  SLOW_1,
  SLOW_2,
  makeBackendDownRunResult,
  makeTracedRunResult,
} from './trace-fixture.js';
import { findAll, parseXml, type XmlElement } from './xml.js';

/** The lines of `### heading` up to the next heading. */
function section(md: string, heading: string): string {
  const start = md.indexOf(`### ${heading}\n`);
  if (start < 0) throw new Error(`no section ${heading}`);
  const end = md.indexOf('\n### ', start + 1);
  return md.slice(start, end < 0 ? undefined : end + 1);
}

function waterfalls(html: string): XmlElement[] {
  return [...html.matchAll(/<svg class="chart waterfall"[\s\S]*?<\/svg>/g)].map((m) => parseXml(m[0]));
}

function tracesCard(html: string): string {
  const m = /<section class="card" id="traces">[\s\S]*?<\/section>/.exec(html);
  if (!m) throw new Error('no trace card');
  return m[0];
}

describe('trace exemplars in summary.md', () => {
  const result = makeTracedRunResult();
  const md = renderMarkdownSummary(result);

  it('follows the SLO table, before the error budget', () => {
    const headings = [...md.matchAll(/^### (.+)$/gm)].map((m) => m[1]);
    expect(headings.slice(0, 3)).toEqual(['SLOs', 'Trace exemplars', 'Error budget']);
  });

  it('lists per SLO its cause and per trace its id, timings, bottleneck, critical path and error span', () => {
    const s = section(md, 'Trace exemplars');
    expect(s).toContain('From the trace backend at http://127.0.0.1:30686: 3 traces fetched, 1 not held.');
    expect(s).toContain('**latency-p99-fault** (fault window, FAIL): the 2 slowest traced requests.');
    expect(s).toContain(
      `- trace [${SLOW_1}](<triage/trace-${SLOW_1}.json>): 306.4 ms, status 200, ended t+43.2s\n` +
        '  - where the time went: fraud-scorer › feature-store GET 299 ms of 306 ms (98 %)\n' +
        '  - critical path: fraud-scorer › POST /score 3 ms → fraud-scorer › feature-store GET 299 ms → ' +
        'feature-store › GET /features 2 ms → fraud-scorer › \\<b>model\\</b>&"predict" 1 ms\n',
    );
    expect(s).toContain(
      `- trace [${SLOW_2}](<triage/trace-${SLOW_2}.json>): 298.9 ms, status 200, ended t+51.7s`,
    );
    expect(s).toContain('**error-rate-fault** (fault window, FAIL): the first failed traced request.');
    expect(s).toContain(
      `- trace [${FAILED_1}](<triage/trace-${FAILED_1}.json>): 12.9 ms, status 503, ended t+41.3s`,
    );
    expect(s).toContain('  - error span: feature-store › GET /features: connection refused');
    expect(s).toContain(`- not held by the trace backend: \`${MISSING}\``);
    // Only the failed request has an error span.
    expect(s.match(/error span/g)).toHaveLength(1);
  });

  it('links trace ids through artifactBaseUrl like every other artifact', () => {
    const out = renderMarkdownSummary(result, { artifactBaseUrl: 'https://ci.example/a/' });
    expect(out).toContain(`[${SLOW_1}](<https://ci.example/a/triage/trace-${SLOW_1}.json>)`);
  });

  it('says the backend did not answer, once, and why each SLO has no exemplar', () => {
    const s = section(renderMarkdownSummary(makeBackendDownRunResult()), 'Trace exemplars');
    expect(s).toContain(`**Trace backend:** ${BACKEND_DOWN}`);
    expect(s.split(BACKEND_DOWN)).toHaveLength(2);
    expect(s.match(/^- exemplars could not be fetched \(above\)$/gm)).toHaveLength(2);
    expect(s).not.toContain('- trace ');
  });

  it('shows an SLO-level problem as it is', () => {
    const run = makeTracedRunResult();
    run.slos = run.slos.map((s) =>
      s.traces
        ? {
            ...s,
            traces: {
              ...s.traces,
              exemplars: [],
              missing: [],
              problem: 'no traced request in the fault window',
            },
          }
        : s,
    );
    const s = section(renderMarkdownSummary(run), 'Trace exemplars');
    expect(s.match(/^- no traced request in the fault window$/gm)).toHaveLength(2);
  });

  it('is absent without traces: no heading, no blank line', () => {
    for (const run of [makeRunResult(), makeQualityRunResult()]) {
      const out = renderMarkdownSummary(run);
      expect(out).not.toContain('Trace exemplars');
      expect(out).not.toMatch(/\n\n\n/);
    }
    // A backend that answered for a run where every SLO passed has nothing to show either.
    const passed = makeRunResult({
      traces: { url: 'http://127.0.0.1:30686', slos: 0, fetched: 0, missing: 0, problem: null },
    });
    expect(renderMarkdownSummary(passed)).toBe(renderMarkdownSummary(makeRunResult()));
  });
});

describe('trace exemplars in report.html', () => {
  const result = makeTracedRunResult();
  const html = renderHtmlReport(result);

  it('is a card right after the SLO card', () => {
    const ids = [...html.matchAll(/<section class="card" id="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.slice(0, 3)).toEqual(['slos', 'traces', 'charts']);
    expect(html).toContain('<h2>Trace exemplars</h2>');
  });

  it('draws one well-formed waterfall per exemplar with one bar per waterfall span', () => {
    const svgs = waterfalls(html);
    const exemplars = result.slos.flatMap((s) => s.traces?.exemplars ?? []);
    expect(svgs).toHaveLength(exemplars.length);
    expect(svgs.map((s) => s.attrs.id)).toEqual(['trace-1-1', 'trace-1-2', 'trace-2-1']);
    svgs.forEach((svg, i) => {
      const bars = findAll(svg, 'rect').filter((r) => r.attrs.class === 'wf-bar');
      expect(bars).toHaveLength(exemplars[i]!.summary.waterfall.length);
    });
  });

  it('scales bars to the trace duration, indents by depth, and marks errors and the bottleneck', () => {
    const [slow, , failed] = waterfalls(html);
    const bars = findAll(slow!, 'rect').filter((r) => r.attrs.class === 'wf-bar');
    const x = (i: number): number => Number(bars[i]?.attrs.x);
    const w = (i: number): number => Number(bars[i]?.attrs.width);
    // The root spans the whole trace; the feature-store call starts 1.5 ms in and lasts 301.2 of 306.4 ms.
    expect(x(0)).toBe(320);
    expect(x(0) + w(0)).toBeCloseTo(870, 0);
    expect(w(1) / w(0)).toBeCloseTo(301.2 / 306.4, 2);
    expect(x(1)).toBeGreaterThan(x(0));
    const spans = findAll(slow!, 'g').filter((g) => g.attrs.class?.startsWith('wf-span'));
    expect(spans.map((g) => g.attrs.class)).toEqual([
      'wf-span',
      'wf-span wf-bottleneck',
      'wf-span',
      'wf-span',
    ]);
    expect(bars[1]?.attrs.stroke).toBe('#0f172a');
    const labels = spans.map((g) => findAll(g, 'text')[0]!);
    expect(labels.map((t) => Number(t.attrs.x))).toEqual([8, 20, 32, 20]);
    expect(labels[1]?.attrs['font-weight']).toBe('700');
    expect(labels[3]?.text).toBe(`fraud-scorer › ${EVIL_OPERATION}`);
    expect(findAll(spans[1]!, 'title')[0]?.text).toContain('bottleneck: 299.1 ms of the critical path');

    const failedBars = findAll(failed!, 'rect').filter((r) => r.attrs.class === 'wf-bar');
    expect(failedBars.map((r) => r.attrs.fill)).toEqual(['#dc2626', '#dc2626', '#dc2626']);
    expect(findAll(failed!, 'text').some((t) => t.text === 'error')).toBe(true);
  });

  it('captions each trace with its id, cause, duration, status, bottleneck and error span', () => {
    const card = tracesCard(html);
    expect(card).toContain(`<a class="mono" href="triage/trace-${SLOW_1}.json">${SLOW_1}</a>`);
    expect(card).toContain('slow request, 306.4 ms, status 200, ended t+43.2s');
    expect(card).toContain(
      'where the time went: <strong>fraud-scorer › feature-store GET 299 ms of 306 ms (98 %)</strong>',
    );
    expect(card).toContain('failed request, 12.9 ms, status 503, ended t+41.3s');
    expect(card).toContain('error span <strong>feature-store › GET /features</strong>: connection refused');
    expect(card).toContain(`Not held by the trace backend: <span class="mono">${MISSING}</span>`);
    expect(card).toContain('the 2 slowest traced requests');
    expect(card).toContain('the first failed traced request');
    expect(card).toContain('&lt;b&gt;model&lt;/b&gt;&amp;&quot;predict&quot;');
    expect(card).not.toContain(EVIL_OPERATION);
  });

  it('stays self-contained: no script, no reference, the backend url only as text', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/href="https?:/i);
    expect(html).not.toMatch(/\bsrc\s*=/i);
    expect(html).toContain('.trace-where{');
  });

  it('shows the problem when the backend did not answer, without a waterfall', () => {
    const down = renderHtmlReport(makeBackendDownRunResult());
    const card = tracesCard(down);
    expect(card).toContain(`<p class="trace-problem">${BACKEND_DOWN}</p>`);
    expect(card.match(/Exemplars could not be fetched \(above\)\./g)).toHaveLength(2);
    expect(waterfalls(down)).toHaveLength(0);
  });

  it('is absent without traces, and the page is what it was', () => {
    for (const run of [makeRunResult(), makeQualityRunResult()]) {
      const out = renderHtmlReport(run);
      expect(out).not.toContain('id="traces"');
      expect(out).not.toContain('trace-where');
      expect(out).not.toContain('waterfall');
    }
  });
});

describe('trace exemplars on the console', () => {
  it('says in one line that exemplars could not be fetched', () => {
    const lines = renderConsoleSummary(makeBackendDownRunResult()).split('\n');
    expect(lines.filter((l) => l.startsWith('traces: '))).toEqual([`traces: ${BACKEND_DOWN}`]);
  });

  it('says nothing more when the backend answered: the SLO evidence carries the bottleneck', () => {
    const traced = renderConsoleSummary(makeTracedRunResult());
    expect(traced).not.toContain('traces:');
    expect(renderConsoleSummary(makeRunResult())).not.toContain('traces:');
  });
});
