import { UsageError } from '../errors/index.js';
import type { DuckDbSession } from '../sql/duckdb-session.js';
import { arrowLayoutExpression } from '../sql/duckdb-types.js';
import { quoteIdentifier } from '../sql/sql-text.js';
import { stagedColumnGroups, stagedRowGroupSize, stageQuery } from '../sql/staged-parquet.js';
import { ROW_NUMBER_COLUMN, type PlannedColumn } from './column-plan.js';
import type { LoadedPart } from './source-checks.js';

/**
 * Wide sources, loaded by groups of columns.
 *
 * DuckDB gives each column of a table it is filling a block of 256 KiB per thread, so
 * a table of 3,000 columns needs about 1.5 GiB before its first row is stored, whatever
 * the row count, and its Parquet writer likewise keeps a writer per column. A source
 * with more columns than fit is therefore loaded as several DuckDB tables of at most
 * `columnsPerGroup` columns, each with the source row numbers; the checks run over all
 * of them (source-checks.ts), the sort order is computed once from the sort columns,
 * and each group is staged to its own Parquet file in that order. `readStagedGroups` puts the
 * groups' rows back together, so what comes out is the same as from one table.
 */

const ROW = quoteIdentifier(ROW_NUMBER_COLUMN);
/** The sort position of each source row, by row number. */
const ORDER_TABLE = 'dgit_source_order';
const POSITION = quoteIdentifier('__dgit_source_row_position');
const RANK = quoteIdentifier('__dgit_source_row_rank');

/**
 * What each column of a table being loaded holds, per loading thread, in MiB: two of
 * DuckDB's 256 KiB blocks (measured: 1,000 columns load in 558 MiB on one thread, and
 * 1,500 run out of 600 MiB).
 */
const COLUMN_LOAD_MIB = 0.5;
/** Groups are loaded on one thread: twice the columns per pass, and the passes over the file are what costs. */
const LOAD_THREADS = 1;

/**
 * Columns per DuckDB table when loading: four fifths of DuckDB's memory for the blocks
 * being filled on one thread, at least 64 (the smallest memory setting allows 204).
 * `DGIT_IMPORT_COLUMN_GROUP` sets it (tests use it to take this path with few columns).
 */
export function columnsPerGroup(duckdbMemoryMiB: number, setting = process.env['DGIT_IMPORT_COLUMN_GROUP']): number {
  if (setting !== undefined && setting !== '') {
    const value = Number(setting);
    if (!Number.isInteger(value) || value < 1) throw new UsageError('DGIT_IMPORT_COLUMN_GROUP must be a whole number of columns, at least 1', 'DGIT_IMPORT_COLUMN_GROUP');
    return value;
  }
  return Math.max(64, Math.floor((duckdbMemoryMiB * 0.8) / (LOAD_THREADS * COLUMN_LOAD_MIB)));
}

/**
 * The groups: the unique key's columns (and the other sort columns, when they fit) in
 * the first, so uniqueness is one query over one table; then the rest in table order.
 */
export function groupColumns(
  columns: readonly PlannedColumn[],
  options: { uniqueKey: readonly PlannedColumn[]; sortColumns: readonly PlannedColumn[]; perGroup: number },
): PlannedColumn[][] {
  const together = [...new Set([...options.uniqueKey, ...options.sortColumns])];
  const first = together.length <= options.perGroup ? together : [...options.uniqueKey];
  const rest = columns.filter((column) => !first.includes(column));
  const fill = Math.max(0, options.perGroup - first.length);
  const groups = [[...first, ...rest.slice(0, fill)]];
  for (let start = fill; start < rest.length; start += options.perGroup) groups.push(rest.slice(start, start + options.perGroup));
  return groups;
}

/** Loads each group's source columns, with the row numbers, into a table of its own. */
export async function loadGroups(session: DuckDbSession, fromSql: string, groups: readonly PlannedColumn[][], threads: number): Promise<LoadedPart[]> {
  const parts: LoadedPart[] = [];
  await session.run(`SET threads = ${LOAD_THREADS}`);
  for (const [index, columns] of groups.entries()) {
    const table = `dgit_source_${index}`;
    const read = columns.filter((column) => column.inSource).map((column) => `, ${quoteIdentifier(column.name)}`);
    // row_number() OVER () with insertion order preserved numbers rows in file order, the same in every group.
    await session.run(`CREATE TEMP TABLE ${table} AS SELECT row_number() OVER () AS ${ROW}${read.join('')} FROM ${fromSql}`);
    parts.push({ table, columns });
  }
  await session.run(`SET threads = ${threads}`);
  return parts;
}

/**
 * The sort position of every row: ascending by `sortColumns` (their Arrow layout, as a
 * one-table import sorts), nulls first, ties broken by file order. Sort columns in
 * several groups are ranked group by group, each rank breaking the ties of the one
 * before, which is the same order as sorting by all of them at once.
 */
export async function sortPositions(session: DuckDbSession, parts: readonly LoadedPart[], sortColumns: readonly PlannedColumn[]): Promise<void> {
  const runs: Array<{ part: LoadedPart; columns: PlannedColumn[] }> = [];
  for (const column of sortColumns) {
    const part = parts.find((p) => p.columns.includes(column))!;
    const last = runs.at(-1);
    if (last && last.part === part) last.columns.push(column);
    else runs.push({ part, columns: [column] });
  }
  let ranked = parts[0]!.table;
  let rankTerm: string[] = [];
  for (const [index, run] of runs.entries()) {
    const table = `dgit_source_rank_${index}`;
    const by = [...rankTerm, ...run.columns.map((column) => `${arrowLayoutExpression(column.value, column.type)} ASC NULLS FIRST`)];
    const from = index === 0 ? run.part.table : `${ranked} JOIN ${run.part.table} USING (${ROW})`;
    await session.run(`CREATE TEMP TABLE ${table} AS SELECT ${ROW}, dense_rank() OVER (ORDER BY ${by.join(', ')}) AS ${RANK} FROM ${from}`);
    ranked = table;
    rankTerm = [`${table}.${RANK}`];
  }
  const order = [...rankTerm, ROW].join(', ');
  await session.run(`CREATE TEMP TABLE ${ORDER_TABLE} AS SELECT ${ROW}, row_number() OVER (ORDER BY ${order}) AS ${POSITION} FROM ${ranked}`);
}

/**
 * Stages the loaded columns, in the order `sortPositions` made, to Parquet files of at
 * most STAGED_GROUP_COLUMNS columns each (`stagedColumnGroups`), in `workDir`; row groups hold about as many cells
 * as a narrow table's. Returns the files and the columns of each, for `readStagedGroups`.
 */
export async function stageGroups(
  session: DuckDbSession,
  parts: readonly LoadedPart[],
  stagedFile: (index: number) => string,
  columnCount: number,
): Promise<Array<{ file: string; columns: PlannedColumn[] }>> {
  const rowGroupSize = stagedRowGroupSize(columnCount);
  const staged: Array<{ file: string; columns: PlannedColumn[] }> = [];
  for (const part of parts) {
    for (const columns of stagedColumnGroups(part.columns)) {
      const file = stagedFile(staged.length);
      await stageQuery(session, {
        columns,
        values: columns.map((column) => column.value),
        fromSql: `${part.table} JOIN ${ORDER_TABLE} USING (${ROW})`,
        orderBy: POSITION,
        file,
        rowGroupSize,
      });
      staged.push({ file, columns });
    }
  }
  return staged;
}
