/**
 * Where a model's answer sits in a response body, as scenario authors write it: `predictions[*].score`,
 * `outputs[0].data[*]`, `outputs[name=predict].data[*]`. Parsed once when the scenario loads into the form k6
 * evaluates: a gjson path for `Response.json(selector)`, so answers are picked out by k6's Go side instead of a
 * JSON.parse in the VU's JavaScript (the capture's cost is per request; see bench/cost.ts).
 */

// One key, then any number of [*], [index] or [field=value] (the first item of the array whose field is value:
// the Open Inference Protocol names its outputs instead of fixing their order).
const SEGMENT = String.raw`[A-Za-z_][A-Za-z0-9_-]*(\[(\*|\d+|[A-Za-z_][A-Za-z0-9_-]*=[A-Za-z0-9_.:-]+)\])*`;
export const ANSWER_PATH_PATTERN = new RegExp(`^${SEGMENT}(\\.${SEGMENT})*$`);
export const ANSWER_PATH_MESSAGE =
  'expected a path like predictions[*].score or outputs[name=predict].data: keys joined by dots, each optionally followed by [*], [index] or [field=value]';

// gjson cannot fan out twice in a row before a key (`a[*][*].b`); at the end it is one nested array.
const NESTED_WILDCARD = /\[\*\]\[\*\](?!(\[\*\])*$)/;

export const NESTED_WILDCARD_MESSAGE = '[*][*] is only supported at the end of a path';

export function answerPathProblem(text: string): string | null {
  if (!ANSWER_PATH_PATTERN.test(text)) return ANSWER_PATH_MESSAGE;
  if (NESTED_WILDCARD.test(text)) return NESTED_WILDCARD_MESSAGE;
  return null;
}

export class AnswerPath {
  constructor(
    readonly text: string,
    /** The same path in gjson syntax: `predictions.#.score`, `outputs.0.data`, `outputs.#(name=="predict")`. */
    readonly gjson: string,
  ) {}

  static parse(text: string): AnswerPath {
    if (answerPathProblem(text) !== null) throw new RangeError(`not an answer path: ${text}`);
    // gjson's `#` as the last segment is the array's length, not its items: a trailing [*] is the array
    // itself, which the script flattens.
    const gjson = text
      .replace(/(\[\*\])+$/, '')
      .replace(/\[\*\]/g, '.#')
      .replace(/\[(\d+)\]/g, '.$1')
      .replace(/\[([A-Za-z_][A-Za-z0-9_-]*)=([^\]]+)\]/g, '.#($1=="$2")');
    return new AnswerPath(text, gjson);
  }

  toJSON(): string {
    return this.text;
  }
}

/**
 * The first value the path finds in an already parsed document (a /version or V2 metadata answer, read once
 * before the run); undefined when it finds nothing. Per-request answers are read by k6 with `gjson` instead.
 */
export function firstAt(doc: unknown, path: AnswerPath): unknown {
  let found: unknown[] = [doc];
  for (const segment of path.text.split('.')) {
    const m = /^([^[]+)(.*)$/.exec(segment)!;
    found = found.flatMap((v) =>
      v !== null && typeof v === 'object' && !Array.isArray(v) && m[1]! in v
        ? [(v as Record<string, unknown>)[m[1]!]]
        : [],
    );
    for (const [, sel] of m[2]!.matchAll(/\[([^\]]+)\]/g)) {
      found = found.flatMap((v): unknown[] => {
        if (!Array.isArray(v)) return [];
        if (sel === '*') return v as unknown[];
        if (/^\d+$/.test(sel!)) return Number(sel) < v.length ? [v[Number(sel)]] : [];
        const [field, value] = sel!.split('=') as [string, string];
        const hit = (v as unknown[]).find(
          (x) =>
            x !== null && typeof x === 'object' && String((x as Record<string, unknown>)[field]) === value,
        );
        return hit === undefined ? [] : [hit];
      });
    }
  }
  return found[0];
}
