/**
 * The k6 threshold expressions the harness judges itself, once, on the merged load of several runners: k6 would
 * judge each runner's share apart, which no runner can do for the whole (a p95 of p95s is not a p95). The subset
 * is what the merged windows hold exactly: http_req_duration's p(50|90|95|99), avg, med, min, max; http_req_failed's
 * rate; http_reqs' count and rate; for the whole load or one window (`http_req_duration{window:fault}`).
 */

export type ThresholdStat = 'p50' | 'p90' | 'p95' | 'p99' | 'avg' | 'min' | 'max' | 'rate' | 'count';
export type ThresholdOp = '<' | '<=' | '>' | '>=' | '==' | '!=';

export interface MergedThreshold {
  /** As written in load.thresholds: the metric with its tags, and the expression. */
  metric: string;
  expression: string;
  /** The window it is about; 'all' without a window tag. */
  window: string;
  base: 'http_req_duration' | 'http_req_failed' | 'http_reqs';
  stat: ThresholdStat;
  op: ThresholdOp;
  value: number;
}

const STATS: Record<MergedThreshold['base'], Record<string, ThresholdStat>> = {
  http_req_duration: {
    'p(50)': 'p50',
    'p(90)': 'p90',
    'p(95)': 'p95',
    'p(99)': 'p99',
    med: 'p50',
    avg: 'avg',
    min: 'min',
    max: 'max',
  },
  http_req_failed: { rate: 'rate' },
  http_reqs: { count: 'count', rate: 'rate' },
};

const EXPRESSION = /^\s*([a-z]+(?:\(\d+(?:\.\d+)?\))?)\s*(<=|>=|===|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/;

/** The threshold, or why runners cannot judge it. */
export function parseMergedThreshold(
  metric: string,
  expression: string,
  windows: readonly string[],
): MergedThreshold | { problem: string } {
  const m = /^([a-z_]+)(?:\{window:([A-Za-z0-9_-]+)\})?$/.exec(metric.trim());
  const supported = `with runners the harness judges thresholds itself: ${Object.keys(STATS).join(', ')}, alone or with {window:<name>}`;
  if (!m || !(m[1]! in STATS)) return { problem: `${metric}: ${supported}` };
  const base = m[1] as MergedThreshold['base'];
  const window = m[2] ?? 'all';
  if (window !== 'all' && !windows.includes(window))
    return { problem: `${metric}: no window named ${window} (windows: ${windows.join(', ')})` };
  const e = EXPRESSION.exec(expression);
  const stat = e ? STATS[base][e[1]!] : undefined;
  if (!e || !stat)
    return {
      problem: `${JSON.stringify(expression)}: with runners, ${base} takes ${Object.keys(STATS[base]).join(', ')} compared with a number, e.g. ${base === 'http_req_duration' ? 'p(95)<250' : base === 'http_req_failed' ? 'rate<0.02' : 'count>100'}`,
    };
  const op = (e[2] === '===' ? '==' : e[2]) as ThresholdOp;
  return { metric, expression, window, base, stat, op, value: Number(e[3]) };
}

export function holds(measured: number, op: ThresholdOp, value: number): boolean {
  switch (op) {
    case '<':
      return measured < value;
    case '<=':
      return measured <= value;
    case '>':
      return measured > value;
    case '>=':
      return measured >= value;
    case '==':
      return measured === value;
    case '!=':
      return measured !== value;
  }
}
