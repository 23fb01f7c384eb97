import { describe, expect, it } from 'vitest';
import { mergeTables } from '../../engine/merge/index.js';
import type { Row } from '../../engine/value/value.js';
import { addColumn, applyEdits, makeTable, MemoryChunkStore, schemaOf } from '../diff/in-memory-table.js';

const t = schemaOf(
  [
    ['id', 'Int32'],
    ['a', 'Utf8'],
    ['b', 'Int32'],
  ],
  ['id'],
);
const rows: Row[] = Array.from({ length: 100 }, (_, i) => [i + 1, `r${i + 1}`, i]);

describe('merge cost grows with the change, not the table', () => {
  it('reads only the chunks that differ from base on some side', async () => {
    const store = new MemoryChunkStore();
    const base = makeTable(store, t, rows, 10);
    const ours = makeTable(store, t, rows.map((r) => (r[0] === 5 ? [5, 'ours', 4] : r)), 10);
    const theirs = makeTable(store, t, rows.map((r) => (r[0] === 95 ? [95, 'theirs', 94] : r)), 10);
    store.resetReads();
    const result = await mergeTables(base, ours, theirs, store);
    expect(result.conflicts).toEqual([]);
    expect(result.edits).toEqual({ upserts: [[95, 'theirs', 94]], deletes: [] });
    // Ours' change (chunk 0) is where theirs changed nothing: it stays in ours unread. Base's chunk 9 is read once for both diffs.
    expect([...store.reads].sort()).toEqual([base.manifest.chunks[9]!.id, theirs.manifest.chunks[9]!.id].sort());
  });

  it("reads ours' changed chunks only where theirs changed too, and finds the conflicts there", async () => {
    const store = new MemoryChunkStore();
    const base = makeTable(store, t, rows, 10);
    const ours = makeTable(store, t, rows.map((r) => (r[0] === 5 || r[0] === 52 ? [r[0], 'ours', r[2]] : r)), 10);
    const theirs = makeTable(store, t, rows.map((r) => (r[0] === 55 || r[0] === 52 ? [r[0], 'theirs', r[2]] : r)), 10);
    store.resetReads();
    const result = await mergeTables(base, ours, theirs, store);
    expect(result.conflicts.map((c) => [c.kind, c.key])).toEqual([['cell', [52]]]);
    expect(result.edits).toEqual({ upserts: [[55, 'theirs', 54]], deletes: [] });
    expect([...store.reads].sort()).toEqual([base.manifest.chunks[5]!.id, ours.manifest.chunks[5]!.id, theirs.manifest.chunks[5]!.id].sort());
  });

  it('reads nothing when theirs did not change the table', async () => {
    const store = new MemoryChunkStore();
    const base = makeTable(store, t, rows, 10);
    const ours = makeTable(store, t, rows.slice(1), 10);
    store.resetReads();
    const result = await mergeTables(base, ours, base, store);
    expect(result.edits).toEqual({ upserts: [], deletes: [] });
    expect(store.reads).toEqual([]);
  });

  it('a column added on one side and rows edited on the other read only the edited chunks', async () => {
    const store = new MemoryChunkStore();
    const base = makeTable(store, t, rows, 10);
    // ALTER TABLE ADD COLUMN: a new schema over the very same chunks.
    const ours = { schema: addColumn(t, 'c', 'Utf8'), manifest: base.manifest };
    const theirs = makeTable(store, t, rows.map((r) => (r[0] === 42 ? [42, 'x', 0] : r)), 10);
    store.resetReads();
    const result = await mergeTables(base, ours, theirs, store);
    expect(result.edits.upserts).toEqual([[42, 'x', 0, null]]);
    expect(store.reads.length).toBe(2);
    const merged = await applyEdits(store, ours, result.schema!, result.edits);
    expect(merged.find((r) => r[0] === 42)).toEqual([42, 'x', 0, null]);
    expect(merged.length).toBe(100);
  });
});
