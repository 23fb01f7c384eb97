import { describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import { createTableSchema, type TableSchema } from '../../engine/schema/schema.js';
import type { ChunkId, Manifest } from '../../engine/chunking/manifest.js';
import { applyEdits } from '../../engine/table/apply-edits.js';
import { buildTable } from '../../engine/table/build-table.js';
import type { ChunkReader, ChunkWriter } from '../../engine/table/table-version.js';
import { arrowToRows, decodeChunk, rowsToArrow } from '../../engine/store/parquet/chunk-codec.js';
import type { Row } from '../../engine/value/value.js';

class MemoryChunks implements ChunkReader, ChunkWriter {
  readonly blobs = new Map<string, Uint8Array>();
  reads = 0;
  writes = 0;
  writeChunk(bytes: Uint8Array): ChunkId {
    this.writes++;
    const id = crypto.createHash('sha1').update(bytes).digest('hex') as ChunkId;
    this.blobs.set(id, bytes);
    return id;
  }
  async readRows(id: ChunkId, columns: Parameters<ChunkReader['readRows']>[1]): Promise<Row[]> {
    this.reads++;
    return arrowToRows(decodeChunk(this.blobs.get(id)!, id), columns);
  }
}

/** The same chunks read as Arrow too, so edits are spliced into the decoded chunk (the path the git store takes). */
class ArrowChunks extends MemoryChunks {
  readTable(id: ChunkId) {
    return Promise.resolve(decodeChunk(this.blobs.get(id)!, id));
  }
}

const small = { hash: 'fnv1a32-fmix-v1' as const, targetRows: 64, minRows: 16, maxRows: 256 };

function makeSchema(keyed: boolean): TableSchema {
  return createTableSchema(
    [
      { name: 'id', type: 'Int64' },
      { name: 'name', type: 'Utf8' },
      { name: 'at', type: 'Timestamp<us>' },
      { name: 'score', type: 'Float64' },
      { name: 'day', type: 'Date32' },
      { name: 'ok', type: 'Bool' },
    ],
    keyed ? ['id'] : [],
    small,
  );
}

function makeRow(i: number): Row {
  return [BigInt(i * 3), i % 7 === 0 ? null : `név ${i} 😀`, BigInt(i) * 1_000_001n, i % 5 === 0 ? null : i / 7, 18000 + i, i % 2 === 0];
}

async function* batches(rows: Row[], schema: TableSchema, size: number) {
  for (let i = 0; i < rows.length; i += size) yield rowsToArrow(schema.columns, rows.slice(i, i + size));
}

describe('content-defined chunking', () => {
  it('gives the same chunks for the same rows whatever the edit sequence (keyed)', async () => {
    const schema = makeSchema(true);
    const rows = Array.from({ length: 5000 }, (_, i) => makeRow(i));
    const store = new MemoryChunks();
    const bulk = await buildTable(schema, batches(rows, schema, 777), store, 't');
    expect(bulk.chunks.length).toBeGreaterThan(20);

    // import half, upsert the other half in two steps, delete and re-add some rows, modify and restore others
    const first = rows.filter((_, i) => i % 2 === 0);
    let m: Manifest = (await applyEdits(schema, { chunks: [] }, { upserts: first, deletes: [] }, { reader: store, writer: store })).manifest;
    const rest = rows.filter((_, i) => i % 2 === 1);
    m = (await applyEdits(schema, m, { upserts: rest.slice(0, 1000), deletes: [] }, { reader: store, writer: store })).manifest;
    m = (await applyEdits(schema, m, { upserts: rest.slice(1000), deletes: [] }, { reader: store, writer: store })).manifest;
    const gone = rows.slice(100, 200);
    m = (await applyEdits(schema, m, { upserts: [], deletes: gone.map((r) => [r[0]!]) }, { reader: store, writer: store })).manifest;
    const changed = rows.slice(3000, 3010).map((r) => [r[0]!, 'changed', ...r.slice(2)] as Row);
    m = (await applyEdits(schema, m, { upserts: changed, deletes: [] }, { reader: store, writer: store })).manifest;
    m = (await applyEdits(schema, m, { upserts: [...gone, ...rows.slice(3000, 3010)].sort((a, b) => Number((a[0] as bigint) - (b[0] as bigint))), deletes: [] }, { reader: store, writer: store })).manifest;
    expect(m.chunks.map((c) => c.id)).toEqual(bulk.chunks.map((c) => c.id));
  });

  it('gives the same chunks for a keyless bag with duplicates', async () => {
    const schema = makeSchema(false);
    const base = Array.from({ length: 3000 }, (_, i) => makeRow(i % 2000));
    const sorted = [...base].sort((a, b) => Number((a[0] as bigint) - (b[0] as bigint)));
    const store = new MemoryChunks();
    const bulk = await buildTable(schema, batches(sorted, schema, 500), store, 't');
    let m: Manifest = (await applyEdits(schema, { chunks: [] }, { upserts: sorted.slice(0, 1500), deletes: [] }, { reader: store, writer: store })).manifest;
    m = (await applyEdits(schema, m, { upserts: sorted.slice(1500), deletes: [] }, { reader: store, writer: store })).manifest;
    expect(m.chunks.map((c) => c.id)).toEqual(bulk.chunks.map((c) => c.id));
  });

  it('a bag whose copies of one row straddle chunk cuts: deletes find every copy, inserts add them, the chunks are a fresh build', async () => {
    const schema = makeSchema(false);
    // 600 copies of one row: the rule cuts between them (maxRows 256, and where their hash passes), so they span chunks.
    const copies = (n: number) => Array.from({ length: n }, () => makeRow(500));
    const others = Array.from({ length: 1000 }, (_, i) => makeRow(i)).filter((r) => r[0] !== makeRow(500)[0]);
    const sortedRows = (rows: Row[]) => [...rows].sort((a, b) => Number((a[0] as bigint) - (b[0] as bigint)));
    for (const store of [new MemoryChunks(), new ArrowChunks()]) {
      const bulk = await buildTable(schema, batches(sortedRows([...others, ...copies(600)]), schema, 700), store, 't');
      const holding = bulk.chunks.filter((c) => c.first[0] === makeRow(500)[0] || c.last[0] === makeRow(500)[0]);
      expect(holding.length).toBeGreaterThanOrEqual(3);
      const io = { reader: store, writer: store };
      for (const [deletes, puts, left] of [
        [600, 0, 0],
        [250, 0, 350],
        [599, 3, 4],
        [0, 40, 640],
      ] as const) {
        const { manifest, counts } = await applyEdits(schema, bulk, { upserts: copies(puts), deletes: copies(deletes) }, io);
        expect(counts, `${deletes} deletes, ${puts} puts`).toMatchObject({ deleted: deletes, inserted: puts, missing: 0 });
        const fresh = await buildTable(schema, batches(sortedRows([...others, ...copies(left)]), schema, 700), new MemoryChunks(), 't');
        expect(manifest.chunks.map((c) => c.id), `${deletes} deletes, ${puts} puts`).toEqual(fresh.chunks.map((c) => c.id));
      }
      // More deletes than copies: the rest are missing, none is taken from another row.
      const { counts } = await applyEdits(schema, bulk, { upserts: [], deletes: copies(601) }, io);
      expect(counts).toMatchObject({ deleted: 600, missing: 1 });
    }
  });

  it('rewrites only the chunks that hold edited rows', async () => {
    const schema = makeSchema(true);
    const rows = Array.from({ length: 20000 }, (_, i) => makeRow(i));
    const store = new MemoryChunks();
    const bulk = await buildTable(schema, batches(rows, schema, 4096), store, 't');
    store.reads = 0;
    store.writes = 0;
    const edits = [5, 4000, 9000, 15000, 19999].map((i) => [rows[i]![0]!, 'edited', ...rows[i]!.slice(2)] as Row);
    const { manifest } = await applyEdits(schema, bulk, { upserts: edits, deletes: [] }, { reader: store, writer: store });
    const before = new Set(bulk.chunks.map((c) => c.id));
    const fresh = manifest.chunks.filter((c) => !before.has(c.id));
    expect(fresh.length).toBeLessThanOrEqual(10);
    expect(store.reads).toBeLessThanOrEqual(10);
    expect(manifest.chunks.length).toBeGreaterThan(200);
  });
});

describe('chunk encoding', () => {
  it('stores Timestamp<s> as milliseconds so any engine reads timestamps, and reads back seconds', async () => {
    const { createTableSchema: create } = await import('../../engine/schema/schema.js');
    const { encodeChunk } = await import('../../engine/store/parquet/chunk-codec.js');
    const schema = create([{ name: 'id', type: 'Int32' }, { name: 'at', type: 'Timestamp<s>' }, { name: 'utc', type: 'Timestamp<s, UTC>' }], ['id']);
    const rows: Row[] = [[1, 1_700_000_000n, null], [2, -5n, 86_400n]];
    const bytes = encodeChunk(rowsToArrow(schema.columns, rows), schema.columns);
    const table = decodeChunk(bytes, 'x');
    expect(String(table.getChild('at')!.type)).toBe('Timestamp<MILLISECOND>');
    expect(arrowToRows(table, schema.columns)).toEqual(rows);
  });
});

describe('bulk key hashing', () => {
  it('hashes and orders Int64, UInt64 and timestamp keys from raw words exactly as from values', async () => {
    const { keyHash } = await import('../../engine/chunking/key-hash.js');
    const { KEY_HASH_SEED, finishKeyHash } = await import('../../engine/chunking/key-hash.js');
    const { keyColumnReader } = await import('../../engine/table/key-columns.js');
    const { compareValues } = await import('../../engine/value/value.js');
    const { createTableSchema: create } = await import('../../engine/schema/schema.js');
    const samples = [-(2n ** 63n), -4294967297n, -1n, 0n, 1n, 4294967295n, 4294967296n, 2n ** 53n + 1n, 2n ** 63n - 1n];
    for (const type of ['Int64', 'UInt64', 'Timestamp<us>'] as const) {
      const values = type === 'UInt64' ? [0n, 1n, 4294967295n, 4294967296n, 2n ** 63n, 2n ** 64n - 1n] : samples;
      const schema = create([{ name: 'k', type }], ['k']);
      const batch = rowsToArrow(schema.columns, values.map((v) => [v]));
      const reader = keyColumnReader(batch, schema.columns[0]!);
      values.forEach((v, i) => {
        expect(finishKeyHash(reader.feed(KEY_HASH_SEED, i)), `${type} ${v}`).toBe(keyHash([v], [false]));
        values.forEach((w, j) => expect(Math.sign(reader.compare(i, j)), `${v} vs ${w}`).toBe(Math.sign(compareValues(v, w))));
      });
    }
  });
});
