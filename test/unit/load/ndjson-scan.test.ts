/**
 * Differential tests of the fast path: on generated k6 NDJSON lines, the byte-level scanner and hand-written
 * point parser must read exactly what JSON.parse reads (metric, time, value, the tags the ingest uses), and an
 * ingest forced onto JSON.parse must produce the same summary as the normal one. The lines go beyond what k6
 * writes today (escapes, unicode, other key orders, whitespace, non-string tag values, number spellings), since
 * those are where a hand parser goes wrong. Metric names are written raw: k6 restricts them to characters that
 * never need escaping.
 *
 * Failing seeds are printed by fast-check; replay with `fc.assert(..., { seed, path })`.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ingestAll } from '../../../src/load/ingest.js';
import {
  K6TimeParser,
  MALFORMED,
  Metric,
  PointScanner,
  type ScanResult,
} from '../../../src/load/ndjson-scan.js';

const NEEDED = [
  'http_req_duration',
  'http_req_failed',
  'chaos_model_version',
  'dropped_iterations',
  'chaos_prediction_score',
  'chaos_prediction_class',
  'chaos_prediction_missing',
  'chaos_trace',
];
const READ_TAGS = [
  'status',
  'error_code',
  'payload',
  'window',
  'model_version',
  'class',
  'golden',
  'reason',
  'trace_id',
  'cause',
] as const;

// ---------------------------------------------------------------------------------------------- a tiny JSON writer

/** A JSON value with control over its spelling: raw number text, escapes chosen per character, key order. */
type J =
  | { t: 'str'; s: string; esc: number }
  | { t: 'num'; text: string }
  | { t: 'lit'; text: 'true' | 'false' | 'null' }
  | { t: 'obj'; entries: Entry[] }
  | { t: 'arr'; items: J[] };

const SHORT: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '/': '\\/',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

/** `esc` picks, per character, raw (where JSON allows it), a short escape or \uXXXX: 0 writes all it can raw. */
function writeString(s: string, esc: number): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    const code = c.charCodeAt(0);
    const must = c === '"' || c === '\\' || code < 0x20;
    const choice = esc === 0 ? 0 : (i * 7 + esc) % 3;
    if (!must && choice === 0) out += c;
    else if (SHORT[c] !== undefined && choice !== 2) out += SHORT[c];
    else {
      const hex = code.toString(16).padStart(4, '0');
      out += `\\u${choice === 1 ? hex.toUpperCase() : hex}`;
    }
  }
  return `${out}"`;
}

function write(v: J, ws: string): string {
  switch (v.t) {
    case 'str':
      return writeString(v.s, v.esc);
    case 'num':
    case 'lit':
      return v.text;
    case 'obj':
      return `{${ws}${v.entries.map(([k, x]) => `${write(k, ws)}${ws}:${ws}${write(x, ws)}`).join(`,${ws}`)}${ws}}`;
    case 'arr':
      return `[${v.items.map((x) => write(x, ws)).join(',')}]`;
  }
}

type Entry = [J & { t: 'str' }, J];

const str = (s: string, esc = 0): J & { t: 'str' } => ({ t: 'str', s, esc });

// ---------------------------------------------------------------------------------------------- generators

/** Any JSON number spelling: sign, integer part, fraction, exponent; plus the ones worth naming. */
const numberText: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('', '-'),
      fc.oneof(fc.constant('0'), fc.stringMatching(/^[1-9][0-9]{0,17}$/)),
      fc.oneof(fc.constant(''), fc.stringMatching(/^\.[0-9]{1,20}$/)),
      fc.oneof(fc.constant(''), fc.stringMatching(/^[eE][+-]?[0-9]{1,3}$/)),
    )
    .map((p) => p.join('')),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
  fc.integer().map(String),
  fc.constantFrom(
    '0',
    '-0',
    '-0.0',
    '0e0',
    '-0E-0',
    '1',
    '1.5',
    '0.000001',
    '1e21',
    '1E+2',
    '2.5e-3',
    '1e400',
  ),
);

/** Text for tag keys and values: anything, leaning on what a hand parser trips over. */
const awkward: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.string({
    unit: fc.constantFrom(
      '"',
      '\\',
      '/',
      '{',
      '}',
      '[',
      ']',
      ',',
      ':',
      ' ',
      'é',
      '😀',
      '\u2028',
      '\u0000',
      '\n',
      'a',
    ),
    maxLength: 8,
  }),
  fc.constantFrom(
    '',
    '200',
    '503',
    'normal',
    'oversize',
    'baseline',
    'fault',
    'v2',
    '"tags":{',
    '}}}',
    ',"value":',
  ),
);

const tagKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...READ_TAGS) },
  {
    weight: 2,
    arbitrary: fc.constantFrom('method', 'scenario', 'expected_response', 'url', 'name'),
  },
  { weight: 1, arbitrary: awkward },
);

/** Objects and arrays, some holding what looks like a tag the ingest reads. */
const nestedJson: fc.Arbitrary<J> = fc.oneof(
  fc.constantFrom<J>(
    { t: 'obj', entries: [] },
    { t: 'arr', items: [] },
    { t: 'arr', items: [str('status'), str('window')] },
    { t: 'arr', items: [str('x'), { t: 'obj', entries: [[str('window'), str('fault')]] }] },
  ),
  fc
    .array(fc.tuple(fc.constantFrom(...READ_TAGS, 'x'), fc.constantFrom('500', 'fault', 'v9')), {
      minLength: 1,
      maxLength: 3,
    })
    .map((es): J => ({ t: 'obj', entries: es.map(([k, v]) => [str(k), str(v)]) })),
);

const otherJson: fc.Arbitrary<J> = fc.oneof(
  numberText.map((text): J => ({ t: 'num', text })),
  fc.constantFrom<J>({ t: 'lit', text: 'true' }, { t: 'lit', text: 'false' }, { t: 'lit', text: 'null' }),
  nestedJson,
);

const escapes = fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(20) });

/** Tag values are strings in k6; sometimes something else. */
const tagValue: fc.Arbitrary<J> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(awkward, escapes).map(([s, e]) => str(s, e)) },
  { weight: 1, arbitrary: otherJson },
  { weight: 1, arbitrary: nestedJson },
);

const tags: fc.Arbitrary<J> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .array(fc.tuple(fc.tuple(tagKey, escapes), tagValue), { maxLength: 8 })
      .map((es): J => ({ t: 'obj', entries: es.map(([[k, e], v]) => [str(k, e), v]) })),
  },
  { weight: 1, arbitrary: fc.constantFrom<J>({ t: 'lit', text: 'null' }, { t: 'str', s: 'x', esc: 0 }) },
);

const two = (max: number, min = 0) => fc.integer({ min, max }).map((n) => String(n).padStart(2, '0'));

/** RFC 3339 as k6 writes it and as it might: with or without a fraction (up to 12 digits), Z or an offset. */
const time: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 9,
    arbitrary: fc
      .tuple(
        fc.integer({ min: 1970, max: 2099 }),
        two(12, 1),
        two(28, 1),
        two(23),
        two(59),
        two(59),
        fc.oneof(fc.constant(''), fc.stringMatching(/^\.[0-9]{1,12}$/)),
        fc.oneof(
          fc.constant('Z'),
          fc
            .tuple(fc.constantFrom('+', '-'), two(14), fc.constantFrom('00', '30', '45'))
            .map(([s, h, m]) => `${s}${h}:${m}`),
        ),
      )
      .map(([y, mo, d, h, mi, s, f, z]) => `${y}-${mo}-${d}T${h}:${mi}:${s}${f}${z}`),
  },
  { weight: 1, arbitrary: awkward },
);

const metricName: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...NEEDED) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'http_reqs',
      'http_req_waiting',
      'http_req_durations',
      'http_req_duration_p',
      'http_req_failedx',
      'http_req_f',
      'http_req_',
      'chaos_model_versions',
      'chaos_prediction_scores',
      'chaos_prediction_',
      'chaos_prediction_clas',
      'chaos_',
      'dropped',
      'data_sent',
      'vus',
      'iterations',
    ),
  },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9_. ]{1,24}$/) },
);

interface Point {
  metric: string;
  type: string;
  time: J;
  value: J;
  tags: J | undefined;
  /** data fields after tags (k6 adds none today; a future one might). */
  extra: Entry[];
}

const point: fc.Arbitrary<Point> = fc.record({
  metric: metricName,
  type: fc.oneof(
    { weight: 9, arbitrary: fc.constant('Point') },
    { weight: 1, arbitrary: fc.constant('Metric') },
  ),
  time: fc.oneof(
    { weight: 9, arbitrary: fc.tuple(time, escapes).map(([s, e]) => str(s, e)) },
    { weight: 1, arbitrary: otherJson },
  ),
  value: fc.oneof(
    { weight: 9, arbitrary: numberText.map((text): J => ({ t: 'num', text })) },
    { weight: 1, arbitrary: fc.oneof(otherJson, tagValue) },
  ),
  tags: fc.option(tags, { nil: undefined, freq: 10 }),
  extra: fc.oneof(
    { weight: 9, arbitrary: fc.constant<Entry[]>([]) },
    {
      weight: 1,
      arbitrary: fc.constant<Entry[]>([[str('metadata'), { t: 'obj', entries: [[str('k'), str('v')]] }]]),
    },
  ),
});

/** Points the fast path should take, or be one check away from taking: k6's layout, few escapes. */
const k6Point: fc.Arbitrary<Point> = fc.record({
  metric: fc.constantFrom(...NEEDED),
  type: fc.constant('Point'),
  time: time.map((t) => str(t)),
  value: numberText.map((text): J => ({ t: 'num', text })),
  tags: fc
    .array(
      fc.tuple(
        tagKey,
        fc.oneof(
          fc.string({ maxLength: 6 }).map((v) => str(v)),
          tagValue,
        ),
      ),
      { maxLength: 6 },
    )
    .map((es): J => ({ t: 'obj', entries: es.map(([k, v]) => [str(k), v]) })),
  extra: fc.constant<Entry[]>([]),
});

/** k6's own layout, or the same point with its keys in another order and optional whitespace. */
type Layout = { k6: true } | { k6: false; order: number; ws: string };

const layout: fc.Arbitrary<Layout> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Layout>({ k6: true }) },
  {
    weight: 1,
    arbitrary: fc.record({
      k6: fc.constant(false as const),
      order: fc.nat(5),
      ws: fc.constantFrom('', ' ', '\t', ' \r '),
    }),
  },
);

function render(p: Point, l: Layout): string {
  const data: Entry[] = [
    [str('time'), p.time],
    [str('value'), p.value],
    ...(p.tags === undefined ? [] : ([[str('tags'), p.tags]] as Entry[])),
    ...p.extra,
  ];
  const top: Entry[] = [
    [str('metric'), str(p.metric)],
    [str('type'), str(p.type)],
    [str('data'), { t: 'obj', entries: data }],
  ];
  if (l.k6) return write({ t: 'obj', entries: top }, '');
  // Another order: rotate the top-level keys (reversed on odd `order`), reverse data's keys when order > 2.
  const rotated = top.map((_, i) => top[(i + l.order) % top.length]!);
  const reordered = (l.order % 2 === 0 ? rotated : rotated.reverse()).map(([k, v]): Entry =>
    k.s === 'data' ? [k, { t: 'obj', entries: l.order > 2 ? [...data].reverse() : data }] : [k, v],
  );
  return write({ t: 'obj', entries: reordered }, l.ws);
}

// ---------------------------------------------------------------------------------------------- what a line says

interface Reading {
  result: ScanResult;
  time?: string;
  value?: number;
  tags?: Partial<Record<(typeof READ_TAGS)[number], string>>;
}

function read(scanner: PointScanner, line: string): Reading {
  const buf = Buffer.from(line, 'utf8');
  const result = scanner.scan(buf, 0, buf.length);
  if (result === Metric.None || result === MALFORMED) return { result };
  const tags: Reading['tags'] = {};
  for (const k of READ_TAGS) {
    const v = scanner.tags[k];
    if (typeof v === 'string') tags[k] = v;
  }
  return { result, time: scanner.time, value: scanner.value, tags };
}

/** The meaning of a line, by JSON.parse alone: what both paths must agree with. */
function reference(line: string): Reading {
  let doc: { type?: unknown; metric?: unknown; data?: { time?: unknown; value?: unknown; tags?: unknown } };
  try {
    doc = JSON.parse(Buffer.from(line, 'utf8').toString('utf8')) as typeof doc;
  } catch {
    return { result: MALFORMED };
  }
  const kind = NEEDED.indexOf(doc.metric as string) + 1;
  if (doc.type !== 'Point' || kind === 0) return { result: Metric.None };
  const { time, value, tags: raw } = doc.data ?? {};
  if (typeof time !== 'string' || typeof value !== 'number') return { result: MALFORMED };
  const tags: Reading['tags'] = {};
  for (const k of READ_TAGS) {
    const v = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>)[k] : undefined;
    if (typeof v === 'string') tags[k] = v;
  }
  return { result: kind as ScanResult, time, value, tags };
}

/** k6's exact layout with nothing the fast path leaves to JSON.parse: it must not call JSON.parse at all. */
function fastPathShape(p: Point, l: Layout, line: string): boolean {
  return (
    l.k6 &&
    NEEDED.includes(p.metric) &&
    p.type === 'Point' &&
    p.time.t === 'str' &&
    p.value.t === 'num' &&
    p.tags?.t === 'obj' &&
    p.tags.entries.every(([, v]) => v.t === 'str') &&
    p.extra.length === 0 &&
    !line.includes('\\')
  );
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('ndjson-scan: the fast path reads what JSON.parse reads', () => {
  it('one line at a time: fast path, JSON.parse path and JSON.parse itself agree', () => {
    const fast = new PointScanner();
    const slow = new PointScanner({ jsonOnly: true });
    fc.assert(
      fc.property(
        fc.oneof(fc.tuple(point, layout), fc.tuple(k6Point, fc.constant<Layout>({ k6: true }))),
        ([p, l]) => {
          const line = render(p, l);
          const expected = reference(line);
          expect(read(slow, line)).toStrictEqual(expected);
          const parse = vi.spyOn(JSON, 'parse');
          const got = read(fast, line);
          const parsed = parse.mock.calls.length;
          parse.mockRestore();
          expect(got).toStrictEqual(expected);
          if (fastPathShape(p, l, line)) expect(parsed, 'k6 layout left to JSON.parse').toBe(0);
        },
      ),
      { numRuns: 4000 },
    );
  });

  it('a truncated or glued line of a needed point is malformed both ways', () => {
    const fast = new PointScanner();
    const slow = new PointScanner({ jsonOnly: true });
    const needed = point.filter((p) => NEEDED.includes(p.metric) && p.type === 'Point');
    fc.assert(
      fc.property(needed, layout, fc.nat(), fc.boolean(), (p, l, cut, glue) => {
        const line = render(p, l);
        // Cut inside the name, a line is the prefix of another metric's, which the fast path rightly dismisses
        // unread; so the cut falls after it.
        const name = `{"metric":"${p.metric}"`.length;
        const broken = glue ? line + line : line.slice(0, name + (cut % (line.length - name)));
        expect(reference(broken).result).toBe(MALFORMED);
        expect(read(slow, broken)).toStrictEqual({ result: MALFORMED });
        expect(read(fast, broken)).toStrictEqual({ result: MALFORMED });
      }),
      { numRuns: 1000 },
    );
  });

  it('the cached time parser gives what a fresh one gives, close to Date.parse plus the fraction', () => {
    // Each time is followed by variants within its second (another fraction, another zone, junk before the
    // zone): the cache must tell them apart.
    const variant = fc.tuple(
      fc.stringMatching(/^(\.[0-9]{0,10})?$/),
      fc.constantFrom('', 'x', '0', ' ', 'ZZ', '+'),
      fc.constantFrom('Z', '+00:00', '-00:00', '+01:00', '-10:30', 'z', ''),
    );
    const seq = fc
      .tuple(time, fc.array(variant, { maxLength: 4 }))
      .map(([t, vs]) => [t, ...vs.map(([f, junk, z]) => `${t.slice(0, 19)}${f}${junk}${z}`)]);
    fc.assert(
      fc.property(fc.array(seq, { minLength: 1, maxLength: 8 }), (seqs) => {
        const warm = new K6TimeParser();
        for (const t of seqs.flat()) {
          const got = warm.parse(t);
          expect(Object.is(got, new K6TimeParser().parse(t)), t).toBe(true);
          const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(t);
          if (m) {
            const want = Date.parse(m[1]! + m[3]!) + Number(`0.${(m[2] ?? '0').slice(0, 9)}`) * 1000;
            expect(Math.abs(got - want), t).toBeLessThan(1e-3);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});

// ---------------------------------------------------------------------------------------------- whole ingests

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const WINDOWS = [
  { name: 'baseline', seconds: 5 },
  { name: 'fault', seconds: 5 },
  { name: 'recovery', seconds: 5 },
];

/** A point inside the run, written in any zone: the instant is the same, the text differs. */
const runPoint: fc.Arbitrary<Point> = fc
  .record({
    metric: metricName,
    offsetMs: fc.integer({ min: 0, max: 20_000 }),
    fraction: fc.stringMatching(/^[0-9]{0,9}$/),
    zoneMin: fc.constantFrom(0, 60, -300, 330, 345),
    zoneZ: fc.boolean(),
    // within what a latency or a counter can be: HDR histograms refuse infinities
    value: numberText.filter((t) => Math.abs(Number(t)) < 1e7),
    status: fc.constantFrom('200', '503', '413', '0', 'é"\\'),
    payload: fc.constantFrom('normal', 'oversize', undefined),
    window: fc.constantFrom('baseline', 'fault', 'recovery', 'extra', '', 'all', undefined),
    version: fc.constantFrom('v1', 'v2', 'none', '😀'),
    cls: fc.constantFrom('legit', 'fraud', undefined),
    golden: fc.constantFrom('0', '7', '', undefined),
    reason: fc.constantFrom('path_not_found', undefined),
    extraTags: fc.array(fc.tuple(tagKey, tagValue), { maxLength: 3 }),
    esc: escapes,
    shuffle: fc.boolean(),
  })
  .map((r): Point => {
    const local = new Date(T0 + r.offsetMs + r.zoneMin * 60_000).toISOString().slice(0, 19);
    const z = r.zoneMin === 0 && r.zoneZ ? 'Z' : zone(r.zoneMin);
    const tagList: Entry[] = [
      [str('status'), str(r.status, r.esc)],
      [str('model_version'), str(r.version, r.esc)],
      ...(r.payload === undefined ? [] : ([[str('payload'), str(r.payload)]] as Entry[])),
      ...(r.window === undefined ? [] : ([[str('window'), str(r.window, r.esc)]] as Entry[])),
      ...(r.cls === undefined ? [] : ([[str('class'), str(r.cls, r.esc)]] as Entry[])),
      ...(r.golden === undefined ? [] : ([[str('golden'), str(r.golden)]] as Entry[])),
      ...(r.reason === undefined ? [] : ([[str('reason'), str(r.reason)]] as Entry[])),
      ...r.extraTags.map(([k, v]): Entry => [str(k), v]),
    ];
    return {
      metric: r.metric,
      type: 'Point',
      time: str(`${local}${r.fraction === '' ? '' : `.${r.fraction}`}${z}`),
      value: { t: 'num', text: r.value },
      tags: { t: 'obj', entries: r.shuffle ? tagList.reverse() : tagList },
      extra: [],
    };
  });

function zone(min: number): string {
  const a = Math.abs(min);
  return `${min < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

describe('ndjson-scan: an ingest on the fast path equals one on JSON.parse', () => {
  it('same summary, counters included', () => {
    const declaration = (m: string) =>
      `{"type":"Metric","data":{"name":"${m}","type":"trend","contains":"time","thresholds":[],"submetrics":null},"metric":"${m}"}`;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(runPoint, layout), { maxLength: 60 }),
        fc.constantFrom('\n', '\r\n'),
        (points, eol) => {
          const lines = points.map(([p, l]) => render(p, l));
          const text = [declaration('http_req_duration'), ...lines, declaration('vus')].join(eol) + eol;
          const fast = ingestAll(text, { windows: WINDOWS });
          const slow = ingestAll(text, { windows: WINDOWS, jsonOnly: true });
          expect(fast).toStrictEqual(slow);
          expect(fast.counters.parsedPoints).toBe(
            lines.filter((line) => {
              const r = reference(line);
              return r.result !== Metric.None && r.result !== MALFORMED;
            }).length,
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
