import { describe, expect, it } from 'vitest';
import {
  POSTMORTEM_SECTIONS,
  renderGameDayHtml,
  renderGameDayMarkdown,
} from '../../../src/gameday/render.js';
import type { GameDayResult } from '../../../src/gameday/result.js';
import { loadResult, makeGameDay } from '../../fixtures/results/gameday.js';

const HOSTILE =
  '<script>alert("pwned")</script> | *bold* [x](javascript:alert(1)) & <img src=x onerror=alert(1)>';

/** Text under each `## ` heading, by heading; the footer after the closing rule belongs to none. */
function markdownSections(md: string): Map<string, string> {
  const sections = new Map<string, string>();
  const parts = md.split(/^---$/m)[0]?.split(/^## /m).slice(1) ?? [];
  for (const part of parts) {
    const newline = part.indexOf('\n');
    sections.set(part.slice(0, newline), part.slice(newline + 1));
  }
  return sections;
}

/** Visible text of each `<section class="card">`, by its h2. */
function htmlSections(html: string): Map<string, string> {
  const sections = new Map<string, string>();
  for (const m of html.matchAll(/<section class="card" id="[^"]*"><h2>([^<]*)<\/h2>([\s\S]*?)<\/section>/g)) {
    sections.set(m[1] ?? '', (m[2] ?? '').replace(/<[^>]*>/g, ' ').trim());
  }
  return sections;
}

/** Rows of the first table after `## heading`, header and delimiter excluded, split on unescaped pipes. */
function tableRows(md: string, heading: string): string[][] {
  const body = markdownSections(md).get(heading) ?? '';
  return body
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .slice(2)
    .map((l) =>
      l
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim()),
    );
}

const FILLER = /\b(?:TODO|TBD|placeholder|lorem)\b|\bN\/A\b/i;

function failingGameDay(): GameDayResult {
  return makeGameDay([loadResult('feature-store-latency-pass'), loadResult('pod-kill-fail')]);
}

describe('renderGameDayMarkdown', () => {
  const g = failingGameDay();
  const md = renderGameDayMarkdown(g);
  const sections = markdownSections(md);

  it('leads with the verdict and the scenario counts', () => {
    const [headline, , verdictLine] = md.split('\n');
    expect(headline).toBe('# Game day FAIL: weekly-ml-serving');
    expect(verdictLine).toBe(
      '**Verdict: FAIL** (exit code 1). 2 scenarios: 1 passed, 1 failed, 0 inconclusive, 0 skipped. Severity **Sev-2**.',
    );
  });

  it('has a scenario table linking each scenario report', () => {
    expect(tableRows(md, 'Scenarios')).toEqual([
      [
        '1',
        'feature-store-latency',
        'PASS',
        '0',
        '[01-feature-store-latency/summary.md](<01-feature-store-latency/summary.md>)',
      ],
      ['2', 'pod-kill', '**FAIL**', '1', '[02-pod-kill/summary.md](<02-pod-kill/summary.md>)'],
    ]);
  });

  it('has every template section, in template order, none empty', () => {
    const headings = [...sections.keys()];
    const template = headings.filter((x) => (POSTMORTEM_SECTIONS as readonly string[]).includes(x));
    expect(template).toEqual([...POSTMORTEM_SECTIONS]);
    for (const title of POSTMORTEM_SECTIONS) expect(sections.get(title)?.trim(), title).not.toBe('');
    expect(headings.slice(0, 2)).toEqual(['Scenarios', 'Game-day phases']);
  });

  it('fills the sections from measured data', () => {
    expect(sections.get('Incident title')?.trim()).toBe(
      'Game day "weekly-ml-serving": 1 of 2 scenarios failed (pod-kill: error-rate-all, error-rate-fault)',
    );
    expect(sections.get('Date/time')).toContain('Detected 2026-11-23T17:59:50.717Z in pod-kill');
    expect(sections.get('Severity')).toContain(
      '**Sev-2: Partial degradation with workaround.** Response: Within 1 hour.',
    );
    expect(sections.get('Timeline')).toContain(
      '### 17:59 UTC: 1,081 requests, 21 errors (1.94%), worst per-second p95 20.5 ms',
    );
    expect(sections.get('Timeline')).toContain('- 17:59:50.717 · pod-kill · detected · SLO breach detected:');
    const impact = tableRows(md, 'Impact');
    expect(impact.at(-1)).toEqual([
      '**Total**',
      '',
      '5',
      '4,522',
      '43',
      '0.95%',
      expect.stringContaining('of the budget of a 98% objective') as string,
    ]);
    const items = tableRows(md, 'Action items');
    expect(items.map((r) => [r[0], r[1], r[5], r[6]])).toEqual([
      ['AI-1', 'pod-kill: error-rate-all', 'ml-platform-oncall', '2026-11-30'],
      ['AI-2', 'pod-kill: error-rate-fault', 'ml-platform-oncall', '2026-11-30'],
    ]);
  });

  it('holds no filler text', () => {
    expect(md).not.toMatch(FILLER);
    expect(renderGameDayMarkdown(makeGameDay([loadResult('pod-kill-pass')]))).not.toMatch(FILLER);
  });

  it('leaves out contributing factors when none can be derived, and says so for empty sections', () => {
    const allPass = renderGameDayMarkdown(
      makeGameDay([loadResult('pod-kill-pass'), loadResult('feature-store-latency-pass')]),
    );
    const s = markdownSections(allPass);
    expect(s.has('Contributing factors')).toBe(false);
    expect(s.get('Date/time')).toContain('No SLO breach was detected');
    expect(s.get('Root cause')?.trim()).toBe(
      'Every scenario that ran passed: there is no failure to explain.',
    );
    expect(s.get('Action items')?.trim()).toBe(
      'No check failed, so no action item follows from this game day.',
    );
    for (const title of POSTMORTEM_SECTIONS.filter((t) => t !== 'Contributing factors')) {
      expect(s.get(title)?.trim(), title).not.toBe('');
    }
  });

  it('shows a skipped scenario as not run', () => {
    const skipped = renderGameDayMarkdown(
      makeGameDay([
        loadResult('pod-kill-fail'),
        { skipped: 'node-drain', reason: 'stopOnFailure after pod-kill' },
      ]),
    );
    expect(tableRows(skipped, 'Scenarios')[1]).toEqual([
      '2',
      'node-drain',
      '**SKIPPED**',
      'not run',
      'not run: stopOnFailure after pod-kill',
    ]);
    expect(markdownSections(skipped).get('Impact')).toContain(
      '- Not run: node-drain: stopOnFailure after pod-kill',
    );
  });

  it('escapes hostile event messages, names and report directories', () => {
    const hostile = failingGameDay();
    const run = hostile.scenarios[1]?.result;
    if (!run || !hostile.scenarios[1]) throw new Error('fixture changed');
    run.events.push({
      at: '2026-11-23T18:00:05.000Z',
      t: 31.28,
      kind: 'event',
      message: `Warning BackOff ${HOSTILE}`,
    });
    hostile.scenarios[1].name = 'pod|kill <b>';
    hostile.scenarios[1].reportDir = 'javascript:alert(1)';
    const out = renderGameDayMarkdown(hostile);
    expect(out).toContain(
      '\\<script>alert("pwned")\\</script> \\| \\*bold\\* \\[x\\](javascript:alert(1)) & \\<img',
    );
    expect(out).not.toMatch(/(?<!\\)<(?:script|img|b>)/);
    const row = tableRows(out, 'Scenarios')[1];
    expect(row).toEqual(['2', 'pod\\|kill \\<b>', '**FAIL**', '1', 'javascript:alert(1)/summary.md']);
  });
});

describe('renderGameDayHtml', () => {
  const g = failingGameDay();
  const html = renderGameDayHtml(g);
  const sections = htmlSections(html);

  it('is one self-contained document', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/@import|url\(/i);
    expect(html).not.toMatch(/\bsrc\s*=/i);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
    expect(hrefs).toEqual(['01-feature-store-latency/report.html', '02-pod-kill/report.html']);
  });

  it('has every template section, in template order, none empty', () => {
    const titles = [...sections.keys()].filter((x) => (POSTMORTEM_SECTIONS as readonly string[]).includes(x));
    expect(titles).toEqual([...POSTMORTEM_SECTIONS]);
    for (const title of POSTMORTEM_SECTIONS) expect(sections.get(title), title).not.toBe('');
    expect(sections.get('Incident title')).toBe(
      'Game day &quot;weekly-ml-serving&quot;: 1 of 2 scenarios failed (pod-kill: error-rate-all, error-rate-fault)',
    );
    expect(sections.get('Severity')).toContain('Sev-2');
    expect(sections.get('Action items')).toContain('2026-11-30');
  });

  it('holds no filler text', () => {
    expect(html).not.toMatch(FILLER);
  });

  it('escapes a hostile event message', () => {
    const hostile = failingGameDay();
    hostile.scenarios[1]?.result?.events.push({
      at: '2026-11-23T18:00:05.000Z',
      t: 31.28,
      kind: 'event',
      message: `Warning BackOff ${HOSTILE}`,
    });
    const out = renderGameDayHtml(hostile);
    expect(out).not.toMatch(/<script|<img/i);
    expect(out).toContain(
      '&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; | *bold* [x](javascript:alert(1)) &amp; &lt;img',
    );
    // The same message is triage evidence of a restart ("BackOff") and is cited, escaped, as a root cause.
    expect(htmlSections(out).get('Root cause')).toContain('Containers restarted during the run');
  });

  it('renders the same page every time', () => {
    expect(renderGameDayHtml(failingGameDay())).toBe(html);
  });
});

/** gameday.html's body as a reader sees it: inline tags vanish, the others separate words, entities decode. */
function htmlText(html: string): string {
  const body = /<body>([\s\S]*)<\/body>/.exec(html)?.[1] ?? '';
  return body
    .replace(/<\/?(?:span|strong|a)\b[^>]*>/g, '')
    .replace(/<[^>]*>/g, ' ')
    .replace(
      /&(lt|gt|quot|#39|amp);/g,
      (_m, e: string) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", amp: '&' })[e] ?? '',
    )
    .replace(/\s+/g, ' ')
    .trim();
}

/** gameday.md as a reader sees it: block markers, table pipes, emphasis, link targets and escapes removed. */
function markdownText(md: string): string {
  const lines = md
    .split('\n')
    .filter((l) => l !== '---' && !/^\|(?: ?-+:? \|)+$/.test(l))
    .map((l) =>
      l
        .replace(/^#{1,6} /, '')
        .replace(/^> ?/, '')
        .replace(/^ *(?:-|\d+\.) /, ''),
    );
  const text = lines
    .join('\n')
    .replace(/(?<!\\)\[((?:\\.|[^\]\\])*)\]\(<[^>]*>\)/g, '$1')
    .replace(/(?<!\\)<br>/g, ' ');
  let out = '';
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i] ?? '';
    const next = text[i + 1] ?? '';
    if (c === '\\' && /[!-/:-@[-`{-~]/.test(next)) {
      out += next;
      i += 1;
    } else if (c === '*' && next === '*') {
      i += 1;
    } else {
      out += c === '|' ? ' ' : c;
    }
  }
  return out.replace(/\s+/g, ' ').trim();
}

/** Sentences, for a readable diff. Each format links a scenario's report in its own format, so that name is set aside. */
function sentences(text: string, ownReport: string): string[] {
  return text.replaceAll(`/${ownReport}`, '/<own report>').split(/(?<=[.;:])\s+/);
}

describe('gameday.md and gameday.html', () => {
  it('say the same thing, sentence for sentence', () => {
    const g = makeGameDay([
      loadResult('feature-store-latency-pass'),
      loadResult('missing-model-artifact-fail'),
      loadResult('pod-kill-fail'),
      { skipped: 'node-drain', reason: 'stopOnFailure after pod-kill' },
    ]);
    g.suite.description = 'Weekly resilience game day.\n# not a heading\n- nor a list item';
    const run = g.scenarios[2]?.result;
    if (!run) throw new Error('fixture changed');
    run.events.push({
      at: '2026-11-23T18:00:05.000Z',
      t: 31.28,
      kind: 'event',
      message: `Warning BackOff ${HOSTILE}\nsecond line`,
    });
    const md = sentences(markdownText(renderGameDayMarkdown(g)), 'summary.md');
    const html = sentences(htmlText(renderGameDayHtml(g)), 'report.html');
    expect(md.length).toBeGreaterThan(200);
    expect(md.join(' ')).toContain('Game day FAIL: weekly-ml-serving Verdict: FAIL (exit code 1).');
    expect(md.join(' ')).toContain(`Warning BackOff ${HOSTILE} second line`);
    expect(html).toEqual(md);
  });
});

describe('answer checks in the game-day report', () => {
  const g = makeGameDay([loadResult('pod-kill-pass'), loadResult('model-rollout-v2-fail')]);
  const md = renderGameDayMarkdown(g);
  const sections = markdownSections(md);

  it('gives Detection and Impact an Answers table, in Markdown and HTML alike', () => {
    const detection = sections.get('Detection') ?? '';
    expect(detection).toContain('### Answers');
    expect(detection).toContain(
      '| model-rollout-v2 | prediction-agreement-fault | **FAIL** | fault | 80.00% | ≥ 99% (tolerance 0.01) | in the table above |',
    );
    const impact = sections.get('Impact') ?? '';
    expect(impact).toContain('### Answers');
    expect(impact).toContain(
      '| model-rollout-v2 | prediction-shift-score-fault | **FAIL** | fault | 1,200 | 0 | 240 | 90%<br>baseline 90% | 0.2535 vs PSI ≤ 0.1 |',
    );
    expect(impact).toContain('Answer checks are the predictionAgreement and predictionShift SLOs');
    expect(md).not.toMatch(FILLER);
    const html = htmlSections(renderGameDayHtml(g));
    expect(html.get('Detection')).toContain('answers in 1 scenario: 2 failed, 0 could not judge');
    expect(html.get('Impact')).toContain('baseline 90%');
  });

  it('has no Answers heading when no answer check failed', () => {
    const plain = markdownSections(renderGameDayMarkdown(failingGameDay()));
    expect(plain.get('Detection')).not.toContain('### Answers');
    expect(plain.get('Impact')).not.toContain('### Answers');
  });
});
