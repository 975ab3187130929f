/**
 * Where a model's answer sits in a response body, as scenario authors write it: `predictions[*].score`,
 * `outputs[0].data[*]`. Parsed once when the scenario loads into the form k6 evaluates: a gjson path for
 * `Response.json(selector)`, so answers are picked out by k6's Go side instead of a JSON.parse in the VU's
 * JavaScript (the capture's cost is per request; see bench/cost.ts).
 */
export const ANSWER_PATH_PATTERN =
  /^[A-Za-z_][A-Za-z0-9_-]*(\[(\*|\d+)\])*(\.[A-Za-z_][A-Za-z0-9_-]*(\[(\*|\d+)\])*)*$/;
export const ANSWER_PATH_MESSAGE =
  'expected a path like predictions[*].score: keys joined by dots, each optionally followed by [*] or [index]';

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
    /** The same path in gjson syntax: `predictions.#.score`, `outputs.0.data`. */
    readonly gjson: string,
  ) {}

  static parse(text: string): AnswerPath {
    if (answerPathProblem(text) !== null) throw new RangeError(`not an answer path: ${text}`);
    // gjson's `#` as the last segment is the array's length, not its items: a trailing [*] is the array
    // itself, which the script flattens.
    const gjson = text
      .replace(/(\[\*\])+$/, '')
      .replace(/\[\*\]/g, '.#')
      .replace(/\[(\d+)\]/g, '.$1');
    return new AnswerPath(text, gjson);
  }

  toJSON(): string {
    return this.text;
  }
}
