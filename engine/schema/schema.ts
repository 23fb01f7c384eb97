import { WIDE_COLUMNS } from './wide.js';
import crypto from 'node:crypto';
import { z } from 'zod';
import { CorruptError, InvalidNameError, SchemaMismatchError } from '../errors/index.js';
import { COLUMN_TYPES, type ColumnType } from './types.js';

/**
 * Version of the on-disk table format; any change a reader must know of (the boundary
 * rule, the files a table is made of, how a chunk maps to columns) bumps it. Parquet
 * writer settings are not such a change: every Parquet reader reads every encoding
 * and compression, and wide chunks (see chunk-parquet.ts) came without a bump.
 */
export const FORMAT_VERSION = 1;

/** Content-defined chunking parameters, fixed per table at creation so boundaries never drift. */
export const ChunkingParametersSchema = z.object({
  /** Hash of a row's key that decides boundaries; only one exists today. */
  hash: z.literal('fnv1a32-fmix-v1'),
  /** Mean rows per chunk. */
  targetRows: z.number().int().min(2),
  /** No boundary before this many rows in a chunk. */
  minRows: z.number().int().min(1),
  /** A boundary is forced at this many rows. */
  maxRows: z.number().int().min(2),
}).refine((c) => c.minRows < c.targetRows && c.targetRows <= c.maxRows, { message: 'chunking needs minRows < targetRows <= maxRows' });
export type ChunkingParameters = z.infer<typeof ChunkingParametersSchema>;

/** Whether two tables are cut by the same rule (the same rows give the same chunks). */
export function sameChunking(a: ChunkingParameters, b: ChunkingParameters): boolean {
  return a.hash === b.hash && a.targetRows === b.targetRows && a.minRows === b.minRows && a.maxRows === b.maxRows;
}

export const DEFAULT_CHUNKING: ChunkingParameters = {
  hash: 'fnv1a32-fmix-v1',
  targetRows: 4096,
  minRows: 1024,
  maxRows: 24576,
};

/** Cells (rows x columns) a default chunk of a wide table aims at, at most. */
const WIDE_CHUNK_CELLS = 3 << 20;

/**
 * How a new table of `columnCount` columns is cut when nothing else is asked:
 * DEFAULT_CHUNKING, or for a wide table (more than WIDE_COLUMNS) the same rule scaled
 * down by a power of two until a chunk aims at no more than WIDE_CHUNK_CELLS cells
 * (1,024 rows for 3,000 columns). Encoding a chunk holds all of it in memory, twice
 * over, in each encoding thread; a 5,000-row chunk of 3,000 columns took 600 MiB.
 * Fewer rows per chunk also cost more per row (each chunk pays per column), hence
 * no smaller than needed, and never below 64 rows.
 */
export function defaultChunking(columnCount: number): ChunkingParameters {
  if (columnCount <= WIDE_COLUMNS) return DEFAULT_CHUNKING;
  let scale = 1;
  while (DEFAULT_CHUNKING.targetRows / scale > 64 && (DEFAULT_CHUNKING.targetRows / scale) * columnCount > WIDE_CHUNK_CELLS) scale *= 2;
  return {
    hash: DEFAULT_CHUNKING.hash,
    targetRows: DEFAULT_CHUNKING.targetRows / scale,
    minRows: DEFAULT_CHUNKING.minRows / scale,
    maxRows: DEFAULT_CHUNKING.maxRows / scale,
  };
}

export const ColumnSchema = z.object({
  /** Stable id: survives renames, so diff and merge tell a rename from a drop plus an add (see `columnId`). */
  id: z.number().int().min(1),
  name: z.string(),
  type: z.enum(COLUMN_TYPES),
  nullable: z.boolean(),
  /**
   * The name chunk files hold the column under, when it differs from `name`: a
   * rename changes only the schema, so chunks written before it (and after it, until
   * the table is rewritten) keep the column's earlier name. See `storedColumns`.
   */
  stored: z.string().optional(),
});
export type Column = z.infer<typeof ColumnSchema>;

export const TableSchemaSchema = z.object({
  formatVersion: z.literal(FORMAT_VERSION),
  columns: z.array(ColumnSchema).min(1),
  /** Ids of the primary-key columns in key order; empty for a keyless table (a bag). */
  primaryKey: z.array(z.number().int()),
  chunking: ChunkingParametersSchema,
});
export type TableSchema = z.infer<typeof TableSchemaSchema>;

const CONTROL = /[\u0000-\u001f\u007f]/;

/** Table names are path segments and SQL identifiers: keep them plain. */
export function validateTableName(name: string): void {
  if (name.length === 0) throw new InvalidNameError('table', name, 'it is empty');
  if (name.length > 128) throw new InvalidNameError('table', name, 'it is longer than 128 characters');
  if (CONTROL.test(name)) throw new InvalidNameError('table', name, 'it contains a control character');
  if (name.includes('/') || name.includes('\\')) throw new InvalidNameError('table', name, 'it contains a slash');
  if (name.includes('..')) throw new InvalidNameError('table', name, 'it contains ".."');
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name))
    throw new InvalidNameError('table', name, 'use letters, digits, "_", "-" and "." and start with a letter or "_"');
}

export function validateColumnName(name: string): void {
  if (name.length === 0) throw new InvalidNameError('column', name, 'it is empty');
  if (name.length > 255) throw new InvalidNameError('column', name, 'it is longer than 255 characters');
  if (CONTROL.test(name)) throw new InvalidNameError('column', name, 'it contains a control character');
  if (name.includes('/')) throw new InvalidNameError('column', name, 'it contains a slash');
  if (name.includes('..')) throw new InvalidNameError('column', name, 'it contains ".."');
  if (name.trim() !== name) throw new InvalidNameError('column', name, 'it starts or ends with white space');
}

/** A new table's schema from its columns and key column names. */
export function createTableSchema(
  columns: Array<{ name: string; type: ColumnType; nullable?: boolean }>,
  keyNames: string[],
  chunking: ChunkingParameters = defaultChunking(columns.length),
): TableSchema {
  const seen = new Set<string>();
  for (const column of columns) {
    validateColumnName(column.name);
    if (seen.has(column.name)) throw new SchemaMismatchError(`column ${JSON.stringify(column.name)} appears twice`, column.name);
    seen.add(column.name);
  }
  const taken = new Set<number>();
  const built: Column[] = columns.map((column) => {
    const id = columnId(column.name, column.type, taken);
    taken.add(id);
    return { id, name: column.name, type: column.type, nullable: keyNames.includes(column.name) ? false : column.nullable ?? true };
  });
  const primaryKey = keyNames.map((name) => {
    const column = built.find((c) => c.name === name);
    if (!column) throw new SchemaMismatchError(`key column ${JSON.stringify(name)} is not in the data`, name);
    return column.id;
  });
  if (new Set(primaryKey).size !== primaryKey.length) throw new SchemaMismatchError('a key column is named twice', keyNames.join(','));
  return { formatVersion: FORMAT_VERSION, columns: built, primaryKey, chunking };
}

/**
 * The id of a new column, derived from its name and type (48 bits of SHA-1). Two
 * branches that add the same column give it the same id, and different columns
 * get different ids, with no counter to collide on (sequential ids did: both
 * branches' first new column got the same number). `taken` holds the ids already
 * in the schema; on the rare clash the hash is salted until free.
 */
export function columnId(name: string, type: string, taken: ReadonlySet<number> = new Set()): number {
  for (let salt = 0; ; salt++) {
    const digest = crypto.createHash('sha1').update(`${name}\u0000${type}\u0000${salt}`).digest();
    const id = digest.readUIntBE(0, 6) || 1;
    if (!taken.has(id)) return id;
  }
}

/** A schema with a nullable column added (existing chunks untouched: they read it as null). */
export function withAddedColumn(schema: TableSchema, name: string, type: ColumnType): TableSchema {
  validateColumnName(name);
  if (schema.columns.some((c) => c.name === name)) throw new SchemaMismatchError(`column ${JSON.stringify(name)} already exists`, name);
  const id = columnId(name, type, new Set(schema.columns.map((c) => c.id)));
  return { ...schema, columns: [...schema.columns, { id, name, type, nullable: true }] };
}

export function parseTableSchema(text: string, where: string): TableSchema {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CorruptError(`schema is not valid JSON`, where, error);
  }
  const parsed = TableSchemaSchema.safeParse(json);
  if (!parsed.success) throw new CorruptError(`schema is invalid: ${parsed.error.issues[0]?.message ?? 'unknown'}`, where);
  return parsed.data;
}

/** Canonical bytes of a schema: stable key order, so equal schemas give equal blob ids. */
export function serializeTableSchema(schema: TableSchema): string {
  const ordered = {
    formatVersion: schema.formatVersion,
    columns: schema.columns.map((c) => ({ id: c.id, name: c.name, type: c.type, nullable: c.nullable, ...(storedName(c) !== c.name ? { stored: storedName(c) } : {}) })),
    primaryKey: schema.primaryKey,
    chunking: {
      hash: schema.chunking.hash,
      targetRows: schema.chunking.targetRows,
      minRows: schema.chunking.minRows,
      maxRows: schema.chunking.maxRows,
    },
  };
  return JSON.stringify(ordered, null, 2) + '\n';
}

/** Indexes (into `schema.columns`) of the columns that make a row's key: the key columns, or every column for a bag. */
export function keyColumnIndexes(schema: TableSchema): number[] {
  if (schema.primaryKey.length === 0) return schema.columns.map((_, index) => index);
  return schema.primaryKey.map((id) => {
    const index = schema.columns.findIndex((c) => c.id === id);
    if (index < 0) throw new CorruptError(`primary key names column id ${id}, which is not in the schema`);
    return index;
  });
}

export function isKeyless(schema: TableSchema): boolean {
  return schema.primaryKey.length === 0;
}

export function keyColumnNames(schema: TableSchema): string[] {
  return schema.primaryKey.map((id) => schema.columns.find((c) => c.id === id)!.name);
}

/** The name a column has in chunk files (see `Column.stored`). */
export function storedName(column: Column): string {
  return column.stored ?? column.name;
}

/** The columns as chunk files hold them: each named by its stored name. What chunk readers and writers use. */
export function storedColumns(columns: readonly Column[]): Column[] {
  return columns.map((c) => (c.stored === undefined ? c : { id: c.id, name: c.stored, type: c.type, nullable: c.nullable }));
}

/** The same columns, every one stored under its own name: the schema of a table whose chunks are all rewritten. */
export function withoutStoredNames(columns: readonly Column[]): Column[] {
  return columns.map((c) => ({ id: c.id, name: c.name, type: c.type, nullable: c.nullable }));
}

/** Whether two columns' stored names clash, which chunk files cannot hold: then the table must be rewritten. */
export function storedNamesClash(columns: readonly Column[]): boolean {
  return new Set(columns.map(storedName)).size !== columns.length;
}
