/**
 * Reading a scenario file: bytes → YAML document → schema → semantic rules. Never throws for a user
 * mistake: every problem becomes a `file:line:col: path: message` diagnostic, and all of them are reported.
 */
import { readFile, stat } from 'node:fs/promises';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { scenarioSchema, type Scenario } from './schema.js';
import { semanticIssues } from './semantic.js';

export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  /** Dotted path into the document, e.g. `faults[0].at`; `(file)` for problems with the file itself. */
  path: string;
  message: string;
}

export type LoadResult = { ok: true; scenario: Scenario; file: string } | { ok: false; diagnostics: Diagnostic[] };

/** Large enough for any honest scenario; a bigger file is a mistake or an attack. */
export const MAX_SCENARIO_BYTES = 1024 * 1024;
const MAX_ALIASES = 100;
const MAX_DEPTH = 64;

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
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return fileProblem('no such file');
    if (code === 'EACCES') return fileProblem('permission denied');
    return fileProblem(`cannot read: ${code ?? String(error)}`);
  }
  if (size > MAX_SCENARIO_BYTES) return fileProblem(`file is ${size} bytes; scenarios are limited to 1 MiB`);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    return fileProblem(`cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return parseScenario(bytes, file);
}

export function parseScenario(bytes: Buffer | string, file: string): LoadResult {
  const fail = (diagnostics: Diagnostic[]): LoadResult => ({ ok: false, diagnostics });
  const at = (line: number, col: number, path: string, message: string): Diagnostic => ({
    file,
    line,
    col,
    path,
    message,
  });

  let text: string;
  if (typeof bytes === 'string') {
    text = bytes;
  } else {
    if (bytes.includes(0)) return fail([at(1, 1, '(file)', 'binary data, expected YAML text')]);
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      return fail([at(1, 1, '(file)', 'not valid UTF-8 text')]);
    }
  }
  if (text.trim() === '') return fail([at(1, 1, '(file)', 'empty file, expected a scenario mapping')]);

  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true });
  const position = (offset: number | undefined): { line: number; col: number } =>
    offset === undefined ? { line: 1, col: 1 } : lineCounter.linePos(offset);

  const yamlErrors = [...doc.errors, ...doc.warnings.filter((w) => w.code === 'DUPLICATE_KEY')];
  if (yamlErrors.length > 0) {
    return fail(
      yamlErrors.map((e) => {
        const { line, col } = position(e.pos[0]);
        return at(line, col, '(yaml)', describeYamlError(e.code, e.message));
      }),
    );
  }
  const depth = nodeDepth(doc.contents as Node | null);
  if (depth > MAX_DEPTH) return fail([at(1, 1, '(yaml)', `nesting deeper than ${MAX_DEPTH} levels`)]);
  if (!isMap(doc.contents)) {
    const { line, col } = position((doc.contents as Node | null)?.range?.[0]);
    const got = doc.contents === null ? 'nothing' : isSeq(doc.contents) ? 'a list' : 'a single value';
    return fail([at(line, col, '(root)', `expected a mapping (apiVersion, kind, metadata, ...), got ${got}`)]);
  }

  let data: unknown;
  try {
    // maxAliasCount bounds the expansion of alias bombs ("billion laughs") before they eat the heap.
    data = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const bomb = /alias/i.test(message);
    return fail([
      at(1, 1, '(yaml)', bomb ? `too many alias expansions (limit ${MAX_ALIASES}): refusing a possible alias bomb` : message),
    ]);
  }

  const parsed = scenarioSchema.safeParse(data);
  if (!parsed.success) {
    return fail(sortDiagnostics(parsed.error.issues.flatMap((issue) => issueDiagnostics(issue, doc, position, file))));
  }
  const semantic = semanticIssues(parsed.data);
  if (semantic.length > 0) {
    return fail(
      sortDiagnostics(
        semantic.map((s) => {
          const { line, col } = position(nodeAt(doc, s.path)?.range?.[0]);
          return at(line, col, formatPath(s.path), s.message);
        }),
      ),
    );
  }
  return { ok: true, scenario: parsed.data, file };
}

function describeYamlError(code: string, message: string): string {
  if (code === 'DUPLICATE_KEY') return 'duplicate key: ' + (/"?([^"]+)"?/.exec(message.split(':')[1] ?? '')?.[1] ?? message).trim();
  return message.split('\n')[0] ?? message;
}

function issueDiagnostics(
  issue: z.core.$ZodIssue,
  doc: Document,
  position: (offset: number | undefined) => { line: number; col: number },
  file: string,
): Diagnostic[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const keyNode = keyNodeAt(doc, path, key);
      const { line, col } = position(keyNode?.range?.[0]);
      return { file, line, col, path: formatPath([...path, key]), message: `unknown key "${key}"${suggestion(key, doc, path)}` };
    });
  }
  // A missing key has no node of its own: point at the mapping that should hold it.
  let node = nodeAt(doc, path);
  let message = issue.message;
  if (!node) {
    node = nearestNode(doc, path);
    if (issue.code === 'invalid_type' && issue.input === undefined) message = 'required';
  }
  const { line, col } = position(node?.range?.[0]);
  return [{ file, line, col, path: formatPath(path), message: humanize(issue, message) }];
}

function humanize(issue: z.core.$ZodIssue, message: string): string {
  if (issue.code === 'invalid_union' && 'note' in issue && issue.note === 'No matching discriminator') {
    return message;
  }
  return message.replace(/^Invalid input: /, '');
}

/** "unknown key" is more useful with the key the author probably meant. */
function suggestion(key: string, doc: Document, path: (string | number)[]): string {
  const known = knownKeysNear(path, doc);
  const best = known
    .map((k) => ({ k, d: editDistance(k.toLowerCase(), key.toLowerCase()) }))
    .filter((x) => x.d <= 2)
    .sort((a, b) => a.d - b.d)[0];
  return best ? `; did you mean "${best.k}"?` : '';
}

function knownKeysNear(path: (string | number)[], doc: Document): string[] {
  let schema: z.ZodType = scenarioSchema;
  let value: unknown = doc.toJS({ maxAliasCount: MAX_ALIASES });
  for (const segment of path) {
    value = (value as Record<string | number, unknown> | undefined)?.[segment];
    schema = childSchema(schema, segment, value) ?? schema;
  }
  const shape = unwrap(schema);
  return shape && 'shape' in shape ? Object.keys((shape as z.ZodObject).shape) : [];
}

function unwrap(schema: z.ZodType): z.ZodType {
  let s: z.ZodType = schema;
  for (;;) {
    const def = s._zod.def as { innerType?: z.ZodType; type: string };
    if (def.innerType && (def.type === 'default' || def.type === 'optional')) s = def.innerType;
    else return s;
  }
}

function childSchema(schema: z.ZodType, segment: string | number, value: unknown): z.ZodType | undefined {
  const s = unwrap(schema);
  const def = s._zod.def as {
    type: string;
    shape?: Record<string, z.ZodType>;
    element?: z.ZodType;
    options?: z.ZodType[];
  };
  if (def.type === 'object' && typeof segment === 'string') return def.shape?.[segment];
  if (def.type === 'array') {
    const element = def.element ? unwrap(def.element) : undefined;
    const edef = element?._zod.def as { type: string; options?: z.ZodType[] } | undefined;
    if (edef?.type === 'union' && edef.options) {
      const type = (value as { type?: unknown } | undefined)?.type;
      return edef.options.find((o) => {
        const shape = (unwrap(o)._zod.def as { shape?: Record<string, z.ZodType> }).shape;
        const lit = shape?.type?._zod.def as { values?: unknown[] } | undefined;
        return lit?.values?.includes(type);
      });
    }
    return element;
  }
  return undefined;
}

function editDistance(a: string, b: string): number {
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

function nodeAt(doc: Document, path: readonly (string | number)[]): Node | undefined {
  if (path.length === 0) return doc.contents as Node | undefined;
  const node = doc.getIn(path, true);
  return node && typeof node === 'object' && 'range' in node ? (node as Node) : undefined;
}

function nearestNode(doc: Document, path: readonly (string | number)[]): Node | undefined {
  for (let n = path.length - 1; n >= 0; n--) {
    const node = nodeAt(doc, path.slice(0, n));
    if (node) return node;
  }
  return doc.contents as Node | undefined;
}

function keyNodeAt(doc: Document, path: readonly (string | number)[], key: string): Node | undefined {
  const parent = nodeAt(doc, path);
  if (!isMap(parent)) return parent;
  const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
  return (pair?.key as Node | undefined) ?? parent;
}

function nodeDepth(root: Node | null): number {
  // Iterative: a recursive walk would itself be the stack overflow the limit guards against.
  let max = 0;
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > max) max = depth;
    if (max > MAX_DEPTH) return max;
    if (isMap(node) || isSeq(node)) {
      for (const item of node.items) {
        if (isPair(item)) stack.push([item.value, depth + 1]);
        else stack.push([item, depth + 1]);
      }
    }
  }
  return max;
}

export function formatPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return '(root)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return ds.sort((a, b) => a.line - b.line || a.col - b.col);
}
