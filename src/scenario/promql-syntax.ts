/**
 * PromQL syntax, checked with Prometheus's own grammar (@prometheus-io/lezer-promql, the parser behind the
 * Prometheus UI's editor) so a typo is refused at validation, before any cluster is touched. It checks syntax
 * only; what the server alone can tell (an unknown function's arity, type errors) comes back from the
 * server verbatim when the query runs.
 */
import { parser } from '@prometheus-io/lezer-promql';

/** The placeholder a promql SLO may use for its window's length, e.g. `increase(x[$window])`. */
export const WINDOW_PLACEHOLDER = '$window';

export function withWindow(query: string, windowMs: number): string {
  return query.split(WINDOW_PLACEHOLDER).join(`${Math.max(1, Math.round(windowMs / 1000))}s`);
}

/** The first syntax error: its offset in the query and a short description, or null when it parses. */
export function promqlSyntaxError(query: string): { offset: number; message: string } | null {
  const text = withWindow(query, 60_000);
  const tree = parser.parse(text);
  let offset: number | null = null;
  tree.iterate({
    enter: (node) => {
      if (offset === null && node.type.isError) offset = node.from;
      return offset === null;
    },
  });
  if (offset === null) return null;
  const at: number = offset;
  const near = text.slice(at, at + 20);
  return {
    offset: at,
    message: near ? `PromQL syntax error at character ${at + 1}, near "${near}"` : 'PromQL ends too early',
  };
}
