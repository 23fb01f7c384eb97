import { describe, expect, it, vi } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { ObjectStore, hashObject, type ObjectId } from '../../engine/store/object-store.js';
import { parseCommit, parseTree, serializeCommit, serializeTree } from '../../engine/store/git-objects.js';
import { RefStore, checkBranchName } from '../../engine/store/ref-store.js';
import { resolveRevision } from '../../engine/store/revision.js';
import { tempSibling } from '../../engine/store/atomic-file.js';
import { ConcurrentUpdateError, InvalidNameError, NoSuchRevisionError, NotFoundError } from '../../engine/errors/index.js';
import { gitOut, tempDir } from '../support/cli.js';

function gitRepo(): { dir: string; gitdir: string } {
  const dir = tempDir();
  execFileSync('git', ['init', '-q', '-b', 'main', dir]);
  return { dir, gitdir: path.join(dir, '.git') };
}

const who = { name: 'A U Thor', email: 'a@example.com', timestamp: 1700000000, timezoneOffset: 90 };

async function makeCommits(store: ObjectStore, n: number): Promise<ObjectId[]> {
  const ids: ObjectId[] = [];
  for (let i = 0; i < n; i++) {
    const blob = store.write('blob', Buffer.from(`content ${i}\n`));
    const tree = store.write('tree', serializeTree([{ mode: '100644', name: 'file.txt', oid: blob }]));
    ids.push(store.write('commit', serializeCommit({ tree, parents: ids.slice(-1), author: who, committer: who, message: `commit ${i}` })));
  }
  return ids;
}

describe('object store', () => {
  it('writes objects that real git reads and fsck accepts', async () => {
    const { dir, gitdir } = gitRepo();
    const store = new ObjectStore(gitdir);
    const [, second] = await makeCommits(store, 2);
    execFileSync('git', ['update-ref', 'refs/heads/main', second!], { cwd: dir });
    expect(gitOut(dir, 'log', '--format=%s', 'main')).toBe('commit 1\ncommit 0\n');
    expect(gitOut(dir, 'cat-file', '-p', `${second}:file.txt`)).toBe('content 1\n');
    execFileSync('git', ['fsck', '--strict', '--no-dangling'], { cwd: dir });
    expect(hashObject('blob', Buffer.from('content 1\n'))).toBe(gitOut(dir, 'rev-parse', `${second}:file.txt`).trim());
  });

  it('sorts tree entries as git does (a folder sorts as if its name ended in /)', () => {
    const oid = 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391' as ObjectId;
    const entries = parseTree(
      serializeTree([
        { mode: '100644', name: 'a.b', oid },
        { mode: '40000', name: 'a', oid: '4b825dc642cb6eb9a060e54bf8d69288fbee4904' as ObjectId },
        { mode: '100644', name: 'a-b', oid },
      ]),
      't',
    );
    expect(entries.map((e) => e.name)).toEqual(['a-b', 'a.b', 'a']);
  });

  it('reads packed objects after git gc', async () => {
    const { dir, gitdir } = gitRepo();
    const store = new ObjectStore(gitdir);
    const ids = await makeCommits(store, 3);
    execFileSync('git', ['update-ref', 'refs/heads/main', ids[2]!], { cwd: dir });
    execFileSync('git', ['gc', '-q', '--prune=now'], { cwd: dir });
    expect(fs.existsSync(path.join(gitdir, 'objects', ids[2]!.slice(0, 2), ids[2]!.slice(2)))).toBe(false);
    const fresh = new ObjectStore(gitdir);
    const commit = parseCommit(await fresh.readTyped(ids[2]!, 'commit'), 'x');
    expect(commit.message).toBe('commit 2\n');
    expect(commit.author).toEqual(who);
  });

  it('a discarded transaction leaves the object database untouched', () => {
    const { gitdir } = gitRepo();
    const store = new ObjectStore(gitdir);
    const before = fs.readdirSync(path.join(gitdir, 'objects')).sort();
    const tx = store.transaction();
    const id = tx.write('blob', Buffer.from('never'));
    tx.discard();
    expect(fs.readdirSync(path.join(gitdir, 'objects')).sort()).toEqual(before);
    expect(store.hasLoose(id)).toBe(false);
    const tx2 = store.transaction();
    const id2 = tx2.write('blob', Buffer.from('kept'));
    tx2.commit();
    expect(store.hasLoose(id2)).toBe(true);
    const tmp = path.join(gitdir, 'dgit', 'tmp');
    expect(fs.existsSync(tmp) ? fs.readdirSync(tmp) : []).toEqual([]);
  });
});

describe('refs', () => {
  it('compare-and-swap moves a ref only from the expected value', async () => {
    const { gitdir } = gitRepo();
    const store = new ObjectStore(gitdir);
    const [a, b] = await makeCommits(store, 2);
    const refs = new RefStore(gitdir);
    await refs.compareAndSwap('refs/heads/main', undefined, a!);
    await expect(refs.compareAndSwap('refs/heads/main', undefined, b!)).rejects.toBeInstanceOf(ConcurrentUpdateError);
    await refs.compareAndSwap('refs/heads/main', a, b!);
    expect(await refs.resolve('refs/heads/main')).toBe(b);
  });

  it('a held lock file (another writer, git or dgit) gives a retryable error', async () => {
    const { gitdir } = gitRepo();
    const store = new ObjectStore(gitdir);
    const [a] = await makeCommits(store, 1);
    fs.writeFileSync(path.join(gitdir, 'refs/heads/main.lock'), '');
    const refs = new RefStore(gitdir);
    const error = await refs.compareAndSwap('refs/heads/main', undefined, a!).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConcurrentUpdateError);
    expect((error as ConcurrentUpdateError).retryable).toBe(true);
    expect(await refs.resolve('refs/heads/main')).toBeUndefined();
    // Git's advice: the lock may be left by a killed process; a person removes it.
    expect((error as Error).message).toContain(path.join(gitdir, 'refs/heads/main.lock'));
  });

  for (const ref of ['refs/dgit/working/main', 'refs/heads/main']) {
    it(`${ref}: a lock left by a killed dgit is broken by the next writer, a live one is not, git's is left to a person`, async () => {
      const { gitdir } = gitRepo();
      const [a, b] = await makeCommits(new ObjectStore(gitdir), 2);
      const refs = new RefStore(gitdir);
      const lock = path.join(gitdir, `${ref}.lock`);
      await refs.compareAndSwap(ref, undefined, a!);
      // A dead holder on this machine (a child process that has exited): its lock is broken, the swap goes through.
      const dead = execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
      fs.writeFileSync(lock, JSON.stringify({ pid: Number(dead), host: os.hostname(), token: 'dead', since: new Date().toISOString() }) + '\n');
      await refs.compareAndSwap(ref, a, b!);
      expect(await refs.resolve(ref)).toBe(b);
      expect(fs.existsSync(lock)).toBe(false);
      // A live holder (this very test's parent process): retry later.
      fs.writeFileSync(lock, JSON.stringify({ pid: process.ppid, host: os.hostname(), token: 'live', since: new Date().toISOString() }) + '\n');
      const live = await refs.delete(ref, b).catch((e: unknown) => e);
      expect(live).toBeInstanceOf(ConcurrentUpdateError);
      expect((live as Error).message).toMatch(/changed by another process/);
      // Real git sees dgit's lock as a lock: it will not move the ref meanwhile.
      expect(() => execFileSync('git', ['update-ref', ref, a!], { cwd: path.dirname(gitdir), stdio: 'pipe' })).toThrow(/lock/);
      expect(await refs.resolve(ref)).toBe(b);
      // A lock without a holder (as git writes it): never presumed dead; the message names the file.
      fs.writeFileSync(lock, '');
      const gits = await refs.compareAndSwap(ref, b, a!).catch((e: unknown) => e);
      expect((gits as Error).message).toContain(lock);
      expect(await refs.resolve(ref)).toBe(b);
      fs.rmSync(lock);
      await refs.delete(ref, b);
      expect(await refs.resolve(ref)).toBeUndefined();
      // Nothing of dgit's lands among git's refs.
      expect(execFileSync('git', ['for-each-ref'], { cwd: path.dirname(gitdir), encoding: 'utf8' })).toBe('');
      execFileSync('git', ['fsck', '--strict', '--no-dangling'], { cwd: path.dirname(gitdir), stdio: 'pipe' });
    });
  }

  it('of many concurrent swaps from one value exactly one wins', async () => {
    const { gitdir } = gitRepo();
    const store = new ObjectStore(gitdir);
    const ids = await makeCommits(store, 9);
    const refs = new RefStore(gitdir);
    await refs.compareAndSwap('refs/heads/main', undefined, ids[0]!);
    const results = await Promise.allSettled(ids.slice(1).map((id) => refs.compareAndSwap('refs/heads/main', ids[0], id)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('reads refs as git does: loose before packed, symbolic HEAD, and deletes a loose or a packed ref', async () => {
    const { gitdir } = gitRepo();
    const store = new ObjectStore(gitdir);
    const [a, b, c] = await makeCommits(store, 3);
    const refs = new RefStore(gitdir);
    expect(await refs.resolve('HEAD')).toBeUndefined(); // unborn branch, no packed-refs file
    await refs.compareAndSwap('refs/heads/main', undefined, a!);
    await refs.compareAndSwap('refs/heads/packed', undefined, b!);
    await refs.compareAndSwap('refs/tags/v1', undefined, c!);
    execFileSync('git', ['-C', gitdir, 'pack-refs', '--all']);
    expect(fs.existsSync(path.join(gitdir, 'refs/heads/packed'))).toBe(false);
    expect(await refs.resolve('refs/heads/packed')).toBe(b);
    expect(await refs.resolve('HEAD')).toBe(a);
    expect(await refs.resolve('refs/heads/nothing')).toBeUndefined();
    // A loose ref written after packing wins over its packed value.
    await refs.compareAndSwap('refs/heads/packed', b, c!);
    expect(await refs.resolve('refs/heads/packed')).toBe(c);
    expect(gitOut(path.dirname(gitdir), 'rev-parse', 'packed').trim()).toBe(c);
    await refs.delete('refs/heads/packed', c);
    await refs.delete('refs/tags/v1', c);
    expect(await refs.resolve('refs/heads/packed')).toBeUndefined();
    expect(await refs.resolve('refs/tags/v1')).toBeUndefined();
    expect(gitOut(path.dirname(gitdir), 'for-each-ref', '--format=%(refname)').trim().split('\n')).toEqual(['refs/heads/main']);
  });

  it('refuses unsafe branch names', () => {
    for (const bad of ['', '../x', 'a..b', 'a b', 'x.lock', '-x', 'a\u0001b', 'a:b', 'HEAD', 'a/', '/a'])
      expect(() => checkBranchName(bad), bad).toThrow(InvalidNameError);
    checkBranchName('heal/incident-1');
  });
});

describe('revisions', () => {
  it('resolves what git resolves', async () => {
    const { dir, gitdir } = gitRepo();
    const store = new ObjectStore(gitdir);
    const ids = await makeCommits(store, 4);
    execFileSync('git', ['update-ref', 'refs/heads/main', ids[3]!], { cwd: dir });
    execFileSync('git', ['tag', '-a', '-m', 'annotated', 'v1', ids[1]!], { cwd: dir, env: { ...process.env, GIT_COMMITTER_NAME: 'x', GIT_COMMITTER_EMAIL: 'x@y' } });
    const refs = new RefStore(gitdir);
    for (const rev of ['HEAD', 'main', 'main~2', 'HEAD^', 'main^^', 'v1', 'v1~1', ids[2]!, ids[2]!.slice(0, 8), 'refs/heads/main~1'])
      expect(await resolveRevision(store, refs, rev), rev).toBe(gitOut(dir, 'rev-parse', `${rev}^{commit}`).trim());
    for (const bad of ['nope', 'main~9', 'main^2', '', 'main..x'])
      await expect(resolveRevision(store, refs, bad), bad).rejects.toBeInstanceOf(NotFoundError);
    // Past the root, or a parent a commit does not have: no such revision (exit 2), saying where history ends.
    await expect(resolveRevision(store, refs, 'main~9')).rejects.toThrow(new NoSuchRevisionError('main~9', `main~3 (${ids[0]!.slice(0, 12)}) is the root commit`));
    await expect(resolveRevision(store, refs, 'main^2')).rejects.toThrow(new NoSuchRevisionError('main^2', `main (${ids[3]!.slice(0, 12)}) has one parent`));
  });
});

describe('packfiles', () => {
  it('a large transaction becomes one pack that git verifies and both readers read', async () => {
    const { dir, gitdir } = gitRepo();
    const store = new ObjectStore(gitdir);
    const tx = store.transaction();
    const blobs: ObjectId[] = [];
    for (let i = 0; i < 200; i++) blobs.push(tx.write('blob', Buffer.from(`blob number ${i}\n`.repeat(i + 1))));
    const tree = tx.write('tree', serializeTree(blobs.map((oid, i) => ({ mode: '100644' as const, name: `f${String(i).padStart(3, '0')}`, oid }))));
    const commit = tx.write('commit', serializeCommit({ tree, parents: [], author: who, committer: who, message: 'packed' }));
    tx.commit();
    const packs = fs.readdirSync(path.join(gitdir, 'objects', 'pack'));
    expect(packs.filter((f) => f.endsWith('.pack'))).toHaveLength(1);
    expect(packs.filter((f) => f.endsWith('.idx'))).toHaveLength(1);
    execFileSync('git', ['verify-pack', path.join(gitdir, 'objects', 'pack', packs.find((f) => f.endsWith('.idx'))!)]);
    execFileSync('git', ['update-ref', 'refs/heads/main', commit], { cwd: dir });
    execFileSync('git', ['fsck', '--strict', '--no-dangling'], { cwd: dir });
    expect(gitOut(dir, 'cat-file', '-p', `${commit}:f150`)).toBe('blob number 150\n'.repeat(151));
    const fresh = new ObjectStore(gitdir);
    expect(Buffer.from(await fresh.readTyped(blobs[199]!, 'blob')).toString()).toBe('blob number 199\n'.repeat(200));
    expect(fresh.hasStored(blobs[0]!)).toBe(true);
    // a second transaction does not store what the pack holds
    const again = fresh.transaction();
    again.write('blob', Buffer.from('blob number 3\n'.repeat(4)));
    expect(again.size).toBe(0);
    again.discard();
  });

  it('closes each descriptor it opened exactly once: a committed pack is not closed again', () => {
    // A second close of a number the kernel has handed out again (git's index, DuckDB's spill file,
    // another thread's file) closes that file instead: here the index and the folder fsync reuse it.
    const { gitdir } = gitRepo();
    const store = new ObjectStore(gitdir);
    const open = new Set<number>();
    const strayCloses: number[] = [];
    const openSync = fs.openSync.bind(fs);
    const closeSync = fs.closeSync.bind(fs);
    vi.spyOn(fs, 'openSync').mockImplementation((...args: Parameters<typeof fs.openSync>) => {
      const fd = openSync(...args);
      open.add(fd);
      return fd;
    });
    vi.spyOn(fs, 'closeSync').mockImplementation((fd: number) => {
      if (!open.delete(fd)) strayCloses.push(fd);
      closeSync(fd);
    });
    const tx = store.transaction();
    for (let i = 0; i < 100; i++) tx.write('blob', Buffer.from(`blob ${i}\n`));
    tx.commit();
    const aborted = store.transaction();
    for (let i = 0; i < 100; i++) aborted.write('blob', Buffer.from(`other blob ${i}\n`));
    aborted.discard();
    vi.restoreAllMocks();
    expect(fs.readdirSync(path.join(gitdir, 'objects', 'pack')).filter((f) => f.endsWith('.pack'))).toHaveLength(1);
    expect(strayCloses).toEqual([]);
    expect([...open]).toEqual([]);
  });

  it('stages every file under a temp name of its own beside its target, so two threads never share one', () => {
    const target = path.join('/repo', '.git', 'objects', 'ab', 'cdef');
    const names = new Set(Array.from({ length: 50 }, () => tempSibling(target)));
    expect(names.size).toBe(50);
    for (const name of names) expect(path.dirname(name)).toBe(path.dirname(target));
    expect(path.basename(tempSibling(target, { hidden: true }))).toMatch(new RegExp(`^\\.cdef\\.${process.pid}\\.[0-9a-f]{8}\\.tmp$`));
  });
});
