import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type * as arrow from 'apache-arrow';
import { InvalidInputError, UsageError } from '../errors/index.js';
import { DuckDbSession } from '../sql/duckdb-session.js';
import { duckdbTypeOf } from '../sql/duckdb-types.js';
import { quoteIdentifier } from '../sql/sql-text.js';
import { readStagedGroups, readStagedParquet, stageQuery } from '../sql/staged-parquet.js';
import { isTimestamp, timestampIsUtc, type ColumnType } from '../schema/types.js';
import { planColumns, ROW_NUMBER_COLUMN, type PlannedColumn, type TargetColumn } from './column-plan.js';
import { checkSource } from './source-checks.js';
import { formatFromPath, type SourceFormat } from './source-format.js';
import { openSourceReader, type SourceReader } from './source-readers.js';
import { describeLocation } from './source-location.js';
import { importReadCounts, openFastSortedSource } from './fast-source.js';
import { columnsPerGroup, groupColumns, loadGroups, sortPositions, stageGroups } from './column-groups.js';

export { formatFromPath, type SourceFormat } from './source-format.js';
export type { TargetColumn } from './column-plan.js';
export { importReadCounts } from './fast-source.js';

/** A column of an imported file, as dgit will store it. */
export interface SourceColumn {
  name: string;
  type: ColumnType;
  /** False for key columns and for target columns that allow no nulls. */
  nullable: boolean;
  /** Whether the file has the column (a target column it lacks reads as null). */
  inSource: boolean;
}

/** A source file read, checked and sorted, ready to be cut into chunks. */
export interface SortedSource {
  /** dgit types, in file column order (or targetColumns order, then new columns, when targetColumns is given). */
  columns: SourceColumn[];
  rowCount: number;
  /**
   * Rows sorted ascending by the sort columns (NULLS FIRST), as Arrow tables whose
   * column types are exactly toArrowType(column.type); streamed one Parquet row group
   * (122 880 rows) at a time, never the whole file in JS memory (except a file small
   * enough for the fast path, see fast-source.ts, which is held whole).
   */
  batches(): AsyncIterable<arrow.Table>;
  /** Removes the temp files. */
  close(): Promise<void>;
}

export interface OpenSortedSourceOptions {
  /** The file's format; from its extension when omitted. */
  format?: SourceFormat;
  /** Column names to sort by; 'all' = every column in column order (keyless tables are bags sorted by the whole row). */
  sortBy: string[] | 'all';
  /** Columns that must be non-null and unique (the primary key); empty for none. */
  uniqueKey: string[];
  /**
   * An existing table's columns: each source column of the same name is cast to its
   * type; a value that does not fit is an error naming the column, the value and the
   * line or row. Source columns not in targetColumns are new columns (nullable, type
   * inferred). Target columns missing from the source read as null (an error if the
   * target column is not nullable).
   */
  targetColumns?: TargetColumn[];
  /** A directory to create temp files in. */
  tempDir: string;
  onProgress?: (rowsDone: number, rowsTotal: number) => void;
}

/**
 * The memory an import may use, whole process, in MiB: `DGIT_IMPORT_MEMORY_MB`, 900 by
 * default. DuckDB (which loads, checks and sorts the file, spilling to the temp
 * directory past its limit) gets this less what the Node process itself holds
 * (code, WebAssembly, one row group of Arrow); DuckDB is closed before the chunks
 * are built, so the two phases never add up.
 */
export const DEFAULT_IMPORT_MEMORY_MB = 900;
const NODE_BASELINE_MB = 300;

/** DuckDB's memory_limit for an import under the setting; an unusable setting is refused. */
export function importDuckDbMemoryLimit(setting = process.env['DGIT_IMPORT_MEMORY_MB']): string {
  return `${importDuckDbMemoryMiB(setting)}MiB`;
}

function importDuckDbMemoryMiB(setting = process.env['DGIT_IMPORT_MEMORY_MB']): number {
  const mib = setting === undefined || setting === '' ? DEFAULT_IMPORT_MEMORY_MB : Number(setting);
  if (!Number.isInteger(mib) || mib < NODE_BASELINE_MB + 128)
    throw new UsageError(`DGIT_IMPORT_MEMORY_MB must be a whole number of MiB, at least ${NODE_BASELINE_MB + 128}`, 'DGIT_IMPORT_MEMORY_MB');
  return mib - NODE_BASELINE_MB;
}
const IMPORT_THREADS = 2;
const LOADED_TABLE = 'dgit_source';

/**
 * Reads a CSV, TSV, JSON, NDJSON, Parquet or Arrow IPC file with DuckDB, checks it
 * (names, types, nulls, unique key) and writes it sorted to a temp Parquet file that
 * `batches()` streams back. Any bad input is refused here, before a single row is
 * handed over, with an error naming the file and the line or row; the temp files
 * are then already gone.
 *
 * Type detection reads the whole file (no sampling), so a late value never breaks
 * the import. CSV is comma-separated and TSV tab-separated, both with '"' quotes and a
 * header row; an empty unquoted field is null and "" is the empty string. Columns
 * cast to an existing table's types are read as text first, so "00501" stays
 * "00501" in a Utf8 column.
 *
 * A small Parquet or Arrow IPC file with plain column types skips DuckDB (see
 * fast-source.ts), with exactly the same result.
 */
export async function openSortedSource(file: string, options: OpenSortedSourceOptions): Promise<SortedSource> {
  const format = options.format ?? formatFromPath(file);
  const fast = await openFastSortedSource(file, format, options);
  if (fast) return fast;
  importReadCounts.duckdb++;
  const workDir = await mkdtemp(path.join(options.tempDir, 'dgit-import-'));
  let session: DuckDbSession | undefined;
  try {
    const textColumns = (options.targetColumns ?? []).map((column) => column.name);
    let reader = await openSourceReader(file, format, { textColumns, workDir });
    const memoryMiB = importDuckDbMemoryMiB();
    session = await DuckDbSession.create({ tempDir: workDir, threads: IMPORT_THREADS, memoryLimit: `${memoryMiB}MiB` });
    const perGroup = columnsPerGroup(memoryMiB);
    if (((await reader.columnCount(session)) ?? 0) > perGroup) {
      const wide = await openWideSource(session, reader, file, options, { perGroup, workDir });
      await session.close();
      return wide;
    }
    let sourceColumns = await loadSource(session, reader, file, options.targetColumns, format);
    // A time of day is text in dgit (no TIME type): the file's own text, not DuckDB's spelling of the TIME it read
    // ('12:00' became '12:00:00', so a later import of the same file into that column changed every row).
    const times = format === 'csv' || format === 'tsv' ? sourceColumns.filter((c) => /^TIME( WITH TIME ZONE)?$/.test(c.duckType) && !textColumns.includes(c.name)) : [];
    if (times.length > 0) {
      await session.run(`DROP TABLE ${LOADED_TABLE}`);
      reader = await openSourceReader(file, format, { textColumns: [...textColumns, ...times.map((c) => c.name)], workDir });
      sourceColumns = await loadSource(session, reader, file, options.targetColumns, format);
    }
    const columns = planColumns(file, sourceColumns, options);
    await checkSource(session, { file, parts: [{ table: LOADED_TABLE, columns }], columns, uniqueKey: options.uniqueKey, locate: (rows) => reader.locate(rows) });
    const counted = await session.rows(`SELECT count(*) AS n FROM ${LOADED_TABLE}`);
    const rowCount = Number(counted[0]!['n']);
    const sortedFile = path.join(workDir, 'sorted.parquet');
    await stageQuery(session, {
      columns,
      values: columns.map((column) => column.value),
      fromSql: LOADED_TABLE,
      orderBy: orderBy(columns, options),
      file: sortedFile,
    });
    await session.close();
    return sortedSource(columns, rowCount, () => readStagedParquet(sortedFile, columns), workDir, options.onProgress);
  } catch (error) {
    await session?.close();
    await rm(workDir, { recursive: true, force: true });
    throw error;
  }
}

/** Loads the file into a DuckDB table with a row number per row, in file order; returns the file's columns and DuckDB types. */
async function loadSource(
  session: DuckDbSession,
  reader: SourceReader,
  file: string,
  targetColumns: TargetColumn[] | undefined,
  format: SourceFormat,
): Promise<Array<{ name: string; duckType: string }>> {
  let from = reader.fromSql;
  if (from === null) {
    if (!targetColumns || targetColumns.length === 0)
      throw new InvalidInputError(`${file}: holds no records, so it has no columns`, file);
    // No rows: the source has the target's columns, all of them empty.
    const typed = targetColumns.map((column) => `CAST(NULL AS ${duckdbTypeOf(column.type)}) AS ${quoteIdentifier(column.name)}`);
    from = `(SELECT ${typed.join(', ')} WHERE false)`;
  }
  try {
    // row_number() OVER () with insertion order preserved numbers rows in file order.
    await session.run(`CREATE TEMP TABLE ${LOADED_TABLE} AS SELECT row_number() OVER () AS ${quoteIdentifier(ROW_NUMBER_COLUMN)}, * FROM ${from}`);
  } catch (error) {
    throw await reader.explainReadError(error);
  }
  const described = await session.describe(`SELECT * EXCLUDE (${quoteIdentifier(ROW_NUMBER_COLUMN)}) FROM ${LOADED_TABLE}`);
  await reader.checkNames(session, described.map((column) => column.name));
  for (const column of described)
    if (column.type === 'DOUBLE' || column.type === 'FLOAT') await refuseRoundedIntegers(session, reader, file, LOADED_TABLE, column.name, integerTarget(targetColumns, column.name));
  const loaded = await checkTimeText(session, reader, file, described, { format, targetColumns: targetColumns ?? [], loaded: LOADED_TABLE });
  return loaded.map((column) => ({ name: column.name, duckType: column.type }));
}

/**
 * A source with more columns than one DuckDB table can load under the memory limit,
 * loaded, checked, sorted and staged by groups of columns (see column-groups.ts): the
 * same columns, checks, errors and rows as `loadSource` and the one-table path give.
 */
async function openWideSource(
  session: DuckDbSession,
  reader: SourceReader,
  file: string,
  options: OpenSortedSourceOptions,
  { perGroup, workDir }: { perGroup: number; workDir: string },
): Promise<SortedSource> {
  importReadCounts.columnGroups++;
  let from: string;
  let described: Array<{ name: string; type: string }>;
  try {
    // The types are detected once, here; each group then reads the file with them.
    from = (await reader.typedFromSql?.(session)) ?? reader.fromSql!;
    described = await session.describe(`SELECT * FROM ${from}`);
  } catch (error) {
    throw await reader.explainReadError(error);
  }
  await reader.checkNames(session, described.map((column) => column.name));
  const columns = planColumns(file, described.map((column) => ({ name: column.name, duckType: column.type })), options);
  const { sortColumns } = sortTerms(columns, options);
  const named = (names: readonly string[]) => names.map((name) => columns.find((column) => column.name === name)!);
  const groups = groupColumns(columns, { uniqueKey: named(options.uniqueKey), sortColumns, perGroup });
  let parts;
  try {
    parts = await loadGroups(session, from, groups, IMPORT_THREADS);
  } catch (error) {
    throw await reader.explainReadError(error);
  }
  for (const column of described) {
    if (column.type !== 'DOUBLE' && column.type !== 'FLOAT') continue;
    const part = parts.find((p) => p.columns.some((c) => c.inSource && c.name === column.name))!;
    await refuseRoundedIntegers(session, reader, file, part.table, column.name, integerTarget(options.targetColumns, column.name));
  }
  // Wide sources are CSV (JSON has no column count up front): no type changes here, only refusals.
  await checkTimeText(session, reader, file, described, { format: options.format ?? formatFromPath(file), targetColumns: options.targetColumns ?? [] });
  await checkSource(session, { file, parts, columns, uniqueKey: options.uniqueKey, locate: (rows) => reader.locate(rows) });
  const counted = await session.rows(`SELECT count(*) AS n FROM ${parts[0]!.table}`);
  await sortPositions(session, parts, sortColumns);
  const staged = await stageGroups(session, parts, (index) => path.join(workDir, `sorted-${index}.parquet`), columns.length);
  return sortedSource(columns, Number(counted[0]!['n']), () => readStagedGroups(staged, columns), workDir, options.onProgress);
}

/** Doubles hold every integer up to 2^53 exactly; past it, an integer read as DOUBLE may have been rounded. */
const EXACT_DOUBLE_LIMIT = '9007199254740992';

/**
 * DuckDB reads a CSV or JSON column whose numbers include an integer past Int64
 * (a 20-digit account number) as DOUBLE, which rounds it: distinct ids collapse.
 * Such a column is refused, naming the value and its line, when the file writes an
 * integer that a double cannot hold exactly. Cheap when there is none: the file is
 * read again only when a loaded value is that large.
 */
async function refuseRoundedIntegers(session: DuckDbSession, reader: SourceReader, file: string, table: string, column: string, intoInteger: boolean): Promise<void> {
  if (!reader.rawTextSql) return; // Parquet and Arrow store doubles: what DuckDB reads is what the file holds
  const name = quoteIdentifier(column);
  const large = await session.rows(`SELECT 1 FROM ${table} WHERE abs(${name}) >= ${EXACT_DOUBLE_LIMIT} LIMIT 1`);
  if (large.length === 0) return;
  // Into an integer column of the table, any number text counts (9007199254740993.0, 1.23456789012345678e18): read
  // as a double it may name another integer, and an upsert by that key would change another row.
  const shape = intoInteger ? '[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?' : '[+-]?[0-9]+';
  const found = await session.rows(
    `SELECT row, raw FROM (${reader.rawTextSql(column)}) WHERE regexp_full_match(trim(raw), '${shape}') ` +
      `AND abs(TRY_CAST(trim(raw) AS DOUBLE)) >= ${EXACT_DOUBLE_LIMIT} ORDER BY row LIMIT 1`,
  );
  const first = found[0];
  if (!first) return;
  const row = Number(first['row']);
  const where = describeLocation(file, (await reader.locate([row])).get(row) ?? { kind: 'row', row });
  const raw = String(first['raw']).trim();
  throw new InvalidInputError(
    intoInteger && !/^[+-]?[0-9]+$/.test(raw)
      ? `${where}: column ${JSON.stringify(column)} has a number past 2^53 written with a fraction or an exponent (DuckDB reads it as the DOUBLE ${raw}), ` +
          `which may stand for another integer than the one written; the table's column holds integers, so dgit does not guess: write it as a plain integer`
      : `${where}: value ${raw} in column ${JSON.stringify(column)} is an integer that a Float64 cannot hold exactly ` +
          `(DuckDB read the column as DOUBLE); dgit does not round it. Keep such numbers as text: JSON strings, or a Utf8 column of an existing table`,
    where,
  );
}

/** Whether the table's column `name` (when the table exists) holds integers. */
function integerTarget(targetColumns: readonly TargetColumn[] | undefined, name: string): boolean {
  return /^U?Int/.test(targetColumns?.find((column) => column.name === name)?.type ?? '');
}

/** The types DuckDB detects for times of day and timestamps in text: it keeps microseconds of them. */
const MICROSECOND_TIME_TYPES = new Set(['TIME', 'TIMESTAMP', 'TIMESTAMP WITH TIME ZONE']);

/**
 * What DuckDB's reading of time text drops, checked in one pass over each time column's
 * text (text formats only; a Parquet or Arrow file stores the values):
 * - digits past the sixth of a second ('10:00:00.1234567'): DuckDB keeps six, without a
 *   word. Refused, naming the first value and its line, when one is not zero.
 * - from JSON, UTC offsets: DuckDB's JSON reader reads "2024-01-01T10:00:00+02:00" as a
 *   naive TIMESTAMP holding the UTC wall time (08:00), the offset gone. CSV reading keeps
 *   such text a TIMESTAMP WITH TIME ZONE, and CSV text into a naive column is refused with
 *   an offset but Z or +00 (see column-plan.ts); JSON is made to agree: into an existing
 *   naive column a nonzero offset is refused; a new column whose every value has an offset
 *   (Z included) becomes a UTC column of the instants; a new column with offsets on some
 *   values only is refused (which zone the others are in is a guess dgit does not make).
 * Returns the columns with the types they are loaded as (a JSON column may become UTC).
 */
async function checkTimeText(
  session: DuckDbSession,
  reader: SourceReader,
  file: string,
  described: ReadonlyArray<{ name: string; type: string }>,
  options: { format: SourceFormat; targetColumns: readonly TargetColumn[]; loaded?: string },
): Promise<Array<{ name: string; type: string }>> {
  const rawTextSql = reader.rawTextSql?.bind(reader);
  if (!rawTextSql) return [...described];
  const json = options.format === 'json' || options.format === 'ndjson';
  const out: Array<{ name: string; type: string }> = [];
  for (const column of described) {
    out.push(column);
    // DuckDB reads CSV dates written `01/02/2020` day-first or month-first by a guess over the whole column.
    const numericDates = !json && /^(DATE|TIMESTAMP( WITH TIME ZONE)?)$/.test(column.type);
    if (!MICROSECOND_TIME_TYPES.has(column.type) && !numericDates) continue;
    // A CSV time of day is read again as the file's text (see openSortedSource): nothing is cut.
    if (!json && /^TIME( WITH TIME ZONE)?$/.test(column.type) && !options.targetColumns.some((t) => t.name === column.name)) continue;
    const target = options.targetColumns.find((t) => t.name === column.name);
    // Offsets matter for JSON timestamps read as naive (new columns), or cast into a naive column.
    const offsets = json && column.type !== 'TIME' && (target ? isTimestamp(target.type) && !timestampIsUtc(target.type) : column.type === 'TIMESTAMP');
    const text = `trim(raw, '" ')`;
    // A time of day, then an offset: Z, +02, +0530, -07:00.
    const offset = `regexp_extract(${text}, '[0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?[[:space:]]*([+-][0-9]{2}(:?[0-9]{2})?|[Zz])$', 3)`;
    const aggregates = MICROSECOND_TIME_TYPES.has(column.type) ? [`min(row) FILTER (WHERE regexp_matches(raw, '[0-9][.,][0-9]{6}[0-9]*[1-9]')) AS cut`] : [];
    if (numericDates) {
      // Ambiguous when every value is day and month as numbers, none past 12, and some day differs from its month.
      const part = (n: number) => `regexp_extract(${text}, '^([0-9]{1,2})[/.-]([0-9]{1,2})[/.-][0-9]{2,4}([ T].*)?$', ${n})`;
      aggregates.push(
        `count(*) FILTER (WHERE ${part(1)} = '') AS other_dates`,
        `greatest(max(TRY_CAST(${part(1)} AS INTEGER)), max(TRY_CAST(${part(2)} AS INTEGER))) AS largest_part`,
        `min(row) FILTER (WHERE ${part(1)} <> ${part(2)}) AS ambiguous`,
      );
    }
    if (offsets)
      aggregates.push(
        `min(row) FILTER (WHERE ${offset} <> '' AND NOT regexp_full_match(${offset}, '[+-]00(:?00)?|[Zz]')) AS shifted`,
        `min(row) FILTER (WHERE ${offset} <> '') AS first_offset`,
        `min(row) FILTER (WHERE ${offset} = '') AS first_local`,
      );
    const [seen] = await session.rows(`SELECT ${aggregates.join(', ')} FROM (${rawTextSql(column.name)}) WHERE raw IS NOT NULL AND raw <> 'null'`);
    const rowOf = (name: string) => (seen?.[name] === null || seen?.[name] === undefined ? undefined : Number(seen[name]));
    const [cut, shifted, firstOffset, firstLocal, ambiguous] = ['cut', 'shifted', 'first_offset', 'first_local', 'ambiguous'].map(rowOf);
    let refused: { row: number; why: string } | undefined;
    if (numericDates && ambiguous !== undefined && Number(seen?.['other_dates']) === 0 && Number(seen?.['largest_part']) <= 12)
      refused = {
        row: ambiguous,
        why: 'reads day-first and month-first alike, as does every date of the column, and no value says which; dgit does not guess. Write the dates as YYYY-MM-DD, or import into a VARCHAR column of a table created first',
      };
    else if (cut !== undefined)
      refused = {
        row: cut,
        why:
          `has digits past the microsecond, which DuckDB, reading the column as ${column.type}, drops; dgit does not cut them. ` +
          (column.type === 'TIMESTAMP' && !target
            ? `Create the table with a nanosecond column first (dgit sql "CREATE TABLE ... (${column.name} TIMESTAMP_NS, ...)") and import into it, or keep the values as text`
            : 'Keep the values as text (a VARCHAR column of a table created first with dgit sql)'),
      };
    else if (target && shifted !== undefined)
      refused = { row: shifted, why: `does not fit type ${target.type}: it takes a date and time with no UTC offset but Z or +00 (with another offset it would be stored as another time of day)` };
    else if (!target && firstOffset !== undefined && firstLocal !== undefined)
      refused = {
        row: firstOffset,
        why: `has a UTC offset where other values of the column (the first at row ${firstLocal}) have none: the column would mix instants with local times of no known zone; write every value with its offset, or none`,
      };
    if (refused) {
      const [value] = await session.rows(`SELECT raw FROM (${rawTextSql(column.name)}) WHERE row = ${refused.row}`);
      const where = describeLocation(file, (await reader.locate([refused.row])).get(refused.row) ?? { kind: 'row', row: refused.row });
      throw new InvalidInputError(`${where}: value ${JSON.stringify(String(value?.['raw'] ?? '').trim().replace(/^"|"$/g, ''))} in column ${JSON.stringify(column.name)} ${refused.why}`, where);
    }
    if (offsets && !target && firstOffset !== undefined && options.loaded) {
      // Every value is an instant that DuckDB stored as its UTC wall time: the same instants, as UTC.
      const name = quoteIdentifier(column.name);
      await session.run(`ALTER TABLE ${options.loaded} ALTER ${name} TYPE TIMESTAMP WITH TIME ZONE USING timezone('UTC', ${name})`);
      out[out.length - 1] = { name: column.name, type: 'TIMESTAMP WITH TIME ZONE' };
    }
  }
  return out;
}

/**
 * The sort: the sort columns ascending, nulls first. When they do not make rows
 * unique, file order breaks ties, so the same file always gives the same order.
 */
function orderBy(columns: readonly PlannedColumn[], options: OpenSortedSourceOptions): string {
  const { sortColumns, unique } = sortTerms(columns, options);
  const terms = sortColumns.map((sorted) => `${columns.indexOf(sorted) + 1} ASC NULLS FIRST`);
  if (!unique) terms.push(`${quoteIdentifier(ROW_NUMBER_COLUMN)} ASC`);
  return terms.join(', ');
}

/** The columns rows are sorted by, in order, and whether they make rows unique (else file order breaks ties). */
function sortTerms(columns: readonly PlannedColumn[], options: OpenSortedSourceOptions): { sortColumns: PlannedColumn[]; unique: boolean } {
  const names = options.sortBy === 'all' ? columns.map((column) => column.name) : options.sortBy;
  const unique = options.sortBy === 'all' || (options.uniqueKey.length > 0 && options.uniqueKey.every((key) => names.includes(key)));
  return { sortColumns: names.map((name) => columns.find((column) => column.name === name)!), unique };
}

function sortedSource(
  planned: readonly PlannedColumn[],
  rowCount: number,
  read: () => AsyncIterable<arrow.Table>,
  workDir: string,
  onProgress: OpenSortedSourceOptions['onProgress'],
): SortedSource {
  const columns = planned.map(({ name, type, nullable, inSource }) => ({ name, type, nullable, inSource }));
  return {
    columns,
    rowCount,
    async *batches() {
      let done = 0;
      for await (const table of read()) {
        done += table.numRows;
        yield table;
        onProgress?.(done, rowCount);
      }
    },
    async close() {
      await rm(workDir, { recursive: true, force: true });
    },
  };
}
