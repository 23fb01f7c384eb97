import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ObjectStore, type ObjectId } from '../../engine/store/object-store.js';
import { checkoutTree, syncWorktree } from '../../engine/worktree/index.js';
import {
  commitTree,
  createRepository,
  entriesGitMustHash,
  git,
  gitVerdict,
  listDirectories,
  snapshotFiles,
  writeTree,
  type FileSpec,
  type TestRepository,
} from './git-repository-fixture.js';

const flightsV1: Record<string, FileSpec> = {
  'dgit.yml': 'version: 1\n',
  'tables/flights/schema.json': '{"columns":["id","origin"]}\n',
  'tables/flights/manifest.json': '{"chunks":["0a11","7f22","c933"]}\n',
  'tables/flights/chunks/0a/0a11.parquet': 'chunk 0a11 rows 1-100',
  'tables/flights/chunks/7f/7f22.parquet': 'chunk 7f22 rows 101-200',
  'tables/flights/chunks/c9/c933.parquet': 'chunk c933 rows 201-300',
  'tables/airports/schema.json': '{"columns":["code"]}\n',
  'tables/airports/manifest.json': '{"chunks":["5b44"]}\n',
  'tables/airports/chunks/5b/5b44.parquet': 'chunk 5b44 airports',
};

/** flightsV1 with one chunk edited (7f22 -> 7f23) and the manifest that names it. */
const flightsV2: Record<string, FileSpec> = {
  ...withoutPaths(flightsV1, ['tables/flights/chunks/7f/7f22.parquet']),
  'tables/flights/manifest.json': '{"chunks":["0a11","7f23","c933"]}\n',
  'tables/flights/chunks/7f/7f23.parquet': 'chunk 7f23 rows 101-200, row 150 edited',
};

function withoutPaths(files: Record<string, FileSpec>, paths: string[]): Record<string, FileSpec> {
  return Object.fromEntries(Object.entries(files).filter(([file]) => !paths.includes(file)));
}

/** A repository whose branch, index and files are at `files`, checked out by dgit. */
async function checkedOut(files: Record<string, FileSpec>): Promise<TestRepository & { tree: ReturnType<typeof writeTree> }> {
  const repository = createRepository();
  const tree = writeTree(repository.store, files);
  commitTree(repository, tree);
  await checkoutTree({ ...repository, to: tree });
  return { ...repository, tree };
}

function expectGitSeesNoChange(repository: TestRepository): void {
  const verdict = gitVerdict(repository);
  expect(verdict.status).toBe('');
  expect(verdict.diffExitCode).toBe(0);
  expect(verdict.fsckExitCode, verdict.fsck).toBe(0);
  expect(verdict.fsck).toBe('');
}

describe('checkoutTree', () => {
  it('fills a fresh repository so that git status, git diff HEAD and git fsck --strict are clean', async () => {
    const repository = createRepository();
    const tree = writeTree(repository.store, flightsV1);
    commitTree(repository, tree);

    const result = await checkoutTree({ ...repository, to: tree });

    expect(result).toEqual({ written: Object.keys(flightsV1).length, removed: 0 });
    expect(fs.readFileSync(path.join(repository.dir, 'tables/flights/chunks/7f/7f22.parquet'), 'utf8')).toBe('chunk 7f22 rows 101-200');
    expectGitSeesNoChange(repository);
    expect(git(repository.dir, 'ls-files', '--stage')).toBe(git(repository.dir, 'ls-tree', '-r', '--full-tree', 'HEAD').replace(/ blob /g, ' ').replace(/\t/g, ' 0\t'));
    expect(entriesGitMustHash(repository)).toEqual([]);
  });

  it('checks out executables with the executable bit and symlinks as symlinks', async () => {
    const repository = await checkedOut({
      'bin/refresh.sh': { content: '#!/bin/sh\necho refresh\n', mode: '100755' },
      'latest.parquet': { content: 'tables/flights/chunks/0a/0a11.parquet', mode: '120000' },
      'tables/flights/chunks/0a/0a11.parquet': 'chunk',
    });

    expect(fs.statSync(path.join(repository.dir, 'bin/refresh.sh')).mode & 0o111).not.toBe(0);
    expect(fs.readlinkSync(path.join(repository.dir, 'latest.parquet'))).toBe('tables/flights/chunks/0a/0a11.parquet');
    expectGitSeesNoChange(repository);
  });
});

describe('syncWorktree', () => {
  it('rewrites only the changed files; unchanged files keep their inode and mtime', async () => {
    const repository = await checkedOut(flightsV1);
    const before = snapshotFiles(repository.dir);
    const next = writeTree(repository.store, flightsV2);

    const result = await syncWorktree({ ...repository, from: repository.tree, to: next });
    commitTree(repository, next);

    expect(result).toEqual({ written: 2, removed: 1 });
    const after = snapshotFiles(repository.dir);
    expect([...after.keys()].sort()).toEqual(Object.keys(flightsV2).sort());
    for (const [file, version] of after) {
      if (file === 'tables/flights/manifest.json' || file === 'tables/flights/chunks/7f/7f23.parquet') continue;
      expect(version, file).toEqual(before.get(file));
    }
    expect(after.get('tables/flights/chunks/7f/7f23.parquet')!.content).toBe('chunk 7f23 rows 101-200, row 150 edited');
    expect(fs.existsSync(path.join(repository.dir, 'tables/flights/chunks/7f'))).toBe(true);
    expectGitSeesNoChange(repository);
    expect(entriesGitMustHash(repository)).toEqual([]);
  });

  it('keeps the index entries of unchanged paths byte for byte', async () => {
    const repository = await checkedOut(flightsV1);
    const before = git(repository.dir, 'ls-files', '--debug', 'tables/airports', 'tables/flights/chunks/0a');

    await syncWorktree({ ...repository, from: repository.tree, to: writeTree(repository.store, flightsV2) });

    expect(git(repository.dir, 'ls-files', '--debug', 'tables/airports', 'tables/flights/chunks/0a')).toBe(before);
  });

  it('leaves staged files dgit does not manage, untracked files and ignored files alone', async () => {
    const repository = await checkedOut(flightsV1);
    fs.writeFileSync(path.join(repository.dir, 'notes.txt'), 'my notes\n');
    git(repository.dir, 'add', 'notes.txt');
    fs.writeFileSync(path.join(repository.dir, 'scratch.csv'), 'a,b\n1,2\n');
    fs.writeFileSync(path.join(repository.dir, 'tables/flights/chunks/7f/query.sql'), 'select 1;\n');
    fs.writeFileSync(path.join(repository.dir, '.git/info/exclude'), '*.log\n');
    fs.writeFileSync(path.join(repository.dir, 'duckdb.log'), 'log\n');
    const stagedNotes = git(repository.dir, 'ls-files', '--stage', 'notes.txt');
    const before = snapshotFiles(repository.dir);
    const next = writeTree(repository.store, flightsV2);

    await syncWorktree({ ...repository, from: repository.tree, to: next });
    commitTree(repository, next);

    const after = snapshotFiles(repository.dir);
    for (const file of ['notes.txt', 'scratch.csv', 'tables/flights/chunks/7f/query.sql', 'duckdb.log']) {
      expect(after.get(file), file).toEqual(before.get(file));
    }
    expect(git(repository.dir, 'ls-files', '--stage', 'notes.txt')).toBe(stagedNotes);
    expect(git(repository.dir, 'status', '--porcelain')).toBe('A  notes.txt\n?? scratch.csv\n?? tables/flights/chunks/7f/query.sql\n');
  });

  it('leaves a user edit to an unchanged file in place, still visible to git', async () => {
    const repository = await checkedOut(flightsV1);
    fs.appendFileSync(path.join(repository.dir, 'tables/airports/schema.json'), ' ');
    const next = writeTree(repository.store, flightsV2);

    await syncWorktree({ ...repository, from: repository.tree, to: next });
    commitTree(repository, next);

    expect(git(repository.dir, 'status', '--porcelain')).toBe(' M tables/airports/schema.json\n');
  });

  it('removes files that left the tree and the directories they leave empty, but not directories holding user files', async () => {
    const repository = await checkedOut(flightsV1);
    fs.writeFileSync(path.join(repository.dir, 'tables/airports/README.md'), 'about airports\n');
    const next = writeTree(
      repository.store,
      withoutPaths(flightsV1, [
        'tables/flights/schema.json',
        'tables/flights/manifest.json',
        'tables/flights/chunks/0a/0a11.parquet',
        'tables/flights/chunks/7f/7f22.parquet',
        'tables/flights/chunks/c9/c933.parquet',
        'tables/airports/schema.json',
        'tables/airports/manifest.json',
        'tables/airports/chunks/5b/5b44.parquet',
      ]),
    );

    const result = await syncWorktree({ ...repository, from: repository.tree, to: next });
    commitTree(repository, next);

    expect(result).toEqual({ written: 0, removed: 8 });
    expect(listDirectories(repository.dir)).toEqual(['tables', 'tables/airports']);
    expect([...snapshotFiles(repository.dir).keys()].sort()).toEqual(['dgit.yml', 'tables/airports/README.md']);
    expect(git(repository.dir, 'status', '--porcelain', '--untracked-files=all')).toBe('?? tables/airports/README.md\n');
    expect(gitVerdict(repository).fsckExitCode).toBe(0);
  });

  it('turns a file into a directory and back', async () => {
    const repository = await checkedOut({ 'dgit.yml': 'x', 'exports/flights': 'one file' });
    const asDirectory = writeTree(repository.store, { 'dgit.yml': 'x', 'exports/flights/part-0.parquet': 'part 0', 'exports/flights/part-1.parquet': 'part 1' });

    await syncWorktree({ ...repository, from: repository.tree, to: asDirectory });
    commitTree(repository, asDirectory);
    expect(fs.readFileSync(path.join(repository.dir, 'exports/flights/part-1.parquet'), 'utf8')).toBe('part 1');
    expectGitSeesNoChange(repository);

    await syncWorktree({ ...repository, from: asDirectory, to: repository.tree });
    commitTree(repository, repository.tree);
    expect(fs.readFileSync(path.join(repository.dir, 'exports/flights'), 'utf8')).toBe('one file');
    expectGitSeesNoChange(repository);
  });

  it('follows a mode change without a content change', async () => {
    const repository = await checkedOut({ 'run.sh': { content: 'echo hi\n', mode: '100755' } });
    const plain = writeTree(repository.store, { 'run.sh': 'echo hi\n' });

    const result = await syncWorktree({ ...repository, from: repository.tree, to: plain });
    commitTree(repository, plain);

    expect(result.written).toBe(1);
    expect(fs.statSync(path.join(repository.dir, 'run.sh')).mode & 0o111).toBe(0);
    expectGitSeesNoChange(repository);
  });

  it('works on an index written by real git (with its TREE extension) and keeps git-committed files', async () => {
    const repository = createRepository();
    fs.writeFileSync(path.join(repository.dir, 'README.md'), '# flights\n');
    git(repository.dir, 'add', 'README.md');
    git(repository.dir, 'commit', '-q', '-m', 'readme');
    expect(fs.readFileSync(path.join(repository.gitdir, 'index')).includes(Buffer.from('TREE'))).toBe(true);
    const from = git(repository.dir, 'rev-parse', 'HEAD^{tree}').trim() as ReturnType<typeof writeTree>;
    const to = writeTree(repository.store, { 'README.md': '# flights\n', ...flightsV1 });

    await syncWorktree({ ...repository, from, to });
    commitTree(repository, to);

    expectGitSeesNoChange(repository);
    expect(entriesGitMustHash(repository)).toEqual([]);
  });

  it('works after git gc packed every object', async () => {
    const repository = await checkedOut(flightsV1);
    const next = writeTree(repository.store, flightsV2);
    commitTree(repository, next, 'refs/heads/v2');
    git(repository.dir, 'gc', '-q', '--prune=now');
    expect(fs.readdirSync(path.join(repository.gitdir, 'objects')).filter((name) => /^[0-9a-f]{2}$/.test(name))).toEqual([]);

    const result = await syncWorktree({ ...repository, store: new ObjectStore(repository.gitdir), from: repository.tree, to: next });
    git(repository.dir, 'update-ref', 'refs/heads/main', 'v2');

    expect(result).toEqual({ written: 2, removed: 1 });
    expectGitSeesNoChange(repository);
  });

  it('checks out a submodule as an empty directory and removes it again', async () => {
    const repository = await checkedOut({ 'dgit.yml': 'x' });
    const submoduleCommit = 'b1946ac92492d2347c6235b4d2611184b1946ac9' as ObjectId;
    const withSubmodule = writeTree(repository.store, { 'dgit.yml': 'x', 'vendor/geo': { gitlink: submoduleCommit } });

    await syncWorktree({ ...repository, from: repository.tree, to: withSubmodule });
    commitTree(repository, withSubmodule);
    expect(fs.readdirSync(path.join(repository.dir, 'vendor/geo'))).toEqual([]);
    expect(git(repository.dir, 'ls-files', '--stage', 'vendor/geo')).toBe(`160000 ${submoduleCommit} 0\tvendor/geo\n`);
    expect(git(repository.dir, 'status', '--porcelain')).toBe('');

    await syncWorktree({ ...repository, from: withSubmodule, to: repository.tree });
    commitTree(repository, repository.tree);
    expect(fs.existsSync(path.join(repository.dir, 'vendor'))).toBe(false);
    expectGitSeesNoChange(repository);
  });

  it('does nothing when the trees are equal', async () => {
    const repository = await checkedOut(flightsV1);
    const index = fs.readFileSync(path.join(repository.gitdir, 'index'));

    expect(await syncWorktree({ ...repository, from: repository.tree, to: repository.tree })).toEqual({ written: 0, removed: 0 });
    expect(fs.readFileSync(path.join(repository.gitdir, 'index')).equals(index)).toBe(true);
  });
});
