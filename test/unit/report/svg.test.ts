import { describe, expect, it } from 'vitest';
import {
  niceTicks,
  renderChart,
  renderHistogram,
  renderShareBars,
  timeTicks,
} from '../../../src/report/svg.js';
import { findAll, parseXml } from './xml.js';

describe('axis ticks', () => {
  it('picks round steps', () => {
    expect(niceTicks(0, 642, 5, false)).toEqual([0, 200, 400, 600, 800]);
    expect(niceTicks(0, 3.2, 5, true)).toEqual([0, 1, 2, 3, 4]);
    expect(niceTicks(0, 0.054, 5, false)).toEqual([0, 0.02, 0.04, 0.06]);
  });

  it('labels time in seconds for short runs and minutes for long ones', () => {
    expect(timeTicks(0, 120).map((t) => t.label)).toEqual([
      '0s',
      '15s',
      '30s',
      '45s',
      '60s',
      '75s',
      '90s',
      '105s',
      '120s',
    ]);
    expect(timeTicks(0, 1800).map((t) => t.label)).toEqual(['0m', '5m', '10m', '15m', '20m', '25m', '30m']);
    expect(
      timeTicks(0, 450)
        .map((t) => t.label)
        .slice(0, 3),
    ).toEqual(['0m', '1m', '2m']);
  });
});

describe('renderChart', () => {
  const svg = renderChart({
    id: 'c1',
    title: 'Test <chart>',
    xDomain: [0, 10],
    left: { label: 'ms', format: String },
    right: { label: '%', format: String },
    series: [
      {
        name: 'a',
        color: '#000',
        points: [
          [0, 1],
          [1, 2],
          [2, null],
          [3, 4],
          [4, 5],
        ],
      },
      {
        name: 'b',
        color: '#f00',
        axis: 'right',
        points: [
          [0, 50],
          [5, 60],
        ],
        step: true,
      },
    ],
    bands: [{ start: 2, end: 6, label: 'fault', fill: '#fee' }],
    markers: [
      { t: 2, kind: 'inject', label: 'pod-kill', detail: 'killed <pod>', confirmed: true },
      { t: 6, kind: 'revert', label: 'pod-kill', detail: 'back', confirmed: true },
      { t: 99, kind: 'inject', label: 'late', detail: 'out of range', confirmed: true },
    ],
    thresholds: [{ y: 3, label: 'slo <= 3', start: 2, end: 6 }],
    hover: [
      { t: 0, text: 'zero' },
      { t: 5, text: 'five' },
    ],
  });
  const el = parseXml(svg);

  it('is well-formed and labelled', () => {
    expect(el.attrs['aria-label']).toBe('Test <chart>');
    expect(el.attrs.viewBox).toBe('0 0 960 300');
  });

  it('breaks lines at nulls and draws steps with H/V', () => {
    const a = findAll(el, 'path').filter((p) => p.attrs['data-series'] === 'a');
    expect(a).toHaveLength(2);
    const b = findAll(el, 'path').find((p) => p.attrs['data-series'] === 'b');
    expect(b?.attrs.d).toMatch(/^M[\d.]+,[\d.]+H[\d.]+V[\d.]+$/);
  });

  it('draws in-range markers only, with tooltips', () => {
    const markers = findAll(el, 'g').filter((g) => g.attrs.class?.startsWith('fault-marker'));
    expect(markers.map((g) => g.attrs['data-t'])).toEqual(['2', '6']);
    expect(findAll(markers[0] ?? el, 'title')[0]?.text).toBe('t+2s killed <pod>');
  });

  it('maps x linearly into the plot area', () => {
    const band = findAll(el, 'rect').find((r) => r.attrs.class === 'band');
    // plot spans x 64..896 for 0..10 s
    expect(Number(band?.attrs.x)).toBeCloseTo(64 + 0.2 * 832, 1);
    expect(Number(band?.attrs.width)).toBeCloseTo(0.4 * 832, 1);
  });

  it('adds hover columns with per-sample text', () => {
    expect(
      findAll(el, 'rect')
        .filter((r) => r.attrs.class === 'hov')
        .map((r) => findAll(r, 'title')[0]?.text),
    ).toEqual(['zero', 'five']);
  });
});

describe('renderHistogram', () => {
  const spec = {
    id: 'h',
    title: 'scores',
    range: [0, 1] as const,
    xLabel: 'score',
    yLabel: 'share',
    series: [
      { name: 'a<&>', color: '#111111', shares: [0.5, 0.25, 0.25, 0], counts: [2, 1, 1, 0] },
      { name: 'b', color: '#222222', shares: [0, 0, Number.NaN, 1], counts: [0, 0, 0, 3] },
    ],
  };

  it('is well-formed, escapes names and draws one bar per bin and series, skipping non-numbers', () => {
    const el = parseXml(renderHistogram(spec));
    const groups = findAll(el, 'g').filter((g) => g.attrs.class === 'bars');
    expect(groups.map((g) => g.attrs['data-series'])).toEqual(['a<&>', 'b']);
    expect(groups.map((g) => findAll(g, 'rect').length)).toEqual([4, 3]);
    expect(findAll(el, 'text').map((t) => t.text)).toEqual(
      expect.arrayContaining(['0', '0.25', '0.5', '0.75', '1', 'score', 'share', 'a<&>', 'b']),
    );
  });

  it('draws a share twice as large twice as tall', () => {
    const el = parseXml(renderHistogram(spec));
    const [half, quarter] = findAll(el, 'rect').filter((rect) => rect.attrs.class === 'bar');
    expect(Number(half?.attrs.height)).toBeCloseTo(2 * Number(quarter?.attrs.height), 0);
  });

  it('says there is no data instead of drawing an empty frame', () => {
    const el = parseXml(renderHistogram({ ...spec, series: [] }));
    expect(findAll(el, 'text').some((t) => t.text === 'No data recorded')).toBe(true);
  });
});

describe('renderShareBars', () => {
  it('stacks each row to the full width and leaves zero shares out', () => {
    const el = parseXml(
      renderShareBars({
        id: 's',
        title: 'classes',
        colors: { x: '#111111', y: '#222222' },
        rows: [
          {
            label: 'one',
            shares: [
              ['x', 0.25],
              ['y', 0.75],
            ],
          },
          {
            label: 'two',
            shares: [
              ['x', 1],
              ['y', 0],
            ],
          },
        ],
      }),
    );
    const rows = findAll(el, 'g').filter((g) => g.attrs.class === 'share-row');
    const widths = rows.map((g) => findAll(g, 'rect').map((rect) => Number(rect.attrs.width)));
    expect(widths[1]).toHaveLength(1);
    expect((widths[0] ?? []).reduce((a, b) => a + b, 0)).toBeCloseTo(widths[1]?.[0] ?? 0, 0);
    expect(widths[0]?.[1]).toBeCloseTo(3 * (widths[0]?.[0] ?? 0), 0);
  });
});
