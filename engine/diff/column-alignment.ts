import type { Column, TableSchema } from '../schema/schema.js';
import { isKeyless, keyColumnIndexes } from '../schema/schema.js';
import type { ColumnType } from '../schema/types.js';
import type { ChunkReader, TableVersion } from '../table/table-version.js';
import { fromJsonValue, toJsonValue, valuesEqual, type Row, type Value } from '../value/value.js';

/**
 * A column of the space two table versions are compared in. Diff and merge compare
 * rows column by column *by id*, not by name or position, so a rename is not a
 * change of every cell and a column a chunk lacks reads as null.
 */
export interface TargetColumn {
  id: number;
  name: string;
  type: ColumnType;
}

/** How one side's rows map onto the target columns. */
export interface SideProjection {
  version: TableVersion | undefined;
  /** For each target column, the index of the side's column that feeds it, or -1 (reads as null). */
  sourceIndexes: number[];
  /** The side's rows already are target rows: same columns, same order, same types. */
  identity: boolean;
  /**
   * The side's manifest order is the target key order (so chunk key ranges can be
   * aligned and identical chunks skipped); otherwise its rows are read whole and re-sorted.
   */
  sortedByTargetKey: boolean;
}

/** Two sides aligned on one set of target columns and one key. */
export interface JoinPlan {
  columns: TargetColumn[];
  /** Indexes into `columns` of the key, in key order; every column for a keyless table. */
  keyIndexes: number[];
  /** A bag: rows are their own key and compared by count. */
  keyless: boolean;
  /**
   * Rows are compared on the first `comparedColumns` columns. The rest (columns
   * only `from` has, which a diff shows for context) never make a row differ, so a
   * dropped column is a schema change, whether or not its chunks were rewritten.
   */
  comparedColumns: number;
  from: SideProjection;
  to: SideProjection;
}

/**
 * The projection of `version` onto `columns`, matching a side column to a target
 * column when `targetIdOf(sideColumn)` is the target column's id.
 */
export function projectSide(
  version: TableVersion | undefined,
  columns: readonly TargetColumn[],
  keyIndexes: readonly number[],
  keyless: boolean,
  targetIdOf: (column: Column) => number = (column) => column.id,
): SideProjection {
  if (!version) return { version, sourceIndexes: columns.map(() => -1), identity: false, sortedByTargetKey: true };
  const sideColumns = version.schema.columns;
  const byTargetId = new Map<number, number>();
  sideColumns.forEach((column, index) => byTargetId.set(targetIdOf(column), index));
  const sourceIndexes = columns.map((column) => byTargetId.get(column.id) ?? -1);
  const identity =
    sideColumns.length === columns.length &&
    sourceIndexes.every((source, target) => source === target && sideColumns[source]!.type === columns[target]!.type);
  return { version, sourceIndexes, identity, sortedByTargetKey: sortsByTargetKey(version.schema, sourceIndexes, columns, keyIndexes, keyless) };
}

/**
 * Whether the side's stored order is the target key order: its key columns are the
 * target key's first columns with the same types, and the target key's other
 * columns are absent from the side (they read as null, which sorts first and so
 * keeps the order). A keyless side is sorted by all its columns in schema order.
 */
function sortsByTargetKey(
  schema: TableSchema,
  sourceIndexes: readonly number[],
  columns: readonly TargetColumn[],
  keyIndexes: readonly number[],
  keyless: boolean,
): boolean {
  if (isKeyless(schema) !== keyless) return false;
  const sideKey = keyColumnIndexes(schema);
  if (sideKey.length > keyIndexes.length) return false;
  for (let i = 0; i < keyIndexes.length; i++) {
    const target = keyIndexes[i]!;
    const source = sourceIndexes[target]!;
    if (i < sideKey.length) {
      if (source !== sideKey[i] || schema.columns[source]!.type !== columns[target]!.type) return false;
    } else if (source !== -1) {
      return false;
    }
  }
  return true;
}

/**
 * `chunks`, read as tables written under `written`'s columns: a column asked for is
 * matched by id and read under the name chunk files hold it by (its stored name);
 * one `written` lacks reads as null; a value of another type is converted. Rows
 * only (no Arrow), so a rewrite never splices a chunk's columns by name. What a
 * table rewritten under a new schema reads its old chunks through (a merge that
 * drops or retypes a column, an import that adds one under a still-stored name).
 */
export function underWrittenColumns(chunks: ChunkReader, written: TableSchema): ChunkReader {
  const byId = new Map(written.columns.map((c) => [c.id, c]));
  return {
    async readRows(id, columns) {
      const asStored: Column[] = columns.map((c) => byId.get(c.id) ?? { id: c.id, type: c.type, nullable: true, name: `\u0000absent ${c.id}` });
      const rows = await chunks.readRows(id, asStored);
      if (asStored.every((c, i) => c.type === columns[i]!.type)) return rows;
      return rows.map((row) => row.map((value, i) => convertValue(value, asStored[i]!.type, columns[i]!.type)));
    },
  };
}

/** A side's row in target columns, values converted to the target types. */
export function projectRow(side: SideProjection, columns: readonly TargetColumn[], row: Row): Row {
  if (side.identity) return row;
  const sideColumns = side.version!.schema.columns;
  const out: Row = new Array<Value>(columns.length);
  for (let t = 0; t < columns.length; t++) {
    const source = side.sourceIndexes[t]!;
    if (source < 0) {
      out[t] = null;
      continue;
    }
    const value = row[source] ?? null;
    const fromType = sideColumns[source]!.type;
    out[t] = fromType === columns[t]!.type ? value : convertValue(value, fromType, columns[t]!.type);
  }
  return out;
}

/** A side's chunk bound (its key values in its key order) as a target key, padded with nulls. */
export function targetBound(bound: readonly Value[], keyLength: number): Value[] {
  if (bound.length === keyLength) return bound as Value[];
  const out = bound.slice(0, keyLength);
  while (out.length < keyLength) out.push(null);
  return out;
}

const NUMERIC_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The value of type `to` whose JSON form is `json`, or undefined when there is none. */
function fromJsonForm(json: unknown, to: ColumnType): Value | undefined {
  if (to === 'Utf8') return typeof json === 'string' ? json : JSON.stringify(json);
  try {
    return fromJsonValue(to, json, 'type change');
  } catch {
    if (typeof json !== 'string' || !NUMERIC_TEXT.test(json.trim())) return undefined;
    try {
      return fromJsonValue(to, Number(json.trim()), 'type change');
    } catch {
      return undefined;
    }
  }
}

/**
 * A value of type `from` as a value of type `to`, when it converts without loss
 * (Int32 7 -> Int64 7n, Int64 7n -> Utf8 "7", Utf8 "7" -> Int32 7, ms -> us). A value
 * that does not convert, or would not convert back to itself, is returned as it is,
 * so it compares unequal to every value of the new type: a row whose value really
 * changed is reported, and equal data under a widened type is not.
 */
export function convertValue(value: Value, from: ColumnType, to: ColumnType): Value {
  if (value === null || from === to) return value;
  const converted = fromJsonForm(toJsonValue(from, value), to);
  if (converted === undefined || converted === null) return value;
  const back = fromJsonForm(toJsonValue(to, converted), from);
  return back !== undefined && valuesEqual(back, value) ? converted : value;
}
