/**
 * YAML text → yaml's Document, with the bounds untrusted input needs (nesting checked on the token stream
 * before a parser builds anything, alias expansion budgeted), and yaml's own problems (syntax errors, aliases,
 * duplicate or non-scalar keys) turned into diagnostics that point where the author has to look.
 */
import type { LineCounter } from 'yaml';
import {
  CST,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  Lexer,
  parseDocument,
  type Document,
  type Node,
  type YAMLError,
} from 'yaml';
import { formatPath, type Diagnostic, type PathSegment } from './diagnostics.js';
import type { Position } from './text.js';

/** yaml's alias budget: expansions × aliases inside the expanded node. Honest files use a handful. */
export const MAX_ALIASES = 100;
/** Real scenarios nest about 5 deep. */
export const MAX_DEPTH = 64;

/**
 * yaml's own duplicate-key check is quadratic in the size of a mapping (60,000 keys: most of a minute), so
 * duplicates are found in structureProblems instead. Errors are built without stack traces: a garbage file
 * can produce one per byte, and capturing stacks is most of their cost.
 */
export function parseYaml(text: string, lineCounter: LineCounter): Document {
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
export function excessiveNesting(text: string): number | undefined {
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

export interface StructureProblem {
  node: Node;
  path: PathSegment[];
  message: string;
}

/** Keys refused wherever they appear, with why. */
const SPECIAL_KEYS = new Map<string, string>([
  // Would be dropped silently on the way to plain data, or reach a prototype: never a scenario's key.
  [
    '__proto__',
    '"__proto__" cannot be a key: it is no name the scenario language has, and JavaScript gives it a meaning of its own',
  ],
  [
    '<<',
    'YAML merge keys (<<) are not supported: write the keys out (an anchor and alias can still repeat a whole value)',
  ],
]);

/**
 * Exact depth, duplicate keys, non-scalar keys and the special keys above, in one iterative walk (a recursive walk would itself be
 * the stack overflow the depth limit guards against).
 */
export function structureProblems(doc: Document): StructureProblem[] {
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
        const special = SPECIAL_KEYS.get(name);
        if (special !== undefined) {
          problems.push({ node: key ?? node, path: [...path, name], message: special });
          continue;
        }
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
export function keyName(key: unknown): string {
  const value: unknown = isScalar(key) ? key.value : key;
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return Object.prototype.toString.call(value);
}

// ------------------------------------------------------------------------------------------------ YAML errors

export function yamlDiagnostic(
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

export function aliasDiagnostic(
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
