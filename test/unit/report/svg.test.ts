import { describe, expect, it } from 'vitest';
import { niceTicks, renderChart, timeTicks } from '../../../src/report/svg.js';
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
