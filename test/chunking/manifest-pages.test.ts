import { describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import { createTableSchema } from '../../engine/schema/schema.js';
import type { ChunkEntry, ChunkId, Manifest } from '../../engine/chunking/manifest.js';
import { LeafPageCache, leafPageEntries, readManifestPages, sameChunkList, writeManifestPages } from '../../engine/chunking/manifest-pages.js';

const schema = createTableSchema([{ name: 'id', type: 'Int64' }, { name: 'v', type: 'Utf8' }], ['id']);

/** Blobs in memory by git blob id, counting the ones that were new. */
class PageStore {
  readonly blobs = new Map<string, string>();
  fresh = 0;
  write = (text: string): string => {
    const body = Buffer.from(text);
    const id = crypto.createHash('sha1').update(`blob ${body.length}\0`).update(body).digest('hex');
    if (!this.blobs.has(id)) this.fresh++;
    this.blobs.set(id, text);
    return id;
  };
  read = (id: string): Promise<string> => Promise.resolve(this.blobs.get(id)!);
}

/** A chunk list standing for a table: chunk i spans keys [10i, 10i+9], its id a function of `version`. */
function chunkList(count: number, version: (i: number) => number = () => 0): ChunkEntry[] {
  return Array.from({ length: count }, (_, i) => ({
    id: crypto.createHash('sha1').update(`${i}:${version(i)}`).digest('hex') as ChunkId,
    rows: 100 + (i % 7),
    first: [BigInt(i * 10)],
    last: [BigInt(i * 10 + 9)],
  }));
}

describe('paged manifest', () => {
  it('reads back exactly the chunk list it wrote, at one level and at several', async () => {
    for (const count of [0, 1, 40, 5000]) {
      const store = new PageStore();
      const manifest: Manifest = { chunks: chunkList(count) };
      const written = writeManifestPages(schema, manifest, store.write);
      const read = await readManifestPages(schema, written.root, store.read, 'test');
      expect(read.manifest).toEqual(manifest);
      expect(read.storage).toEqual(written);
      if (count === 5000) expect(written.height).toBeGreaterThanOrEqual(2);
    }
  });

  it('gives the same page ids for the same chunk list whatever the edits that led to it (history independence)', () => {
    const target = chunkList(3000, (i) => (i % 97 === 0 ? 1 : 0));
    const direct = writeManifestPages(schema, { chunks: target }, new PageStore().write);
    // Reach the same list another way: grow it from a prefix, delete a run, re-add it, edit and restore.
    const store = new PageStore();
    let list = chunkList(1000);
    writeManifestPages(schema, { chunks: list }, store.write);
    list = chunkList(3000);
    writeManifestPages(schema, { chunks: list }, store.write);
    list = [...list.slice(0, 500), ...list.slice(900)];
    writeManifestPages(schema, { chunks: list }, store.write);
    list = chunkList(3000, (i) => (i % 2 === 0 ? 5 : 0));
    writeManifestPages(schema, { chunks: list }, store.write);
    const after = writeManifestPages(schema, { chunks: target }, store.write);
    expect(after.root).toBe(direct.root);
    expect(after.leaves).toEqual(direct.leaves);
  });

  it('writes O(k · height) new pages for a change of k chunks, not O(table)', () => {
    for (const count of [2000, 40000]) {
      const store = new PageStore();
      const before = writeManifestPages(schema, { chunks: chunkList(count) }, store.write);
      store.fresh = 0;
      const k = 3;
      const changed = new Set([7, Math.floor(count / 2), count - 3]);
      const after = writeManifestPages(schema, { chunks: chunkList(count, (i) => (changed.has(i) ? 1 : 0)) }, store.write);
      // Each changed chunk rewrites the pages on its path (one per level) and the root: at most k · height + 1.
      expect(store.fresh).toBeLessThanOrEqual(k * after.height + 1);
      expect(store.fresh).toBeGreaterThan(0);
      const unchangedLeaves = after.leaves.filter((leaf) => before.leaves.some((b) => b.id === leaf.id)).length;
      expect(unchangedLeaves).toBeGreaterThanOrEqual(after.leaves.length - k);
    }
  });

  it('tells equal chunk lists apart from different ones, skipping equal pages', async () => {
    const store = new PageStore();
    const a = { chunks: chunkList(500) };
    const b = { chunks: chunkList(500, (i) => (i === 250 ? 1 : 0)) };
    const storedA = await readManifestPages(schema, writeManifestPages(schema, a, store.write).root, store.read, 'a');
    const storedA2 = await readManifestPages(schema, writeManifestPages(schema, { chunks: chunkList(500) }, store.write).root, store.read, 'a2');
    const storedB = await readManifestPages(schema, writeManifestPages(schema, b, store.write).root, store.read, 'b');
    expect(sameChunkList(storedA, storedA2)).toBe(true);
    expect(sameChunkList(storedA, storedB)).toBe(false);
    expect(sameChunkList({ manifest: a }, { manifest: b })).toBe(false);
    expect(sameChunkList({ manifest: a }, storedA)).toBe(true);
  });

  it('refuses a page that does not hold what its parent says', async () => {
    const store = new PageStore();
    const written = writeManifestPages(schema, { chunks: chunkList(200) }, store.write);
    const leaf = written.leaves[1]!.id;
    store.blobs.set(leaf, store.blobs.get(leaf)!.replace(/"rows":(\d+)/, (_, n: string) => `"rows":${Number(n) + 1}`));
    await expect(readManifestPages(schema, written.root, store.read, 'test')).rejects.toThrow(/does not hold/);
  });
  it('written from the list an edit started from, gives the ids a write from scratch gives, and builds only the pages around the edits', () => {
    const keyless = createTableSchema([{ name: 'id', type: 'Int64' }, { name: 'v', type: 'Utf8' }], []);
    let seed = 7;
    const random = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (const table of [schema, keyless]) {
      let list = chunkList(4000);
      let stored = writeManifestPages(table, { chunks: list }, new PageStore().write);
      for (let step = 0; step < 40; step++) {
        // An edit: replace, remove or insert a few chunks (for the keyless table, sometimes a copy of a neighbour: a chunk listed twice).
        const next = [...list];
        const edits = 1 + random(4);
        for (let e = 0; e < edits && next.length > 1; e++) {
          const at = random(next.length);
          const kind = random(step % 10 === 9 ? 2 : 4);
          if (kind === 0) next.splice(at, 1 + random(300));
          else if (kind === 1 && table === keyless) next.splice(at, 0, next[at]!);
          else next[at] = { ...next[at]!, id: crypto.createHash('sha1').update(`${step}:${e}`).digest('hex') as ChunkId };
        }
        if (step === 20) next.length = 3; // down to one short page, then grown back
        if (step === 21) next.push(...chunkList(3000).slice(3));
        const counting = new PageStore();
        const incremental = writeManifestPages(table, { chunks: next }, counting.write, { manifest: { chunks: list }, storage: stored });
        const scratch = writeManifestPages(table, { chunks: next }, new PageStore().write);
        expect(incremental).toEqual(scratch);
        // The pages above the leaves and the root are built again; of the ~125 leaves, only those around the edits.
        if (step !== 21) expect(counting.fresh).toBeLessThanOrEqual(incremental.inner.length + 1 + 3 * edits);
        list = next;
        stored = incremental;
      }
    }
  });

  it('a leaf page cache reads each page once across revisions, and only for the same key types', async () => {
    const store = new PageStore();
    const reads: string[] = [];
    const read = (id: string) => (reads.push(id), store.read(id));
    const before: Manifest = { chunks: chunkList(400) };
    const after: Manifest = { chunks: chunkList(400, (i) => (i === 200 ? 1 : 0)) };
    const a = writeManifestPages(schema, before, store.write);
    const b = writeManifestPages(schema, after, store.write);
    const cache = new LeafPageCache();
    expect((await readManifestPages(schema, a.root, read, 'test', cache)).manifest).toEqual(before);
    const leafReads = (ids: string[]) => ids.filter((id) => a.leaves.some((l) => l.id === id) || b.leaves.some((l) => l.id === id)).length;
    expect(leafReads(reads)).toBe(a.leaves.length);
    reads.length = 0;
    // The second revision shares all its leaf pages but the changed one: only that one is read.
    expect((await readManifestPages(schema, b.root, read, 'test', cache)).manifest).toEqual(after);
    expect(leafReads(reads)).toBe(b.leaves.filter((l) => !a.leaves.some((o) => o.id === l.id)).length);
    expect(leafReads(reads)).toBe(1);
    // The same page text under other key types decodes to other values: not shared.
    const text = createTableSchema([{ name: 'id', type: 'Utf8' }, { name: 'v', type: 'Utf8' }], ['id']);
    const other = await readManifestPages(text, a.root, store.read, 'test', cache).catch((error: unknown) => error);
    expect(other).toBeInstanceOf(Error);
  });

  it('refuses a malformed leaf page, naming it', () => {
    const id = 'a'.repeat(40);
    const good = { level: 0, entries: [{ id, rows: 3, first: [1], last: [3] }] };
    expect(leafPageEntries(JSON.stringify(good), 'p')).toEqual(good.entries);
    const bad: Array<[string, unknown]> = [
      ['not JSON', '{'],
      ['an array', []],
      ['level 1', { ...good, level: 1 }],
      ['no entries', { level: 0, entries: [] }],
      ['entries not a list', { level: 0, entries: {} }],
      ['a short id', { level: 0, entries: [{ ...good.entries[0], id: 'abc' }] }],
      ['an upper-case id', { level: 0, entries: [{ ...good.entries[0], id: 'A'.repeat(40) }] }],
      ['no rows', { level: 0, entries: [{ ...good.entries[0], rows: 0 }] }],
      ['fractional rows', { level: 0, entries: [{ ...good.entries[0], rows: 1.5 }] }],
      ['rows as text', { level: 0, entries: [{ ...good.entries[0], rows: '3' }] }],
      ['no first key', { level: 0, entries: [{ id, rows: 3, last: [3] }] }],
      ['a last key not a list', { level: 0, entries: [{ id, rows: 3, first: [1], last: 3 }] }],
      ['an entry not an object', { level: 0, entries: [null] }],
    ];
    for (const [why, page] of bad) {
      expect(() => leafPageEntries(typeof page === 'string' ? page : JSON.stringify(page), 'pages/x'), why).toThrow(/manifest page .*(invalid|not valid JSON)/);
    }
  });
});
