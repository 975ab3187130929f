/**
 * Which files `chaos schedule` may copy into the ConfigMap it sends to the cluster. The suite's tree is the
 * nearest directory at or above the suite file's own that holds a `.git` (the repository the suite is
 * committed in), or the suite file's own directory when there is none; `--allow-outside <dir>` adds a
 * directory. A file is inside when its real path (symlinks followed) is, so a link pointing out counts as out.
 * Absolute paths are refused outright: the files are mounted at their paths relative to the tree, and an
 * absolute path is the one a suite from someone else would use to reach `/etc` or a home directory.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { loadSuiteFile, suiteScenarioFiles } from '../gameday/suite.js';
import { formatDiagnostic } from '../scenario/diagnostics.js';
import { diagnosticAt, parseScenario } from '../scenario/parse.js';
import type { Scenario } from '../scenario/schema.js';

export interface SuiteTree {
  /** The tree's real path. */
  root: string;
  /** Why this directory: a `.git` was found in it, or none was and it is the suite's own directory. */
  reason: 'git' | 'suite-dir';
}

export async function suiteTree(suiteFile: string): Promise<SuiteTree> {
  const start = await realOrResolved(path.dirname(path.resolve(suiteFile)));
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (await exists(path.join(dir, '.git'))) return { root: dir, reason: 'git' };
    if (path.dirname(dir) === dir) return { root: start, reason: 'suite-dir' };
  }
}

/** A path as the suite or a scenario wrote it, and where it was written. */
export interface FileReference {
  /** The file holding the reference (the suite or a scenario), for the diagnostic. */
  holder: string;
  /** YAML path of the reference in its holder. */
  at: (string | number)[];
  /** As written. */
  ref: string;
}

export interface BoundaryProblem {
  reference: FileReference;
  message: string;
}

/**
 * Every file a scheduled suite would copy into the cluster, checked against its tree before any of them is
 * opened: validation reads payload and golden rows (and would quote a line of `/etc/shadow` in its error), so
 * this runs first. Scenarios are parsed without their files; what fails to parse is validation's to report.
 */
export async function outsideTreeProblems(
  suiteFile: string,
  allowOutside: readonly string[],
): Promise<string[]> {
  const loaded = await loadSuiteFile(suiteFile);
  if (!loaded.ok) return [];
  const tree = await suiteTree(suiteFile);
  const entries = await boundaryProblems(
    loaded.value.scenarios.map((s, i) => ({
      holder: path.resolve(suiteFile),
      at: ['scenarios', i, 'file'],
      ref: s.file,
    })),
    tree,
    allowOutside,
  );
  // A scenario outside the tree is not even parsed.
  if (entries.length > 0) return formatBoundary(suiteFile, entries);
  const references: FileReference[] = [];
  for (const file of suiteScenarioFiles(loaded.value, suiteFile)) {
    const bytes = await readFile(file).catch(() => null);
    if (bytes === null) continue;
    const parsed = parseScenario(bytes, file);
    if (parsed.ok) references.push(...copiedReferences(path.resolve(file), parsed.scenario));
  }
  return formatBoundary(suiteFile, await boundaryProblems(references, tree, allowOutside));
}

function copiedReferences(file: string, scenario: Scenario): FileReference[] {
  const refs: FileReference[] = [];
  const { payload, script, golden } = scenario.load;
  if (payload.file) refs.push({ holder: file, at: ['load', 'payload', 'file'], ref: payload.file });
  if (script) refs.push({ holder: file, at: ['load', 'script'], ref: script });
  if (golden) refs.push({ holder: file, at: ['load', 'golden', 'file'], ref: golden.file });
  return refs;
}

async function formatBoundary(suiteFile: string, problems: BoundaryProblem[]): Promise<string[]> {
  const out: string[] = [];
  for (const { reference, message } of problems) {
    const holder =
      reference.holder === path.resolve(suiteFile)
        ? suiteFile
        : path.relative(process.cwd(), reference.holder);
    out.push(formatDiagnostic(await diagnosticAt(holder, reference.at, message)));
  }
  return out;
}

/** Every reference that points outside `roots` (real paths) or is absolute; one message each. */
export async function boundaryProblems(
  references: readonly FileReference[],
  tree: SuiteTree,
  allowed: readonly string[],
): Promise<BoundaryProblem[]> {
  const roots = [tree.root, ...(await Promise.all(allowed.map((d) => realOrResolved(path.resolve(d)))))];
  const problems: BoundaryProblem[] = [];
  for (const reference of references) {
    if (path.isAbsolute(reference.ref)) {
      problems.push({
        reference,
        message: `${JSON.stringify(reference.ref)} is an absolute path: chaos schedule refuses them (the files are mounted at their paths relative to the suite's tree ${tree.root}); give it relative to ${path.dirname(reference.holder)}`,
      });
      continue;
    }
    const resolved = path.resolve(path.dirname(reference.holder), reference.ref);
    const real = await realOrResolved(resolved);
    if (roots.some((r) => isInside(real, r))) continue;
    const through = real !== resolved && roots.some((r) => isInside(resolved, r)) ? ' through a symlink' : '';
    problems.push({
      reference,
      message:
        `${JSON.stringify(reference.ref)} resolves${through} to ${real}, outside the suite's tree ${tree.root} ` +
        `(${tree.reason === 'git' ? 'the directory holding .git above the suite' : "the suite's directory: no .git above it"}); ` +
        `chaos schedule would copy it into a ConfigMap in the cluster. Move it into the tree, or pass --allow-outside <dir> to allow a directory`,
    });
  }
  return problems;
}

function isInside(file: string, dir: string): boolean {
  const rel = path.relative(dir, file);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

/**
 * The real path; for a path that does not exist, its deepest existing ancestor's real path with the rest
 * appended (a missing file is reported by the loader; here only where it would be matters).
 */
async function realOrResolved(p: string): Promise<string> {
  try {
    return await realpath(p);
  } catch {
    const parent = path.dirname(p);
    if (parent === p) return p;
    return path.join(await realOrResolved(parent), path.basename(p));
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
