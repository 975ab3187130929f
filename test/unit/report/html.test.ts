import { describe, expect, it } from 'vitest';
import { renderHtmlReport, requestRate } from '../../../src/report/html.js';
import { renderMarkdownSummary } from '../../../src/report/markdown.js';
import { makeRunResult } from './fixture.js';
import { findAll, parseXml } from './xml.js';

function svgs(html: string): string[] {
  return [...html.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => m[0]);
}

describe('renderHtmlReport', () => {
  const result = makeRunResult();
  const html = renderHtmlReport(result);

  it('is one self-contained document', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/@import|url\(\s*['"]?(?!#)/i);
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/\bsrc\s*=/i);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
  });

  it('draws the three charts as well-formed inline SVG', () => {
    const charts = svgs(html);
    expect(charts).toHaveLength(3);
    expect(charts.map((s) => /id="([^"]+)"/.exec(s)?.[1])).toEqual([
      'chart-latency',
      'chart-throughput',
      'chart-pods',
    ]);
    for (const svg of charts) {
      const el = parseXml(svg);
      expect(el.name).toBe('svg');
      expect(findAll(el, 'path').some((p) => p.attrs.class === 'series')).toBe(true);
    }
    const latency = parseXml(charts[0] ?? '');
    expect(
      findAll(latency, 'path')
        .filter((p) => p.attrs.class === 'series')
        .map((p) => p.attrs['data-series']),
    ).toEqual(['p50', 'p95', 'p99']);
  });

  it('marks fault start and stop on every chart at the right offsets', () => {
    for (const svg of svgs(html)) {
      const el = parseXml(svg);
      const markers = findAll(el, 'g').filter((g) => g.attrs.class?.startsWith('fault-marker'));
      expect(markers.map((g) => [g.attrs.class, g.attrs['data-t']])).toEqual([
        ['fault-marker marker-inject', '40.2'],
        ['fault-marker marker-revert', '58'],
      ]);
      expect(findAll(el, 'text').some((t) => t.text === 'inject pod-kill')).toBe(true);
      expect(findAll(el, 'rect').filter((r) => r.attrs.class === 'band')).toHaveLength(3);
    }
  });

  it('draws simple SLO thresholds over the window they judge', () => {
    const latency = parseXml(svgs(html)[0] ?? '');
    const labels = findAll(latency, 'g')
      .filter((g) => g.attrs.class === 'threshold')
      .map((g) => findAll(g, 'text')[0]?.text);
    expect(labels).toEqual(['latency-p95-baseline <= 250 ms', 'latency-p99-fault <= 300 ms']);
  });

  it('escapes evidence and every other text', () => {
    expect(html).toContain('was &lt;terminating&gt; &amp; endpoints reported &quot;2/3&quot; ready');
    expect(html).not.toContain('<terminating>');
    const run = makeRunResult({
      scenario: { ...result.scenario, name: '<img src=x onerror=alert(1)>', labels: { '"k': '<v>' } },
      reasons: ['<b>bold</b>'],
    });
    const out = renderHtmlReport(run);
    expect(out).not.toContain('<img');
    expect(out).not.toContain('<b>bold');
    expect(out).toContain('&lt;img src=x onerror=alert(1)&gt;');
    for (const svg of svgs(out)) parseXml(svg);
  });

  it('colours verdicts in the SLO table', () => {
    const rows = [
      ...html.matchAll(/<tr class="row-(PASS|FAIL|INCONCLUSIVE)"><td><span class="badge v-\1">\1<\/span>/g),
    ];
    expect(rows.map((m) => m[1])).toEqual(result.slos.map((s) => s.verdict));
    expect(html).toContain('<span class="badge v-FAIL big">FAIL</span>');
  });

  it('lists faults, windows and events in time order', () => {
    expect(html).toContain('deleted pod ml-serving/fraud-scorer-7d4b9f-xk2pq (grace 0s)');
    const events = [...html.matchAll(/<span class="ev-t">([^<]+)<\/span>/g)].map((m) => m[1]);
    expect(events[0]).toBe('t+0s');
    expect(events).toContain('t+40.2s');
    // The event without an offset is placed by its wall-clock time.
    expect(events[events.length - 1]).toBe('t+2m05s');
  });

  it('links triage files outside-in and never links schemes or absolute paths', () => {
    const triage = /<ol class="triage">([\s\S]*?)<\/ol>/.exec(html)?.[1] ?? '';
    expect([...triage.matchAll(/href="([^"]+)"/g)].map((m) => m[1])).toEqual([
      'triage/1-service.txt',
      'triage/2-endpoints.txt',
      'triage/3-pods.txt',
      'triage/4-events.txt',
      'triage/logs/fraud-scorer-7d4b9f-mp9wz.server.current.log',
      'triage/logs/fraud-scorer-7d4b9f-q8w2n.server.current.log',
    ]);
    const files = /<ul class="files">([\s\S]*?)<\/ul>/.exec(html)?.[1] ?? '';
    expect([...files.matchAll(/href="([^"]+)"/g)].map((m) => m[1])).toEqual([
      'result.json',
      'junit.xml',
      'summary.md',
      'k6-raw.ndjson',
    ]);
    const out = renderHtmlReport(
      makeRunResult({ artifacts: { evil: 'javascript:alert(1)', ext: 'https://x', abs: '/etc' } }),
    );
    expect(out).not.toMatch(/href="(javascript|https|\/)/);
    expect(out).not.toContain('<ol class="triage">');
  });

  it('does not turn URLs in evidence into references', () => {
    const run = makeRunResult();
    run.slos = run.slos.map((s) => ({ ...s, evidence: 'POST https://fraud.example/score returned 503' }));
    const out = renderHtmlReport(run);
    expect(out).not.toMatch(/(href|src)="https?:/);
  });

  it('survives an empty run', () => {
    const out = renderHtmlReport(
      makeRunResult({
        timeline: [],
        windows: [],
        faults: [],
        events: [],
        slos: [],
        artifacts: {},
        errorBudget: null,
      }),
    );
    expect(svgs(out)).toHaveLength(3);
    expect(out.match(/No data recorded/g)).toHaveLength(3);
    expect(out).toContain('No SLOs were evaluated.');
    for (const svg of svgs(out)) parseXml(svg);
  });

  it('shows the peak burn rate with every window, and none without an error-rate objective', () => {
    expect(html).toContain('<div class="kpi-label">Peak burn rate (fault)</div>');
    expect(html).toContain(
      '<div class="kpi tone-warn"><div class="kpi-label">Peak burn rate (fault)</div><div class="kpi-value">10.9×</div><div class="kpi-sub">baseline 0×, fault 10.9×, recovery 0.5×</div></div>',
    );
    expect(renderHtmlReport(makeRunResult({ burnRate: null }))).not.toContain('burn rate');
  });

  it('keeps gaps in data as gaps', () => {
    const pods = parseXml(svgs(html)[2] ?? '');
    // readyPods is null at t=70 in the fixture: the step line breaks there.
    expect(findAll(pods, 'path').filter((p) => p.attrs['data-series'] === 'ready pods')).toHaveLength(2);
  });

  it('with an autoscaler watched, the capacity chart draws its desired replicas against the ready pods', () => {
    const run = makeRunResult();
    run.timeline = run.timeline.map((p) => ({ ...p, desiredReplicas: p.t < 30 ? 3 : 5 }));
    const out = renderHtmlReport(run);
    const pods = parseXml(svgs(out)[2] ?? '');
    const series = findAll(pods, 'path').filter((p) => p.attrs.class === 'series');
    expect([...new Set(series.map((p) => p.attrs['data-series']))]).toEqual(['ready pods', 'desired (HPA)']);
    expect(svgs(out)[2]).toContain('Desired (HPA) and ready pods over time');
    expect(out).toContain('desired (HPA) 5');
    // Without it (no scaling SLO), the chart stays as it was.
    const plain = parseXml(svgs(html)[2] ?? '');
    expect(findAll(plain, 'path').some((p) => p.attrs['data-series'] === 'desired (HPA)')).toBe(false);
  });

  it('is deterministic', () => {
    expect(renderHtmlReport(makeRunResult())).toBe(html);
  });

  it('a pod kill: nothing to revert, said plainly and not as a warning; each repeated kill listed and marked', () => {
    const run = makeRunResult();
    const fault = run.faults[0]!;
    run.faults = [
      {
        ...fault,
        revertedAt: null,
        nothingToRevert: 'pods are replaced by their controller',
        injections: [fault.injectedAt!, '2026-11-23T15:31:20.200Z'],
      },
    ];
    run.events = run.events.filter((e) => e.kind !== 'revert');
    const page = renderHtmlReport(run);
    const row = /<tr><td class="mono strong nowrap">pod-kill<\/td>[\s\S]*?<\/tr>/.exec(page)?.[0] ?? '';
    expect(row).toContain(
      '<span class="status st-ok">injected; nothing to revert (pods are replaced by their controller)</span>',
    );
    expect(row).not.toContain('st-warn');
    expect(row).not.toContain('not reverted');
    expect(row).toContain('<span class="muted">nothing to revert</span>');
    expect(row).toContain('2026-11-23T15:31:20.200Z');
    for (const svg of svgs(page)) {
      const markers = findAll(parseXml(svg), 'g').filter((g) => g.attrs.class?.startsWith('fault-marker'));
      expect(markers.map((g) => [g.attrs.class, g.attrs['data-t']])).toEqual([
        ['fault-marker marker-inject', '40.2'],
        ['fault-marker marker-inject', '80.2'],
      ]);
    }
    expect(renderMarkdownSummary(run)).toContain(
      '| nothing to revert | injected; nothing to revert (pods are replaced by their controller) |',
    );
  });

  it('a fault that should have been reverted and was not is still a warning', () => {
    const run = makeRunResult();
    run.faults = [{ ...run.faults[0]!, type: 'node-drain', revertedAt: null }];
    expect(renderHtmlReport(run)).toContain('<span class="status st-warn">injected, not reverted</span>');
  });

  it('requests per second: the last, partial second is scaled by its length or left out, never a drop to 0', () => {
    const point = (t: number, requests: number) => ({
      t,
      requests,
      errors: 0,
      p50Ms: null,
      p95Ms: null,
      p99Ms: null,
      readyPods: null,
    });
    const timeline = [point(0, 40), point(1, 40), point(2, 1)];
    // The load ended 2 ms into its third second: one request there is not a rate of 1 req/s.
    expect(requestRate(timeline, { endOffsetS: 2.002 })).toEqual([
      [0, 40],
      [1, 40],
    ]);
    // 0.75 s of the last second: 30 requests are 40 req/s.
    expect(requestRate([point(0, 40), point(1, 30)], { endOffsetS: 1.75 })).toEqual([
      [0, 40],
      [1, 40],
    ]);
    expect(requestRate(timeline, undefined)).toEqual([
      [0, 40],
      [1, 40],
      [2, 1],
    ]);
    const throughput = svgs(renderHtmlReport(makeRunResult()))[1] ?? '';
    expect(throughput).toContain('chart-throughput');
  });
});
