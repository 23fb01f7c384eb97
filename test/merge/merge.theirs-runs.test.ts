import { describe, expect, it, vi, afterEach } from 'vitest';
import { createTableSchema, type TableSchema } from '../../engine/schema/schema.js';
import { mergeTables, theirsRuns } from '../../engine/merge/index.js';
import { applyEdits } from '../../engine/table/apply-edits.js';
import { buildTable } from '../../engine/table/build-table.js';
import type { TableVersion } from '../../engine/table/table-version.js';
import { rowsToArrow } from '../../engine/store/parquet/chunk-codec.js';
import { compareKeys, type Row } from '../../engine/value/value.js';
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

describe('a keyless table whose copies of one row straddle chunk cuts', () => {
  it('merges deletes and inserts of those copies exactly, and takes no runs of theirs by chunk id', async () => {
    vi.stubEnv('DGIT_WORKERS', '1');
    const bag: TableSchema = createTableSchema([{ name: 'n', type: 'Int64' }, { name: 'v', type: 'Utf8' }], [], small);
    const row = (n: number): Row => [BigInt(n), `v${n}`];
    // A bag's key is the whole row.
    const sorted = (rows: Row[]) => [...rows].sort((a, b) => compareKeys(a, b));
    const store = new MemoryChunks();
    const build = async (rows: Row[], into = store): Promise<TableVersion> => ({ schema: bag, manifest: await buildTable(bag, (async function* () { yield rowsToArrow(bag.columns, sorted(rows)); })(), into, 't') });
    const edit = async (version: TableVersion, upserts: Row[], deletes: Row[]): Promise<TableVersion> => ({ schema: bag, manifest: (await applyEdits(bag, version.manifest, { upserts, deletes }, { reader: store, writer: store })).manifest });
    // A row whose hash passes the rule: its copies are cut every minRows (16), so chunks of its copies alone repeat.
    let cut = 3000;
    while ((await build(Array.from({ length: 160 }, () => row(cut)), new MemoryChunks())).manifest.chunks.length < 8) cut++;
    const copies = (n: number) => Array.from({ length: n }, () => row(cut));
    const others = Array.from({ length: 6000 }, (_, i) => row(i)).filter((r) => r[0] !== BigInt(cut));
    const base = await build([...others, ...copies(700)]);
    expect(base.manifest.chunks.filter((c) => c.first[0] === BigInt(cut) || c.last[0] === BigInt(cut)).length).toBeGreaterThanOrEqual(3);
    // Theirs takes 16 copies away (one chunk's worth: the chunks after them are as they were) and adds a row
    // near them; ours replaces rows far from them, on both sides.
    const theirs = await edit(base, [[BigInt(cut + 1), 'theirs']], copies(16));
    const ours = await edit(base, [[10n, 'ours'], [5990n, 'ours']], [row(10), row(5990)]);
    const merge = await mergeTables(base, ours, theirs, store);
    expect(merge.conflicts).toEqual([]);
    const expected = await build([...others.filter((r) => r[0] !== 10n && r[0] !== 5990n), [10n, 'ours'], [5990n, 'ours'], [BigInt(cut + 1), 'theirs'], ...copies(684)], new MemoryChunks());
    // Chunks of copies alone repeat one id, so no run of theirs is taken by id in a bag.
    expect(base.manifest.chunks.filter((c) => c.id === base.manifest.chunks[60]!.id).length).toBeGreaterThan(1);
    expect(theirsRuns(base, ours, theirs).size).toBe(0);
    const merged = await applyEdits(bag, ours.manifest, merge.edits, { reader: store, writer: store });
    expect(merged.manifest.chunks.map((c) => c.id)).toEqual(expected.manifest.chunks.map((c) => c.id));
  });
});
