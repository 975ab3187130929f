/**
 * Which files `chaos schedule` may copy into the ConfigMap it sends to the cluster. The suite's tree is the
 * nearest directory at or above the suite file's own that holds a `.git` (the repository the suite is
 * committed in), or the suite file's own directory when there is none; `--allow-outside <dir>` adds a
 * directory. A file is inside when its real path (symlinks followed) is, so a link pointing out counts as out.
 * Absolute paths are refused outright: the files are mounted at their paths relative to the tree, and an
 * absolute path is the one a suite from someone else would use to reach `/etc` or a home directory.
 */
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';

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
