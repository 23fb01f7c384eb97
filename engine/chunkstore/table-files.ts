import fs from 'node:fs';
import git from 'isomorphic-git';
import { manifestRowCount } from '../chunking/manifest.js';
import { CorruptError, DgitError, UnknownNameError } from '../errors/index.js';
import { readParquetFooter } from '../import/parquet-footer.js';
import type { Repository } from '../repository/repository.js';
import { storedName, type TableSchema } from '../schema/schema.js';
import { isTimestamp, timestampIsUtc, type ColumnType } from '../schema/types.js';
import { duckdbTypeOf } from '../sql/duckdb-types.js';
import { quoteIdentifier } from '../sql/sql-text.js';
import { parseTree } from '../store/git-objects.js';
import type { ObjectId, ObjectStore } from '../store/object-store.js';
import { ChunkFileCache } from '../table/chunk-files.js';
import { readTableVersion } from '../table/table-tree.js';
import { prefetchChunks, readChunkBytes, remoteChunkStore } from './chunk-source.js';

/** A column of a table as its chunk files hold it. */
export interface FileColumn {
  name: string;
  type: ColumnType;
  /** The name the files hold the column under, when a rename left it different from `name` (see Column.stored). */
  stored?: string;
  /** Whether any listed file holds the column; false for a nullable column added after every one was written (it reads as null). */
  inFiles: boolean;
}

/** The chunk files of a table at a revision, for engines that read them in place. */
export interface TableFiles {
  table: string;
  /** The commit id, or WORKING. */
  revision: string;
  rows: number;
  /** The table's columns in schema order, and how the files hold each. */
  columns: FileColumn[];
  /** `local`: paths on this machine; `s3`: URLs in the chunk store. */
  location: 'local' | 's3';
  /**
   * One entry per manifest entry, in key order (a keyless table may list a
   * chunk twice: it holds that run of rows twice).
   */
  files: string[];
}

/**
 * The files an engine reads to get table `table` at `rev` (default: the working
 * set) exactly. A table whose chunks are git blobs gives local files of the
 * chunk file cache (written on first use); one kept in a chunk store gives its
 * `s3://` URLs, after checking they are in the bucket (a revision not yet
 * pushed is refused: `local: true` gives local paths instead, fetching what is missing).
 */
export async function tableFiles(repository: Repository, table: string, options: { rev?: string; local?: boolean } = {}): Promise<TableFiles> {
  const revision = await repository.revision(options.rev);
  const tables = await repository.tableTrees(revision.tree);
  const tableTree = tables.get(table);
  if (!tableTree) throw new UnknownNameError('table', table, [...tables.keys()].sort(), options.rev ?? 'working set');
  const version = await readTableVersion(repository.store, tableTree, table);
  const ids = version.manifest.chunks.map((c) => c.id as string);
  const inGit = parseTree(await repository.store.readTyped(tableTree, 'tree'), `tables/${table}`).some((e) => e.name === 'chunks' && e.mode === '40000');
  const local = repository.store.localChunks;
  const base = {
    table,
    revision: revision.kind === 'commit' ? revision.commit : 'WORKING',
    rows: manifestRowCount(version.manifest),
  };
  if (inGit || !local || options.local) {
    await prefetchChunks(repository.store, ids);
    const cache = new ChunkFileCache(repository.store);
    const files = await cache.files(version.manifest);
    return { ...base, columns: await columnsInFiles(repository.store, version.schema, ids), location: 'local', files };
  }
  const remote = await remoteChunkStore(local.location);
  const pushed = revision.kind === 'commit' && (await reachableFromRemote(repository, revision.commit));
  if (!pushed) {
    for (const id of new Set(ids)) {
      if (!(await remote.head(id))) {
        throw new DgitError('NOT_FOUND', `chunk ${id} of ${table} is not in ${local.location.url} yet: push the revision first, or ask for local files (--local)`, options.rev ?? 'WORKING');
      }
    }
  }
  return { ...base, columns: await columnsInFiles(repository.store, version.schema, ids), location: 's3', files: ids.map((id) => remote.url(id)) };
}

/**
 * The table's columns as the chunks hold them: each under its stored name, and
 * whether any chunk holds it at all. Footers are read until every column is
 * found, chunks at hand first, so chunks that all hold every column cost one
 * read; a column no chunk holds costs a read of each (from the bucket, for
 * chunks this repository does not have yet).
 */
async function columnsInFiles(store: ObjectStore, schema: TableSchema, ids: readonly string[]): Promise<FileColumn[]> {
  const missing = new Set(schema.columns.map(storedName));
  const atHand = (id: string) => !store.localChunks || store.hasStored(id as ObjectId) || store.localChunks.has(id);
  const unique = [...new Set(ids)];
  for (const id of [...unique.filter(atHand), ...unique.filter((id) => !atHand(id))]) {
    if (missing.size === 0) break;
    const footer = readParquetFooter(await readChunkBytes(store, id as ObjectId));
    if (!footer) throw new CorruptError(`chunk ${id} is not a Parquet file dgit can read; run \`dgit fsck --full\``, `chunk ${id}`);
    for (const element of footer.schema.slice(1)) missing.delete(element.name);
  }
  return schema.columns.map((c) => ({ name: c.name, type: c.type, ...(c.stored !== undefined ? { stored: c.stored } : {}), inFiles: !missing.has(storedName(c)) }));
}

/** Whether a commit is on a remote-tracking branch: pushed, so its chunks are in the bucket. */
async function reachableFromRemote(repository: Repository, commit: string): Promise<boolean> {
  const tips = await git.listRefs({ fs, gitdir: repository.gitdir, filepath: 'refs/remotes' }).catch(() => []);
  // One cache for the walks: each would otherwise read every pack index again.
  const cache = {};
  for (const ref of tips) {
    const tip = await repository.refs.resolve(`refs/remotes/${ref}`);
    if (!tip) continue;
    if (tip === commit) return true;
    if (await git.isDescendent({ fs, cache, gitdir: repository.gitdir, oid: tip, ancestor: commit, depth: -1 }).catch(() => false)) return true;
  }
  return false;
}

/**
 * The files as one DuckDB query: the table's columns, in schema order, over every
 * file. A renamed column is read under the name the files hold it by; a column no
 * file holds is a typed NULL (DuckDB refuses a name no file has).
 */
export function duckdbQuery(files: TableFiles): string {
  if (files.files.length === 0) return `-- ${files.table} has no rows at this revision (no files)\n`;
  const columns = files.columns.map((c) => selected(c, quoteIdentifier, duckdbTypeOf)).join(', ');
  const list = files.files.map((f) => `  '${f.replace(/'/g, "''")}'`).join(',\n');
  return `SELECT ${columns}\nFROM read_parquet([\n${list}\n], union_by_name = true);\n`;
}

/** The files as a PySpark expression (mergeSchema fills columns older chunks lack; `selectExpr` renames and types the rest as `duckdbQuery` does). */
export function sparkExpression(files: TableFiles): string {
  if (files.files.length === 0) return `# ${files.table} has no rows at this revision (no files)\n`;
  const list = files.files.map((f) => `    ${JSON.stringify(f.startsWith('s3://') ? `s3a://${f.slice(5)}` : f)}`).join(',\n');
  const columns = files.columns.map((c) => JSON.stringify(selected(c, (name) => `\`${name.replace(/`/g, '``')}\``, sparkTypeOf))).join(', ');
  return `spark.read.option("mergeSchema", "true").parquet(\n${list}\n).selectExpr(${columns})\n`;
}

/** One column of a SELECT list: its stored name (renamed to its name), or a typed NULL when no file holds it. */
function selected(column: FileColumn, quote: (name: string) => string, typeOf: (type: ColumnType) => string): string {
  if (!column.inFiles) return `CAST(NULL AS ${typeOf(column.type)}) AS ${quote(column.name)}`;
  if (column.stored === undefined || column.stored === column.name) return quote(column.name);
  return `${quote(column.stored)} AS ${quote(column.name)}`;
}

/** The Spark SQL type a Parquet reader gives a column of this type (unsigned integers widen; a naive timestamp is TIMESTAMP_NTZ, Spark 3.4+). */
function sparkTypeOf(type: ColumnType): string {
  if (isTimestamp(type)) return timestampIsUtc(type) ? 'TIMESTAMP' : 'TIMESTAMP_NTZ';
  const types: Partial<Record<ColumnType, string>> = {
    Bool: 'BOOLEAN',
    Int8: 'TINYINT',
    Int16: 'SMALLINT',
    Int32: 'INT',
    Int64: 'BIGINT',
    UInt8: 'SMALLINT',
    UInt16: 'INT',
    UInt32: 'BIGINT',
    UInt64: 'DECIMAL(20,0)',
    Float32: 'FLOAT',
    Float64: 'DOUBLE',
    Utf8: 'STRING',
    Binary: 'BINARY',
    Date32: 'DATE',
  };
  return types[type]!;
}
