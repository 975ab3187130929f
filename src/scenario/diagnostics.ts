/**
 * What the author of a chaos YAML file reads: one `file:line:col: path: message` line per problem, sorted,
 * without repeats, capped, and free of raw control characters.
 */

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

export type PathSegment = string | number;

/** More than this many problems in one file is noise: the rest are summarized in one line. */
export const MAX_DIAGNOSTICS = 100;

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.path}: ${d.message}`;
}

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

export function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return ds.sort((a, b) => a.line - b.line || a.col - b.col);
}

/** yaml often reports one mistake twice at the same spot; the first message is the more telling. */
export function dedupeByPosition(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const k = `${d.line}:${d.col}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export function dedupe(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const k = formatDiagnostic(d);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * Each diagnostic is printed as one line: control characters from the file (its name, keys, values or the
 * YAML parser's messages) are shown escaped, never written raw to the terminal.
 */
export function oneLine(d: Diagnostic): Diagnostic {
  return { ...d, file: printable(d.file), path: printable(d.path), message: printable(d.message) };
}

/**
 * Text from outside (a file name, a key, a parser's message) as it may be printed: control characters and line
 * separators escaped, so a name holding an escape sequence or a newline can neither recolour nor forge output.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    return named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

export function capDiagnostics(ds: Diagnostic[], file: string, total: number): Diagnostic[] {
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
