import type { Row, Value } from '../value/value.js';
import type { TargetColumn } from './column-alignment.js';

/**
 * A column of a diff: the union of both sides' columns matched by id, in the order
 * of `to` followed by the columns only `from` has. `type` is the type in `to`
 * (in `from` for a dropped column); `before` values of a retyped column are
 * converted to it when they convert without loss.
 */
export interface DiffColumn extends TargetColumn {
  /** Name in `from`; unset when the column was added. */
  beforeName?: string;
  /** Name in `to`; unset when the column was dropped. */
  afterName?: string;
}

/** A row only `to` has. Rows are aligned to the diff's columns (null where a side lacks the column). */
export interface AddedRow {
  status: 'added';
  /** Values of the key columns in key order (the whole row for a keyless table). */
  key: Value[];
  after: Row;
}

/** A row only `from` has. */
export interface DeletedRow {
  status: 'deleted';
  key: Value[];
  before: Row;
}

/**
 * A row on both sides with different cells. When `previousKey` is set the row's
 * key changed, by inference: a deleted and an added row whose other cells are all
 * equal, and carried by no other added or deleted row, were paired (dolt#7808);
 * `key` is then the new key, and the key columns are in `changed`. Summaries count
 * such a pair as one delete and one add; renderers label it "key changed (inferred)".
 */
export interface ModifiedRow {
  status: 'modified';
  key: Value[];
  previousKey?: Value[];
  before: Row;
  after: Row;
  /** Names of the changed columns, in column order. */
  changed: string[];
  /** Indexes into the diff's columns of the changed columns (names can repeat when a column was dropped and another of that name added). */
  changedColumns: number[];
}

export type RowChange = AddedRow | DeletedRow | ModifiedRow;

export type RowStatus = RowChange['status'];
