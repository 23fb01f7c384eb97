/** Data diff: schema changes by column id and row changes by key, reading only the chunks that differ. */
export { diffTables, diffStat, type DiffOptions, type DiffStat, type TableDiff, type TableStatus } from './table-diff.js';
export type { AddedRow, DeletedRow, DiffColumn, ModifiedRow, RowChange, RowStatus } from './row-change.js';
export { DiffCounter, type ColumnChangeCount, type DiffSummary } from './diff-summary.js';
export { diffSchemas, hasSchemaChanges, schemasEqual, type ColumnChange, type SchemaChanges } from './schema-diff.js';
