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
import { didYouMean, messageFor, show, simplifyIssues, type Issue } from './messages.js';
import { scenarioSchema, type Scenario } from './schema.js';
import { semanticIssues } from './semantic.js';
import { decodeText, MAX_SCENARIO_BYTES, offsetPosition, tooBig, type Position } from './text.js';

export { MAX_SCENARIO_BYTES } from './text.js';
export { firstInvalidUtf8 } from './text.js';
export { didYouMean, editDistance, show } from './messages.js';

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

/** What one kind of chaos YAML file (a scenario, a game-day suite) is checked against. */
export interface DocumentKind<T> {
  /** "scenario", "suite": for messages. */
  noun: string;
  /** The top-level keys to name when the file is empty or not a mapping. */
  keysHint: string;
  schema: z.ZodType<T>;
  /** Rules across fields, and (with a base directory) the files the document refers to. */
  check(data: T, baseDir: string | undefined): { path: PathSegment[]; message: string }[];
  /**
   * When `kind` names another chaos document, what it is and which command takes it: one line instead of
   * a schema diff that only says `kind` is wrong.
   */
  otherKind?(kind: unknown, file: string): string | undefined;
}

export type DocumentResult<T> =
  { ok: true; value: T; file: string } | { ok: false; diagnostics: Diagnostic[] };

const SCENARIO: DocumentKind<Scenario> = {
  noun: 'scenario',
  keysHint: 'apiVersion, kind, metadata, ...',
  schema: scenarioSchema,
  check: (data, baseDir) => [
    ...semanticIssues(data),
    ...(baseDir === undefined ? [] : referencedFileIssues(data, baseDir)),
  ],
  otherKind: (kind, file) =>
    kind === 'GameDay'
      ? `this is a game-day suite (kind: GameDay), not a scenario: run it with \`chaos gameday ${file}\`, check it with \`chaos validate ${file}\``
      : undefined,
};

export interface ParseOptions {
  /**
   * Directory that relative files in the scenario (load.script, load.payload.file) are resolved against.
   * When given, those files must exist; when omitted (pure parsing), they are not checked.
   */
  baseDir?: string;
}

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
  return asLoadResult(await loadDocumentFile(SCENARIO, file));
}

function asLoadResult(r: DocumentResult<Scenario>): LoadResult {
  return r.ok ? { ok: true, scenario: r.value, file: r.file } : r;
}

export async function loadDocumentFile<T>(kind: DocumentKind<T>, file: string): Promise<DocumentResult<T>> {
  const fileProblem = (message: string): DocumentResult<T> => ({
    ok: false,
    diagnostics: [{ file, line: 1, col: 1, path: '(file)', message }],
  });
  let size: number;
  try {
    const info = await stat(file);
    if (info.isDirectory()) return fileProblem(`is a directory, expected a ${kind.noun} file`);
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
  return parseDocumentOf(kind, bytes, file, { baseDir: path.dirname(file) });
}

/**
 * A diagnostic for a problem found after loading (k6 refusing the script a scenario names, say), placed at the
 * value `path` names in the file; at 1:1 when the file or the path is gone.
 */
export async function diagnosticAt(file: string, path: PathSegment[], message: string): Promise<Diagnostic> {
  let pos: Position = { line: 1, col: 1 };
  try {
    const text = await readFile(file, 'utf8');
    const lineCounter = new LineCounter();
    const node = parseYaml(text, lineCounter).getIn(path, true) as
      { range?: [number, ...number[]] } | undefined;
    if (node?.range) pos = lineCounter.linePos(node.range[0]);
  } catch {
    // the file changed under us: the message still says what is wrong
  }
  return { file, line: pos.line, col: pos.col, path: formatPath(path), message };
}

/** A filesystem error in words, for a diagnostic or an error line. */
export function fsProblem(error: unknown): string {
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
      return 'is a directory, expected a file';
    default:
      return `cannot read: ${code ?? (error instanceof Error ? error.message : String(error))}`;
  }
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
  return asLoadResult(parseDocumentOf(SCENARIO, bytes, file, options));
}

export function parseDocumentOf<T>(
  kind: DocumentKind<T>,
  bytes: Buffer | Uint8Array | string,
  file: string,
  options: ParseOptions = {},
): DocumentResult<T> {
  try {
    return parse(kind, bytes, file, options);
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

export type PathSegment = string | number;

function parse<T>(
  kind: DocumentKind<T>,
  bytes: Buffer | Uint8Array | string,
  file: string,
  options: ParseOptions,
): DocumentResult<T> {
  const fail = (diagnostics: Diagnostic[], total = diagnostics.length): DocumentResult<T> => ({
    ok: false,
    diagnostics: capDiagnostics(diagnostics, file, total).map(oneLine),
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
    return fail([at(start, '(file)', `empty file, expected a ${kind.noun} mapping (${kind.keysHint})`)]);

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
    const shown = dedupeByPosition(
      yamlProblems.slice(0, MAX_DIAGNOSTICS + 1).map((e) => yamlDiagnostic(e, doc, position, file)),
    );
    // After an unclosed bracket or string the rest of the file is parsed as its content: what follows
    // is noise until it is closed.
    const unclosed = sortDiagnostics(shown).find((d) => d.message.includes('is never closed'));
    if (unclosed) return fail([unclosed]);
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
      at(position(contents?.range?.[0]), '(root)', `expected a mapping (${kind.keysHint}), got ${got}`),
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

  // ---- another kind of chaos document: say what it is, not every key it lacks
  const otherKind = kind.otherKind?.((data as { kind?: unknown }).kind, file);
  if (otherKind !== undefined) {
    return fail([at(position(doc.contents.get('kind', true)?.range?.[0]), 'kind', otherKind)]);
  }

  // ---- data → typed document
  const parsed = kind.schema.safeParse(data, { reportInput: true });
  if (!parsed.success) {
    const locate = new Locator(doc, data, kind.schema);
    const diagnostics = simplifyIssues(parsed.error.issues).flatMap((issue) =>
      issueDiagnostics(issue, locate, position, file),
    );
    return fail(sortDiagnostics(dedupe(diagnostics)));
  }

  // ---- rules across fields, and the files the document refers to
  const semantic = kind.check(parsed.data, options.baseDir);
  if (semantic.length > 0) {
    const locate = new Locator(doc, data, kind.schema);
    return fail(
      sortDiagnostics(
        dedupe(
          semantic.map((s) =>
            at(
              position((locate.node(s.path) ?? locate.anchor(s.path))?.range?.[0]),
              formatPath(s.path),
              s.message,
            ),
          ),
        ),
      ),
    );
  }
  return { ok: true, value: parsed.data, file };
}

// ------------------------------------------------------------------------------------------------ bytes

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
            message: `duplicate key ${JSON.stringify(name)}; a key may appear only once in a mapping`,
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
  doc: Document,
  position: (offset: number | undefined) => Position,
  file: string,
): Diagnostic {
  const pos = position(e.pos[0]);
  const base = { file, line: pos.line, col: pos.col, path: '(yaml)' };
  const firstLine = (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '');
  // yaml reports an unclosed string or bracket where it gave up (often the end of the file); the author
  // needs where it was opened.
  const openedAt = (test: (node: unknown) => boolean) => {
    const opened = openBefore(doc, e.pos[0], test);
    return opened === undefined ? {} : position(opened);
  };
  const quote = /^Missing closing (["'])quote/.exec(firstLine)?.[1];
  if (e.code === 'MISSING_CHAR' && quote) {
    const quoted = (node: unknown) =>
      isScalar(node) && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE');
    return { ...base, ...openedAt(quoted), message: `this string is never closed: add the closing ${quote}` };
  }
  const flow = /^Flow (?:sequence|map) in block collection must be .* end with a ([\]}])/.exec(
    firstLine,
  )?.[1];
  if (flow) {
    const open = flow === ']' ? '[' : '{';
    const collection = (node: unknown) => (isSeq(node) || isMap(node)) && node.flow === true;
    return {
      ...base,
      ...openedAt(collection),
      message: `this ${open} is never closed: add the closing ${flow} (or indent the lines inside it more than its key)`,
    };
  }
  switch (e.code) {
    case 'MULTIPLE_DOCS':
      return { ...base, message: 'a second YAML document (after ---); a scenario file holds exactly one' };
    case 'RESOURCE_EXHAUSTION':
      return { ...base, message: `nesting deeper than ${MAX_DEPTH} levels` };
    case 'TAG_RESOLVE_FAILED':
    case 'BAD_COLLECTION_TYPE':
      return { ...base, message: `${firstLine}; scenario files use plain YAML without tags` };
    default:
      if (firstLine === 'Nested mappings are not allowed in compact mappings') {
        return {
          ...base,
          message: `${firstLine}: is the next line indented too far, or does this value need quotes around a ": "?`,
        };
      }
      return { ...base, message: firstLine };
  }
}

/** Start of the last node matching `test` that opens before `offset`. */
function openBefore(doc: Document, offset: number, test: (node: unknown) => boolean): number | undefined {
  let best: number | undefined;
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    const start = (node as Node | null | undefined)?.range?.[0];
    if (test(node) && start !== undefined && start < offset && (best === undefined || start > best)) {
      best = start;
    }
    if (isMap(node)) {
      for (const pair of node.items) stack.push(pair.key, pair.value);
    } else if (isSeq(node)) {
      stack.push(...node.items);
    }
  }
  return best;
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
    readonly schema: z.ZodType,
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

  /**
   * Where to send the author for a key missing at `path`: the line that opens the deepest mapping that
   * exists, i.e. its key (`target:`) or its list item (`- type: ...`), or the document's first key.
   */
  anchor(path: readonly PathSegment[]): Node | undefined {
    for (let n = path.length - 1; n >= 1; n--) {
      const prefix = path.slice(0, n);
      if (!this.node(prefix)) continue;
      const last = prefix[prefix.length - 1]!;
      const parent = this.node(prefix.slice(0, -1));
      if (typeof last === 'string' && isMap(parent))
        return this.pairOf(parent, last)?.key as Node | undefined;
      return this.node(prefix);
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
    let schema: z.ZodType = this.schema;
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
      diag(
        locate.key(path, key),
        [...path, key],
        `unknown key ${JSON.stringify(key)}${didYouMean(key, known)}`,
      ),
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
  if (!node && path.length > 0 && isMissingKey(issue)) {
    const key = path[path.length - 1];
    const options = (issue as { options?: unknown[] }).options;
    const oneOf =
      issue.code === 'invalid_union' && options ? `; one of ${options.map(String).join(', ')}` : '';
    return [
      diag(locate.anchor(path), path, `required key ${JSON.stringify(String(key))} is missing${oneOf}`),
    ];
  }
  return [diag(node ?? locate.anchor(path), path, messageFor(issue, true))];
}

function isMissingKey(issue: Issue): boolean {
  const input = (issue as { input?: unknown }).input;
  if (issue.code !== 'invalid_union') return input === undefined;
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

/** yaml often reports one mistake twice at the same spot; the first message is the more telling. */
function dedupeByPosition(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const k = `${d.line}:${d.col}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
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

/**
 * Each diagnostic is printed as one line: control characters from the file (in keys, values or the YAML
 * parser's messages) are shown escaped, never written raw to the terminal.
 */
function oneLine(d: Diagnostic): Diagnostic {
  // eslint-disable-next-line no-control-regex
  const controls = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
  const escape = (text: string) =>
    text.replace(controls, (c) => {
      const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
      return named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
    });
  return { ...d, path: escape(d.path), message: escape(d.message) };
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
