import { describe, expect, it } from 'vitest';
import type { ChunkId } from '../../engine/chunking/manifest.js';
import type { LazyChunkReader, LazyRows } from '../../engine/diff/lazy-rows.js';
import { diffTables, type RowChange } from '../../engine/diff/index.js';
import { mergeTables } from '../../engine/merge/index.js';
import type { Column, TableSchema } from '../../engine/schema/schema.js';
import type { TableVersion } from '../../engine/table/table-version.js';
import type { Row, Value } from '../../engine/value/value.js';
import { LazyChunkRows, arrowToRows, decodeChunk, encodeChunk, rowsToArrow } from '../../engine/store/parquet/chunk-codec.js';
import { addColumn, makeTable, MemoryChunkStore, schemaOf } from './in-memory-table.js';

/**
 * The chunks of a MemoryChunkStore, each round-tripped through real Parquet bytes,
 * read either whole (readRows) or on demand (readLazyRows, the path GitChunkStore
 * takes in a diff). Both must give the diff and merge the memory store gives.
 */
class ParquetChunkStore implements LazyChunkReader {
  private readonly tables = new Map<string, ReturnType<typeof decodeChunk>>();
  constructor(private readonly memory: MemoryChunkStore) {}

  private async table(id: ChunkId, columns: readonly Column[]) {
    let table = this.tables.get(id);
    if (!table) {
      // Written under the columns the chunk was written with (memory keeps rows by name).
      const stored = await this.memory.readRows(id, columns);
      const present = columns.filter((_, i) => stored.some((row) => row[i] !== null) || this.memory_has(id, columns[i]!));
      const rows = stored.map((row) => present.map((c) => row[columns.indexOf(c)]!));
      table = decodeChunk(encodeChunk(rowsToArrow(present, rows), present), id);
      this.tables.set(id, table);
    }
    return table;
  }

  private memory_has(id: ChunkId, column: Column): boolean {
    return (this.memory as unknown as { chunks: Map<string, { names: string[] }> }).chunks.get(id)!.names.includes(column.name);
  }

  /** Chunks read whole and on demand. */
  readonly calls = { rows: 0, lazy: 0 };

  async readRows(id: ChunkId, columns: readonly Column[]): Promise<Row[]> {
    this.calls.rows++;
    return arrowToRows(await this.table(id, columns), columns);
  }

  async readLazyRows(id: ChunkId, columns: readonly Column[], keyIndexes: readonly number[]): Promise<LazyRows> {
    this.calls.lazy++;
    return new LazyChunkRows(await this.table(id, columns), columns, keyIndexes);
  }
}

const jsonOf = (value: unknown) =>
  JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? `bytes:${Buffer.from(v).toString('hex')}` : Object.is(v, -0) ? '-0' : typeof v === 'number' && Number.isNaN(v) ? 'NaN' : v));

async function changes(from: TableVersion, to: TableVersion, reader: MemoryChunkStore | ParquetChunkStore): Promise<RowChange[]> {
  const out: RowChange[] = [];
  for await (const change of (await diffTables(from, to, reader)).rows) out.push(change);
  return out;
}

/** A small deterministic generator, so a failure reproduces. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const STRINGS = ['', 'a', 'ab', 'JFK', 'LAX', 'é', 'naïve café', 'x'.repeat(40), '東京', 'zz\u0000z'];
const FLOATS = [0, -0, 1.5, -2.25, NaN, Infinity, 1e300];

function cell(type: string, rnd: () => number): Value {
  if (rnd() < 0.15) return null;
  switch (type) {
    case 'Int64':
    case 'Timestamp<s>':
    case 'Timestamp<us>':
      return BigInt(Math.floor(rnd() * 5) - 2) * (rnd() < 0.5 ? 1n : 1n << 40n);
    case 'Int32':
      return Math.floor(rnd() * 5) - 2;
    case 'Float64':
      return FLOATS[Math.floor(rnd() * FLOATS.length)]!;
    case 'Utf8':
      return STRINGS[Math.floor(rnd() * STRINGS.length)]!;
    case 'Bool':
      return rnd() < 0.5;
    case 'Binary':
      return Uint8Array.from({ length: Math.floor(rnd() * 3) }, () => Math.floor(rnd() * 3));
    default:
      throw new Error(type);
  }
}

const COLUMNS: Array<[string, 'Int64' | 'Int32' | 'Float64' | 'Utf8' | 'Bool' | 'Binary' | 'Timestamp<s>' | 'Timestamp<us>']> = [
  ['id', 'Int64'],
  ['n', 'Int32'],
  ['f', 'Float64'],
  ['s', 'Utf8'],
  ['b', 'Bool'],
  ['bytes', 'Binary'],
  ['ts', 'Timestamp<s>'],
  ['tu', 'Timestamp<us>'],
];

function tables(seed: number): { memory: MemoryChunkStore; before: TableVersion; after: TableVersion; other: TableVersion; schema: TableSchema } {
  const rnd = random(seed);
  const schema = schemaOf(COLUMNS, ['id']);
  const memory = new MemoryChunkStore();
  const rows: Row[] = [];
  for (let id = 0; id < 120; id++) rows.push(COLUMNS.map(([name, type]) => (name === 'id' ? BigInt(id * 2) : cell(type, rnd))));
  const edit = (source: Row[]) =>
    source.flatMap((row): Row[] => {
      const r = rnd();
      if (r < 0.05) return []; // deleted
      if (r < 0.1) return [row, [BigInt((row[0] as bigint) + 1n), ...row.slice(1)]]; // an added neighbour
      if (r < 0.35) {
        // one or more cells re-drawn (often to an equal value: such rows must not show)
        const copy = [...row];
        for (let c = 1; c < copy.length; c++) if (rnd() < 0.4) copy[c] = cell(COLUMNS[c]![1], rnd);
        return [copy];
      }
      return [[...row]];
    });
  const before = makeTable(memory, schema, rows, 7);
  const after = makeTable(memory, schema, edit(rows), 9);
  const other = makeTable(memory, schema, edit(rows), 7);
  return { memory, before, after, other, schema };
}

describe('diff over chunks read on demand', () => {
  it('gives exactly the changes of rows read whole, on every column type (nulls, NaN, -0, UTF-8, bytes)', async () => {
    for (let seed = 1; seed <= 12; seed++) {
      const { memory, before, after } = tables(seed);
      const expected = await changes(before, after, memory);
      const parquet = new ParquetChunkStore(memory);
      expect(jsonOf(await changes(before, after, parquet))).toBe(jsonOf(expected));
      expect(jsonOf(await changes(after, before, parquet))).toBe(jsonOf(await changes(after, before, memory)));
      expect(expected.length).toBeGreaterThan(0);
    }
  });

  it('a chunk written before a column was added compares equal to rows with that column null', async () => {
    const { memory, before, schema } = tables(99);
    const widened = addColumn(schema, 'extra', 'Utf8');
    const oldChunks: TableVersion = { schema: widened, manifest: before.manifest };
    const rows: Row[] = [];
    for (const chunk of before.manifest.chunks) for (const row of await memory.readRows(chunk.id, schema.columns)) rows.push([...row, null]);
    rows[5] = [...rows[5]!.slice(0, -1), 'set'];
    const rewritten = makeTable(memory, widened, rows, 5);
    const parquet = new ParquetChunkStore(memory);
    expect(jsonOf(await changes(oldChunks, rewritten, parquet))).toBe(jsonOf(await changes(oldChunks, rewritten, memory)));
    expect((await changes(oldChunks, rewritten, parquet)).length).toBe(1);
  });

  it('a version from before columns were added is read on demand too, the new columns as nulls, both ways', async () => {
    for (let seed = 1; seed <= 6; seed++) {
      const { memory, before, schema } = tables(seed);
      const widened = addColumn(addColumn(schema, 'extra', 'Utf8'), 'more', 'Int64');
      const rows: Row[] = [];
      for (const chunk of before.manifest.chunks) for (const row of await memory.readRows(chunk.id, schema.columns)) rows.push([...row, null, null]);
      // Some rows get values in the new columns, some change an old column, one is deleted.
      for (let i = 0; i < rows.length; i += 7) rows[i] = [...rows[i]!.slice(0, -2), `x${i}`, i % 2 === 0 ? BigInt(i) : null];
      for (let i = 3; i < rows.length; i += 11) rows[i] = [rows[i]![0]!, ...rows[i]!.slice(1, -2).map(() => null), null, null];
      rows.splice(rows.length >> 1, 1);
      const later = makeTable(memory, widened, rows, 6);
      const parquet = new ParquetChunkStore(memory);
      expect(jsonOf(await changes(before, later, parquet))).toBe(jsonOf(await changes(before, later, memory)));
      expect(jsonOf(await changes(later, before, parquet))).toBe(jsonOf(await changes(later, before, memory)));
      expect((await changes(before, later, memory)).length).toBeGreaterThan(0);
      expect(parquet.calls).toMatchObject({ rows: 0 });
      expect(parquet.calls.lazy).toBeGreaterThan(0);
    }
  });

  it('a three-way merge gives the same edits and conflicts', async () => {
    for (let seed = 1; seed <= 6; seed++) {
      const { memory, before, after, other } = tables(seed);
      const expected = await mergeTables(before, after, other, memory);
      const actual = await mergeTables(before, after, other, new ParquetChunkStore(memory));
      expect(jsonOf(actual)).toBe(jsonOf(expected));
    }
  });
});
