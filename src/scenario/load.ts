/**
 * Reading a scenario file: bytes → YAML document → schema → semantic rules. Never throws for a user
 * mistake: every problem becomes a `file:line:col: path: message` diagnostic, and all of them are reported.
 *
 * The input is untrusted (a scenario may come from anyone's pull request), so every stage is bounded: the
 * file size, the nesting depth (checked on the token stream before a parser builds anything), the alias
 * expansion (no "billion laughs") and the number of diagnostics printed.
 */
import { statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  CST,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  parseDocument,
  type Document,
  type Node,
  type Pair,
  type YAMLError,
} from 'yaml';
import type { z } from 'zod';
import { scenarioSchema, type Scenario } from './schema.js';
import { semanticIssues } from './semantic.js';

export interface Diagnostic {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based, in characters. */
  col: number;
  /**
   * Dotted path into the document, e.g. `faults[0].at`; `(file)` for problems with the file itself, `(yaml)`
   * for YAML syntax, `(root)` for the document as a whole.
   */
  path: string;
  message: string;
}

export type LoadResult =
  { ok: true; scenario: Scenario; file: string } | { ok: false; diagnostics: Diagnostic[] };

export interface ParseOptions {
  /**
   * Directory that relative files in the scenario (load.script, load.payload.file) are resolved against.
   * When given, those files must exist; when omitted (pure parsing), they are not checked.
   */
  baseDir?: string;
}

/** Large enough for any honest scenario; a bigger file is a mistake or an attack. */
export const MAX_SCENARIO_BYTES = 1024 * 1024;
/** yaml's alias budget: expansions × aliases inside the expanded node. Honest files use a handful. */
export const MAX_ALIASES = 100;
/** Real scenarios nest about 5 deep. */
export const MAX_DEPTH = 64;
/** More than this many problems in one file is noise: the rest are summarized in one line. */
export const MAX_DIAGNOSTICS = 100;

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.path}: ${d.message}`;
}

export async function loadScenarioFile(file: string): Promise<LoadResult> {
  const fileProblem = (message: string): LoadResult => ({
    ok: false,
    diagnostics: [{ file, line: 1, col: 1, path: '(file)', message }],
  });
  let size: number;
  try {
    const info = await stat(file);
    if (info.isDirectory()) return fileProblem('is a directory, expected a scenario file');
    if (!info.isFile()) return fileProblem('is not a regular file');
    size = info.size;
  } catch (error) {
    return fileProblem(fsProblem(error));
  }
  if (size > MAX_SCENARIO_BYTES) return fileProblem(tooBig(size));
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    return fileProblem(fsProblem(error));
  }
  return parseScenario(bytes, file, { baseDir: path.dirname(file) });
}

function fsProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'ENOTDIR':
      return 'no such file (a parent is not a directory)';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    case 'ENAMETOOLONG':
      return 'file name too long';
    case 'EISDIR':
      return 'is a directory, expected a scenario file';
    default:
      return `cannot read: ${code ?? (error instanceof Error ? error.message : String(error))}`;
  }
}

function tooBig(size: number): string {
  return `file is ${size} bytes; scenarios are limited to 1 MiB (${MAX_SCENARIO_BYTES} bytes)`;
}

/**
 * Parses and checks one scenario. Total: whatever the input, it returns; a problem in the input is a
 * diagnostic, never an exception.
 */
export function parseScenario(
  bytes: Buffer | Uint8Array | string,
  file: string,
  options: ParseOptions = {},
): LoadResult {
  try {
    return parse(bytes, file, options);
  } catch (error) {
    // Should be unreachable; kept so that a bug here costs one clear line instead of a stack trace.
    const message = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      diagnostics: [
        {
          file,
          line: 1,
          col: 1,
          path: '(file)',
          message: `internal error while checking this file (a bug in chaos): ${message}`,
        },
      ],
    };
  }
}

type Position = { line: number; col: number };
type PathSegment = string | number;

function parse(bytes: Buffer | Uint8Array | string, file: string, options: ParseOptions): LoadResult {
  const fail = (diagnostics: Diagnostic[], total = diagnostics.length): LoadResult => ({
    ok: false,
    diagnostics: capDiagnostics(diagnostics, file, total),
  });
  const at = (pos: Position, path: string, message: string): Diagnostic => ({
    file,
    line: pos.line,
    col: pos.col,
    path,
    message,
  });
  const start = { line: 1, col: 1 };

  // ---- bytes → text
  const decoded = decodeText(bytes);
  if ('problem' in decoded) return fail([at(decoded.pos, '(file)', decoded.problem)]);
  const text = decoded.text;
  if (text.trim() === '')
    return fail([
      at(start, '(file)', 'empty file, expected a scenario mapping (apiVersion, kind, metadata, ...)'),
    ]);

  const lineCounter = new LineCounter();
  const position = (offset: number | undefined): Position =>
    offset === undefined ? start : lineCounter.linePos(Math.min(Math.max(offset, 0), text.length));

  // ---- nesting, on tokens: the parser itself needs memory proportional to depth, so check before it runs
  const tooDeep = excessiveNesting(text);
  if (tooDeep !== undefined) {
    return fail([at(offsetPosition(text, tooDeep), '(yaml)', `nesting deeper than ${MAX_DEPTH} levels`)]);
  }

  // ---- text → YAML document
  const doc = parseYaml(text, lineCounter);
  const yamlProblems = [...doc.errors, ...doc.warnings].sort((a, b) => a.pos[0] - b.pos[0]);
  if (yamlProblems.length > 0) {
    // A garbage file yields an error per byte: describe only as many as will be printed.
    const shown = dedupe(
      yamlProblems.slice(0, MAX_DIAGNOSTICS + 1).map((e) => yamlDiagnostic(e, position, file)),
    );
    return fail(sortDiagnostics(shown), Math.max(shown.length, yamlProblems.length));
  }

  // ---- structure: depth (exact, on nodes), duplicate keys, keys that are not plain scalars
  const structural = structureProblems(doc);
  if (structural.length > 0) {
    return fail(
      sortDiagnostics(structural.map((p) => at(position(p.node.range?.[0]), formatPath(p.path), p.message))),
    );
  }
  if (!isMap(doc.contents)) {
    const contents = doc.contents;
    const value = isScalar(contents) ? contents.value : undefined;
    const got =
      contents === null
        ? 'a document with only comments'
        : isSeq(contents)
          ? 'a list'
          : isScalar(contents) && value === null
            ? 'an empty value'
            : isScalar(contents)
              ? `a single value (${show(value)})`
              : 'an alias';
    return fail([
      at(
        position(contents?.range?.[0]),
        '(root)',
        `expected a mapping (apiVersion, kind, metadata, ...), got ${got}`,
      ),
    ]);
  }

  // ---- document → plain data, with aliases expanded under a budget
  let data: unknown;
  try {
    // maxAliasCount bounds the expansion of alias bombs ("billion laughs") before they eat the heap.
    data = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (error) {
    return fail([aliasDiagnostic(error, doc, position, file)]);
  }

  // ---- data → scenario
  const parsed = scenarioSchema.safeParse(data, { reportInput: true });
  if (!parsed.success) {
    const locate = new Locator(doc, data);
    const diagnostics = simplifyIssues(parsed.error.issues).flatMap((issue) =>
      issueDiagnostics(issue, locate, position, file),
    );
    return fail(sortDiagnostics(dedupe(diagnostics)));
  }

  // ---- rules across fields, and the files the scenario refers to
  const semantic = semanticIssues(parsed.data);
  if (options.baseDir !== undefined) semantic.push(...referencedFileIssues(parsed.data, options.baseDir));
  if (semantic.length > 0) {
    const locate = new Locator(doc, data);
    return fail(
      sortDiagnostics(
        dedupe(
          semantic.map((s) =>
            at(
              position((locate.node(s.path) ?? locate.nearest(s.path))?.range?.[0]),
              formatPath(s.path),
              s.message,
            ),
          ),
        ),
      ),
    );
  }
  return { ok: true, scenario: parsed.data, file };
}

// ------------------------------------------------------------------------------------------------ bytes

function decodeText(
  input: Buffer | Uint8Array | string,
): { text: string } | { problem: string; pos: Position } {
  const start = { line: 1, col: 1 };
  if (typeof input === 'string') {
    if (input.length > MAX_SCENARIO_BYTES && Buffer.byteLength(input) > MAX_SCENARIO_BYTES) {
      return { problem: tooBig(Buffer.byteLength(input)), pos: start };
    }
    const nul = input.indexOf('\0');
    if (nul >= 0)
      return {
        problem: 'binary data (a NUL character), expected YAML text',
        pos: offsetPosition(input, nul),
      };
    return { text: input.startsWith('\uFEFF') ? input.slice(1) : input };
  }
  const bytes = input;
  if (bytes.length > MAX_SCENARIO_BYTES) return { problem: tooBig(bytes.length), pos: start };
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return { problem: 'UTF-16 text; save the scenario as UTF-8', pos: start };
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0)
    return { problem: 'binary data (a NUL byte), expected YAML text', pos: bytePosition(bytes, nul) };
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) {
    return {
      problem: `not valid UTF-8 (byte 0x${bytes[bad]!.toString(16).padStart(2, '0')}); save the scenario as UTF-8`,
      pos: bytePosition(bytes, bad),
    };
  }
  // Valid by construction, so `fatal` cannot throw; TextDecoder drops a UTF-8 byte-order mark.
  return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
}

/** Offset of the first byte that does not belong to a well-formed UTF-8 sequence, or -1. */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  const n = b.length;
  const cont = (k: number) => k < n && (b[k]! & 0xc0) === 0x80;
  while (i < n) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
    } else if (c >= 0xc2 && c <= 0xdf) {
      if (!cont(i + 1)) return i;
      i += 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      const c1 = b[i + 1];
      if (c1 === undefined || !cont(i + 1) || !cont(i + 2)) return i;
      if ((c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 > 0x9f)) return i; // overlong, surrogate
      i += 3;
    } else if (c >= 0xf0 && c <= 0xf4) {
      const c1 = b[i + 1];
      if (c1 === undefined || !cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return i;
      if ((c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 > 0x8f)) return i; // overlong, > U+10FFFF
      i += 4;
    } else {
      return i;
    }
  }
  return -1;
}

/** Line and column (in characters) of a byte offset whose prefix is valid UTF-8 up to the line's start. */
function bytePosition(bytes: Uint8Array, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  const prefix = new TextDecoder('utf-8').decode(bytes.subarray(lineStart, offset));
  return { line, col: prefix.length + 1 };
}

function offsetPosition(text: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, col: offset - lineStart + 1 };
}

/**
 * yaml's own duplicate-key check is quadratic in the size of a mapping (60,000 keys: most of a minute), so
 * duplicates are found in structureProblems instead. Errors are built without stack traces: a garbage file
 * can produce one per byte, and capturing stacks is most of their cost.
 */
function parseYaml(text: string, lineCounter: LineCounter): Document {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    // logLevel 'error' keeps the multiple-documents error ('silent' drops it) without printing warnings.
    return parseDocument(text, {
      lineCounter,
      uniqueKeys: false,
      prettyErrors: false,
      strict: true,
      logLevel: 'error',
    });
  } finally {
    Error.stackTraceLimit = limit;
  }
}

// ------------------------------------------------------------------------------------------------ nesting

/**
 * A linear pass over the lexer's tokens (which track quotes, comments and block scalars exactly) that
 * estimates the nesting depth without building a tree. Flow collections (`[`, `{`) and compact block
 * indicators (`- - -`) are counted exactly, block indentation approximately (never more than the real
 * depth in practice). Returns the offset where the depth first passed MAX_DEPTH if it later passes twice
 * that, which is far beyond any honest file and still cheap for the parser; the exact check on the nodes
 * follows parsing.
 */
function excessiveNesting(text: string): number | undefined {
  const hardLimit = MAX_DEPTH * 2;
  let flow = 0;
  let compact = 0;
  const indents: number[] = [];
  let lineStart = true;
  let offset = 0;
  let firstTooDeep: number | undefined;
  for (const token of new Lexer().lex(text)) {
    const type = CST.tokenType(token);
    // Control tokens (document mode, scalar marker, flow error end) are not part of the source.
    const length =
      token.length === 1 && (token === '\x02' || token === '\x18' || token === '\x1f') ? 0 : token.length;
    if (lineStart && length > 0 && type !== 'newline') {
      if (flow === 0) {
        const indent = type === 'space' ? token.length - token.trimStart().length : 0;
        while (indents.length > 0 && indents[indents.length - 1]! >= indent) indents.pop();
        indents.push(indent);
        compact = 0;
      }
      lineStart = false;
    }
    switch (type) {
      case 'newline':
        lineStart = true;
        break;
      case 'flow-map-start':
      case 'flow-seq-start':
        flow++;
        break;
      case 'flow-map-end':
      case 'flow-seq-end':
        if (flow > 0) flow--;
        break;
      case 'seq-item-ind':
      case 'explicit-key-ind':
        if (flow === 0) compact++;
        break;
      default:
        break;
    }
    const depth = indents.length + compact + flow;
    if (depth > MAX_DEPTH && firstTooDeep === undefined) firstTooDeep = offset;
    if (depth > hardLimit) return firstTooDeep;
    offset += length;
  }
  return undefined;
}

interface StructureProblem {
  node: Node;
  path: PathSegment[];
  message: string;
}

/**
 * Exact depth, duplicate keys and non-scalar keys, in one iterative walk (a recursive walk would itself be
 * the stack overflow the depth limit guards against).
 */
function structureProblems(doc: Document): StructureProblem[] {
  const problems: StructureProblem[] = [];
  const stack: [unknown, number, PathSegment[]][] = [[doc.contents, 1, []]];
  while (stack.length > 0) {
    const [node, depth, path] = stack.pop()!;
    if (depth > MAX_DEPTH && (isMap(node) || isSeq(node) || isScalar(node) || isAlias(node))) {
      return [{ node, path, message: `nesting deeper than ${MAX_DEPTH} levels` }];
    }
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = pair.key;
        if (key !== null && !isScalar(key)) {
          const what = isMap(key)
            ? 'a mapping'
            : isSeq(key)
              ? 'a list'
              : isAlias(key)
                ? 'an alias'
                : 'a complex value';
          problems.push({ node: key as Node, path, message: `a key must be a plain name, not ${what}` });
          continue;
        }
        const name = keyName(key);
        if (seen.has(name)) {
          const at = (key ?? pair.value ?? node) as Node;
          problems.push({
            node: at,
            path: [...path, name],
            message: `duplicate key "${name}"; a key may appear only once in a mapping`,
          });
          continue;
        }
        seen.add(name);
        stack.push([pair.value, depth + 1, [...path, name]]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => stack.push([item, depth + 1, [...path, i]]));
    }
  }
  return problems;
}

/** A key as the loaded data names it (yaml turns scalar keys into property names the same way). */
function keyName(key: unknown): string {
  const value: unknown = isScalar(key) ? key.value : key;
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return Object.prototype.toString.call(value);
}

// ------------------------------------------------------------------------------------------------ YAML errors

function yamlDiagnostic(
  e: YAMLError,
  position: (offset: number | undefined) => Position,
  file: string,
): Diagnostic {
  const pos = position(e.pos[0]);
  const base = { file, line: pos.line, col: pos.col, path: '(yaml)' };
  const firstLine = (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '');
  switch (e.code) {
    case 'MULTIPLE_DOCS':
      return { ...base, message: 'a second YAML document (after ---); a scenario file holds exactly one' };
    case 'RESOURCE_EXHAUSTION':
      return { ...base, message: `nesting deeper than ${MAX_DEPTH} levels` };
    case 'TAG_RESOLVE_FAILED':
    case 'BAD_COLLECTION_TYPE':
      return { ...base, message: `${firstLine}; scenario files use plain YAML without tags` };
    default:
      return { ...base, message: firstLine };
  }
}

function aliasDiagnostic(
  error: unknown,
  doc: Document,
  position: (offset: number | undefined) => Position,
  file: string,
): Diagnostic {
  const message = error instanceof Error ? error.message : String(error);
  const aliases = findAliases(doc);
  const unresolved = /^Unresolved alias[^:]*: \*?(.*)$/.exec(message);
  if (unresolved) {
    const name = unresolved[1]!;
    const alias = aliases.find((a) => a.name === name) ?? aliases[0];
    const pos = position(alias?.node.range?.[0]);
    return {
      file,
      ...pos,
      path: alias ? formatPath(alias.path) : '(yaml)',
      message: `unknown alias *${name}: define the anchor &${name} before using it`,
    };
  }
  const first = aliases[0];
  const pos = position(first?.node.range?.[0]);
  return {
    file,
    ...pos,
    path: first ? formatPath(first.path) : '(yaml)',
    message: /excessive alias/i.test(message)
      ? `aliases expand to too much data (limit ${MAX_ALIASES}): refusing a possible alias bomb ("billion laughs")`
      : `cannot expand aliases: ${message}`,
  };
}

function findAliases(doc: Document): { name: string; node: Node; path: PathSegment[] }[] {
  const found: { name: string; node: Node; path: PathSegment[] }[] = [];
  const stack: [unknown, PathSegment[]][] = [[doc.contents, []]];
  while (stack.length > 0) {
    const [node, path] = stack.pop()!;
    if (isAlias(node)) found.push({ name: node.source, node, path });
    else if (isMap(node)) {
      for (const pair of node.items) stack.push([pair.value, [...path, keyName(pair.key)]]);
    } else if (isSeq(node)) node.items.forEach((item, i) => stack.push([item, [...path, i]]));
  }
  return found.sort((a, b) => (a.node.range?.[0] ?? 0) - (b.node.range?.[0] ?? 0));
}

// ------------------------------------------------------------------------------------------------ schema issues

/** Finds the YAML node behind a path; caches mapping indexes so files with many keys stay linear. */
class Locator {
  private readonly pairs = new Map<unknown, Map<string, Pair<unknown, unknown>>>();
  private readonly known = new Map<string, string[]>();

  constructor(
    readonly doc: Document,
    readonly data: unknown,
  ) {}

  private pairOf(map: unknown, key: string): Pair<unknown, unknown> | undefined {
    if (!isMap(map)) return undefined;
    let index = this.pairs.get(map);
    if (!index) {
      index = new Map();
      for (const pair of map.items) {
        const name = keyName(pair.key);
        if (!index.has(name)) index.set(name, pair);
      }
      this.pairs.set(map, index);
    }
    return index.get(key);
  }

  /** The value node at `path`, or undefined if the path does not exist in the file (e.g. a missing key). */
  node(path: readonly PathSegment[]): Node | undefined {
    let node: unknown = this.doc.contents;
    for (const segment of path) {
      if (isSeq(node) && typeof segment === 'number') node = node.items[segment];
      else if (isMap(node)) node = this.pairOf(node, String(segment))?.value;
      else return undefined;
      if (node === undefined || node === null) return undefined;
    }
    return node && typeof node === 'object' && 'range' in node ? (node as Node) : undefined;
  }

  /** The deepest existing node on the way to `path`: where a missing key should be added. */
  nearest(path: readonly PathSegment[]): Node | undefined {
    for (let n = path.length - 1; n >= 0; n--) {
      const node = this.node(path.slice(0, n));
      if (node) return node;
    }
    return this.doc.contents as Node | undefined;
  }

  /** The key node of `key` in the mapping at `path` (falls back to the mapping). */
  key(path: readonly PathSegment[], key: string): Node | undefined {
    const parent = this.node(path) ?? this.nearest(path);
    return ((this.pairOf(parent, key)?.key ?? undefined) as Node | undefined) ?? parent;
  }

  /** Keys the schema allows in the mapping at `path`. */
  knownKeys(path: readonly PathSegment[]): string[] {
    const cacheKey = JSON.stringify(path);
    const cached = this.known.get(cacheKey);
    if (cached) return cached;
    let schema: z.ZodType = scenarioSchema;
    let value: unknown = this.data;
    for (const segment of path) {
      value =
        value !== null && typeof value === 'object'
          ? (value as Record<string | number, unknown>)[segment]
          : undefined;
      const child = childSchema(schema, segment, value);
      if (!child) {
        this.known.set(cacheKey, []);
        return [];
      }
      schema = child;
    }
    const s = unwrap(schema);
    const keys = s._zod.def.type === 'object' ? Object.keys((s as z.ZodObject).shape) : [];
    this.known.set(cacheKey, keys);
    return keys;
  }

  /** Keys actually present in the mapping at `path`. */
  presentKeys(path: readonly PathSegment[]): Set<string> {
    const node = this.node(path);
    return new Set(isMap(node) ? node.items.map((p) => keyName(p.key)) : []);
  }
}

function unwrap(schema: z.ZodType): z.ZodType {
  let s: z.ZodType = schema;
  for (;;) {
    const def = s._zod.def as { innerType?: z.ZodType; type: string };
    if (def.innerType && (def.type === 'default' || def.type === 'optional' || def.type === 'prefault'))
      s = def.innerType;
    else return s;
  }
}

function childSchema(schema: z.ZodType, segment: PathSegment, value: unknown): z.ZodType | undefined {
  const s = unwrap(schema);
  const def = s._zod.def as {
    type: string;
    shape?: Record<string, z.ZodType>;
    element?: z.ZodType;
    options?: z.ZodType[];
  };
  if (def.type === 'object' && typeof segment === 'string') {
    return def.shape && Object.prototype.hasOwnProperty.call(def.shape, segment)
      ? def.shape[segment]
      : undefined;
  }
  if (def.type === 'array' && typeof segment === 'number' && def.element) {
    const element = unwrap(def.element);
    const edef = element._zod.def as { type: string; options?: z.ZodType[] };
    if (edef.type === 'union' && edef.options) {
      const type = (value as { type?: unknown } | undefined)?.type;
      return edef.options.find((o) => discriminatorValues(o).includes(type));
    }
    return element;
  }
  return undefined;
}

function discriminatorValues(option: z.ZodType): unknown[] {
  const shape = (unwrap(option)._zod.def as { shape?: Record<string, z.ZodType> }).shape;
  const lit = shape?.type?._zod.def as { values?: unknown[] } | undefined;
  return lit?.values ?? [];
}

type Issue = z.core.$ZodIssue;

/**
 * zod reports some values twice: 1e308 is both "not a safe integer" and "above the maximum". Keep the
 * bound a person would act on.
 */
function simplifyIssues(issues: readonly Issue[]): Issue[] {
  const paths = (i: Issue) => JSON.stringify(i.path);
  const bounded = new Set(
    issues.filter((i) => i.code === 'too_big' && Number(i.maximum) < Number.MAX_SAFE_INTEGER).map(paths),
  );
  const lowered = new Set(
    issues.filter((i) => i.code === 'too_small' && Number(i.minimum) > Number.MIN_SAFE_INTEGER).map(paths),
  );
  return issues.filter((i) => {
    if (i.code === 'too_big' && Number(i.maximum) >= Number.MAX_SAFE_INTEGER) return !bounded.has(paths(i));
    if (i.code === 'too_small' && Number(i.minimum) <= Number.MIN_SAFE_INTEGER) return !lowered.has(paths(i));
    return true;
  });
}

function issueDiagnostics(
  issue: Issue,
  locate: Locator,
  position: (offset: number | undefined) => Position,
  file: string,
): Diagnostic[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  const diag = (node: Node | undefined, p: readonly PathSegment[], message: string): Diagnostic => ({
    file,
    ...position(node?.range?.[0]),
    path: formatPath(p),
    message,
  });

  if (issue.code === 'unrecognized_keys') {
    const present = locate.presentKeys(path);
    const known = locate.knownKeys(path).filter((k) => !present.has(k));
    return issue.keys.map((key) =>
      diag(locate.key(path, key), [...path, key], `unknown key "${key}"${didYouMean(key, known)}`),
    );
  }
  if (issue.code === 'invalid_key') {
    const key = String(path[path.length - 1] ?? '');
    const inner = issue.issues[0];
    const why = inner ? messageFor(inner, false) : 'not allowed';
    return [diag(locate.key(path.slice(0, -1), key), path, `invalid key ${show(key)}: ${why}`)];
  }
  const node = locate.node(path);
  // A missing key has no node of its own: point at the mapping that should hold it.
  if (!node && isMissingKey(issue)) {
    const key = path[path.length - 1];
    const options = (issue as { options?: unknown[] }).options;
    const oneOf =
      issue.code === 'invalid_union' && options ? `; one of ${options.map(String).join(', ')}` : '';
    return [diag(locate.nearest(path), path, `required key "${String(key)}" is missing${oneOf}`)];
  }
  return [diag(node ?? locate.nearest(path), path, messageFor(issue, true))];
}

function isMissingKey(issue: Issue): boolean {
  const input = (issue as { input?: unknown }).input;
  if (issue.code === 'invalid_type') return input === undefined;
  const { note, discriminator } = issue as { note?: string; discriminator?: string };
  if (issue.code !== 'invalid_union' || note !== 'No matching discriminator' || discriminator === undefined)
    return false;
  return (
    input !== null &&
    typeof input === 'object' &&
    !Array.isArray(input) &&
    (input as Record<string, unknown>)[discriminator] === undefined
  );
}

/** zod's default English messages start like this; our own messages in schema.ts never do. */
const ZOD_DEFAULT = /^(Invalid|Too big|Too small|Unrecognized)/;

function messageFor(issue: Issue, withInput: boolean): string {
  const input = 'input' in issue ? issue.input : undefined;
  const got = withInput && input !== undefined ? `, got ${show(input)}` : '';
  const custom = !ZOD_DEFAULT.test(issue.message);
  switch (issue.code) {
    case 'invalid_type': {
      const expected = custom ? issue.message : `expected ${noun(issue.expected)}`;
      return `${expected}${got}${typeHint(issue.expected, input, issue.message)}`;
    }
    case 'too_big': {
      if (custom) return issue.message + got;
      const max = String(issue.maximum);
      switch (issue.origin) {
        case 'string':
          return `must be at most ${max} characters long, got ${lengthOf(input)}`;
        case 'array':
        case 'set':
          return `must have at most ${max} items, got ${lengthOf(input)}`;
        default:
          if (Number(issue.maximum) >= Number.MAX_SAFE_INTEGER) return `is too large${got}`;
          return `must be ${issue.inclusive === false ? 'less than' : 'at most'} ${max}${got}`;
      }
    }
    case 'too_small': {
      if (custom) return issue.message + (issue.origin === 'array' ? '' : got);
      const min = Number(issue.minimum);
      switch (issue.origin) {
        case 'string':
          return min <= 1
            ? 'must not be empty'
            : `must be at least ${min} characters long, got ${lengthOf(input)}`;
        case 'array':
        case 'set':
          return min <= 1 ? 'must not be empty' : `must have at least ${min} items, got ${lengthOf(input)}`;
        default:
          if (min === 0 && issue.inclusive === false) return `must be greater than 0${got}`;
          return `must be ${issue.inclusive === false ? 'greater than' : 'at least'} ${min}${got}`;
      }
    }
    case 'invalid_format': {
      const what = custom
        ? issue.message
        : issue.format === 'regex' && 'pattern' in issue
          ? `expected a value matching ${String(issue.pattern)}`
          : `expected a valid ${issue.format}`;
      return `${what}${got}${formatHint(issue.message, input)}`;
    }
    case 'invalid_value': {
      const values = issue.values.map((v) => (typeof v === 'string' ? `"${v}"` : String(v)));
      const expected = values.length === 1 ? `expected ${values[0]}` : `expected one of ${values.join(', ')}`;
      const suggestion =
        typeof input === 'string'
          ? didYouMean(
              input,
              issue.values.filter((v): v is string => typeof v === 'string'),
            )
          : '';
      return `${expected}${got}${suggestion}`;
    }
    case 'invalid_union': {
      const note = (issue as { note?: string }).note;
      const options = (issue as { options?: unknown[] }).options;
      if (note === 'No matching discriminator' && options) {
        const type =
          input !== null && typeof input === 'object' ? (input as { type?: unknown }).type : undefined;
        const suggestion =
          typeof type === 'string'
            ? didYouMean(
                type,
                options.filter((o): o is string => typeof o === 'string'),
              )
            : '';
        return `expected one of ${options.map(String).join(', ')}${type !== undefined && withInput ? `, got ${show(type)}` : ''}${suggestion}`;
      }
      // A union of literals (e.g. percentile: 50 | 90 | 95 | 99).
      const literals = issue.errors.flatMap((branch) =>
        branch.length === 1 && branch[0]!.code === 'invalid_value' ? branch[0].values : [null],
      );
      if (literals.length > 0 && !literals.includes(null))
        return `expected one of ${literals.map(String).join(', ')}${got}`;
      return `does not match any allowed form${got}`;
    }
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}${got}`;
    default:
      return issue.message.replace(/^Invalid input: /, '') + got;
  }
}

function noun(expected: string): string {
  const nouns: Record<string, string> = {
    object: 'a mapping',
    array: 'a list',
    string: 'a string',
    number: 'a number',
    int: 'an integer',
    boolean: 'true or false',
    record: 'a mapping',
  };
  return nouns[expected] ?? expected;
}

function typeHint(expected: string, input: unknown, message: string): string {
  if (
    (expected === 'number' || expected === 'int') &&
    typeof input === 'string' &&
    input.trim() !== '' &&
    Number.isFinite(Number(input))
  ) {
    return '; remove the quotes';
  }
  if (
    expected === 'boolean' &&
    typeof input === 'string' &&
    /^(yes|no|on|off|y|n|true|false)$/i.test(input)
  ) {
    return '; write true or false without quotes';
  }
  if (expected === 'string' && typeof input === 'number') {
    if (message.startsWith('expected a duration')) return `; add a unit, e.g. "${input}s"`;
    if (message.startsWith('expected a percentage'))
      return `; write it with a percent sign, e.g. "${input}%"`;
    return `; quote it if you meant the text "${input}"`;
  }
  if (expected === 'string' && typeof input === 'boolean')
    return `; quote it if you meant the text "${input}"`;
  return '';
}

function formatHint(message: string, input: unknown): string {
  if (typeof input !== 'string') return '';
  if (message.startsWith('expected a duration') && /^\s*\d+(\.\d+)?\s*$/.test(input))
    return `; add a unit, e.g. "${input.trim()}s"`;
  if (message.startsWith('expected a duration') && /^\d+(\.\d+)?\s+(ms|s|m|h)$/.test(input))
    return '; no space before the unit';
  if (message.startsWith('expected a percentage') && /^\d+(\.\d+)?\s+%$/.test(input))
    return '; no space before the %';
  return '';
}

function lengthOf(input: unknown): string {
  return typeof input === 'string' || Array.isArray(input) ? String(input.length) : '?';
}

/** A value as the author would recognize it in the file. */
export function show(value: unknown): string {
  if (value === null) return 'an empty value';
  if (value === undefined) return 'nothing';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return '.nan';
    if (value === Infinity) return '.inf';
    if (value === -Infinity) return '-.inf';
    return String(value);
  }
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Uint8Array) return 'binary data';
  if (value instanceof Date) return `a date (${value.toISOString()})`;
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}

/** "did you mean" for a misspelled key or value: case-insensitive, at most 2 edits, and not for tiny words. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  if (word.length > 64) return '';
  const best = candidates
    .map((k) => ({ k, d: editDistance(k.toLowerCase(), word.toLowerCase()) }))
    .filter(
      (x) =>
        x.d <= Math.min(2, Math.floor(Math.max(x.k.length, word.length) / 3)) || (x.d === 0 && x.k !== word),
    )
    .sort((a, b) => a.d - b.d)[0];
  return best && best.k !== word ? `; did you mean "${best.k}"?` : '';
}

export function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

// ------------------------------------------------------------------------------------------------ files

function referencedFileIssues(s: Scenario, baseDir: string): { path: PathSegment[]; message: string }[] {
  const issues: { path: PathSegment[]; message: string }[] = [];
  const check = (p: PathSegment[], relative: string | undefined) => {
    if (relative === undefined) return;
    const resolved = path.resolve(baseDir, relative);
    try {
      if (!statSync(resolved).isFile()) issues.push({ path: p, message: `${relative} is not a file` });
    } catch {
      issues.push({
        path: p,
        message: `no such file: ${relative} (resolved against the scenario's directory: ${resolved})`,
      });
    }
  };
  check(['load', 'script'], s.load.script);
  check(['load', 'payload', 'file'], s.load.payload.file);
  return issues;
}

// ------------------------------------------------------------------------------------------------ output

/** `faults[0].at`, `target.selector["app.kubernetes.io/name"]`; `(root)` for the document itself. */
export function formatPath(path: readonly PathSegment[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((p, i) => {
      if (typeof p === 'number') return `[${p}]`;
      if (/^[A-Za-z_$][\w$-]*$/.test(p)) return i === 0 ? p : `.${p}`;
      return `[${JSON.stringify(p)}]`;
    })
    .join('');
}

function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return ds.sort((a, b) => a.line - b.line || a.col - b.col);
}

function dedupe(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const k = formatDiagnostic(d);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function capDiagnostics(ds: Diagnostic[], file: string, total: number): Diagnostic[] {
  if (ds.length <= MAX_DIAGNOSTICS) return ds;
  const next = ds[MAX_DIAGNOSTICS]!;
  return [
    ...ds.slice(0, MAX_DIAGNOSTICS),
    {
      file,
      line: next.line,
      col: next.col,
      path: '(file)',
      message: `${total - MAX_DIAGNOSTICS} more problems not shown; fix these first`,
    },
  ];
}
