import { describe, expect, it, vi, afterEach } from 'vitest';
import { createTableSchema, type TableSchema } from '../../engine/schema/schema.js';
import { mergeTables, theirsRuns } from '../../engine/merge/index.js';
import { applyEdits } from '../../engine/table/apply-edits.js';
import { buildTable } from '../../engine/table/build-table.js';
import type { TableVersion } from '../../engine/table/table-version.js';
import { rowsToArrow } from '../../engine/store/parquet/chunk-codec.js';
import type { Row } from '../../engine/value/value.js';
import { MemoryChunks } from '../support/memory-chunks.js';

const small = { hash: 'fnv1a32-fmix-v1' as const, targetRows: 64, minRows: 16, maxRows: 256 };
const schema: TableSchema = createTableSchema([{ name: 'id', type: 'Int64' }, { name: 'v', type: 'Utf8' }], ['id'], small);
const rows: Row[] = Array.from({ length: 6000 }, (_, i) => [BigInt(i * 2), `v${i}`]);

async function* once(batch: Row[]) {
  yield rowsToArrow(schema.columns, batch);
}

async function edited(store: MemoryChunks, version: TableVersion, upserts: Row[], deletes: Row[] = []): Promise<TableVersion> {
  return { schema, manifest: (await applyEdits(schema, version.manifest, { upserts, deletes }, { reader: store, writer: store })).manifest };
}

afterEach(() => vi.unstubAllEnvs());

describe("a merge takes theirs' chunks where only theirs changed", () => {
  it('finds the runs, and applying the merge with them gives the chunks applying it in full gives, writing fewer', async () => {
    vi.stubEnv('DGIT_WORKERS', '1');
    const store = new MemoryChunks();
    const base: TableVersion = { schema, manifest: await buildTable(schema, once(rows), store, 't') };
    // Ours changes a few rows near the start; theirs updates, inserts and deletes far from them, and one row ours changed too.
    const ours = await edited(store, base, [[20n, 'ours'], [400n, 'ours']]);
    const theirs = await edited(store, base, [[400n, 'theirs'], [5001n, 'inserted'], [8000n, 'theirs'], [10_000n, 'theirs']], [[9000n]]);
    const runs = theirsRuns(base, ours, theirs);
    expect(runs.size).toBeGreaterThan(0);
    const merge = await mergeTables(base, ours, theirs, store);
    expect(merge.conflicts.map((c) => c.key)).toEqual([[400n]]);
    const full = new MemoryChunks();
    for (const [id, bytes] of store.blobs) full.blobs.set(id, bytes);
    const plain = await applyEdits(schema, ours.manifest, merge.edits, { reader: full, writer: full });
    const before = store.writes;
    const taken = await applyEdits(schema, ours.manifest, merge.edits, { reader: store, writer: store }, { replace: runs });
    expect(taken.manifest.chunks).toEqual(plain.manifest.chunks);
    expect(store.writes - before).toBeLessThan(full.writes);
    // Theirs' chunks of the runs are in the result as they are.
    for (const run of runs.values()) for (const chunk of run.chunks) expect(taken.manifest.chunks).toContainEqual(chunk);
  });

  it('finds none where ours changed a neighbour of theirs\' change, or the schemas differ', async () => {
    vi.stubEnv('DGIT_WORKERS', '1');
    const store = new MemoryChunks();
    const base: TableVersion = { schema, manifest: await buildTable(schema, once(rows), store, 't') };
    const theirs = await edited(store, base, [[6000n, 'theirs']]);
    const at = theirs.manifest.chunks.findIndex((c) => !base.manifest.chunks.some((b) => b.id === c.id));
    const neighbour = base.manifest.chunks[at + 1]!.first[0] as bigint;
    const ours = await edited(store, base, [[neighbour, 'ours']]);
    expect(theirsRuns(base, ours, theirs).size).toBe(0);
    const renamed = { ...theirs, schema: { ...schema, columns: schema.columns.map((c) => (c.name === 'v' ? { ...c, name: 'w', stored: 'v' } : c)) } };
    expect(theirsRuns(base, await edited(store, base, [[20n, 'ours']]), renamed).size).toBe(0);
  });
});

describe('applying edits with runs of known chunks', () => {
  it('skips the edits the run accounts for up to the next chunk, the gap after the run included', async () => {
    vi.stubEnv('DGIT_WORKERS', '1');
    const store = new MemoryChunks();
    const base: TableVersion = { schema, manifest: await buildTable(schema, once(rows), store, 't') };
    const run = base.manifest.chunks[2]!;
    const next = base.manifest.chunks[3]!;
    // A key in the gap between the run's last row and the next chunk's first (the table's keys are even).
    const gap = (run.last[0] as bigint) + 1n;
    expect(gap < (next.first[0] as bigint)).toBe(true);
    // The run's result: its rows and the new row, in one chunk (cut by a rule that does not split them).
    const runRows = (await store.readRows(run.id, schema.columns)).concat([[gap, 'gap']]);
    const whole = { ...schema, chunking: { ...small, minRows: 1000, targetRows: 2000, maxRows: 4000 } };
    const [made] = (await buildTable(whole, (async function* () { yield rowsToArrow(schema.columns, runRows); })(), store, 't')).chunks;
    const applied = await applyEdits(schema, base.manifest, { upserts: [[gap, 'gap']], deletes: [] }, { reader: store, writer: store }, { replace: new Map([[2, { last: 2, chunks: [made!] }]]) });
    const keys: bigint[] = [];
    for (const chunk of applied.manifest.chunks) for (const row of await store.readRows(chunk.id, schema.columns)) keys.push(row[0] as bigint);
    expect(keys.filter((key) => key === gap)).toHaveLength(1);
    expect(applied.manifest.chunks[3]).toEqual(next);
  });
});
