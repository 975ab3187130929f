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
import { isMap, isScalar, isSeq, LineCounter } from 'yaml';
import type { z } from 'zod';
import {
  capDiagnostics,
  dedupe,
  dedupeByPosition,
  formatPath,
  fsProblem,
  MAX_DIAGNOSTICS,
  oneLine,
  sortDiagnostics,
  type Diagnostic,
  type PathSegment,
} from './diagnostics.js';
import { issueDiagnostics, Locator } from './locate.js';
import { show, simplifyIssues } from './messages.js';
import { scenarioSchema, type Scenario } from './schema.js';
import { semanticIssues } from './semantic.js';
import { readGoldenFile } from './golden.js';
import { integerRule, readPayloadFile } from './payload.js';
import { decodeText, MAX_SCENARIO_BYTES, offsetPosition, tooBig, type Position } from './text.js';
import {
  aliasDiagnostic,
  excessiveNesting,
  MAX_ALIASES,
  MAX_DEPTH,
  parseYaml,
  structureProblems,
  yamlDiagnostic,
} from './yaml-document.js';

export type LoadResult =
  { ok: true; scenario: Scenario; file: string } | { ok: false; diagnostics: Diagnostic[] };

/** What one kind of chaos YAML file (a scenario, a game-day suite) is checked against. */
export interface DocumentKind<T> {
  /** "scenario", "suite": for messages. */
  noun: string;
  /** The top-level keys to name when the file is empty or not a mapping. */
  keysHint: string;
  schema: z.ZodType<T>;
  /**
   * Rules across fields, and (with a base directory) the files the document refers to. A problem inside one of
   * those files carries its own place (`at`); the others are placed at `path` in the document.
   */
  check(data: T, baseDir: string | undefined): DocumentIssue[];
  /**
   * When `kind` names another chaos document, what it is and which command takes it: one line instead of
   * a schema diff that only says `kind` is wrong.
   */
  otherKind?(kind: unknown, file: string): string | undefined;
}

export interface DocumentIssue {
  path: PathSegment[];
  message: string;
  at?: { file: string; line: number; col: number };
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

export async function loadScenarioFile(file: string): Promise<LoadResult> {
  return asLoadResult(await loadDocumentFile(SCENARIO, file));
}

function asLoadResult(r: DocumentResult<Scenario>): LoadResult {
  return r.ok ? { ok: true, scenario: r.value, file: r.file } : r;
}

export async function loadDocumentFile<T>(kind: DocumentKind<T>, file: string): Promise<DocumentResult<T>> {
  const fileProblem = (message: string): DocumentResult<T> => ({
    ok: false,
    diagnostics: [oneLine({ file, line: 1, col: 1, path: '(file)', message })],
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
    const doc = parseYaml(text, lineCounter);
    // A setting given on the command line is not in the file: point at the nearest part of it that is.
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true) as { range?: [number, ...number[]] } | undefined;
      if (node?.range) {
        pos = lineCounter.linePos(node.range[0]);
        break;
      }
    }
  } catch {
    // the file changed under us: the message still says what is wrong
  }
  return { file, line: pos.line, col: pos.col, path: formatPath(path), message };
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
            s.at
              ? { ...s.at, path: formatPath(s.path), message: s.message }
              : at(
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

// ------------------------------------------------------------------------------------------------ files

function referencedFileIssues(s: Scenario, baseDir: string): DocumentIssue[] {
  const issues: DocumentIssue[] = [];
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
  // A row problem is shown in the row file, named as the scenario's directory plus the relative name.
  const inFile = (relative: string, at: Position | undefined) =>
    at ? { at: { file: path.join(baseDir, relative), line: at.line, col: at.col } } : {};
  const integers = integerRule(s);
  check(['load', 'script'], s.load.script);
  const payload = s.load.payload.file;
  if (payload !== undefined && !s.load.script) {
    const before = issues.length;
    check(['load', 'payload', 'file'], payload);
    if (issues.length === before) {
      const read = readPayloadFile(path.resolve(baseDir, payload), s.load.payload.features, integers);
      if (!read.ok)
        issues.push({
          path: ['load', 'payload', 'file'],
          message: read.at ? read.message : `${payload}: ${read.message}`,
          ...inFile(payload, read.at),
        });
    }
  }
  const golden = s.load.golden;
  if (golden) {
    const before = issues.length;
    check(['load', 'golden', 'file'], golden.file);
    if (issues.length === before) {
      const read = readGoldenFile(
        path.resolve(baseDir, golden.file),
        golden.file,
        s.load.payload.features,
        integers,
      );
      if (!read.ok)
        issues.push({
          path: ['load', 'golden', 'file'],
          message: read.at ? read.message.slice(golden.file.length + 2) : read.message,
          ...inFile(golden.file, read.at),
        });
    }
  }
  return issues;
}
