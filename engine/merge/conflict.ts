import type { TableSchema } from '../schema/schema.js';
import type { ColumnType } from '../schema/types.js';
import { keyColumnIndexes } from '../schema/schema.js';
import { rowToJson, toJsonValue, type Row, type Value } from '../value/value.js';

/**
 * Row conflict kinds, as CLI.md names them: `delete-update` is ours deleted and
 * theirs updated the row, `update-delete` the reverse.
 */
export type RowConflictKind = 'cell' | 'delete-update' | 'update-delete' | 'add-add' | 'bag';

/** A row both sides changed incompatibly. Rows are in the merged schema's column order. */
export interface Conflict {
  kind: RowConflictKind;
  key: Value[];
  /** Absent when the row was added on both sides. */
  base?: Row;
  /** Absent when ours deleted the row. */
  ours?: Row;
  /** Absent when theirs deleted the row. */
  theirs?: Row;
  /** Names of the columns in conflict (for `cell`) or changed by the side that kept the row. */
  columns: string[];
  /** For `bag` (a keyless table): how many copies of the row base, ours and theirs hold. */
  counts?: { base: number; ours: number; theirs: number };
}

export type SchemaConflictReason =
  | 'column-type'
  | 'column-name'
  | 'column-name-clash'
  | 'column-drop-update'
  | 'column-update-drop'
  | 'column-drop-edit'
  | 'column-edit-drop'
  | 'primary-key'
  | 'table-delete-update'
  | 'table-update-delete'
  /** A column that does not allow nulls on one side, and rows from the other side that have no value in it. */
  | 'column-not-null';

/** What one side holds of the thing in conflict: a column, a primary key, or a table (or nothing: undefined). */
export interface SchemaSnapshot {
  name?: string;
  type?: ColumnType;
  nullable?: boolean;
  primaryKey?: string[];
}

/** A schema change both sides made incompatibly; rows of the table are then not merged. */
export interface SchemaConflict {
  kind: 'schema';
  reason: SchemaConflictReason;
  /** Column names concerned (empty for a table-level conflict). */
  columns: string[];
  message: string;
  base?: SchemaSnapshot;
  ours?: SchemaSnapshot;
  theirs?: SchemaSnapshot;
  /** For a column dropped on one side and edited on the other: keys of the edited rows (JSON, by column name; at most `ROW_SAMPLE`), and how many there are. */
  rows?: Array<Record<string, unknown>>;
  rowCount?: number;
}

/** A conflict in the JSON shape of `dgit conflicts --json`. */
export function conflictToJson(schema: TableSchema, conflict: Conflict): Record<string, unknown> {
  const columns = schema.columns;
  const keyColumns = keyColumnIndexes(schema).map((i) => columns[i]!);
  const key: Record<string, unknown> = {};
  keyColumns.forEach((column, i) => (key[column.name] = toJsonValue(column.type, conflict.key[i] ?? null)));
  const row = (r: Row | undefined) => (r ? rowToJson(columns, r) : null);
  return {
    key,
    kind: conflict.kind,
    base: row(conflict.base),
    ours: row(conflict.ours),
    theirs: row(conflict.theirs),
    columns: conflict.columns,
    ...(conflict.counts ? { counts: conflict.counts } : {}),
  };
}

/** A schema conflict in the same list as row conflicts: kind `schema`, no key. */
export function schemaConflictToJson(conflict: SchemaConflict): Record<string, unknown> {
  return {
    key: null,
    kind: 'schema',
    reason: conflict.reason,
    base: conflict.base ?? null,
    ours: conflict.ours ?? null,
    theirs: conflict.theirs ?? null,
    columns: conflict.columns,
    message: conflict.message,
    ...(conflict.rows ? { rows: conflict.rows, row_count: conflict.rowCount ?? conflict.rows.length } : {}),
  };
}
