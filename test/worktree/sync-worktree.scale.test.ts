import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parseTree } from '../../engine/store/git-objects.js';
import type { ObjectId } from '../../engine/store/object-store.js';
import { checkoutTree, syncWorktree } from '../../engine/worktree/index.js';
import {
  commitTree,
  CountingObjectStore,
  createRepository,
  entriesGitMustHash,
  gitVerdict,
  snapshotFiles,
  writeTree,
} from './git-repository-fixture.js';

/** A table of 1,000 chunk files spread over the tables/<t>/chunks/<xx>/ fan-out. */
function thousandChunks(): Record<string, string> {
  const files: Record<string, string> = { 'tables/flights/schema.json': '{}', 'tables/flights/manifest.json': '{"version":1}' };
  for (let i = 0; i < 1000; i++) {
    const id = crypto.createHash('sha1').update(`chunk ${i}`).digest('hex');
    files[`tables/flights/chunks/${id.slice(0, 2)}/${id}.parquet`] = `rows of chunk ${i}`;
  }
  return files;
}

/** The ids of the trees on the way from `root` to `file`, root first. */
async function treesOnPath(store: CountingObjectStore, root: ObjectId, file: string): Promise<ObjectId[]> {
  const trees = [root];
  for (const name of file.split('/').slice(0, -1)) {
    const entry = parseTree(await store.readTyped(trees.at(-1)!, 'tree'), 'tree').find((candidate) => candidate.name === name)!;
    trees.push(entry.oid);
  }
  return trees;
}

describe('syncWorktree at scale', () => {
  it('one changed chunk among 1,000 reads only the subtrees on its path and writes only that file', async () => {
    const repository = createRepository();
    const store = new CountingObjectStore(repository.gitdir);
    const files = thousandChunks();
    const from = writeTree(store, files);
    commitTree(repository, from);
    await checkoutTree({ ...repository, store, to: from });

    const changedFile = Object.keys(files).find((file) => file.includes('/chunks/'))!;
    const to = writeTree(store, { ...files, [changedFile]: 'rows of the edited chunk' });
    const expectedReads = [
      ...(await treesOnPath(store, from, changedFile)),
      ...(await treesOnPath(store, to, changedFile)),
      store.write('blob', Buffer.from('rows of the edited chunk')),
    ];
    const before = snapshotFiles(repository.dir);
    store.reads.length = 0;

    const started = performance.now();
    const result = await syncWorktree({ ...repository, store, from, to });
    const elapsed = performance.now() - started;
    commitTree(repository, to);

    expect(result).toEqual({ written: 1, removed: 0 });
    // root, tables, flights, chunks and chunks/<xx> of each tree, plus the new blob: 11 reads.
    expect(store.reads.sort()).toEqual(expectedReads.sort());
    expect(store.reads).toHaveLength(11);
    const after = snapshotFiles(repository.dir);
    const rewritten = [...after].filter(([file, version]) => {
      const old = before.get(file);
      return old?.ino !== version.ino || old.mtimeNs !== version.mtimeNs;
    });
    expect(rewritten.map(([file]) => file)).toEqual([changedFile]);
    expect(fs.readFileSync(path.join(repository.dir, changedFile), 'utf8')).toBe('rows of the edited chunk');
    const verdict = gitVerdict(repository);
    expect(verdict.status).toBe('');
    expect(verdict.diffExitCode).toBe(0);
    expect(verdict.fsckExitCode, verdict.fsck).toBe(0);
    expect(entriesGitMustHash(repository)).toEqual([]);
    console.log(`1,000-file checkout, one chunk changed: sync took ${elapsed.toFixed(1)} ms`);
  });

  it('trusts the index stat data once the index is older than the files: no working file is read', async () => {
    const repository = createRepository();
    const files = thousandChunks();
    const from = writeTree(repository.store, files);
    commitTree(repository, from);
    await checkoutTree({ ...repository, to: from });
    // As if the checkout happened a while ago: no entry is "racily clean" any more.
    const later = new Date(Date.now() + 10_000);
    fs.utimesSync(path.join(repository.gitdir, 'index'), later, later);
    const changedFile = Object.keys(files).find((file) => file.includes('/chunks/'))!;
    const to = writeTree(repository.store, { ...files, [changedFile]: 'rows of the edited chunk' });
    const readFile = vi.spyOn(fs, 'readFileSync');
    let filesRead: string[];
    try {
      await syncWorktree({ ...repository, from, to });
    } finally {
      filesRead = readFile.mock.calls.map(([file]) => String(file));
      readFile.mockRestore();
    }

    expect(filesRead.filter((file) => file.startsWith(repository.gitdir))).not.toEqual([]); // the spy sees the index and objects
    expect(filesRead.filter((file) => !file.startsWith(repository.gitdir))).toEqual([]);
    commitTree(repository, to);
    expect(gitVerdict(repository).status).toBe('');
  });
});
