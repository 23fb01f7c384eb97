import type { Column, TableSchema } from '../schema/schema.js';
import type { ColumnType } from '../schema/types.js';

/** A column present on both sides (same id) whose name, type or nullability changed. */
export interface ColumnChange {
  id: number;
  /** The name after the change. */
  name: string;
  /** Set when the column was renamed: its name before. */
  previousName?: string;
  type?: { from: ColumnType; to: ColumnType };
  nullable?: { from: boolean; to: boolean };
}

/** Schema changes between two versions of a table, columns matched by stable id. */
export interface SchemaChanges {
  added: Column[];
  dropped: Column[];
  changed: ColumnChange[];
  /** Set when the primary key changed: key column names before and after ([] for a keyless table). */
  primaryKey?: { from: string[]; to: string[] };
}

function keyNames(schema: TableSchema | undefined): string[] {
  if (!schema) return [];
  return schema.primaryKey.map((id) => schema.columns.find((c) => c.id === id)?.name ?? `#${id}`);
}

/**
 * Schema changes from `from` to `to`. Columns are matched by id, so a rename is
 * one changed column, not a drop and an add. A table that appears has all its
 * columns added; one that disappears has them all dropped.
 */
export function diffSchemas(from: TableSchema | undefined, to: TableSchema | undefined): SchemaChanges {
  const fromColumns = from?.columns ?? [];
  const toColumns = to?.columns ?? [];
  const fromById = new Map(fromColumns.map((c) => [c.id, c]));
  const toIds = new Set(toColumns.map((c) => c.id));
  const retyped = retypedColumns(fromColumns, toColumns);
  const retypedTo = new Map([...retyped].map(([fromId, toId]) => [toId, fromById.get(fromId)!]));
  const changes: SchemaChanges = {
    added: toColumns.filter((c) => !fromById.has(c.id) && !retypedTo.has(c.id)),
    dropped: fromColumns.filter((c) => !toIds.has(c.id) && !retyped.has(c.id)),
    changed: [],
  };
  for (const after of toColumns) {
    const before = fromById.get(after.id) ?? retypedTo.get(after.id);
    if (!before) continue;
    const change: ColumnChange = { id: after.id, name: after.name };
    if (before.name !== after.name) change.previousName = before.name;
    if (before.type !== after.type) change.type = { from: before.type, to: after.type };
    if (before.nullable !== after.nullable) change.nullable = { from: before.nullable, to: after.nullable };
    if (change.previousName !== undefined || change.type || change.nullable) changes.changed.push(change);
  }
  if (from && to && !sameIds(from.primaryKey, to.primaryKey)) changes.primaryKey = { from: keyNames(from), to: keyNames(to) };
  return changes;
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

/**
 * Columns retyped: a retype gives a column a new id (so a merge never mixes values
 * of the old type into it), but a reader sees one column whose type changed. A
 * column only `from` has and one only `to` has, under the same name and of
 * different types, are that; returned as `from` id -> `to` id.
 */
export function retypedColumns(fromColumns: readonly Column[], toColumns: readonly Column[]): Map<number, number> {
  const fromIds = new Set(fromColumns.map((c) => c.id));
  const toIds = new Set(toColumns.map((c) => c.id));
  const out = new Map<number, number>();
  for (const before of fromColumns) {
    if (toIds.has(before.id)) continue;
    const after = toColumns.find((c) => c.name === before.name && !fromIds.has(c.id) && c.type !== before.type);
    if (after) out.set(before.id, after.id);
  }
  return out;
}

/** Whether a schema diff holds any change. */
export function hasSchemaChanges(changes: SchemaChanges): boolean {
  return changes.added.length > 0 || changes.dropped.length > 0 || changes.changed.length > 0 || changes.primaryKey !== undefined;
}

/** Two schemas describe the same table shape (columns, their order, key). */
export function schemasEqual(a: TableSchema, b: TableSchema): boolean {
  return (
    sameIds(a.primaryKey, b.primaryKey) &&
    a.columns.length === b.columns.length &&
    a.columns.every((c, i) => {
      const d = b.columns[i]!;
      return c.id === d.id && c.name === d.name && c.type === d.type && c.nullable === d.nullable;
    })
  );
}
