/**
 * Property tests for parseScenario: whatever bytes arrive, it returns (never throws), quickly, and every
 * diagnostic can be printed as one `file:line:col: path: message` line that points inside the file.
 * Failing seeds are printed by fast-check; rerun with `fc.assert(..., { seed, path })` to replay, and set
 * CHAOS_FUZZ_SCALE to run more cases.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { MAX_DIAGNOSTICS } from '../../../src/scenario/diagnostics.js';
import { parseScenario, type LoadResult } from '../../../src/scenario/parse.js';
import { VALID, withCpuMs } from './helpers.js';

/** Per input; the whole file stays at a few seconds. */
const MAX_MS = 1500;
/** CHAOS_FUZZ_SCALE=20 npx vitest run test/unit/scenario/fuzz.test.ts for a longer hunt. */
const SCALE = Number(process.env.CHAOS_FUZZ_SCALE ?? 1) || 1;
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));
const TIMEOUT = { timeout: 30_000 * SCALE };

function lineCount(input: string | Uint8Array): number {
  if (typeof input === 'string') return input.split('\n').length;
  let n = 1;
  for (const b of input) if (b === 0x0a) n++;
  return n;
}

/** parseScenario plus every invariant the CLI relies on; returns the result for further checks. */
function check(input: string | Uint8Array): LoadResult {
  let measured: { result: LoadResult; cpuMs: number };
  try {
    measured = withCpuMs(() => parseScenario(input, 'f.yaml'));
  } catch (error) {
    throw new Error(`parseScenario threw: ${String(error)}`);
  }
  const { result, cpuMs } = measured;
  if (cpuMs > MAX_MS) throw new Error(`parseScenario took ${Math.round(cpuMs)}ms of CPU`);
  if (result.ok) return result;
  const { diagnostics } = result;
  expect(diagnostics.length).toBeGreaterThanOrEqual(1);
  expect(diagnostics.length).toBeLessThanOrEqual(MAX_DIAGNOSTICS + 1);
  const lines = lineCount(input);
  for (const d of diagnostics) {
    expect(d.file).toBe('f.yaml');
    expect(Number.isInteger(d.line) && d.line >= 1 && d.line <= lines, `line ${d.line} of ${lines}`).toBe(
      true,
    );
    expect(Number.isInteger(d.col) && d.col >= 1, `col ${d.col}`).toBe(true);
    expect(d.path.length).toBeGreaterThan(0);
    expect(d.message.length).toBeGreaterThan(0);
    // One diagnostic, one line of output, no raw control characters on the terminal.
    // eslint-disable-next-line no-control-regex
    const controls = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
    expect(controls.test(d.path) || controls.test(d.message), JSON.stringify(d)).toBe(false);
    expect(d.message).not.toMatch(/internal error|\[object Object\]|undefined/);
  }
  return result;
}

const VALID_DATA = parseYaml(VALID) as Record<string, unknown>;

/** Every path to a value in the valid scenario: the places a mutation can hit. */
function allPaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...allPaths(v, [...prefix, i])));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) out.push(...allPaths(v, [...prefix, k]));
  }
  return out;
}
const PATHS = allPaths(VALID_DATA).filter((p) => p.length > 0);

const absurd = fc.constantFrom<unknown>(
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER + 2,
  -1,
  0,
  -0,
  0.5,
  Infinity,
  -Infinity,
  NaN,
  '',
  ' ',
  'x'.repeat(5000),
  '1e308s',
  '99999999999999999999999h',
  '-5s',
  '150%',
  '0%',
  null,
  [],
  {},
  true,
  'kube-system',
  '\u202e\u0000',
);
const weird = fc.oneof(absurd, fc.jsonValue({ maxDepth: 3 }), fc.string({ maxLength: 20 }));

type Mutation =
  | { op: 'delete'; at: number }
  | { op: 'set'; at: number; value: unknown }
  | { op: 'add'; at: number; key: string; value: unknown };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(PATHS.length - 1) }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(PATHS.length - 1), value: weird }),
  fc.record({
    op: fc.constant('add' as const),
    at: fc.nat(PATHS.length - 1),
    key: fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom('type', 'count', 'percent', '$schema', '__proto__', 'constructor'),
    ),
    value: weird,
  }),
);

function mutate(data: unknown, m: Mutation): unknown {
  const copy = structuredClone(data) as Record<string | number, unknown>;
  const path = PATHS[m.at]!;
  let parent: Record<string | number, unknown> = copy;
  for (const segment of path.slice(0, -1)) {
    const next = parent[segment];
    if (next === null || typeof next !== 'object') return copy;
    parent = next as Record<string | number, unknown>;
  }
  const last = path[path.length - 1]!;
  if (m.op === 'delete') {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else if (m.op === 'set') {
    parent[last] = m.value;
  } else {
    const target = parent[last];
    if (target !== null && typeof target === 'object' && !Array.isArray(target)) {
      Object.defineProperty(target, m.key, {
        value: m.value,
        enumerable: true,
        configurable: true,
        writable: true,
      });
    } else parent[last] = { [m.key]: m.value };
  }
  return copy;
}

const YAML_TOKENS = [
  '[',
  ']',
  '{',
  '}',
  ',',
  ':',
  ': ',
  '- ',
  '? ',
  '&a ',
  '*a',
  '&b ',
  '*b',
  '!tag ',
  '!!str ',
  '!!binary ',
  '|',
  '>-',
  '#',
  "'",
  '"',
  '\\',
  '\n',
  '\n  ',
  '\n    ',
  '\t',
  ' ',
  '---\n',
  '...\n',
  '%YAML 1.2\n',
  '<<: ',
  'a',
  'kind',
  'apiVersion',
  'chaos/v1',
  'Scenario',
  '1e308',
  '-1',
  '.inf',
  '~',
  'null',
  'true',
  '30s',
  '2%',
  '\u00e9',
  '\ufeff',
  '\u0085',
  '\u2028',
  '\r',
  '\r\n',
  'faults',
  'type',
  'pod-kill',
];
const tokenSoup = fc.array(fc.constantFrom(...YAML_TOKENS), { maxLength: 80 }).map((t) => t.join(''));

describe('parseScenario never throws, whatever the input', TIMEOUT, () => {
  it('arbitrary strings', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 400 }), fc.string({ unit: 'binary', maxLength: 200 })),
        (s) => {
          check(s);
        },
      ),
      { numRuns: runs(150) },
    );
  });

  it('arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        check(bytes);
      }),
      { numRuns: runs(150) },
    );
  });

  it('YAML token soup (anchors, tags, flow, block scalars, documents)', () => {
    fc.assert(
      fc.property(tokenSoup, (s) => {
        check(s);
        check(Buffer.from(s));
      }),
      { numRuns: runs(200) },
    );
  });

  it('arbitrary JSON-ish data serialized as YAML', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const result = check(stringify(value));
        expect(result.ok).toBe(false);
      }),
      { numRuns: runs(100) },
    );
  });

  it('the valid scenario with a top-level section replaced by arbitrary data', () => {
    const sections = Object.keys(VALID_DATA);
    fc.assert(
      fc.property(fc.constantFrom(...sections), fc.jsonValue({ maxDepth: 4 }), (section, value) => {
        check(stringify({ ...VALID_DATA, [section]: value }));
      }),
      { numRuns: runs(100) },
    );
  });
});

describe('mutations of a valid scenario', TIMEOUT, () => {
  it('deleting a key, changing a type, adding an unknown key, absurd numbers', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        const data = mutations.reduce<unknown>((d, m) => mutate(d, m), VALID_DATA);
        let text: string;
        try {
          text = stringify(data);
        } catch {
          return; // not representable as YAML: nothing to parse
        }
        check(text);
      }),
      { numRuns: runs(200) },
    );
  });

  it('an unknown key is always reported, at its own line, by name', () => {
    const mappings = PATHS.filter((p) => {
      let v: unknown = VALID_DATA;
      for (const s of p) v = (v as Record<string | number, unknown>)[s];
      return (
        v !== null &&
        typeof v === 'object' &&
        !Array.isArray(v) &&
        !['selector', 'labels'].includes(String(p.at(-1)))
      );
    });
    fc.assert(
      fc.property(fc.constantFrom(...mappings), fc.stringMatching(/^zz[a-z]{1,8}$/), (path, key) => {
        const at = PATHS.findIndex((p) => JSON.stringify(p) === JSON.stringify(path));
        const text = stringify(mutate(VALID_DATA, { op: 'add', at, key, value: 1 }));
        const result = check(text);
        expect(result.ok).toBe(false);
        if (result.ok) return;
        const hit = result.diagnostics.find((d) => d.message.startsWith(`unknown key "${key}"`));
        expect(hit, JSON.stringify(result.diagnostics)).toBeDefined();
        expect(text.split('\n')[hit!.line - 1]).toContain(`${key}:`);
      }),
      { numRuns: runs(50) },
    );
  });

  it('line edits of the valid file: delete, duplicate, swap, re-indent, insert garbage', () => {
    const lines = VALID.split('\n');
    const edit = fc.oneof(
      fc.record({ op: fc.constant('delete'), i: fc.nat(lines.length - 1) }),
      fc.record({ op: fc.constant('duplicate'), i: fc.nat(lines.length - 1) }),
      fc.record({ op: fc.constant('swap'), i: fc.nat(lines.length - 1), j: fc.nat(lines.length - 1) }),
      fc.record({
        op: fc.constant('indent'),
        i: fc.nat(lines.length - 1),
        by: fc.integer({ min: -4, max: 6 }),
      }),
      fc.record({ op: fc.constant('insert'), i: fc.nat(lines.length - 1), text: tokenSoup }),
    );
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 3 }), (edits) => {
        const out = [...lines];
        for (const e of edits) {
          const i = Math.min(e.i, out.length - 1);
          if (e.op === 'delete') out.splice(i, 1);
          else if (e.op === 'duplicate') out.splice(i, 0, out[i]!);
          else if (e.op === 'swap' && 'j' in e) {
            const j = Math.min(e.j, out.length - 1);
            [out[i], out[j]] = [out[j]!, out[i]!];
          } else if (e.op === 'indent' && 'by' in e) {
            out[i] =
              e.by >= 0
                ? ' '.repeat(e.by) + out[i]!
                : out[i]!.slice(Math.min(-e.by, out[i]!.length - out[i]!.trimStart().length));
          } else if (e.op === 'insert' && 'text' in e) out.splice(i, 0, e.text);
        }
        check(out.join('\n'));
      }),
      { numRuns: runs(200) },
    );
  });

  it('the same data in any YAML style is the same scenario', () => {
    const reference = check(VALID);
    expect(reference.ok).toBe(true);
    fc.assert(
      fc.property(
        fc.record({
          indent: fc.integer({ min: 1, max: 8 }),
          flowLevel: fc.integer({ min: 0, max: 4 }),
          quote: fc.constantFrom<'PLAIN' | 'QUOTE_DOUBLE' | 'QUOTE_SINGLE'>(
            'PLAIN',
            'QUOTE_DOUBLE',
            'QUOTE_SINGLE',
          ),
          comments: fc.boolean(),
        }),
        ({ indent, flowLevel, quote, comments }) => {
          let text = stringify(VALID_DATA, {
            indent,
            defaultStringType: quote,
            flowCollectionPadding: flowLevel % 2 === 0,
          });
          if (flowLevel === 0) text = JSON.stringify(VALID_DATA, null, indent);
          if (comments) text = `# a comment\n${text}\n# trailing [ { comment\n`;
          const result = check(text);
          expect(result.ok ? result.scenario : result.diagnostics).toEqual(
            reference.ok ? reference.scenario : null,
          );
        },
      ),
      { numRuns: runs(30) },
    );
  });
});

describe('nesting never overflows the stack', TIMEOUT, () => {
  it('any mix of [, {, - and indentation, up to 20,000 levels', () => {
    const level = fc.constantFrom('[', '{a: ', '- ', '\n  k:');
    fc.assert(
      fc.property(fc.array(level, { minLength: 60, maxLength: 20_000 }), fc.boolean(), (levels, close) => {
        let text = 'a: ' + levels.join('');
        if (close)
          text += levels
            .map((l) => (l === '[' ? ']' : l.startsWith('{') ? '}' : ''))
            .reverse()
            .join('');
        check(text);
      }),
      { numRuns: runs(20) },
    );
  });

  it('10,000 levels of [ is a nesting diagnostic', () => {
    const result = check('['.repeat(10_000));
    expect(result.ok ? [] : result.diagnostics.map((d) => d.message)).toEqual([
      'nesting deeper than 64 levels',
    ]);
  });
});
