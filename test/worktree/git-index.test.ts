import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIndex, serializeIndex } from '../../engine/worktree/git-index.js';
import { syncWorktree } from '../../engine/worktree/index.js';
import { commitTree, createRepository, git, gitVerdict, writeTree, type TestRepository } from './git-repository-fixture.js';

const indexPath = (repository: TestRepository) => path.join(repository.gitdir, 'index');

/** A repository whose index real git wrote: three committed files, one staged. */
function repositoryIndexedByGit(): TestRepository {
  const repository = createRepository();
  fs.mkdirSync(path.join(repository.dir, 'tables/flights/chunks/0a'), { recursive: true });
  fs.writeFileSync(path.join(repository.dir, 'dgit.yml'), 'version: 1\n');
  fs.writeFileSync(path.join(repository.dir, 'tables/flights/chunks/0a/0a11.parquet'), 'chunk');
  fs.writeFileSync(path.join(repository.dir, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
  git(repository.dir, 'add', '.');
  git(repository.dir, 'commit', '-q', '-m', 'first');
  fs.writeFileSync(path.join(repository.dir, 'staged.txt'), 'staged');
  git(repository.dir, 'add', 'staged.txt');
  return repository;
}

/** Replace the index with our own parse-then-print of it. */
function rewriteIndex(repository: TestRepository): Buffer {
  const parsed = parseIndex(fs.readFileSync(indexPath(repository)), 'index');
  if (parsed.kind !== 'entries') throw new Error(parsed.reason);
  const printed = serializeIndex(parsed.entries);
  fs.writeFileSync(indexPath(repository), printed);
  return printed;
}

describe('git index format', () => {
  it('reads an index git wrote (with extensions) and prints one git reads back identically', () => {
    const repository = repositoryIndexedByGit();
    const listing = git(repository.dir, 'ls-files', '--stage', '--debug');
    const status = git(repository.dir, 'status', '--porcelain');

    const printed = rewriteIndex(repository);

    expect(printed.readUInt32BE(4)).toBe(2);
    expect(git(repository.dir, 'ls-files', '--stage', '--debug')).toBe(listing);
    expect(git(repository.dir, 'status', '--porcelain')).toBe(status);
    expect(status).toBe('A  staged.txt\n');
    expect(gitVerdict(repository).fsckExitCode).toBe(0);
  });

  it('keeps the version-3 skip-worktree and intent-to-add flags', () => {
    const repository = repositoryIndexedByGit();
    git(repository.dir, 'update-index', '--skip-worktree', 'dgit.yml');
    fs.writeFileSync(path.join(repository.dir, 'later.txt'), 'later');
    git(repository.dir, 'add', '--intent-to-add', 'later.txt');
    const flags = git(repository.dir, 'ls-files', '-v', '--debug');

    const printed = rewriteIndex(repository);

    expect(printed.readUInt32BE(4)).toBe(3);
    expect(git(repository.dir, 'ls-files', '-v', '--debug')).toBe(flags);
    expect(flags).toMatch(/^S dgit\.yml$/m);
  });

  it('stores a path of 4,095 bytes or more (the name-length field saturates)', () => {
    const repository = createRepository();
    const blob = repository.store.write('blob', Buffer.from('deep'));
    const longPath = Array.from({ length: 20 }, (_, i) => `${String(i).padStart(2, '0')}${'d'.repeat(248)}`).join('/');
    git(repository.dir, 'update-index', '--add', '--cacheinfo', `100644,${blob},${longPath}`);
    git(repository.dir, 'update-index', '--add', '--cacheinfo', `100644,${blob},short.txt`);
    const listing = git(repository.dir, 'ls-files', '--stage');

    rewriteIndex(repository);

    expect(longPath.length).toBeGreaterThan(0xfff);
    expect(git(repository.dir, 'ls-files', '--stage')).toBe(listing);
  });

  it('asks for a rebuild on version 4 and on a split index instead of misreading them', () => {
    const v4 = repositoryIndexedByGit();
    git(v4.dir, 'update-index', '--index-version', '4');
    expect(parseIndex(fs.readFileSync(indexPath(v4)), 'index')).toEqual({ kind: 'rebuild', reason: 'index version 4' });

    const split = repositoryIndexedByGit();
    git(split.dir, 'update-index', '--split-index');
    expect(parseIndex(fs.readFileSync(indexPath(split)), 'index')).toEqual({ kind: 'rebuild', reason: 'required index extension "link"' });
  });

  it('refuses an index whose checksum does not match', () => {
    const repository = repositoryIndexedByGit();
    const content = fs.readFileSync(indexPath(repository));
    content[20] = content[20]! ^ 0xff;

    expect(() => parseIndex(content, 'index')).toThrow(expect.objectContaining({ code: 'CORRUPT' }));
  });
});

describe('syncWorktree on an index it cannot update in place', () => {
  for (const [name, setup] of [
    ['version 4', ['update-index', '--index-version', '4']],
    ['split', ['update-index', '--split-index']],
  ] as const) {
    it(`rebuilds a ${name} index from the tree, and git sees no change`, async () => {
      const repository = createRepository();
      const from = writeTree(repository.store, { 'dgit.yml': 'v1', 'tables/t/chunks/0a/0a11.parquet': 'a', 'tables/t/chunks/7f/7f22.parquet': 'b' });
      commitTree(repository, from);
      git(repository.dir, 'checkout', '-q', '-f', 'main');
      git(repository.dir, ...setup);
      const to = writeTree(repository.store, { 'dgit.yml': 'v1', 'tables/t/chunks/0a/0a11.parquet': 'a', 'tables/t/chunks/7f/7f23.parquet': 'c' });

      const result = await syncWorktree({ ...repository, from, to });
      commitTree(repository, to);

      expect(result).toEqual({ written: 1, removed: 1 });
      expect(fs.readFileSync(indexPath(repository)).readUInt32BE(4)).toBe(2);
      const verdict = gitVerdict(repository);
      expect(verdict.status).toBe('');
      expect(verdict.diffExitCode).toBe(0);
      expect(verdict.fsckExitCode, verdict.fsck).toBe(0);
    });
  }

  it('rebuilds a missing index and leaves a user edit visible', async () => {
    const repository = createRepository();
    const from = writeTree(repository.store, { 'a.txt': 'a', 'b.txt': 'b' });
    commitTree(repository, from);
    git(repository.dir, 'checkout', '-q', '-f', 'main');
    fs.rmSync(indexPath(repository));
    fs.writeFileSync(path.join(repository.dir, 'a.txt'), 'user edit');
    const to = writeTree(repository.store, { 'a.txt': 'a', 'b.txt': 'b2' });

    await syncWorktree({ ...repository, from, to });
    commitTree(repository, to);

    expect(git(repository.dir, 'status', '--porcelain')).toBe(' M a.txt\n');
  });
});
