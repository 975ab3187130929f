import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderConsoleSummary } from '../../../src/report/console.js';
import { renderHtmlReport } from '../../../src/report/html.js';
import { renderJunit } from '../../../src/report/junit.js';
import { renderMarkdownSummary } from '../../../src/report/markdown.js';
import type { RunResult } from '../../../src/verdict/result.js';
import { EVIL_CLASS, makeQualityRunResult, makeRunResult } from './fixture.js';
import { findAll, parseXml } from './xml.js';

/** The model's answers (windows[].quality, chaos.result/v2) in the four report files. */

const result = makeQualityRunResult();

function svgById(html: string, id: string): string | undefined {
  return [...html.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => m[0]).find((s) => s.includes(`id="${id}"`));
}

function withoutQuality(r: RunResult): RunResult {
  return { ...r, windows: r.windows.map(({ quality: _, ...w }) => w) };
}

describe('console summary with answers', () => {
  const lines = renderConsoleSummary(result).trimEnd().split('\n');

  it('prints one compact line per window after the SLO lines', () => {
    const start = lines.indexOf('answers:');
    const lastSlo = lines.findLastIndex((l) => /^ {2}(PASS|FAIL|INCONCLUSIVE) /.test(l));
    expect(start).toBeGreaterThan(lastSlo);
    expect(lines.slice(start + 1, start + 4)).toEqual([
      `  baseline  2,000 answers, 0 without; classes legit 95%, ${EVIL_CLASS} 5%; 400 golden, accuracy 90%`,
      `  fault     1,000 answers, 15 (path_not_found 3, unparsable_body 12) without; classes legit 70%, ${EVIL_CLASS} 30%; 200 golden, accuracy 75.5%`,
      `  recovery  1,990 answers, 0 without; classes legit 94.97%, ${EVIL_CLASS} 5.03%; 398 golden, accuracy n/a (no labels)`,
    ]);
    expect(lines[start + 4]).toMatch(/^error budget:/);
  });

  it('prints nothing about answers without them', () => {
    const text = renderConsoleSummary(withoutQuality(result));
    expect(text).not.toContain('answers:');
    expect(renderConsoleSummary(makeRunResult())).not.toContain('answers:');
  });
});

describe('summary.md with answers', () => {
  const md = renderMarkdownSummary(result);

  it('has an Answers table per window between Windows and Artifacts', () => {
    const lines = md.split('\n');
    const at = lines.indexOf('### Answers');
    expect(at).toBeGreaterThan(lines.indexOf('### Windows'));
    expect(at).toBeLessThan(lines.indexOf('### Artifacts'));
    expect(lines.slice(at + 2, at + 7)).toEqual([
      '| Window | Answers | Without an answer | Class shares | Golden answers | Accuracy |',
      '| --- | ---: | --- | --- | ---: | ---: |',
      '| baseline | 2,000 | 0 | legit 95%, \\<b>fraud\\</b>&"x" 5% | 400 | 90% |',
      '| fault | 1,000 | 15 (path\\_not\\_found 3, unparsable\\_body 12) | legit 70%, \\<b>fraud\\</b>&"x" 30% | 200 | 75.5% |',
      '| recovery | 1,990 | 0 | legit 94.97%, \\<b>fraud\\</b>&"x" 5.03% | 398 | n/a (no labels) |',
    ]);
    // An unescaped tag would be live HTML on GitHub.
    expect(md).not.toMatch(/(?<!\\)<b>/);
  });

  it('has no Answers section without answers', () => {
    expect(renderMarkdownSummary(withoutQuality(result))).not.toContain('### Answers');
  });
});

describe('junit.xml with answers', () => {
  const xml = renderJunit(result);
  const doc = parseXml(xml);
  const props = new Map(findAll(doc, 'property').map((p) => [p.attrs.name, p.attrs.value]));

  it('stays well-formed and writes the answers of each window as suite properties', () => {
    expect(props.get('chaos.quality.fault.answers')).toBe('1000');
    expect(props.get('chaos.quality.fault.missing')).toBe('15');
    expect(props.get('chaos.quality.fault.missing.unparsable_body')).toBe('12');
    expect(props.get('chaos.quality.fault.missing.path_not_found')).toBe('3');
    expect(props.get('chaos.quality.fault.class.legit')).toBe('700');
    expect(props.get(`chaos.quality.fault.class.${EVIL_CLASS}`)).toBe('300');
    expect(props.get('chaos.quality.fault.goldenAnswers')).toBe('200');
    expect(props.get('chaos.quality.fault.accuracy')).toBe('0.755');
    expect(props.get('chaos.quality.baseline.accuracy')).toBe('0.9');
    // Without labels there is no accuracy, and no property pretending there is one.
    expect(props.has('chaos.quality.recovery.accuracy')).toBe(false);
    expect(props.get('chaos.quality.recovery.goldenAnswers')).toBe('398');
  });

  it('keeps the quality SLOs as testcases: a FAIL as <failure>, an INCONCLUSIVE as <error>', () => {
    const cases = findAll(doc, 'testcase');
    const agreement = cases.find((c) => c.attrs.name === 'prediction-agreement-fault');
    const shift = cases.find((c) => c.attrs.name === 'prediction-shift-class-fault');
    expect(agreement?.children[0]?.name).toBe('failure');
    expect(agreement?.children[0]?.attrs.type).toBe('predictionAgreement');
    expect(shift?.children[0]?.name).toBe('error');
  });

  it('writes no quality property without answers', () => {
    expect(renderJunit(withoutQuality(result))).not.toContain('chaos.quality.');
  });
});

describe('report.html with answers', () => {
  const html = renderHtmlReport(result);

  it('adds an Answers card after the charts, escaped, with nothing external', () => {
    expect(html.indexOf('id="answers"')).toBeGreaterThan(html.indexOf('id="charts"'));
    expect(html.indexOf('id="answers"')).toBeLessThan(html.indexOf('id="faults"'));
    expect(html).not.toContain('<b>fraud');
    expect(html).toContain('&lt;b&gt;fraud&lt;/b&gt;&amp;&quot;x&quot;');
    expect(html).not.toMatch(/<script|https?:\/\/|\bsrc\s*=/i);
  });

  it('draws the score distributions of baseline, fault and recovery as shares, with legend and axis labels', () => {
    const svg = parseXml(svgById(html, 'chart-scores') ?? '');
    const groups = findAll(svg, 'g').filter((g) => g.attrs.class === 'bars');
    expect(groups.map((g) => g.attrs['data-series'])).toEqual(['baseline', 'fault', 'recovery']);
    for (const g of groups) expect(findAll(g, 'rect')).toHaveLength(20);
    const texts = findAll(svg, 'text').map((t) => t.text);
    expect(texts).toEqual(
      expect.arrayContaining(['baseline', 'fault', 'recovery', 'share of scored answers']),
    );
    expect(texts).toContain('score (0 to 1, 20 equal bins)');
    expect(texts).toEqual(expect.arrayContaining(['0', '0.5', '1']));
    // Shares, not counts: the fault window's 1,000 scores (4 outside the range, in the edge bins) and the baseline's 2,000.
    const fault = groups[1];
    const firstBar = findAll(fault ?? svg, 'title')[0]?.text;
    const faultCounts = result.windows.find((w) => w.window === 'fault')?.quality?.scores?.counts ?? [];
    expect(firstBar).toBe(
      `fault: 0 to 0.05: ${Number((((faultCounts[0] ?? 0) / 1000) * 100).toFixed(2))}% (${faultCounts[0]} answers)`,
    );
  });

  it('draws the bars to scale: equal shares are equal heights across windows of different sizes', () => {
    const r = makeQualityRunResult();
    for (const w of r.windows) {
      if (!w.quality?.scores) continue;
      const n = w.window === 'fault' ? 1 : 2;
      w.quality.scores = {
        range: [0, 1],
        counts: Array.from({ length: 20 }, (_, i) => (i < 2 ? n : 0)),
        outOfRange: 0,
      };
    }
    const svg = parseXml(svgById(renderHtmlReport(r), 'chart-scores') ?? '');
    const heights = findAll(svg, 'g')
      .filter((g) => g.attrs.class === 'bars')
      .map((g) => findAll(g, 'rect')[0]?.attrs.height);
    expect(new Set(heights).size).toBe(1);
    expect(Number(heights[0])).toBeGreaterThan(0);
  });

  it('says which windows had scores outside the range', () => {
    expect(html).toContain('outside the range, drawn in the edge bins: fault 4');
  });

  it('draws class shares per window, each class in one colour throughout', () => {
    const svg = parseXml(svgById(html, 'chart-classes') ?? '');
    const rows = findAll(svg, 'g').filter((g) => g.attrs.class === 'share-row');
    expect(rows.map((g) => g.attrs['data-row'])).toEqual(['baseline', 'fault', 'recovery']);
    const fault = rows[1];
    expect(findAll(fault ?? svg, 'title').map((t) => t.text)).toEqual([
      'fault: legit 70%',
      `fault: ${EVIL_CLASS} 30%`,
    ]);
    const colours = rows.map((g) => findAll(g, 'rect').map((rect) => rect.attrs.fill));
    expect(new Set(colours.map((c) => c.join()))).toHaveProperty('size', 1);
  });

  it('leaves the score chart out when no score was captured, but keeps classes and the table', () => {
    const r = makeQualityRunResult();
    for (const w of r.windows) if (w.quality) w.quality.scores = null;
    const out = renderHtmlReport(r);
    expect(svgById(out, 'chart-scores')).toBeUndefined();
    expect(svgById(out, 'chart-classes')).toBeDefined();
    expect(out).toContain('class="answers-table"');
  });

  it('has no Answers card without answers', () => {
    const out = renderHtmlReport(withoutQuality(result));
    expect(out).not.toContain('id="answers"');
    expect(out).toBe(renderHtmlReport(withoutQuality(makeQualityRunResult())));
  });
});

describe('results written before answers were recorded (chaos.result/v1 fixtures)', () => {
  const dir = new URL('../../fixtures/results/', import.meta.url);
  const v1 = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as RunResult)
    .filter((r) => (r.schemaVersion as string) === 'chaos.result/v1');

  it('are there to check', () => {
    expect(v1.length).toBeGreaterThanOrEqual(8);
  });

  it('render with no trace of answers', () => {
    for (const r of v1) {
      expect(renderConsoleSummary(r)).not.toContain('answers:');
      expect(renderMarkdownSummary(r)).not.toContain('### Answers');
      const xml = renderJunit(r);
      parseXml(xml);
      expect(xml).not.toContain('chaos.quality.');
      const html = renderHtmlReport(r);
      expect(html).not.toContain('id="answers"');
      expect(html).not.toContain('chart-scores');
    }
  });
});

describe('the testbed result with answers (chaos.result/v2)', () => {
  const r = JSON.parse(
    readFileSync(new URL('../../fixtures/results/model-rollout-v2-fail.json', import.meta.url), 'utf8'),
  ) as RunResult;

  it('renders its answers in all four reports', () => {
    expect(renderConsoleSummary(r)).toContain(
      '  fault     1,200 answers, 0 without; classes legit 99%, fraud 1%; 240 golden, accuracy 90%',
    );
    expect(renderMarkdownSummary(r)).toContain('| recovery | 601 | 0 | legit 99%, fraud 1% | 121 | 90.08% |');
    const props = findAll(parseXml(renderJunit(r)), 'property');
    expect(props.find((p) => p.attrs.name === 'chaos.quality.all.answers')?.attrs.value).toBe('3001');
    const html = renderHtmlReport(r);
    parseXml(svgById(html, 'chart-scores') ?? '');
    parseXml(svgById(html, 'chart-classes') ?? '');
  });
});

describe('many classes', () => {
  const r = makeQualityRunResult();
  // 10 classes: c0 the largest, then c1..c9 with 1 answer each; the last four are summed.
  for (const w of r.windows) {
    if (w.quality)
      w.quality.classes = Object.fromEntries(
        Array.from({ length: 10 }, (_, i) => [`c${i}`, i === 0 ? 91 : 1]),
      );
  }

  it('names the six largest and sums the rest in text', () => {
    expect(renderMarkdownSummary(r)).toContain(
      '| fault | 1,000 | 15 (path\\_not\\_found 3, unparsable\\_body 12) | c0 91%, c1 1%, c2 1%, c3 1%, c4 1%, c5 1%, 4 more 4% |',
    );
  });

  it('draws the six largest in colour and the rest as one grey segment', () => {
    const svg = parseXml(svgById(renderHtmlReport(r), 'chart-classes') ?? '');
    const row = findAll(svg, 'g').find((g) => g.attrs.class === 'share-row');
    expect(findAll(row ?? svg, 'title').map((t) => t.text)).toEqual([
      'baseline: c0 91%',
      'baseline: c1 1%',
      'baseline: c2 1%',
      'baseline: c3 1%',
      'baseline: c4 1%',
      'baseline: c5 1%',
      'baseline: 4 other classes 4%',
    ]);
    expect(findAll(row ?? svg, 'rect').at(-1)?.attrs.fill).toBe('#94a3b8');
  });
});
