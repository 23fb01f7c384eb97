import { beforeAll, describe, expect, it, vi } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { CorruptError } from '../../engine/errors/index.js';
import { applyDelta, PackReader } from '../../engine/store/pack.js';
import { ObjectStore, type ObjectId } from '../../engine/store/object-store.js';
import { NotFoundError } from '../../engine/errors/index.js';
import { tempDir } from '../support/cli.js';

/**
 * A repository git has packed (`git gc`) stores most trees, and similar blobs, as
 * deltas (`OFS_DELTA`, and `REF_DELTA` from `index-pack`); our pack reader resolves
 * them itself rather than leaving them to isomorphic-git, which reads and checksums
 * a whole pack file before its first object. Checked object by object against
 * `git cat-file`.
 */

const git = (dir: string, ...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 28 });

/** A repository of 40 commits, each changing a line of a few files of a long history: deltas in chains. */
function historyRepository(): string {
  const dir = tempDir();
  git(dir, 'init', '-q', '-b', 'main');
  const env = { ...process.env, GIT_AUTHOR_NAME: 'A', GIT_AUTHOR_EMAIL: 'a@e', GIT_COMMITTER_NAME: 'A', GIT_COMMITTER_EMAIL: 'a@e', GIT_AUTHOR_DATE: '1700000000', GIT_COMMITTER_DATE: '1700000000' };
  const lines = Array.from({ length: 400 }, (_, i) => `line ${i}: ${'x'.repeat(i % 37)}`);
  for (let c = 0; c < 40; c++) {
    lines[(c * 53) % lines.length] = `changed in commit ${c}`;
    for (let f = 0; f < 4; f++) fs.writeFileSync(path.join(dir, `file-${f}.txt`), lines.map((line) => `${f} ${line}`).join('\n'));
    fs.mkdirSync(path.join(dir, 'dir', String(c % 5)), { recursive: true });
    fs.writeFileSync(path.join(dir, 'dir', String(c % 5), 'part.txt'), `${c}\n${lines.slice(c).join('\n')}`);
    execFileSync('git', ['add', '-A'], { cwd: dir, env });
    execFileSync('git', ['commit', '-q', '-m', `commit ${c}`], { cwd: dir, env });
  }
  return dir;
}

describe('pack reader with deltas', () => {
  // One repository for the file (its history takes a few seconds to make): the second test adds to it.
  let dir: string;
  beforeAll(() => {
    dir = historyRepository();
    git(dir, 'gc', '-q', '--aggressive', '--prune=now');
  });

  it('reads every object of a repository packed by git gc exactly as git cat-file does, deltas included', () => {
    const packDir = path.join(dir, '.git', 'objects', 'pack');
    const pack = fs.readdirSync(packDir).find((f) => f.endsWith('.pack'))!;
    // verify-pack lists a delta with its depth and base: the pack must have some, in chains.
    const listing = git(dir, 'verify-pack', '-v', path.join(packDir, pack)).split('\n');
    const deltas = listing.filter((line) => /^[0-9a-f]{40} \w+ +\d+ \d+ \d+ \d+ [0-9a-f]{40}$/.test(line));
    expect(deltas.length).toBeGreaterThan(20);
    expect(Math.max(...deltas.map((line) => Number(line.split(/ +/)[5])))).toBeGreaterThan(1);

    const reader = new PackReader(path.join(dir, '.git', 'objects'));
    // Every object with its content, from one git process: "<id> <type> <size>\n<content>\n" each.
    const batch = execFileSync('git', ['cat-file', '--batch-all-objects', '--batch'], { cwd: dir, maxBuffer: 1 << 28 });
    let objects = 0;
    for (let at = 0; at < batch.length; objects++) {
      const end = batch.indexOf(0x0a, at);
      const [oid, type, size] = batch.subarray(at, end).toString('latin1').split(' ') as [ObjectId, string, string];
      const expected = batch.subarray(end + 1, end + 1 + Number(size));
      at = end + 1 + Number(size) + 1;
      const object = reader.read(oid);
      expect(object, oid).toBeDefined();
      expect(object!.type).toBe(type);
      expect(Buffer.from(object!.content).equals(expected), `${type} ${oid}`).toBe(true);
    }
    expect(objects).toBeGreaterThan(100);
  });

  it('says an object is missing from the indexes it read already, and sees packs git made after it listed them', async () => {
    const store = new ObjectStore(path.join(dir, '.git'));
    const head = git(dir, 'rev-parse', 'HEAD').trim() as ObjectId;
    expect((await store.readTyped(head, 'commit')).length).toBeGreaterThan(0);
    // isomorphic-git, asked for a missing object, reads and parses every pack index again.
    const reads = vi.spyOn(fs.promises, 'readFile');
    const absent = 'ab'.repeat(20) as ObjectId;
    expect(await store.has(absent)).toBe(false);
    await expect(store.read(absent)).rejects.toThrow(NotFoundError);
    expect(reads.mock.calls.filter(([file]) => /\.(idx|pack)$/.test(String(file)))).toEqual([]);
    reads.mockRestore();

    // Git makes a new commit and repacks everything into one new pack while the store is open.
    const env = { ...process.env, GIT_AUTHOR_NAME: 'A', GIT_AUTHOR_EMAIL: 'a@e', GIT_COMMITTER_NAME: 'A', GIT_COMMITTER_EMAIL: 'a@e' };
    fs.writeFileSync(path.join(dir, 'late.txt'), 'late\n');
    execFileSync('git', ['add', '-A'], { cwd: dir, env });
    execFileSync('git', ['commit', '-q', '-m', 'late'], { cwd: dir, env });
    git(dir, 'repack', '-a', '-d', '-q');
    git(dir, 'prune', '--expire=now');
    const late = git(dir, 'rev-parse', 'HEAD').trim() as ObjectId;
    expect(await store.has(late)).toBe(true);
    expect((await store.readTyped(late, 'commit')).toString()).toContain('late');
    expect((await store.readTyped(head, 'commit')).length).toBeGreaterThan(0);
  });

  it('applies copies and inserts, and refuses a delta that reaches past its base or result', () => {
    const base = Buffer.from('0123456789abcdef');
    // sizes 16 -> 10; copy 4 bytes from offset 2; insert "XYZ"; copy 3 bytes from offset 13.
    const delta = Buffer.from([16, 10, 0x91, 2, 4, 3, 0x58, 0x59, 0x5a, 0x91, 13, 3]);
    expect(applyDelta(base, delta, 'x', 'test').toString()).toBe('2345XYZdef');
    expect(() => applyDelta(base, Buffer.from([16, 10, 0x91, 14, 4]), 'x', 'test')).toThrow(CorruptError);
    expect(() => applyDelta(base, Buffer.from([15, 3, 3, 0x41, 0x42, 0x43]), 'x', 'test')).toThrow(/another size/);
    expect(() => applyDelta(base, Buffer.from([16, 4, 3, 0x41, 0x42, 0x43]), 'x', 'test')).toThrow(/3 bytes of 4/);
    expect(() => applyDelta(base, Buffer.from([16, 1, 0]), 'x', 'test')).toThrow(/reserved/);
  });
});
