import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBInstance, DuckDBConnection } from '@duckdb/node-api';
import { InvalidInputError, UsageError } from '../errors/index.js';
import type { Column } from '../schema/schema.js';
import { isTimestamp, timestampUnit, type ColumnType } from '../schema/types.js';
import { duckdbTypeOf } from './duckdb-types.js';
import { quoteIdentifier, quoteString, quoteStringList } from './sql-text.js';

export { duckdbTypeOf } from './duckdb-types.js';

export interface DuckDbSessionOptions {
  /** A directory the session may create files in; it makes its own subdirectory there and removes it on close. */
  tempDir: string;
  /** Worker threads; 2 by default, so runs are bounded and repeatable. */
  threads?: number;
  /** DuckDB's memory_limit, e.g. '1GB' (the default); past it DuckDB spills to the temp directory. */
  memoryLimit?: string;
  /** DuckDB's max_temp_directory_size: the most a query may spill to disk, e.g. '512MB'. */
  spillLimit?: string;
  /**
   * Whether SQL may read and write any file. When false (for user SQL such as
   * `dgit sql`), the session may touch only its temp directory and the files of the
   * views made with `createTableView`; it locks that down before the first `run` or
   * `rows`, and no SQL can undo it.
   */
  allowExternalAccess?: boolean;
}

/**
 * DuckDB's bindings, loaded on the first session: the module costs about 0.25 s of
 * CPU to load (its native library and 180 CommonJS files), which commands that
 * never open a session (status, commit, diff, merge) should not pay.
 */
function loadDuckDb(): Promise<typeof import('@duckdb/node-api')> {
  return import('@duckdb/node-api');
}

/** One DuckDB database in memory and its connection, set up the same way for import, export and `dgit sql`. */
export class DuckDbSession {
  private closed = false;
  private locked = false;
  private readonly allowedFiles = new Set<string>();

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    /** A directory of this session's own: DuckDB spills here, and callers may stage files here. */
    readonly workDir: string,
    private readonly allowExternalAccess: boolean,
  ) {}

  static async create(options: DuckDbSessionOptions): Promise<DuckDbSession> {
    const { DuckDBInstance } = await loadDuckDb();
    const workDir = await mkdtemp(path.join(options.tempDir, 'duckdb-'));
    let instance: DuckDBInstance | undefined;
    try {
      instance = await DuckDBInstance.create(':memory:', {
        threads: String(options.threads ?? 2),
        memory_limit: options.memoryLimit ?? '1GB',
        temp_directory: path.join(workDir, 'spill'),
        // No network and no surprises: json and parquet are built in.
        autoinstall_known_extensions: 'false',
        autoload_known_extensions: 'false',
        // DuckDB's allocator (jemalloc) keeps freed pages resident unless its background
        // threads purge them: without them, the pages a CSV's type detection freed stayed
        // in RSS under the table it loaded next, and a 10M-row import peaked at 1.0-1.1 GiB
        // against a 600 MiB memory_limit; with them, about 0.8 GiB.
        allocator_background_threads: 'true',
      });
      const connection = await instance.connect();
      const session = new DuckDbSession(instance, connection, workDir, options.allowExternalAccess ?? true);
      // UTC makes text -> TIMESTAMPTZ casts and TIMESTAMPTZ -> text the same on every machine.
      await session.execute(`SET TimeZone = 'UTC'`);
      await session.execute(`SET preserve_insertion_order = true`);
      await session.execute(`SET enable_progress_bar = false`);
      if (options.spillLimit) await session.execute(`SET max_temp_directory_size = ${quoteString(options.spillLimit)}`);
      return session;
    } catch (error) {
      instance?.closeSync();
      await rm(workDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Runs SQL that returns nothing of interest. */
  async run(sql: string): Promise<void> {
    await this.lockIfRestricted();
    await this.execute(sql);
  }

  /** Runs a query and returns its rows as objects of JS values (BIGINT as bigint, timestamps as Date). */
  async rows(sql: string): Promise<Record<string, unknown>[]> {
    await this.lockIfRestricted();
    return this.query(sql);
  }

  /** Names and DuckDB types of a query's columns. Setup for views: it does not lock a restricted session. */
  async describe(selectSql: string): Promise<Array<{ name: string; type: string }>> {
    const rows = await this.query(`DESCRIBE ${selectSql}`);
    return rows.map((row) => ({ name: String(row['column_name']), type: String(row['column_type']) }));
  }

  /** Defines (or replaces) a view reading `files`; used by `createTableView`, before any query runs. */
  async defineView(viewName: string, selectSql: string, files: readonly string[]): Promise<void> {
    if (this.locked) throw new UsageError('views must be created before the first query of a restricted session', viewName);
    for (const file of files) this.allowedFiles.add(path.resolve(file));
    await this.execute(`CREATE OR REPLACE VIEW ${quoteIdentifier(viewName)} AS ${selectSql}`);
  }

  /** Stop the statement running now (how a time cap ends a query). */
  interrupt(): void {
    if (!this.closed) this.connection.interrupt();
  }

  /**
   * Run one statement that DuckDB's own parser classes as a SELECT, reading at most
   * `maxRows` + 1 rows (so callers can tell the result was cut). Anything else,
   * or more than one statement, is refused before it runs.
   */
  async readOnlyRows(sql: string, maxRows: number): Promise<{ names: string[]; types: string[]; rows: unknown[][] }> {
    try {
      const prepared = await this.prepareReadOnly(sql);
      const reader = await prepared.streamAndReadUntil(maxRows + 1);
      return { names: reader.columnNames(), types: reader.columnTypes().map((type) => type.toString()), rows: reader.getRowsJS() as unknown[][] };
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw duckdbError(error);
    }
  }

  /** Refuses (UsageError) anything but one read-only SELECT, without running it. */
  async assertReadOnly(sql: string): Promise<void> {
    try {
      await this.prepareReadOnly(sql);
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw duckdbError(error);
    }
  }

  private async prepareReadOnly(sql: string) {
    await this.lockIfRestricted();
    this.assertOpen();
    const extracted = await this.connection.extractStatements(sql);
    if (extracted.count !== 1) throw new UsageError('exactly one statement is allowed', 'sql');
    const prepared = await extracted.prepare(0);
    const { StatementType } = await loadDuckDb();
    if (prepared.statementType !== StatementType.SELECT)
      throw new UsageError(`only a read-only SELECT is allowed; DuckDB reads this statement as ${StatementType[prepared.statementType] ?? 'another kind'}`, 'sql');
    return prepared;
  }

  /** Closes DuckDB and removes the session's directory. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      this.connection.closeSync();
      this.instance.closeSync();
    } finally {
      await rm(this.workDir, { recursive: true, force: true });
    }
  }

  private async lockIfRestricted(): Promise<void> {
    if (this.allowExternalAccess || this.locked) return;
    this.locked = true;
    await this.execute(`SET allowed_directories = ${quoteStringList([this.workDir + path.sep])}`);
    if (this.allowedFiles.size > 0) await this.execute(`SET allowed_paths = ${quoteStringList([...this.allowedFiles])}`);
    await this.execute(`SET enable_external_access = false`);
    await this.execute(`SET lock_configuration = true`);
  }

  private async execute(sql: string): Promise<void> {
    this.assertOpen();
    try {
      await this.connection.run(sql);
    } catch (error) {
      throw duckdbError(error);
    }
  }

  private async query(sql: string): Promise<Record<string, unknown>[]> {
    this.assertOpen();
    try {
      const reader = await this.connection.runAndReadAll(sql);
      return reader.getRowObjectsJS() as Record<string, unknown>[];
    } catch (error) {
      throw duckdbError(error);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new UsageError('the DuckDB session is closed');
  }
}

/** DuckDB's error as an InvalidInputError; the original stays as `cause` for callers that read its details. */
function duckdbError(error: unknown): InvalidInputError {
  const message = error instanceof Error ? error.message : String(error);
  return new InvalidInputError(message.trim(), 'sql', error);
}

/** What a view over a table's chunk files reads: the table's columns and its chunk files in key order. */
export interface TableViewSource {
  columns: Column[];
  files: string[];
}

/**
 * A view named `viewName` over chunk Parquet files, with exactly `columns`, in that
 * order and with the DuckDB type of each column type. Files are read in the order
 * given (key order) and rows keep it. A column no file has (added after every chunk
 * was written) reads as NULL; with no files the view is empty but typed.
 */
export async function createTableView(session: DuckDbSession, viewName: string, source: TableViewSource): Promise<void> {
  const present = new Map<string, string>();
  if (source.files.length > 0) {
    for (const column of await session.describe(`SELECT * FROM ${readChunks(source.files)}`)) present.set(column.name, column.type);
  }
  const select = source.columns
    .map((column) => {
      const type = duckdbTypeOf(column.type);
      // Chunk files hold a renamed column under its stored name (see Column.stored).
      const stored = column.stored ?? column.name;
      const fileType = present.get(stored);
      const value = fileType === undefined ? 'NULL' : storedValue(quoteIdentifier(stored), column.type, fileType);
      return `CAST(${value} AS ${type}) AS ${quoteIdentifier(column.name)}`;
    })
    .join(', ');
  const sql = source.files.length > 0 ? `SELECT ${select} FROM ${readChunks(source.files)}` : `SELECT ${select} WHERE false`;
  await session.defineView(viewName, sql, source.files);
}

/**
 * A chunk value as DuckDB can cast it. Parquet has no unit for seconds, so the
 * Parquet writer stores Timestamp<s> as a plain INT64 of epoch seconds (the unit
 * lives only in the embedded Arrow schema, which DuckDB does not read); such
 * integers are turned back into timestamps here.
 */
function storedValue(sql: string, type: ColumnType, fileType: string): string {
  if (!isTimestamp(type) || !/INT/.test(fileType)) return sql;
  const epoch = `CAST(${sql} AS BIGINT)`;
  switch (timestampUnit(type)) {
    case 's':
      return `make_timestamp(${epoch} * 1000000)`;
    case 'ms':
      return `make_timestamp(${epoch} * 1000)`;
    case 'us':
      return `make_timestamp(${epoch})`;
    case 'ns':
      return `make_timestamp_ns(${epoch})`;
  }
}

function readChunks(files: readonly string[]): string {
  return `read_parquet(${quoteStringList(files)}, union_by_name = true)`;
}

export { quoteIdentifier, quoteString };
