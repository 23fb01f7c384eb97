/** dgit's library API: what the CLI, the bot, the MCP server and the tests call. */
export { Repository, WORKING, type Revision, type WorkingSet } from './repository/repository.js';
export { importTable, type ImportMode, type ImportOptions, type ImportResult } from './commands/import.js';
export { commit, type CommitOptions, type CommitResult } from './commands/commit.js';
export { log, type LogEntry } from './commands/log.js';
export { listTables, type TableInfo } from './commands/tables.js';
export { createBranch, deleteBranch, listBranches, switchBranch, createTag, resetHard, type BranchInfo } from './commands/branch.js';
export { applyEdits, type EditCounts } from './table/apply-edits.js';
export { buildTable } from './table/build-table.js';
export { readTableVersion, writeTableTree, chunkPath } from './table/table-tree.js';
export { GitChunkStore } from './table/git-chunk-store.js';
export type { TableVersion, ChunkReader, ChunkWriter, RowEdits } from './table/table-version.js';
export type { Manifest, ChunkEntry, ChunkId } from './chunking/manifest.js';
export type { TableSchema, Column } from './schema/schema.js';
export type { ColumnType } from './schema/types.js';
export type { Row, Value } from './value/value.js';
export type { CommitId } from './store/revision.js';
export type { ObjectId } from './store/object-store.js';
export * from './errors/index.js';
export { runChecks, type CheckReport, type CheckResult } from './checks/index.js';
export { readConfig, writeConfig, parseConfig, type LoadedConfig } from './config/index.js';
export { diffRevisions, diffTrees } from './commands/diff.js';
export { merge, mergeCommits, continueMerge, abortMerge, mergeBase, type MergeGate, type MergeOutcome } from './commands/merge.js';
export { listConflicts, resolveConflicts } from './commands/conflicts.js';
export { status } from './commands/status.js';
export { show } from './commands/show.js';
export { runSql } from './commands/sql.js';
export { exportTable } from './commands/export.js';
export * from './queue/index.js';
export * from './heal/index.js';
// Chunks in object storage (S3), `dgit files` and `dgit gc` (engine/chunkstore).
export {
  useChunkStore,
  chunkStoreOf,
  parseChunkStoreUrl,
  tableFiles,
  duckdbQuery,
  sparkExpression,
  collectGarbage,
  remoteChunkStore,
  DEFAULT_GRACE_MS,
  type ChunkStoreLocation,
  type ChunkStoreChange,
  type TableFiles,
  type GcOptions,
  type GcOutcome,
  type ChunkUpload,
} from './chunkstore/index.js';
