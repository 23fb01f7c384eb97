/** Three-way merge of tables: schema by column id, rows by key and cell (Dolt's semantics). */
export { chunksMergeReads, mergeTables, theirsRuns, type TableMerge, type TheirsRun } from './table-merge.js';
export { mergeSchemas, type SchemaMerge } from './schema-merge.js';
export {
  conflictToJson,
  schemaConflictToJson,
  type Conflict,
  type RowConflictKind,
  type SchemaConflict,
  type SchemaConflictReason,
  type SchemaSnapshot,
} from './conflict.js';
