import { escapeHtml } from './escape.js';
import { formatOffset } from './format.js';

/**
 * A deliberately small time-series chart renderer. report.html must open from an artifact zip on an air-gapped
 * laptop, so there is no charting library and no script: everything is static inline SVG, hover text comes from
 * SVG <title> elements.
 */

export interface ChartSeries {
  name: string;
  color: string;
  axis?: 'left' | 'right';
  /** [t, value]; null breaks the line, so gaps in data stay visible as gaps. */
  points: ReadonlyArray<readonly [number, number | null]>;
  /** Hold each value until the next sample: counts such as ready pods change in steps, not ramps. */
  step?: boolean;
  fill?: boolean;
  dash?: string;
  width?: number;
}

export interface ChartBand {
  start: number;
  end: number;
  label: string;
  fill: string;
}

export interface ChartMarker {
  t: number;
  kind: 'inject' | 'revert';
  label: string;
  detail: string;
  confirmed: boolean;
}

export interface ChartThreshold {
  y: number;
  label: string;
  axis?: 'left' | 'right';
  /** The span the objective applies to; the whole x range when absent. */
  start?: number;
  end?: number;
}

export interface ChartAxis {
  label: string;
  format: (value: number) => string;
  /** Lower bound of the domain; 0 by default because every metric charted here is non-negative. */
  min?: number;
  /** Smallest upper bound, so an all-zero error rate does not stretch noise to full height. */
  minMax?: number;
  integer?: boolean;
}

export interface ChartSpec {
  /** Unique in the document: used for clip-path ids. */
  id: string;
  title: string;
  xDomain: readonly [number, number];
  left: ChartAxis;
  right?: ChartAxis;
  series: readonly ChartSeries[];
  bands?: readonly ChartBand[];
  markers?: readonly ChartMarker[];
  thresholds?: readonly ChartThreshold[];
  /** Hover columns: one tooltip per sample. */
  hover?: ReadonlyArray<{ t: number; text: string }>;
  width?: number;
  height?: number;
}

export const MARKER_COLORS = { inject: '#dc2626', revert: '#16a34a', unconfirmed: '#94a3b8' } as const;
const THRESHOLD_COLOR = '#d97706';
const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, DejaVu Sans, sans-serif';
const CHAR_W = 6.2;
// Labels sit on top of lines and bands; a white outline painted under the glyphs keeps them legible.
const HALO = ' paint-order="stroke" stroke="#ffffff" stroke-width="3" stroke-linejoin="round"';

export function renderChart(spec: ChartSpec): string {
  const W = spec.width ?? 960;
  const H = spec.height ?? 300;
  const m = { left: 64, right: spec.right ? 64 : 24, top: 62, bottom: 34 };
  const plot = { x0: m.left, x1: W - m.right, y0: m.top, y1: H - m.bottom };

  const [xMin, xMax0] = spec.xDomain;
  const xMax = xMax0 > xMin ? xMax0 : xMin + 1;
  const sx = (t: number): number => plot.x0 + ((t - xMin) / (xMax - xMin)) * (plot.x1 - plot.x0);

  const leftScale = yScale(spec.left, spec.series, spec.thresholds, 'left', plot);
  const rightScale = spec.right ? yScale(spec.right, spec.series, spec.thresholds, 'right', plot) : null;
  const scaleFor = (axis: 'left' | 'right' | undefined): YScale =>
    axis === 'right' && rightScale ? rightScale : leftScale;

  const clipId = `${spec.id}-clip`;
  const parts: string[] = [];
  parts.push(
    `<svg class="chart" viewBox="0 0 ${W} ${H}" width="100%" preserveAspectRatio="xMidYMid meet" role="img" ` +
      `aria-label="${escapeHtml(spec.title)}" font-family="${FONT}" font-size="11" id="${escapeHtml(spec.id)}">`,
    `<defs><clipPath id="${escapeHtml(clipId)}"><rect x="${plot.x0}" y="${plot.y0}" width="${plot.x1 - plot.x0}" height="${plot.y1 - plot.y0}"/></clipPath></defs>`,
  );

  // Windows first so everything else draws over them.
  for (const band of spec.bands ?? []) {
    const a = clamp(sx(band.start), plot.x0, plot.x1);
    const b = clamp(sx(band.end), plot.x0, plot.x1);
    if (b - a <= 0) continue;
    parts.push(
      `<rect class="band" x="${r(a)}" y="${plot.y0}" width="${r(b - a)}" height="${plot.y1 - plot.y0}" fill="${band.fill}"/>`,
    );
    if (b - a > band.label.length * CHAR_W + 10) {
      parts.push(
        `<text class="band-label" x="${r(a + 6)}" y="${plot.y0 + 14}" fill="#64748b" font-size="10" letter-spacing="0.6">${escapeHtml(band.label.toUpperCase())}</text>`,
      );
    }
  }

  // Grid and y axes.
  for (const tick of leftScale.ticks) {
    const y = r(leftScale.y(tick));
    parts.push(
      `<line x1="${plot.x0}" x2="${plot.x1}" y1="${y}" y2="${y}" stroke="#e2e8f0" stroke-width="1"/>`,
    );
    parts.push(
      `<text x="${plot.x0 - 8}" y="${y}" dy="0.32em" text-anchor="end" fill="#64748b">${escapeHtml(spec.left.format(tick))}</text>`,
    );
  }
  if (rightScale && spec.right) {
    for (const tick of rightScale.ticks) {
      const y = r(rightScale.y(tick));
      parts.push(
        `<text x="${plot.x1 + 8}" y="${y}" dy="0.32em" text-anchor="start" fill="#64748b">${escapeHtml(spec.right.format(tick))}</text>`,
      );
    }
    parts.push(axisTitle(spec.right.label, W - 14, (plot.y0 + plot.y1) / 2));
  }
  parts.push(axisTitle(spec.left.label, 16, (plot.y0 + plot.y1) / 2));

  // x axis.
  for (const tick of timeTicks(xMin, xMax)) {
    const x = r(sx(tick.t));
    parts.push(`<line x1="${x}" x2="${x}" y1="${plot.y1}" y2="${plot.y1 + 4}" stroke="#94a3b8"/>`);
    parts.push(
      `<text x="${x}" y="${plot.y1 + 18}" text-anchor="middle" fill="#64748b">${escapeHtml(tick.label)}</text>`,
    );
  }
  parts.push(
    `<line x1="${plot.x0}" x2="${plot.x1}" y1="${plot.y1}" y2="${plot.y1}" stroke="#94a3b8" stroke-width="1"/>`,
  );

  // Data.
  const hasData = spec.series.some((s) => s.points.some(([, v]) => v !== null && Number.isFinite(v)));
  parts.push(`<g clip-path="url(#${escapeHtml(clipId)})">`);
  for (const series of spec.series) {
    const scale = scaleFor(series.axis);
    const segments = toSegments(series, sx, scale.y);
    for (const seg of segments) {
      if (series.fill && seg.length > 0) {
        const first = seg[0];
        const last = seg[seg.length - 1];
        if (first && last) {
          const base = r(scale.y(scale.min));
          parts.push(
            `<path d="${pathD(seg, series.step)} L${r(last[0])},${base} L${r(first[0])},${base} Z" fill="${series.color}" fill-opacity="0.1" stroke="none"/>`,
          );
        }
      }
      parts.push(
        `<path class="series" data-series="${escapeHtml(series.name)}" d="${pathD(seg, series.step)}" fill="none" stroke="${series.color}" ` +
          `stroke-width="${series.width ?? 1.8}" stroke-linejoin="round" stroke-linecap="round"${series.dash ? ` stroke-dasharray="${series.dash}"` : ''}/>`,
      );
    }
  }
  for (const th of spec.thresholds ?? []) {
    const scale = scaleFor(th.axis);
    const y = r(scale.y(th.y));
    const a = r(clamp(sx(th.start ?? xMin), plot.x0, plot.x1));
    const b = r(clamp(sx(th.end ?? xMax), plot.x0, plot.x1));
    parts.push(
      `<g class="threshold"><title>${escapeHtml(th.label)}</title>` +
        `<line x1="${a}" x2="${b}" y1="${y}" y2="${y}" stroke="${THRESHOLD_COLOR}" stroke-width="1.5" stroke-dasharray="6 4"/>` +
        `<text x="${r(b - 4)}" y="${r(y - 5)}" text-anchor="end" fill="${THRESHOLD_COLOR}" font-size="10" font-weight="600"${HALO}>${escapeHtml(th.label)}</text></g>`,
    );
  }
  parts.push('</g>');

  if (!hasData) {
    parts.push(
      `<text x="${r((plot.x0 + plot.x1) / 2)}" y="${r((plot.y0 + plot.y1) / 2)}" text-anchor="middle" fill="#94a3b8" font-size="14">No data recorded</text>`,
    );
  }

  // Hover columns go under the markers so a marker's own tooltip wins where they overlap.
  parts.push(...hoverParts(spec.hover ?? [], sx, plot));
  parts.push(...markerParts(spec.markers ?? [], sx, plot));
  parts.push(legend(spec, plot));
  parts.push('</svg>');
  return parts.join('\n');
}

interface Plot {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

interface YScale {
  min: number;
  max: number;
  ticks: number[];
  y: (v: number) => number;
}

function yScale(
  axis: ChartAxis,
  series: readonly ChartSeries[],
  thresholds: readonly ChartThreshold[] | undefined,
  side: 'left' | 'right',
  plot: Plot,
): YScale {
  const onSide = (a: 'left' | 'right' | undefined): boolean => (a ?? 'left') === side;
  let hi = axis.minMax ?? 0;
  for (const s of series) {
    if (!onSide(s.axis)) continue;
    for (const [, v] of s.points) if (v !== null && Number.isFinite(v) && v > hi) hi = v;
  }
  for (const th of thresholds ?? []) if (onSide(th.axis) && th.y > hi) hi = th.y;
  const lo = axis.min ?? 0;
  if (hi <= lo) hi = lo + 1;
  // Headroom keeps the top line and threshold labels off the frame.
  const ticks = niceTicks(lo, lo + (hi - lo) * 1.08, 5, axis.integer ?? false);
  const min = ticks[0] ?? lo;
  const max = ticks[ticks.length - 1] ?? hi;
  const y = (v: number): number => plot.y1 - ((v - min) / (max - min || 1)) * (plot.y1 - plot.y0);
  return { min, max, ticks, y };
}

export function niceTicks(lo: number, hi: number, count: number, integer: boolean): number[] {
  let step = niceStep((hi - lo) / Math.max(1, count));
  if (integer) step = Math.max(1, Math.round(step));
  const start = Math.floor(lo / step) * step;
  const end = Math.ceil(hi / step) * step;
  const ticks: number[] = [];
  for (let i = 0; start + i * step <= end + step * 1e-9 && i < 100; i++) {
    ticks.push(Number((start + i * step).toPrecision(12)));
  }
  return ticks;
}

function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const exp = Math.floor(Math.log10(raw));
  const base = 10 ** exp;
  const f = raw / base;
  const nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
  return nice * base;
}

const TIME_STEPS = [1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 14400];

export function timeTicks(xMin: number, xMax: number): Array<{ t: number; label: string }> {
  const span = xMax - xMin;
  const step = TIME_STEPS.find((s) => span / s <= 10) ?? Math.ceil(span / 10);
  const ticks: Array<{ t: number; label: string }> = [];
  for (let t = Math.ceil(xMin / step) * step; t <= xMax + 1e-9; t += step) {
    ticks.push({ t, label: timeLabel(t, span) });
  }
  return ticks;
}

function timeLabel(t: number, span: number): string {
  if (span <= 180) return `${t}s`;
  const sign = t < 0 ? '-' : '';
  const abs = Math.abs(t);
  const minutes = Math.floor(abs / 60);
  const secs = Math.round(abs % 60);
  return secs === 0 ? `${sign}${minutes}m` : `${sign}${minutes}:${String(secs).padStart(2, '0')}`;
}

function toSegments(
  series: ChartSeries,
  sx: (t: number) => number,
  sy: (v: number) => number,
): Array<Array<[number, number]>> {
  const segments: Array<Array<[number, number]>> = [];
  let current: Array<[number, number]> = [];
  const sorted = [...series.points].sort((a, b) => a[0] - b[0]);
  for (const [t, v] of sorted) {
    if (v === null || !Number.isFinite(v) || !Number.isFinite(t)) {
      if (current.length > 0) segments.push(current);
      current = [];
      continue;
    }
    current.push([sx(t), sy(v)]);
  }
  if (current.length > 0) segments.push(current);
  return segments;
}

function pathD(seg: ReadonlyArray<readonly [number, number]>, step: boolean | undefined): string {
  const out: string[] = [];
  seg.forEach(([x, y], i) => {
    if (i === 0) out.push(`M${r(x)},${r(y)}`);
    else if (step) out.push(`H${r(x)}V${r(y)}`);
    else out.push(`L${r(x)},${r(y)}`);
  });
  // A lone sample would be an invisible zero-length path; give it a short tick.
  if (seg.length === 1) out.push('h0.01');
  return out.join('');
}

function markerParts(markers: readonly ChartMarker[], sx: (t: number) => number, plot: Plot): string[] {
  const parts: string[] = [];
  // Two label rows above the plot; a label that fits in neither is left to the tooltip.
  const rowEnds = [-Infinity, -Infinity];
  const rowY = [plot.y0 - 22, plot.y0 - 8];
  for (const marker of markers) {
    const x = sx(marker.t);
    if (x < plot.x0 - 0.5 || x > plot.x1 + 0.5) continue;
    const color = !marker.confirmed
      ? MARKER_COLORS.unconfirmed
      : marker.kind === 'inject'
        ? MARKER_COLORS.inject
        : MARKER_COLORS.revert;
    const dash = marker.kind === 'revert' || !marker.confirmed ? ' stroke-dasharray="5 3"' : '';
    const text = [
      marker.kind === 'inject' ? 'inject' : 'revert',
      marker.label,
      marker.confirmed ? '' : '(not confirmed)',
    ]
      .filter((part) => part !== '')
      .join(' ');
    const textW = text.length * CHAR_W + 10;
    const anchorEnd = x + textW > plot.x1 + 40;
    const left = anchorEnd ? x - textW : x;
    const right = anchorEnd ? x : x + textW;
    const row = rowEnds.findIndex((end) => left > end + 4);
    const xs = r(x);
    parts.push(
      `<g class="fault-marker marker-${marker.kind}" data-t="${r(marker.t)}"><title>${escapeHtml(`${formatOffset(marker.t)} ${marker.detail}`)}</title>`,
      `<line x1="${xs}" x2="${xs}" y1="${plot.y0}" y2="${plot.y1}" stroke="${color}" stroke-width="1.6"${dash}/>`,
      `<line x1="${xs}" x2="${xs}" y1="${plot.y0}" y2="${plot.y1}" stroke="transparent" stroke-width="9"/>`,
      `<path d="M${r(x - 4)},${plot.y0 - 1} L${r(x + 4)},${plot.y0 - 1} L${xs},${plot.y0 + 5} Z" fill="${color}"/>`,
    );
    const y = row >= 0 ? rowY[row] : undefined;
    if (row >= 0 && y !== undefined) {
      rowEnds[row] = right;
      parts.push(
        `<text x="${r(anchorEnd ? x - 4 : x + 4)}" y="${y}" text-anchor="${anchorEnd ? 'end' : 'start'}" fill="${color}" font-size="10.5" font-weight="600"${HALO}>${escapeHtml(text)}</text>`,
      );
    }
    parts.push('</g>');
  }
  return parts;
}

function hoverParts(
  hover: ReadonlyArray<{ t: number; text: string }>,
  sx: (t: number) => number,
  plot: Plot,
): string[] {
  if (hover.length === 0) return [];
  const sorted = [...hover].sort((a, b) => a.t - b.t);
  const parts = ['<g class="hover">'];
  sorted.forEach((h, i) => {
    const prev = sorted[i - 1];
    const next = sorted[i + 1];
    const x = sx(h.t);
    const a = clamp(prev ? (sx(prev.t) + x) / 2 : x - 2, plot.x0, plot.x1);
    const b = clamp(next ? (sx(next.t) + x) / 2 : x + 2, plot.x0, plot.x1);
    if (b - a <= 0) return;
    parts.push(
      `<rect class="hov" x="${r(a)}" y="${plot.y0}" width="${r(b - a)}" height="${plot.y1 - plot.y0}" fill="transparent"><title>${escapeHtml(h.text)}</title></rect>`,
    );
  });
  parts.push('</g>');
  return parts;
}

function legend(spec: ChartSpec, plot: Plot): string {
  const items: string[] = [];
  let x = plot.x0;
  const y = 16;
  const add = (label: string, swatch: string): void => {
    items.push(
      `<g transform="translate(${r(x)},${y})">${swatch}<text x="22" y="0" dy="0.32em" fill="#334155">${escapeHtml(label)}</text></g>`,
    );
    x += 22 + label.length * CHAR_W + 18;
  };
  for (const s of spec.series) {
    const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
    add(
      s.axis === 'right' && spec.right ? `${s.name} (right axis)` : s.name,
      `<line x1="0" x2="16" y1="0" y2="0" stroke="${s.color}" stroke-width="3" stroke-linecap="round"${dash}/>`,
    );
  }
  if ((spec.thresholds ?? []).length > 0) {
    add(
      'SLO threshold',
      `<line x1="0" x2="16" y1="0" y2="0" stroke="${THRESHOLD_COLOR}" stroke-width="2" stroke-dasharray="4 3"/>`,
    );
  }
  const markers = spec.markers ?? [];
  if (markers.some((mk) => mk.kind === 'inject' && mk.confirmed)) {
    add(
      'fault injected',
      `<line x1="8" x2="8" y1="-7" y2="7" stroke="${MARKER_COLORS.inject}" stroke-width="2"/>`,
    );
  }
  if (markers.some((mk) => !mk.confirmed)) {
    add(
      'not confirmed',
      `<line x1="8" x2="8" y1="-7" y2="7" stroke="${MARKER_COLORS.unconfirmed}" stroke-width="2" stroke-dasharray="3 2"/>`,
    );
  }
  if (markers.some((mk) => mk.kind === 'revert')) {
    add(
      'fault reverted',
      `<line x1="8" x2="8" y1="-7" y2="7" stroke="${MARKER_COLORS.revert}" stroke-width="2" stroke-dasharray="3 2"/>`,
    );
  }
  return `<g class="legend">${items.join('')}</g>`;
}

function axisTitle(label: string, x: number, y: number): string {
  return `<text x="${r(x)}" y="${r(y)}" transform="rotate(-90 ${r(x)} ${r(y)})" text-anchor="middle" fill="#475569" font-size="11">${escapeHtml(label)}</text>`;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

function r(v: number): number {
  return Math.round(v * 10) / 10;
}

/** One group of bars: a window's histogram, as shares so windows of different lengths compare. */
export interface HistogramSeries {
  name: string;
  color: string;
  /** Share of the series' total in each bin, 0..1; one per bin. */
  shares: readonly number[];
  /** Counts behind the shares, for the hover text. */
  counts: readonly number[];
}

export interface HistogramSpec {
  id: string;
  title: string;
  /** The value range the equal bins split. */
  range: readonly [number, number];
  xLabel: string;
  yLabel: string;
  series: readonly HistogramSeries[];
  width?: number;
  height?: number;
}

/**
 * Grouped bars, one group per bin and one bar per series, for distributions that are compared rather than
 * followed over time (the model's score in the baseline and fault windows).
 */
export function renderHistogram(spec: HistogramSpec): string {
  const W = spec.width ?? 960;
  const H = spec.height ?? 280;
  const plot = { x0: 64, x1: W - 24, y0: 40, y1: H - 44 };
  const bins = Math.max(0, ...spec.series.map((s) => s.shares.length));
  const [lo, hi] = spec.range;
  const hiShare = Math.max(0.01, ...spec.series.flatMap((s) => s.shares.filter(Number.isFinite)));
  const ticks = niceTicks(0, hiShare * 1.08, 5, false);
  const yMax = ticks[ticks.length - 1] ?? 1;
  const sy = (v: number): number => plot.y1 - (v / (yMax || 1)) * (plot.y1 - plot.y0);
  const binW = bins > 0 ? (plot.x1 - plot.x0) / bins : plot.x1 - plot.x0;
  const gap = Math.min(4, binW * 0.15);
  const barW = spec.series.length > 0 ? (binW - gap) / spec.series.length : 0;
  const edge = (i: number): number => lo + ((hi - lo) * i) / Math.max(1, bins);
  const fmtEdge = (v: number): string => String(Number(v.toPrecision(4)));
  const pct = (v: number): string => `${Number((v * 100).toFixed(2))}%`;

  const parts: string[] = [
    `<svg class="chart" viewBox="0 0 ${W} ${H}" width="100%" preserveAspectRatio="xMidYMid meet" role="img" ` +
      `aria-label="${escapeHtml(spec.title)}" font-family="${FONT}" font-size="11" id="${escapeHtml(spec.id)}">`,
  ];
  for (const tick of ticks) {
    const y = r(sy(tick));
    parts.push(
      `<line x1="${plot.x0}" x2="${plot.x1}" y1="${y}" y2="${y}" stroke="#e2e8f0" stroke-width="1"/>`,
      `<text x="${plot.x0 - 8}" y="${y}" dy="0.32em" text-anchor="end" fill="#64748b">${escapeHtml(pct(tick))}</text>`,
    );
  }
  parts.push(axisTitle(spec.yLabel, 16, (plot.y0 + plot.y1) / 2));

  spec.series.forEach((series, si) => {
    parts.push(`<g class="bars" data-series="${escapeHtml(series.name)}">`);
    series.shares.forEach((share, bin) => {
      if (!Number.isFinite(share)) return;
      const x = plot.x0 + bin * binW + gap / 2 + si * barW;
      const y = sy(share);
      const text =
        `${series.name}: ${fmtEdge(edge(bin))} to ${fmtEdge(edge(bin + 1))}: ${pct(share)}` +
        ` (${series.counts[bin] ?? 0} answers)`;
      parts.push(
        `<rect class="bar" x="${r(x)}" y="${r(y)}" width="${r(Math.max(0.5, barW))}" height="${r(Math.max(0, plot.y1 - y))}" fill="${series.color}"><title>${escapeHtml(text)}</title></rect>`,
      );
    });
    parts.push('</g>');
  });

  // Bin edges: every edge when they fit, otherwise every few, always both ends.
  const every = Math.max(1, Math.ceil(bins / 10));
  for (let i = 0; i <= bins; i++) {
    if (i % every !== 0 && i !== bins) continue;
    const x = r(plot.x0 + i * binW);
    parts.push(
      `<line x1="${x}" x2="${x}" y1="${plot.y1}" y2="${plot.y1 + 4}" stroke="#94a3b8"/>`,
      `<text x="${x}" y="${plot.y1 + 16}" text-anchor="middle" fill="#64748b">${escapeHtml(fmtEdge(edge(i)))}</text>`,
    );
  }
  parts.push(
    `<line x1="${plot.x0}" x2="${plot.x1}" y1="${plot.y1}" y2="${plot.y1}" stroke="#94a3b8" stroke-width="1"/>`,
    `<text x="${r((plot.x0 + plot.x1) / 2)}" y="${H - 8}" text-anchor="middle" fill="#475569" font-size="11">${escapeHtml(spec.xLabel)}</text>`,
  );
  if (spec.series.length === 0 || bins === 0) {
    parts.push(
      `<text x="${r((plot.x0 + plot.x1) / 2)}" y="${r((plot.y0 + plot.y1) / 2)}" text-anchor="middle" fill="#94a3b8" font-size="14">No data recorded</text>`,
    );
  }
  parts.push(swatchLegend(spec.series, plot.x0, 16), '</svg>');
  return parts.join('\n');
}

export interface ShareRow {
  label: string;
  /** [name, share 0..1], in drawing order. */
  shares: ReadonlyArray<readonly [string, number]>;
}

/**
 * One stacked bar per row, each segment a category's share: how the answers split into classes, window by
 * window. A category keeps its colour in every row.
 */
export function renderShareBars(spec: {
  id: string;
  title: string;
  rows: readonly ShareRow[];
  colors: Readonly<Record<string, string>>;
  width?: number;
}): string {
  const W = spec.width ?? 960;
  const rowH = 26;
  const top = 36;
  const H = top + spec.rows.length * (rowH + 10) + 8;
  const x0 = 96;
  const x1 = W - 24;
  const parts: string[] = [
    `<svg class="chart" viewBox="0 0 ${W} ${H}" width="100%" preserveAspectRatio="xMidYMid meet" role="img" ` +
      `aria-label="${escapeHtml(spec.title)}" font-family="${FONT}" font-size="11" id="${escapeHtml(spec.id)}">`,
  ];
  spec.rows.forEach((row, i) => {
    const y = top + i * (rowH + 10);
    parts.push(
      `<text x="${x0 - 8}" y="${r(y + rowH / 2)}" dy="0.32em" text-anchor="end" fill="#334155">${escapeHtml(row.label)}</text>`,
      `<g class="share-row" data-row="${escapeHtml(row.label)}">`,
    );
    let x = x0;
    for (const [name, share] of row.shares) {
      if (!(share > 0)) continue;
      const w = share * (x1 - x0);
      const text = `${row.label}: ${name} ${Number((share * 100).toFixed(2))}%`;
      parts.push(
        `<rect class="share" x="${r(x)}" y="${y}" width="${r(w)}" height="${rowH}" fill="${spec.colors[name] ?? '#94a3b8'}" stroke="#ffffff" stroke-width="1"><title>${escapeHtml(text)}</title></rect>`,
      );
      const label = `${name} ${Number((share * 100).toFixed(1))}%`;
      if (w > label.length * CHAR_W + 8) {
        parts.push(
          `<text x="${r(x + 6)}" y="${r(y + rowH / 2)}" dy="0.32em" fill="#ffffff" font-weight="600">${escapeHtml(label)}</text>`,
        );
      }
      x += w;
    }
    parts.push('</g>');
  });
  const names = [...new Set(spec.rows.flatMap((row) => row.shares.map(([name]) => name)))];
  parts.push(
    swatchLegend(
      names.map((name) => ({ name, color: spec.colors[name] ?? '#94a3b8' })),
      x0,
      16,
    ),
    '</svg>',
  );
  return parts.join('\n');
}

function swatchLegend(items: ReadonlyArray<{ name: string; color: string }>, x0: number, y: number): string {
  let x = x0;
  const out: string[] = [];
  for (const item of items) {
    out.push(
      `<g transform="translate(${r(x)},${y})"><rect x="0" y="-6" width="14" height="12" rx="2" fill="${item.color}"/>` +
        `<text x="20" y="0" dy="0.32em" fill="#334155">${escapeHtml(item.name)}</text></g>`,
    );
    x += 20 + item.name.length * CHAR_W + 18;
  }
  return `<g class="legend">${out.join('')}</g>`;
}
