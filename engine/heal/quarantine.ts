import { SchemaMismatchError } from '../errors/index.js';
import type { Repository } from '../repository/repository.js';
import { createTableSchema, keyColumnIndexes, keyColumnNames, validateTableName, withAddedColumn, type TableSchema } from '../schema/schema.js';
import type { ObjectId } from '../store/object-store.js';
import { applyEdits } from '../table/apply-edits.js';
import { writeTableTree, type ObjectWriter } from '../table/table-tree.js';
import type { ChunkReader, ChunkWriter } from '../table/table-version.js';
import { compareKeys, type Row } from '../value/value.js';

/** The column of a quarantine table that says why each row is there. */
export const QUARANTINE_REASON_COLUMN = '_dgit_reason';

/** Where the rows of `table` that cannot be fixed are kept: `<table>__quarantine`. */
export function quarantineTableName(table: string): string {
  return `${table}__quarantine`;
}

/**
 * The tree of `table`'s quarantine table in `root` (a stored tree) with `rows` (in
 * `schema`'s column order) added; created when missing with the table's columns
 * and key plus `_dgit_reason`. A quarantine table made for an older schema of the
 * table gains the columns added since; a column whose type changed is an error.
 */
export async function quarantineTableTree(
  repository: Repository,
  io: { writer: ObjectWriter; chunks: ChunkReader & ChunkWriter },
  root: ObjectId,
  table: string,
  schema: TableSchema,
  rows: ReadonlyArray<{ row: Row; reason: string }>,
): Promise<ObjectId> {
  const name = quarantineTableName(table);
  validateTableName(name);
  if (schema.columns.some((c) => c.name === QUARANTINE_REASON_COLUMN))
    throw new SchemaMismatchError(`table ${table} has a column named ${QUARANTINE_REASON_COLUMN}, which its quarantine table needs for the reason`, table);
  const existing = await repository.readTable(root, name);
  let target: TableSchema;
  if (!existing) {
    target = createTableSchema(
      [...schema.columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable })), { name: QUARANTINE_REASON_COLUMN, type: 'Utf8' as const, nullable: true }],
      keyColumnNames(schema),
    );
  } else {
    target = existing.schema;
    if (keyColumnNames(target).join('\u0000') !== keyColumnNames(schema).join('\u0000'))
      throw new SchemaMismatchError(`${name} is keyed by (${keyColumnNames(target).join(', ')}), but ${table} by (${keyColumnNames(schema).join(', ')})`, name);
    for (const column of [...schema.columns, { name: QUARANTINE_REASON_COLUMN, type: 'Utf8' as const }]) {
      const present = target.columns.find((c) => c.name === column.name);
      if (!present) target = withAddedColumn(target, column.name, column.type);
      else if (present.type !== column.type) throw new SchemaMismatchError(`${name}.${column.name} is ${present.type}, but ${table}.${column.name} is ${column.type}`, name);
    }
  }
  const sourceIndex = new Map(schema.columns.map((c, i) => [c.name, i]));
  const upserts: Row[] = rows.map(({ row, reason }) =>
    target.columns.map((column) => (column.name === QUARANTINE_REASON_COLUMN ? reason : sourceIndex.has(column.name) ? row[sourceIndex.get(column.name)!]! : null)),
  );
  const keyIndexes = keyColumnIndexes(target);
  const keyOf = (row: Row) => keyIndexes.map((i) => row[i]!);
  upserts.sort((a, b) => compareKeys(keyOf(a), keyOf(b)));
  const manifest = existing?.manifest ?? { chunks: [] };
  const applied = await applyEdits(target, manifest, { upserts, deletes: [] }, { reader: io.chunks, writer: io.chunks });
  return writeTableTree({ schema: target, manifest: applied.manifest }, io.writer);
}
