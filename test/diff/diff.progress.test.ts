import { describe, expect, it } from 'vitest';
import { diffTables, type RowChange } from '../../engine/diff/index.js';
import type { ProgressEvent } from '../../engine/progress.js';
import type { TableSchema } from '../../engine/schema/schema.js';
import type { Row } from '../../engine/value/value.js';
import { makeTable, MemoryChunkStore, schemaOf, withKey } from './in-memory-table.js';

const people = schemaOf(
  [
    ['id', 'Int32'],
    ['name', 'Utf8'],
  ],
  ['id'],
);
const bag = schemaOf(
  [
    ['id', 'Int32'],
    ['name', 'Utf8'],
  ],
  [],
);

const rows = (n: number, edit = -1): Row[] => Array.from({ length: n }, (_, i) => [i, i === edit ? 'edited' : `p${i}`]);

/** The diff's rows and the progress events it reported while they were read. */
async function walk(schema: TableSchema, before: Row[], after: Row[], toSchema = schema): Promise<{ changes: RowChange[]; events: ProgressEvent[]; chunks: number; reads: number }> {
  const store = new MemoryChunkStore();
  const from = makeTable(store, schema, before, 10);
  const to = makeTable(store, toSchema, after, 10);
  const events: ProgressEvent[] = [];
  store.resetReads();
  const diff = await diffTables(from, to, store, { progress: (event) => events.push(event) });
  const changes: RowChange[] = [];
  for await (const change of diff.rows) changes.push(change);
  return { changes, events, chunks: from.manifest.chunks.length + to.manifest.chunks.length, reads: store.reads.length };
}

describe('diff progress', () => {
  it('counts every chunk of both sides, read or skipped unread, from 0 to the total', async () => {
    const { changes, events, chunks, reads } = await walk(people, rows(200), rows(200, 150));
    expect(changes).toHaveLength(1);
    expect(reads).toBe(2); // 19 of the 20 chunk pairs are equal and skipped
    expect(events[0]).toEqual({ phase: 'Comparing chunks', done: 0, total: chunks, unit: 'chunks' });
    expect(events.at(-1)).toEqual({ phase: 'Comparing chunks', done: chunks, total: chunks, unit: 'chunks' });
    expect(events.map((e) => e.done)).toEqual(Array.from({ length: chunks + 1 }, (_, i) => i));
  });

  it('reports the same way for a keyless table and for a side re-sorted by a new key', async () => {
    const keyless = await walk(bag, rows(100), rows(100, 42));
    expect(keyless.events.at(-1)).toMatchObject({ done: keyless.chunks, total: keyless.chunks });
    const rekeyed = await walk(people, rows(100), rows(100), withKey(people, ['name']));
    expect(rekeyed.events.at(-1)).toMatchObject({ done: rekeyed.chunks, total: rekeyed.chunks });
  });

  it('changes no row of the diff', async () => {
    const store = new MemoryChunkStore();
    const from = makeTable(store, people, rows(120), 10);
    const to = makeTable(store, people, rows(120, 7), 10);
    const plain: RowChange[] = [];
    for await (const change of (await diffTables(from, to, store)).rows) plain.push(change);
    const { changes } = await walk(people, rows(120), rows(120, 7));
    expect(changes).toEqual(plain);
  });
});
