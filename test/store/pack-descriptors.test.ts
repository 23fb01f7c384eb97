import { afterEach, describe, expect, it, vi } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { ObjectStore } from '../../engine/store/object-store.js';
import { tempDir } from '../support/cli.js';

afterEach(() => vi.restoreAllMocks());

/** A repository whose objects are `count` blobs in one packfile (a transaction of more than 32 objects writes a pack). */
function packedBlobs(count: number): { store: ObjectStore; ids: string[]; blobs: Buffer[] } {
  const dir = tempDir();
  execFileSync('git', ['init', '-q', dir]);
  const store = new ObjectStore(path.join(dir, '.git'));
  const tx = store.transaction();
  const blobs = Array.from({ length: count }, (_, k) => Buffer.from(`blob ${k} `.repeat(50 + k)));
  const ids = blobs.map((bytes) => tx.writeChunk(bytes) as string);
  tx.commit();
  expect(fs.readdirSync(path.join(dir, '.git', 'objects', 'pack')).some((f) => f.endsWith('.pack'))).toBe(true);
  return { store: new ObjectStore(path.join(dir, '.git')), ids, blobs };
}

describe('packfile reads', () => {
  it('open a pack once for many objects, and read each object right', async () => {
    const { store, ids, blobs } = packedBlobs(60);
    const open = vi.spyOn(fs, 'openSync');
    for (let round = 0; round < 2; round++) {
      for (const [k, id] of ids.entries()) expect(Buffer.from(await store.readTyped(id as never, 'blob')).equals(blobs[k]!)).toBe(true);
    }
    expect(open.mock.calls.filter(([file]) => String(file).endsWith('.pack')).length).toBeLessThanOrEqual(1);
  });

  it('hold a bounded number of packs open, reading right past the bound', async () => {
    const repos = Array.from({ length: 20 }, () => packedBlobs(40));
    const close = vi.spyOn(fs, 'closeSync');
    for (let round = 0; round < 2; round++) {
      for (const { store, ids, blobs } of repos) expect(Buffer.from(await store.readTyped(ids[7]! as never, 'blob')).equals(blobs[7]!)).toBe(true);
    }
    // 20 packs read in turn through a bound of 16: older ones are closed as newer ones open.
    expect(close.mock.calls.length).toBeGreaterThan(0);
  });
});
