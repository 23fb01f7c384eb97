import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DgitError } from '../../engine/errors/index.js';
import { serializeTree } from '../../engine/store/git-objects.js';
import type { ObjectId } from '../../engine/store/object-store.js';
import { checkoutTree, syncWorktree } from '../../engine/worktree/index.js';
import {
  commitTree,
  createRepository,
  git,
  gitVerdict,
  runGitWithInput,
  snapshotFiles,
  writeTree,
  type TestRepository,
} from './git-repository-fixture.js';

const base = {
  'dgit.yml': 'version: 1\n',
  'tables/flights/manifest.json': '{"chunks":["0a11","7f22"]}\n',
  'tables/flights/chunks/0a/0a11.parquet': 'chunk 0a11',
  'tables/flights/chunks/7f/7f22.parquet': 'chunk 7f22',
};
/** base with chunk 7f22 edited in place (same path, new content). */
const edited = { ...base, 'tables/flights/chunks/7f/7f22.parquet': 'chunk 7f22, edited' };
/** base plus a new chunk. */
const grown = { ...base, 'tables/flights/chunks/c9/c933.parquet': 'chunk c933' };

async function checkedOut(files: Record<string, string>): Promise<TestRepository & { tree: ObjectId }> {
  const repository = createRepository();
  const tree = writeTree(repository.store, files);
  commitTree(repository, tree);
  await checkoutTree({ ...repository, to: tree });
  return { ...repository, tree };
}

/** Everything a sync could touch: the files and the index bytes. */
function observe(repository: TestRepository) {
  return {
    files: snapshotFiles(repository.dir),
    index: fs.readFileSync(path.join(repository.gitdir, 'index')).toString('hex'),
  };
}

async function expectBlocked(repository: TestRepository, from: ObjectId, to: ObjectId, where: string): Promise<void> {
  const before = observe(repository);
  const error = await syncWorktree({ ...repository, from, to }).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(DgitError);
  expect(error).toMatchObject({ code: 'UNCOMMITTED_CHANGES', where });
  expect(observe(repository)).toEqual(before);
  expect(fs.existsSync(path.join(repository.gitdir, 'index.lock'))).toBe(false);
}

describe('syncWorktree refuses to lose the user\'s work', () => {
  it('a user-modified file under a changed path blocks the sync with nothing written', async () => {
    const repository = await checkedOut(base);
    fs.writeFileSync(path.join(repository.dir, 'tables/flights/chunks/7f/7f22.parquet'), 'my own edit');

    await expectBlocked(repository, repository.tree, writeTree(repository.store, edited), 'tables/flights/chunks/7f/7f22.parquet');
  });

  it('an edit that keeps the size and restores the mtime is still caught', async () => {
    const repository = await checkedOut(base);
    const file = path.join(repository.dir, 'tables/flights/chunks/7f/7f22.parquet');
    const { atime, mtime } = fs.statSync(file);
    fs.writeFileSync(file, 'chunk 7f2X');
    fs.utimesSync(file, atime, mtime);

    await expectBlocked(repository, repository.tree, writeTree(repository.store, edited), 'tables/flights/chunks/7f/7f22.parquet');
  });

  it('a file removed by the user is simply written again, as git does', async () => {
    const repository = await checkedOut(base);
    fs.rmSync(path.join(repository.dir, 'tables/flights/chunks/7f/7f22.parquet'));
    const next = writeTree(repository.store, edited);

    await syncWorktree({ ...repository, from: repository.tree, to: next });
    commitTree(repository, next);

    expect(gitVerdict(repository).status).toBe('');
  });

  it('an untracked file where a new file goes blocks the sync', async () => {
    const repository = await checkedOut(base);
    fs.mkdirSync(path.join(repository.dir, 'tables/flights/chunks/c9'));
    fs.writeFileSync(path.join(repository.dir, 'tables/flights/chunks/c9/c933.parquet'), 'something else');

    await expectBlocked(repository, repository.tree, writeTree(repository.store, grown), 'tables/flights/chunks/c9/c933.parquet');
  });

  it('an untracked file that already holds the new content is adopted, not rewritten (a rerun after a crash)', async () => {
    const repository = await checkedOut(base);
    const file = path.join(repository.dir, 'tables/flights/chunks/c9/c933.parquet');
    fs.mkdirSync(path.dirname(file));
    fs.writeFileSync(file, 'chunk c933');
    const inode = fs.statSync(file).ino;
    const next = writeTree(repository.store, grown);

    const result = await syncWorktree({ ...repository, from: repository.tree, to: next });
    commitTree(repository, next);

    expect(result).toEqual({ written: 0, removed: 0 });
    expect(fs.statSync(file).ino).toBe(inode);
    expect(gitVerdict(repository).status).toBe('');
  });

  it('a change staged in the git index under a changed path blocks the sync', async () => {
    const repository = await checkedOut(base);
    const file = path.join(repository.dir, 'tables/flights/chunks/7f/7f22.parquet');
    fs.writeFileSync(file, 'staged edit');
    git(repository.dir, 'add', 'tables/flights/chunks/7f/7f22.parquet');
    fs.writeFileSync(file, 'chunk 7f22');

    await expectBlocked(repository, repository.tree, writeTree(repository.store, edited), 'tables/flights/chunks/7f/7f22.parquet');
  });

  it('an unresolved merge conflict under a changed path blocks the sync', async () => {
    const repository = await checkedOut(base);
    const chunk = 'tables/flights/chunks/7f/7f22.parquet';
    const ours = repository.store.write('blob', Buffer.from('ours'));
    const theirs = repository.store.write('blob', Buffer.from('theirs'));
    git(repository.dir, 'update-index', '--force-remove', chunk);
    const stages = `100644 ${ours} 2\t${chunk}\n100644 ${theirs} 3\t${chunk}\n`;
    expect(runGitWithInput(repository.dir, stages, 'update-index', '--index-info').status).toBe(0);

    await expectBlocked(repository, repository.tree, writeTree(repository.store, edited), chunk);
  });

  it('an untracked file where the tree needs a directory blocks the sync', async () => {
    const repository = await checkedOut(base);
    fs.writeFileSync(path.join(repository.dir, 'tables/flights/chunks/c9'), 'a file named like a fan-out directory');

    await expectBlocked(repository, repository.tree, writeTree(repository.store, grown), 'tables/flights/chunks/c9');
  });

  it('a symlink where the tree needs a directory blocks the sync, so nothing is written through it', async () => {
    const repository = await checkedOut(base);
    const outside = createRepository().dir;
    fs.symlinkSync(outside, path.join(repository.dir, 'tables/flights/chunks/c9'));

    await expectBlocked(repository, repository.tree, writeTree(repository.store, grown), 'tables/flights/chunks/c9');
    expect(fs.existsSync(path.join(outside, 'c933.parquet'))).toBe(false);
  });

  it('an untracked file inside a directory that becomes a file blocks the sync', async () => {
    const repository = await checkedOut(base);
    fs.writeFileSync(path.join(repository.dir, 'tables/flights/chunks/7f/mine.txt'), 'mine');
    const next = writeTree(repository.store, {
      'dgit.yml': 'version: 1\n',
      'tables/flights/manifest.json': '{"chunks":["0a11","7f22"]}\n',
      'tables/flights/chunks/0a/0a11.parquet': 'chunk 0a11',
      'tables/flights/chunks/7f': 'now a file',
    });

    await expectBlocked(repository, repository.tree, next, 'tables/flights/chunks/7f/mine.txt');
  });

  it('a tree entry that would escape the working directory or write into .git is refused before anything is written', async () => {
    const repository = await checkedOut(base);
    const hook = repository.store.write('blob', Buffer.from('#!/bin/sh\necho owned\n'));
    const hooks = repository.store.write('tree', serializeTree([{ name: 'post-checkout', mode: '100755', oid: hook }]));
    const dotGit = repository.store.write('tree', serializeTree([{ name: 'hooks', mode: '40000', oid: hooks }]));
    const evil = repository.store.write('tree', serializeTree([{ name: '.GIT', mode: '40000', oid: dotGit }]));
    const before = observe(repository);

    await expect(syncWorktree({ ...repository, from: repository.tree, to: evil })).rejects.toMatchObject({ code: 'CORRUPT' });
    expect(observe(repository)).toEqual(before);
    expect(fs.existsSync(path.join(repository.gitdir, 'hooks/post-checkout'))).toBe(false);
  });
});

describe('syncWorktree and concurrent git commands', () => {
  it('an existing index.lock gives a retryable concurrent-update error, leaves the lock and writes nothing', async () => {
    const repository = await checkedOut(base);
    const lock = path.join(repository.gitdir, 'index.lock');
    fs.writeFileSync(lock, 'held by another git process');
    const before = observe(repository);
    const next = writeTree(repository.store, edited);

    await expect(syncWorktree({ ...repository, from: repository.tree, to: next })).rejects.toMatchObject({
      code: 'CONCURRENT_UPDATE',
      retryable: true,
    });
    expect(observe(repository)).toEqual(before);
    expect(fs.readFileSync(lock, 'utf8')).toBe('held by another git process');

    fs.rmSync(lock);
    expect(await syncWorktree({ ...repository, from: repository.tree, to: next })).toEqual({ written: 1, removed: 0 });
  });

  it('git cannot take the index while a sync holds it', async () => {
    const repository = await checkedOut(base);
    const next = writeTree(repository.store, grown);
    let gitResult: { status: number; stderr: string } | undefined;
    const originalRead = repository.store.read.bind(repository.store);
    // While the sync reads its trees (holding index.lock), real git tries to stage a file.
    repository.store.read = async (oid) => {
      if (gitResult === undefined) {
        fs.writeFileSync(path.join(repository.dir, 'other.txt'), 'x');
        gitResult = runGitWithInput(repository.dir, '', 'add', 'other.txt');
      }
      return originalRead(oid);
    };

    await syncWorktree({ ...repository, from: repository.tree, to: next });

    expect(gitResult!.status).not.toBe(0);
    expect(gitResult!.stderr).toContain('index.lock');
  });
});
