import path from 'node:path';
import fs from 'node:fs';
import crypto from 'node:crypto';
import { DuplicateKeyError, NotFoundError, SchemaMismatchError, UsageError } from '../errors/index.js';
import {
  ChunkingParametersSchema,
  createTableSchema,
  isKeyless,
  sameChunking,
  keyColumnIndexes,
  keyColumnNames,
  storedNamesClash,
  validateTableName,
  withAddedColumn,
  withoutStoredNames,
  type ChunkingParameters,
  type Column,
  type TableSchema,
} from '../schema/schema.js';
import { manifestRowCount } from '../chunking/manifest.js';
import type { Repository } from '../repository/repository.js';
import { applyEdits, type EditCounts } from '../table/apply-edits.js';
import { buildTable } from '../table/build-table.js';
import { underWrittenColumns } from '../diff/column-alignment.js';
import { diffStat } from '../diff/table-diff.js';
import type { ChunkReader, TableVersion } from '../table/table-version.js';
import { withTableTree } from '../table/root-tree.js';
import { previousTableTree, writeTableTree, type PreviousTableTree } from '../table/table-tree.js';
import type { Row } from '../value/value.js';
import { arrowToRows } from '../store/parquet/chunk-codec.js';
import { openSortedSource, type SourceFormat } from '../import/source.js';

export type ImportMode = 'replace' | 'append' | 'upsert' | 'delete';

export interface ImportOptions {
  table: string;
  /** Key columns; only for a new table. */
  key?: string[];
  mode?: ImportMode;
  format?: SourceFormat;
  /**
   * How a new table is cut into chunks (DEFAULT_CHUNKING when omitted). Fixed when the
   * table is created; for an existing table it must be omitted or equal to the table's.
   * `bench/chunk-size.ts` compares settings with it.
   */
  chunking?: ChunkingParameters;
  onProgress?: (rowsDone: number, rowsTotal: number) => void;
}

export interface ImportResult extends EditCounts {
  table: string;
  mode: ImportMode;
  created: boolean;
  /** Rows in the table afterwards. */
  rows: number;
  /** Columns the file brought that the table did not have. */
  addedColumns: string[];
  chunksWritten: number;
}

/**
 * Load a file into the working set. Everything is validated before any object
 * becomes visible, so bad input leaves the repository exactly as it was.
 */
export async function importTable(repository: Repository, file: string, options: ImportOptions): Promise<ImportResult> {
  validateTableName(options.table);
  const chunking = options.chunking ? checkedChunking(options.chunking) : undefined;
  const mode = options.mode ?? 'replace';
  if (!fs.existsSync(file)) throw new NotFoundError(`file ${JSON.stringify(file)}`, file);
  const tempDir = path.join(repository.gitdir, 'dgit', 'tmp', `import-${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
  fs.mkdirSync(tempDir, { recursive: true });
  try {
    const { result, replaced } = await repository.changeWorkingSet(async ({ working, tx, chunks }) => {
      const existing = await repository.readTable(working.tree, options.table);
      if (existing && options.key && options.key.join(',') !== keyColumnNames(existing.schema).join(','))
        throw new UsageError(`--key is only for a new table; ${options.table} is keyed by (${keyColumnNames(existing.schema).join(', ') || 'the whole row'})`, '--key');
      if (!existing && mode === 'delete') await repository.requireTable(working.tree, options.table, '--mode delete');
      if (existing && chunking && !sameChunking(existing.schema.chunking, chunking))
        throw new UsageError(`the chunking of ${options.table} was fixed when it was created; an import cannot change it`, 'chunking');

      const keyNames = existing ? keyColumnNames(existing.schema) : options.key ?? [];
      const targetColumns = existing
        ? (mode === 'delete' && !isKeyless(existing.schema) ? keyColumnIndexes(existing.schema).map((i) => existing.schema.columns[i]!) : existing.schema.columns)
        : undefined;
      const source = await openSortedSource(file, {
        format: options.format,
        sortBy: keyNames.length > 0 ? keyNames : 'all',
        uniqueKey: keyNames,
        targetColumns,
        tempDir,
        onProgress: options.onProgress,
      });
      try {
        let schema: TableSchema;
        const addedColumns: string[] = [];
        if (!existing) {
          schema = createTableSchema(source.columns, keyNames, chunking);
        } else if (mode === 'delete') {
          schema = existing.schema;
        } else {
          schema = existing.schema;
          for (const column of source.columns) {
            if (schema.columns.some((c) => c.name === column.name)) continue;
            schema = withAddedColumn(schema, column.name, column.type);
            addedColumns.push(column.name);
          }
          if (addedColumns.length > 0 && isKeyless(schema) && mode !== 'replace')
            throw new SchemaMismatchError(
              `new columns (${addedColumns.join(', ')}) cannot be added to a keyless table by ${mode}: its rows are its keys; use --mode replace`,
              options.table,
            );
        }
        // A new column under a name chunk files still hold for a renamed one (`score` after
        // `RENAME COLUMN score TO points`): chunk files cannot hold both, so every chunk is rewritten
        // under the columns' own names, as `ALTER TABLE ... ADD COLUMN` does.
        const rewriteAll = existing !== undefined && storedNamesClash(schema.columns);
        if (rewriteAll) schema = { ...schema, columns: withoutStoredNames(schema.columns) };

        let manifest;
        let previous: PreviousTableTree | undefined;
        let replaced: { before: TableVersion; after: TableVersion } | undefined;
        let counts: EditCounts = { inserted: 0, updated: 0, deleted: 0, missing: 0, unchanged: 0 };
        if (!existing || mode === 'replace') {
          manifest = await buildTable(schema, source.batches(), chunks, file);
          counts.inserted = manifestRowCount(manifest);
          if (existing) replaced = { before: existing, after: { schema, manifest } };
        } else {
          const rows: Row[] = [];
          const readColumns = mode === 'delete' ? (targetColumns as Column[]) : schema.columns;
          for await (const batch of source.batches()) for (const row of arrowToRows(batch, readColumns)) rows.push(row);
          // For `delete` the rows are keys (whole rows, for a bag).
          const edits = mode === 'delete' ? { upserts: [], deletes: rows } : { upserts: rows, deletes: [] };
          const reader = rewriteAll ? underWrittenColumns(chunks, existing.schema) : chunks;
          const applied = await applyEdits(schema, existing.manifest, edits, { reader, writer: chunks }, { rewriteAll });
          const existingTree = (await repository.tableTrees(working.tree)).get(options.table)!;
          previous = await previousTableTree(repository.store, existingTree, options.table, existing);
          counts = applied.counts;
          manifest = applied.manifest;
          if (mode === 'append' && !isKeyless(schema) && counts.updated + counts.unchanged > 0)
            throw new DuplicateKeyError(
              `append would add ${counts.updated + counts.unchanged} row(s) whose key is already in ${options.table}; use --mode upsert to replace them`,
              file,
            );
        }
        const tableTree = writeTableTree({ schema, manifest }, tx, previous);
        const tree = await withTableTree(repository.store, tx, working.tree, options.table, tableTree);
        return {
          tree,
          result: {
            result: {
              table: options.table,
              mode,
              created: !existing,
              rows: manifestRowCount(manifest),
              addedColumns,
              chunksWritten: chunks.stats.writes,
              ...counts,
            },
            replaced,
          },
        };
      } finally {
        await source.close();
      }
    });
    // A replacement's counts come from the diff of the old and new table, read once the new chunks are stored.
    return replaced ? { ...result, ...(await replacementCounts(replaced.before, replaced.after, repository.chunks())) } : result;
  } finally {
    fs.rmSync(tempDir, { recursive: true, force: true });
  }
}


/**
 * What a replacement really changed, row by row: the diff of the old table and the
 * new one (equal chunks are skipped unread, so this costs the change, not the table).
 */
async function replacementCounts(before: TableVersion, after: TableVersion, reader: ChunkReader): Promise<EditCounts> {
  const stat = await diffStat(before, after, reader, { pairKeyChanges: false });
  const { added, deleted, modified } = stat.summary;
  return { inserted: added, updated: modified, deleted, missing: 0, unchanged: manifestRowCount(after.manifest) - added - modified };
}

/** Chunking parameters a table can be cut by (ChunkingParametersSchema, as schema.json is read), or a usage error saying why not. */
function checkedChunking(chunking: ChunkingParameters): ChunkingParameters {
  const parsed = ChunkingParametersSchema.safeParse(chunking);
  if (!parsed.success)
    throw new UsageError(`chunking ${JSON.stringify(chunking)} is refused: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'chunking'}: ${issue.message}`).join('; ')}`, 'chunking');
  return parsed.data;
}
