import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach } from 'vitest';
import { serializeCommit, serializeTree, type TreeEntry } from '../../engine/store/git-objects.js';
import { ObjectStore, type ObjectId } from '../../engine/store/object-store.js';
import { parseIndex, type IndexEntry } from '../../engine/worktree/git-index.js';
import { lstatIfExists, statMatchesEntry } from '../../engine/worktree/worktree-file.js';

/** A throwaway repository made by real `git init`, with dgit's object store on it. */
export interface TestRepository {
  dir: string;
  gitdir: string;
  store: ObjectStore;
}

/** Git run with no user or system configuration, so the machine's settings cannot change what the tests see. */
const gitEnvironment = {
  ...process.env,
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
};

export function runGit(dir: string, ...args: string[]): { status: number; stdout: string; stderr: string } {
  return runGitWithInput(dir, '', ...args);
}

export function runGitWithInput(dir: string, input: string, ...args: string[]): { status: number; stdout: string; stderr: string } {
  const result = spawnSync('git', args, { cwd: dir, env: gitEnvironment, encoding: 'utf8', input });
  if (result.error) throw result.error;
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Run git and return its output; throw when it fails. */
export function git(dir: string, ...args: string[]): string {
  const result = runGit(dir, ...args);
  if (result.status !== 0) throw new Error(`git ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return result.stdout;
}

const created: string[] = [];
afterEach(() => {
  for (const dir of created.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

export function createRepository(): TestRepository {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dgit-worktree-'));
  created.push(dir);
  git(dir, 'init', '-q', '-b', 'main');
  const gitdir = path.join(dir, '.git');
  return { dir, gitdir, store: new ObjectStore(gitdir) };
}

/** A file of a test tree: text content (mode 100644), content with an explicit mode, or a submodule commit. */
export type FileSpec = string | { content: string; mode: '100644' | '100755' | '120000' } | { gitlink: ObjectId };

/** Write blobs and trees for `files` (path -> content) and return the root tree id. */
export function writeTree(store: ObjectStore, files: Record<string, FileSpec>): ObjectId {
  interface Directory { files: Map<string, { mode: TreeEntry['mode']; oid: ObjectId }>; directories: Map<string, Directory> }
  const root: Directory = { files: new Map(), directories: new Map() };
  for (const [filePath, spec] of Object.entries(files)) {
    const parts = filePath.split('/');
    let directory = root;
    for (const part of parts.slice(0, -1)) {
      let child = directory.directories.get(part);
      if (!child) directory.directories.set(part, (child = { files: new Map(), directories: new Map() }));
      directory = child;
    }
    if (typeof spec === 'object' && 'gitlink' in spec) {
      directory.files.set(parts.at(-1)!, { mode: '160000', oid: spec.gitlink });
      continue;
    }
    const { content, mode } = typeof spec === 'string' ? { content: spec, mode: '100644' as const } : spec;
    directory.files.set(parts.at(-1)!, { mode, oid: store.write('blob', Buffer.from(content, 'utf8')) });
  }
  const write = (directory: Directory): ObjectId => {
    const entries: TreeEntry[] = [];
    for (const [name, file] of directory.files) entries.push({ name, ...file });
    for (const [name, child] of directory.directories) entries.push({ name, mode: '40000', oid: write(child) });
    return store.write('tree', serializeTree(entries));
  };
  return write(root);
}

let clock = 1_700_000_000;

/** Commit `tree` on top of branch `ref` (main by default) and move the branch to it. */
export function commitTree(repository: TestRepository, tree: ObjectId, ref = 'refs/heads/main'): ObjectId {
  const head = runGit(repository.dir, 'rev-parse', '--verify', '-q', ref).stdout.trim();
  const signature = { name: 'Test', email: 'test@example.com', timestamp: clock++, timezoneOffset: 0 };
  const commit = repository.store.write(
    'commit',
    serializeCommit({ tree, parents: head ? [head as ObjectId] : [], author: signature, committer: signature, message: 'test' }),
  );
  git(repository.dir, 'update-ref', ref, commit);
  return commit;
}

export function readIndexEntries(repository: TestRepository): IndexEntry[] {
  const parsed = parseIndex(fs.readFileSync(path.join(repository.gitdir, 'index')), 'index');
  if (parsed.kind !== 'entries') throw new Error(`index needs a rebuild: ${parsed.reason}`);
  return parsed.entries;
}

/** Paths whose index stat data do not match the file on disk, i.e. that git would have to hash. */
export function entriesGitMustHash(repository: TestRepository): string[] {
  return readIndexEntries(repository)
    .filter((entry) => {
      const stat = lstatIfExists(path.join(repository.dir, entry.path.toString('utf8')));
      return stat === undefined || !statMatchesEntry(entry, stat);
    })
    .map((entry) => entry.path.toString('utf8'));
}

/** What real git says about the repository: status, diff against HEAD, fsck. */
export function gitVerdict(repository: TestRepository): { status: string; diffExitCode: number; fsck: string; fsckExitCode: number } {
  const status = git(repository.dir, 'status', '--porcelain');
  const diff = runGit(repository.dir, 'diff', '--quiet', 'HEAD');
  const fsck = runGit(repository.dir, 'fsck', '--strict', '--no-dangling');
  return { status, diffExitCode: diff.status, fsck: fsck.stdout + fsck.stderr, fsckExitCode: fsck.status };
}

/** Every file under `dir` (outside .git) with what identifies its version on disk. */
export function snapshotFiles(dir: string): Map<string, { content: string; ino: bigint; mtimeNs: bigint; mode: bigint }> {
  const files = new Map<string, { content: string; ino: bigint; mtimeNs: bigint; mode: bigint }>();
  const walk = (relative: string): void => {
    for (const entry of fs.readdirSync(path.join(dir, relative), { withFileTypes: true })) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (child === '.git') continue;
      const absolute = path.join(dir, child);
      if (entry.isDirectory()) {
        walk(child);
        continue;
      }
      const stat = fs.lstatSync(absolute, { bigint: true });
      const content = entry.isSymbolicLink() ? `-> ${fs.readlinkSync(absolute)}` : fs.readFileSync(absolute, 'utf8');
      files.set(child, { content, ino: stat.ino, mtimeNs: stat.mtimeNs, mode: stat.mode });
    }
  };
  walk('');
  return files;
}

/** Directories under `dir` (outside .git). */
export function listDirectories(dir: string): string[] {
  const directories: string[] = [];
  const walk = (relative: string): void => {
    for (const entry of fs.readdirSync(path.join(dir, relative), { withFileTypes: true })) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (child === '.git' || !entry.isDirectory()) continue;
      directories.push(child);
      walk(child);
    }
  };
  walk('');
  return directories.sort();
}

/** An ObjectStore that records every object it reads. */
export class CountingObjectStore extends ObjectStore {
  readonly reads: ObjectId[] = [];

  override async read(oid: ObjectId): ReturnType<ObjectStore['read']> {
    this.reads.push(oid);
    return super.read(oid);
  }
}
