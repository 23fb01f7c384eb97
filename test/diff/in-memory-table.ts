import { createHash } from 'node:crypto';
import type { ChunkEntry, ChunkId } from '../../engine/chunking/manifest.js';
import { createTableSchema, withAddedColumn, keyColumnIndexes, type Column, type TableSchema } from '../../engine/schema/schema.js';
import type { ColumnType } from '../../engine/schema/types.js';
import type { ChunkReader, RowEdits, TableVersion } from '../../engine/table/table-version.js';
import { convertValue } from '../../engine/diff/column-alignment.js';
import { compareKeys, type Row, type Value } from '../../engine/value/value.js';

/**
 * Chunks held in memory, by id, with the column names they were written with, so a
 * chunk written before a column was added lacks it and reads as null, as on disk.
 * Counts reads, to prove which chunks diff and merge touch.
 */
export class MemoryChunkStore implements ChunkReader {
  private readonly chunks = new Map<string, { names: string[]; rows: Row[] }>();
  readonly reads: string[] = [];

  async readRows(id: ChunkId, columns: readonly Column[]): Promise<Row[]> {
    const chunk = this.chunks.get(id);
    if (!chunk) throw new Error(`no chunk ${id}`);
    this.reads.push(id);
    const positions = columns.map((c) => chunk.names.indexOf(c.stored ?? c.name));
    return chunk.rows.map((row) => positions.map((p) => (p < 0 ? null : row[p]!)));
  }

  write(columns: readonly Column[], rows: Row[]): ChunkId {
    const names = columns.map((c) => c.stored ?? c.name);
    const id = createHash('sha1').update(canonical([names, rows])).digest('hex') as ChunkId;
    this.chunks.set(id, { names, rows });
    return id;
  }

  resetReads(): void {
    this.reads.length = 0;
  }
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? `bytes:${Buffer.from(v).toString('hex')}` : v,
  );
}

export function keyOf(schema: TableSchema, row: Row): Value[] {
  return keyColumnIndexes(schema).map((i) => row[i] ?? null);
}

export function sortRows(schema: TableSchema, rows: Row[]): Row[] {
  return [...rows].sort((a, b) => compareKeys(keyOf(schema, a), keyOf(schema, b)));
}

/** A table version of `rows` (any order), chunked every `chunkRows` rows after sorting by key. */
export function makeTable(store: MemoryChunkStore, schema: TableSchema, rows: Row[], chunkRows = 3): TableVersion {
  const sorted = sortRows(schema, rows);
  const chunks: ChunkEntry[] = [];
  for (let start = 0; start < sorted.length; start += chunkRows) {
    const part = sorted.slice(start, start + chunkRows);
    chunks.push({
      id: store.write(schema.columns, part),
      rows: part.length,
      first: keyOf(schema, part[0]!),
      last: keyOf(schema, part[part.length - 1]!),
    });
  }
  return { schema, manifest: { chunks } };
}

export function schemaOf(columns: Array<[string, ColumnType]>, key: string[]): TableSchema {
  return createTableSchema(
    columns.map(([name, type]) => ({ name, type })),
    key,
  );
}

/** The id of the column named `name` in `schema` (ids derive from name and type, so tests look them up rather than hard-code them). */
export function idOf(schema: TableSchema, name: string): number {
  const column = schema.columns.find((c) => c.name === name);
  if (!column) throw new Error(`no column ${JSON.stringify(name)} in the schema`);
  return column.id;
}

/** The schema keyed by the named columns, in key order (as a key change on a branch writes it). */
export function withKey(schema: TableSchema, names: string[]): TableSchema {
  return { ...schema, primaryKey: names.map((name) => idOf(schema, name)) };
}

/** Adds a nullable column to a schema, as ALTER TABLE ADD COLUMN does: a new id, existing chunks untouched. */
export function addColumn(schema: TableSchema, name: string, type: ColumnType): TableSchema {
  return withAddedColumn(schema, name, type);
}

export function renameColumn(schema: TableSchema, from: string, to: string): TableSchema {
  return { ...schema, columns: schema.columns.map((c) => (c.name === from ? { ...c, name: to } : c)) };
}

export function dropColumn(schema: TableSchema, name: string): TableSchema {
  return { ...schema, columns: schema.columns.filter((c) => c.name !== name) };
}

export function retypeColumn(schema: TableSchema, name: string, type: ColumnType): TableSchema {
  return { ...schema, columns: schema.columns.map((c) => (c.name === name ? { ...c, type } : c)) };
}

/** Rows of a table, read whole, in key order. */
export async function readAll(store: MemoryChunkStore, version: TableVersion | undefined): Promise<Row[]> {
  if (!version) return [];
  const rows: Row[] = [];
  for (const chunk of version.manifest.chunks) rows.push(...(await store.readRows(chunk.id, version.schema.columns)));
  return rows;
}

/**
 * Applies merge edits the simplest way: rows of `ours` re-read under the merged
 * schema (columns by id, missing ones null), then deletes and upserts by key
 * (for a bag: one copy removed per delete, one added per upsert).
 */
export async function applyEdits(
  store: MemoryChunkStore,
  ours: TableVersion | undefined,
  merged: TableSchema,
  edits: RowEdits,
): Promise<Row[]> {
  const source = await readAll(store, ours);
  const rows: Row[] = source.map((row) =>
    merged.columns.map((column) => {
      const index = ours ? ours.schema.columns.findIndex((c) => c.id === column.id) : -1;
      return index < 0 ? null : convertValue(row[index]!, ours!.schema.columns[index]!.type, column.type);
    }),
  );
  const keyless = merged.primaryKey.length === 0;
  const same = (a: Value[], b: Value[]) => compareKeys(a, b) === 0;
  for (const deleted of edits.deletes) {
    const at = rows.findIndex((row) => same(keyOf(merged, row), deleted));
    if (at < 0) throw new Error(`delete of a key not in ours: ${canonical(deleted)}`);
    rows.splice(at, 1);
  }
  for (const row of edits.upserts) {
    const at = keyless ? -1 : rows.findIndex((r) => same(keyOf(merged, r), keyOf(merged, row)));
    if (at >= 0) rows[at] = row;
    else rows.push(row);
  }
  return sortRows(merged, rows);
}

/** Rows as objects by column name, sorted, so two results compare whatever their column order or ids. */
export function rowsByName(schema: TableSchema | undefined, rows: Row[]): string[] {
  if (!schema) return [];
  return rows
    .map((row) => {
      const entries = schema.columns.map((c, i) => [c.name, row[i] ?? null] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return canonical(Object.fromEntries(entries));
    })
    .sort();
}
