/**
 * From a path in the loaded data back to the YAML that produced it: the node to point at, the key to add a
 * missing value under, the keys the schema would have accepted; and schema issues placed there.
 */
import { isMap, isSeq, type Document, type Node, type Pair } from 'yaml';
import type { z } from 'zod';
import { formatPath, type Diagnostic, type PathSegment } from './diagnostics.js';
import { didYouMean, messageFor, show, type Issue } from './messages.js';
import type { Position } from './text.js';
import { keyName } from './yaml-document.js';

/** Finds the YAML node behind a path; caches mapping indexes so files with many keys stay linear. */
export class Locator {
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
    const def = s._zod.def as { innerType?: z.ZodType; in?: z.ZodType; type: string };
    if (def.innerType && (def.type === 'default' || def.type === 'optional' || def.type === 'prefault'))
      s = def.innerType;
    // A transform after an object (target's protocol defaults): the keys are the object's.
    else if (def.type === 'pipe' && def.in) s = def.in;
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

export function issueDiagnostics(
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
