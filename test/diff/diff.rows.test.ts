import { describe, expect, it } from 'vitest';
import { diffStat, diffTables, type RowChange } from '../../engine/diff/index.js';
import type { ChunkId } from '../../engine/chunking/manifest.js';
import type { TableVersion } from '../../engine/table/table-version.js';
import type { Row } from '../../engine/value/value.js';
import { addColumn, makeTable, MemoryChunkStore, schemaOf } from './in-memory-table.js';

const people = schemaOf(
  [
    ['id', 'Int32'],
    ['name', 'Utf8'],
    ['age', 'Int32'],
  ],
  ['id'],
);

function peopleRows(n: number): Row[] {
  return Array.from({ length: n }, (_, i) => [i + 1, `p${i + 1}`, 20 + (i % 50)]);
}

async function collect(diff: { rows: AsyncIterable<RowChange> }): Promise<RowChange[]> {
  const out: RowChange[] = [];
  for await (const change of diff.rows) out.push(change);
  return out;
}

describe('row diff', () => {
  it('identical tables read no chunk and are unchanged', async () => {
    const store = new MemoryChunkStore();
    const a = makeTable(store, people, peopleRows(30));
    const b = makeTable(store, people, peopleRows(30));
    store.resetReads();
    const diff = await diffTables(a, b, store);
    expect(diff.status).toBe('unchanged');
    expect(await collect(diff)).toEqual([]);
    expect(store.reads).toEqual([]);
  });

  it('a one-row change reads only the two chunks holding it, not the table', async () => {
    const store = new MemoryChunkStore();
    const rows = peopleRows(300);
    const a = makeTable(store, people, rows, 10);
    const changed = rows.map((r) => (r[0] === 155 ? [155, 'renamed', r[2]!] : r));
    const b = makeTable(store, people, changed, 10);
    store.resetReads();
    const diff = await diffTables(a, b, store);
    const changes = await collect(diff);
    expect(changes).toEqual([
      { status: 'modified', key: [155], before: [155, 'p155', rows[154]![2]], after: [155, 'renamed', rows[154]![2]], changed: ['name'], changedColumns: [1] },
    ]);
    expect(store.reads.length).toBe(2);
    expect(new Set(store.reads)).toEqual(new Set([a.manifest.chunks[15]!.id, b.manifest.chunks[15]!.id]));
  });

  it('chunks shared at shifted positions are still skipped unread', async () => {
    const store = new MemoryChunkStore();
    const rows = peopleRows(9);
    const a = makeTable(store, people, rows, 3); // [1-3] [4-6] [7-9]
    const grown = makeTable(store, people, [...rows.slice(3, 6), [5.5 as number, 'inserted', 1]].map((r) => r), 4);
    // b = [1-3] [4,5,5.5,6] [7-9]: only the middle chunk differs.
    const b: TableVersion = {
      schema: people,
      manifest: { chunks: [a.manifest.chunks[0]!, grown.manifest.chunks[0]!, a.manifest.chunks[2]!] },
    };
    store.resetReads();
    const changes = await collect(await diffTables(a, b, store));
    expect(changes).toEqual([{ status: 'added', key: [5.5], after: [5.5, 'inserted', 1] }]);
    expect(store.reads).toEqual([a.manifest.chunks[1]!.id, grown.manifest.chunks[0]!.id]);
  });

  it('a chunk inserted before shared chunks is read alone', async () => {
    const store = new MemoryChunkStore();
    const a = makeTable(store, people, peopleRows(9).slice(3), 3); // [4-6] [7-9]
    const front = makeTable(store, people, peopleRows(3), 3); // [1-3]
    const b: TableVersion = { schema: people, manifest: { chunks: [front.manifest.chunks[0]!, ...a.manifest.chunks] } };
    store.resetReads();
    const changes = await collect(await diffTables(a, b, store));
    expect(changes.map((c) => [c.status, c.key])).toEqual([
      ['added', [1]],
      ['added', [2]],
      ['added', [3]],
    ]);
    expect(store.reads).toEqual([front.manifest.chunks[0]!.id]);
  });

  it('added, deleted and modified rows stream in key order with their changed columns', async () => {
    const store = new MemoryChunkStore();
    const a = makeTable(store, people, [
      [1, 'a', 10],
      [2, 'b', 20],
      [3, 'c', 30],
      [5, 'e', 50],
    ]);
    const b = makeTable(store, people, [
      [1, 'a', 10],
      [2, 'B', 21],
      [4, 'd', 40],
      [5, 'e', 50],
    ]);
    const diff = await diffTables(a, b, store, { pairKeyChanges: false });
    expect(diff.status).toBe('modified');
    expect(await collect(diff)).toEqual([
      { status: 'modified', key: [2], before: [2, 'b', 20], after: [2, 'B', 21], changed: ['name', 'age'], changedColumns: [1, 2] },
      { status: 'deleted', key: [3], before: [3, 'c', 30] },
      { status: 'added', key: [4], after: [4, 'd', 40] },
    ]);
  });

  it('rows can be iterated again, walking the tables anew', async () => {
    const store = new MemoryChunkStore();
    const a = makeTable(store, people, peopleRows(6));
    const b = makeTable(store, people, peopleRows(7));
    const diff = await diffTables(a, b, store);
    expect((await collect(diff)).length).toBe(1);
    expect((await collect(diff)).length).toBe(1);
  });

  it('equal rows under different chunk ids (a chunk written before a column was added) give no change', async () => {
    const store = new MemoryChunkStore();
    const old = makeTable(store, people, peopleRows(12), 4);
    const widened = addColumn(people, 'email', 'Utf8');
    // Same rows, same schema: one version still points at the old chunks (no email column in the file),
    // the other rewrote them with an explicit null email.
    const lazy: TableVersion = { schema: widened, manifest: old.manifest };
    const rewritten = makeTable(store, widened, peopleRows(12).map((r) => [...r, null]), 4);
    expect(rewritten.manifest.chunks[0]!.id).not.toBe(lazy.manifest.chunks[0]!.id);
    const diff = await diffTables(lazy, rewritten, store);
    expect(diff.status).toBe('unchanged');
    expect(await collect(diff)).toEqual([]);
    // And across the schema change itself: the column is added, no row changed.
    const across = await diffTables(old, rewritten, store);
    expect(across.status).toBe('modified');
    expect(across.schema.added.map((c) => c.name)).toEqual(['email']);
    expect(await collect(across)).toEqual([]);
  });

  it('a column added with values shows those cells as changed from null', async () => {
    const store = new MemoryChunkStore();
    const old = makeTable(store, people, peopleRows(3));
    const widened = addColumn(people, 'email', 'Utf8');
    const filled = makeTable(store, widened, peopleRows(3).map((r) => [...r, r[0] === 2 ? 'b@x' : null]));
    expect(await collect(await diffTables(old, filled, store))).toEqual([
      { status: 'modified', key: [2], before: [2, 'p2', 21, null], after: [2, 'p2', 21, 'b@x'], changed: ['email'], changedColumns: [3] },
    ]);
  });

  it('a table that appears is all added rows; one that disappears is all deleted rows', async () => {
    const store = new MemoryChunkStore();
    const t = makeTable(store, people, peopleRows(2));
    const added = await diffTables(undefined, t, store);
    expect(added.status).toBe('added');
    expect(added.schema.added.map((c) => c.name)).toEqual(['id', 'name', 'age']);
    expect((await collect(added)).map((c) => c.status)).toEqual(['added', 'added']);
    const deleted = await diffTables(t, undefined, store);
    expect(deleted.status).toBe('deleted');
    expect((await collect(deleted)).map((c) => c.status)).toEqual(['deleted', 'deleted']);
    expect((await diffTables(undefined, undefined, store)).status).toBe('unchanged');
  });

  it('empty tables on both sides are unchanged', async () => {
    const store = new MemoryChunkStore();
    const a = makeTable(store, people, []);
    const diff = await diffTables(a, makeTable(store, people, []), store);
    expect(diff.status).toBe('unchanged');
    expect(await collect(diff)).toEqual([]);
  });

  it('diffStat counts what the full diff yields', async () => {
    const store = new MemoryChunkStore();
    const rows = peopleRows(40);
    const a = makeTable(store, people, rows, 5);
    const edited = rows.filter((r) => r[0] !== 7).map((r) => (Number(r[0]) % 10 === 0 ? [r[0]!, r[1]!, 99] : r));
    edited.push([41, 'new', 1], [42, 'new2', 2]);
    const b = makeTable(store, people, edited, 5);
    const stat = await diffStat(a, b, store);
    expect(stat.status).toBe('modified');
    expect(stat.summary).toEqual({ added: 2, deleted: 1, modified: 4 });
    expect(stat.columnChanges).toEqual([{ column: 'age', cells: 4 }]);
  });

  it('a long run of changes on every chunk streams without holding the table', async () => {
    const store = new MemoryChunkStore();
    const rows = peopleRows(2000);
    const a = makeTable(store, people, rows, 7);
    const b = makeTable(store, people, rows.map((r) => [r[0]!, r[1]!, Number(r[2]) + 1]), 7);
    const stat = await diffStat(a, b, store);
    expect(stat.summary).toEqual({ added: 0, deleted: 0, modified: 2000 });
  });
});

describe('key change pairing (dolt#7808)', () => {
  it('a changed key with every other cell equal is one modified row with the new key', async () => {
    const store = new MemoryChunkStore();
    const a = makeTable(store, people, [
      [1, 'a', 10],
      [3, 'c', 30],
      [5, 'e', 50],
    ]);
    const b = makeTable(store, people, [
      [1, 'a', 10],
      [5, 'e', 50],
      [30, 'c', 30],
    ]);
    const diff = await diffTables(a, b, store);
    expect(await collect(diff)).toEqual([
      { status: 'modified', key: [30], previousKey: [3], before: [3, 'c', 30], after: [30, 'c', 30], changed: ['id'], changedColumns: [0] },
    ]);
    // Counted literally: the pairing is an inference, the change is a delete and an add.
    expect((await diffStat(a, b, store)).summary).toEqual({ added: 1, deleted: 1, modified: 0 });
  });

  it('rows whose non-key cells another added or deleted row shares are not paired (ambiguous)', async () => {
    const store = new MemoryChunkStore();
    const a = makeTable(store, people, [
      [1, 'c', 30],
      [2, 'c', 30],
      [5, 'e', 50],
    ]);
    const b = makeTable(store, people, [
      [5, 'e', 50],
      [9, 'c', 30],
    ]);
    expect((await collect(await diffTables(a, b, store))).map((c) => [c.status, c.key])).toEqual([
      ['deleted', [1]],
      ['deleted', [2]],
      ['added', [9]],
    ]);
    const twoAdded = makeTable(store, people, [
      [5, 'e', 50],
      [8, 'c', 30],
      [9, 'c', 30],
    ]);
    const one = makeTable(store, people, [[1, 'c', 30], [5, 'e', 50]]);
    expect((await collect(await diffTables(one, twoAdded, store))).map((c) => c.status)).toEqual(['deleted', 'added', 'added']);
  });

  it('a key moved down pairs too, and the pair sits at its new key among other changes', async () => {
    const store = new MemoryChunkStore();
    const a = makeTable(store, people, [
      [2, 'b', 20],
      [9, 'i', 90],
    ]);
    const b = makeTable(store, people, [
      [1, 'i', 90],
      [2, 'b', 21],
      [3, 'x', 1],
    ]);
    const changes = await collect(await diffTables(a, b, store));
    expect(changes.map((c) => [c.status, c.key, c.status === 'modified' ? c.previousKey : undefined])).toEqual([
      ['modified', [1], [9]],
      ['modified', [2], undefined],
      ['added', [3], undefined],
    ]);
  });

  it('rows whose other cells differ stay a delete and an add', async () => {
    const store = new MemoryChunkStore();
    const a = makeTable(store, people, [[3, 'c', 30]]);
    const b = makeTable(store, people, [[30, 'c', 31]]);
    expect((await collect(await diffTables(a, b, store))).map((c) => c.status)).toEqual(['deleted', 'added']);
  });

  it('pairing can be turned off', async () => {
    const store = new MemoryChunkStore();
    const a = makeTable(store, people, [[3, 'c', 30]]);
    const b = makeTable(store, people, [[30, 'c', 30]]);
    const changes = await collect(await diffTables(a, b, store, { pairKeyChanges: false }));
    expect(changes.map((c) => c.status)).toEqual(['deleted', 'added']);
  });

  it('rows with only null non-key cells never pair', async () => {
    const store = new MemoryChunkStore();
    const a = makeTable(store, people, [[3, null, null]]);
    const b = makeTable(store, people, [[30, null, null]]);
    expect((await collect(await diffTables(a, b, store))).map((c) => c.status)).toEqual(['deleted', 'added']);
  });

  it('beyond the window a far-away pair is left as a delete and an add, in key order', async () => {
    const store = new MemoryChunkStore();
    const rows = peopleRows(50);
    const a = makeTable(store, people, rows, 5);
    const b = makeTable(
      store,
      people,
      rows.map((r) => (r[0] === 1 ? [100, r[1]!, r[2]!] : [r[0]!, r[1]!, Number(r[2]) + 1000])),
      5,
    );
    const changes = await collect(await diffTables(a, b, store, { keyChangeWindow: 10 }));
    expect(changes[0]).toMatchObject({ status: 'deleted', key: [1] });
    expect(changes.at(-1)).toMatchObject({ status: 'added', key: [100] });
    const keys = changes.map((c) => Number(c.key[0]));
    expect(keys).toEqual([...keys].sort((x, y) => x - y));
    const paired = await collect(await diffTables(a, b, store));
    expect(paired.at(-1)).toMatchObject({ status: 'modified', key: [100], previousKey: [1] });
    expect(paired.length).toBe(50);
  });
});

describe('keyless tables (bags)', () => {
  const bag = schemaOf(
    [
      ['city', 'Utf8'],
      ['n', 'Int32'],
    ],
    [],
  );

  it('a row present twice more is two added rows; one copy fewer is one deleted row', async () => {
    const store = new MemoryChunkStore();
    const a = makeTable(store, bag, [
      ['x', 1],
      ['y', 2],
      ['y', 2],
    ]);
    const b = makeTable(store, bag, [
      ['x', 1],
      ['x', 1],
      ['x', 1],
      ['y', 2],
      ['z', 3],
    ]);
    expect(await collect(await diffTables(a, b, store))).toEqual([
      { status: 'added', key: ['x', 1], after: ['x', 1] },
      { status: 'added', key: ['x', 1], after: ['x', 1] },
      { status: 'deleted', key: ['y', 2], before: ['y', 2] },
      { status: 'added', key: ['z', 3], after: ['z', 3] },
    ]);
  });

  it('duplicates that span chunk boundaries are counted whole', async () => {
    const store = new MemoryChunkStore();
    const many = (k: number) => Array.from({ length: k }, () => ['d', 4] as Row);
    const a = makeTable(store, bag, [['a', 1], ...many(5), ['z', 9]], 2);
    const b = makeTable(store, bag, [['a', 1], ...many(6), ['z', 9]], 3);
    expect(await collect(await diffTables(a, b, store))).toEqual([{ status: 'added', key: ['d', 4], after: ['d', 4] }]);
    const c = makeTable(store, bag, [['a', 1], ...many(5), ['z', 9]], 4);
    expect(await collect(await diffTables(a, c, store))).toEqual([]);
  });

  it('shared chunks of a bag are skipped', async () => {
    const store = new MemoryChunkStore();
    const rows: Row[] = Array.from({ length: 30 }, (_, i) => [`c${String(i).padStart(2, '0')}`, i]);
    const a = makeTable(store, bag, rows, 5);
    const b = makeTable(store, bag, rows.map((r) => (r[1] === 12 ? ['c12', 1200] : r)), 5);
    store.resetReads();
    const changes = await collect(await diffTables(a, b, store));
    expect(changes.map((c) => c.status)).toEqual(['deleted', 'added']);
    expect(store.reads.length).toBe(2);
  });
});

describe('type changes of a key column', () => {
  it('a widened key column compares by value, not by stored type', async () => {
    const store = new MemoryChunkStore();
    const a = makeTable(store, people, peopleRows(5));
    const wide = { ...people, columns: people.columns.map((c) => (c.name === 'id' ? { ...c, type: 'Int64' as const } : c)) };
    const b = makeTable(
      store,
      wide,
      peopleRows(5).map((r) => [BigInt(r[0] as number), r[1]!, r[0] === 4 ? 0 : r[2]!]),
    );
    const changes = await collect(await diffTables(a, b, store));
    expect(changes).toEqual([
      { status: 'modified', key: [4n], before: [4n, 'p4', 23], after: [4n, 'p4', 0], changed: ['age'], changedColumns: [2] },
    ]);
  });
});

describe('chunk ids as the fast path', () => {
  it('a table whose every chunk changed reads every chunk once per side', async () => {
    const store = new MemoryChunkStore();
    const rows = peopleRows(20);
    const a = makeTable(store, people, rows, 4);
    const b = makeTable(store, people, rows.map((r) => [r[0]!, r[1]!, -1]), 4);
    store.resetReads();
    await collect(await diffTables(a, b, store));
    expect(store.reads.length).toBe(10);
    expect(new Set(store.reads).size).toBe(10);
  });

  it('never reads a chunk id that is not in either manifest', async () => {
    const store = new MemoryChunkStore();
    const a = makeTable(store, people, peopleRows(4));
    const b = makeTable(store, people, peopleRows(5));
    store.resetReads();
    await collect(await diffTables(a, b, store));
    const known = new Set<ChunkId>([...a.manifest.chunks, ...b.manifest.chunks].map((c) => c.id));
    for (const id of store.reads) expect(known.has(id as ChunkId)).toBe(true);
  });
});
