import { describe, expect, it } from 'vitest';
import {
  escapeHtml,
  escapeMarkdownInline,
  escapeXml,
  escapeXmlAttr,
  relativeHref,
} from '../../../src/report/escape.js';
import {
  formatDuration,
  formatMeasured,
  formatNumber,
  formatOffset,
  formatPercent,
  orderedArtifacts,
  parseThreshold,
} from '../../../src/report/format.js';

describe('escaping', () => {
  it('escapes XML and drops characters XML 1.0 cannot carry', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
    expect(escapeXml('a\u0000b\u001bc\uD800d')).toBe('a\uFFFDb\uFFFDc\uFFFDd');
    expect(escapeXml('emoji \uD83D\uDE00 ok')).toBe('emoji \uD83D\uDE00 ok');
    expect(escapeXmlAttr('a\nb\tc')).toBe('a&#10;b&#9;c');
  });

  it('escapes HTML', () => {
    expect(escapeHtml(`<script>"x" & 'y'</script>`)).toBe(
      '&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;',
    );
  });

  it('escapes only meaningful markdown', () => {
    expect(escapeMarkdownInline('p95 <= 250 ms & 3 > 2')).toBe('p95 <= 250 ms & 3 > 2');
    expect(escapeMarkdownInline('<b>x</b> &amp; a_b *c* [d] `e` ~f~ g|h')).toBe(
      '\\<b>x\\</b> \\&amp; a\\_b \\*c\\* \\[d\\] \\`e\\` \\~f\\~ g\\|h',
    );
    expect(escapeMarkdownInline('# title\n> quote\n- item\n1. one\n46.2 ms')).toBe(
      '\\# title\n\\> quote\n\\- item\n1\\. one\n46.2 ms',
    );
  });

  it('accepts only relative artifact paths as links', () => {
    expect(relativeHref('triage/01 service.txt')).toBe('triage/01%20service.txt');
    expect(relativeHref('triage/a#b?.txt')).toBe('triage/a%23b%3F.txt');
    for (const bad of [
      'javascript:alert(1)',
      'https://x/y',
      'file:///etc',
      '/etc/passwd',
      '\\\\host\\share',
      ' ',
    ]) {
      expect(relativeHref(bad)).toBeNull();
    }
  });
});

describe('formatting', () => {
  it('formats numbers, percentages and durations', () => {
    expect(formatNumber(431.66)).toBe('431.7');
    expect(formatNumber(0.00042)).toBe('0.0004');
    expect(formatNumber(12)).toBe('12');
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(0.0383)).toBe('3.83%');
    expect(formatPercent(0.00001)).toBe('<0.01%');
    expect(formatDuration(42)).toBe('42s');
    expect(formatDuration(143.5)).toBe('2m24s');
    expect(formatDuration(3723)).toBe('1h02m03s');
    expect(formatOffset(-3)).toBe('t-3s');
    expect(formatOffset(null)).toBe('t?');
  });

  it('reads simple thresholds and repeats their unit on measured values', () => {
    expect(parseThreshold('<= 250 ms')).toEqual({ value: 250, unit: 'ms' });
    expect(parseThreshold('< 1%')).toEqual({ value: 1, unit: '%' });
    expect(parseThreshold('>= 3 pods')).toEqual({ value: 3, unit: 'pods' });
    expect(parseThreshold('0.99')).toEqual({ value: 0.99, unit: null });
    expect(parseThreshold('p95 <= 250ms during fault')).toBeNull();
    expect(formatMeasured({ measured: 312.44, threshold: '<= 250 ms' })).toBe('312.4 ms');
    expect(formatMeasured({ measured: 0.4, threshold: '< 1%' })).toBe('0.4%');
    expect(formatMeasured({ measured: 'CrashLoopBackOff', threshold: 'Running' })).toBe('CrashLoopBackOff');
    expect(formatMeasured({ measured: null, threshold: '<= 1 s' })).toBe('not measured');
  });

  it('orders artifacts outside-in: service, endpoints, pods, events, logs', () => {
    const order = orderedArtifacts({
      zzz: 'other.txt',
      'pod logs': 'triage/logs.txt',
      pods: 'triage/pods.txt',
      svc: 'triage/svc.yaml',
      events: 'triage/events.txt',
      ep: 'triage/endpoints.txt',
      'logs-of-service-x': 'x.txt',
      // Counter keys fall back to the path; the deepest layer a path names wins. Ties sort by path.
      'triage-10': 'triage/logs/event-processor-1.main.current.log',
      'triage-9': 'triage/logs/api-svc-2.main.current.log',
    }).map(([k]) => k);
    expect(order).toEqual([
      'svc',
      'ep',
      'pods',
      'events',
      'pod logs',
      'triage-9',
      'triage-10',
      'logs-of-service-x',
      'zzz',
    ]);
  });
});
