import { DgitError, DuplicateKeyError, InvalidInputError, NullKeyError } from '../errors/index.js';
import type { DuckDbSession } from '../sql/duckdb-session.js';
import { quoteIdentifier } from '../sql/sql-text.js';
import { ROW_NUMBER_COLUMN, type PlannedColumn } from './column-plan.js';
import { describeLocation, describeLocationShort, type SourceLocation } from './source-location.js';

/** Some of the source's columns, loaded into one DuckDB table with the source row numbers. */
export interface LoadedPart {
  table: string;
  columns: readonly PlannedColumn[];
}

/** What the checks need to know about the loaded source. */
export interface CheckedSource {
  file: string;
  /**
   * The DuckDB tables holding the source rows, each with the row numbers and some of the
   * columns (one table, unless the source is too wide for one: see column-groups.ts).
   * The unique key's columns are all in one part.
   */
  parts: readonly LoadedPart[];
  /** Every column, in the order of the imported table (the order checks report in). */
  columns: readonly PlannedColumn[];
  uniqueKey: readonly string[];
  locate(rows: readonly number[]): Promise<Map<number, SourceLocation>>;
}

const ROW = quoteIdentifier(ROW_NUMBER_COLUMN);

/**
 * Refuses the source at its first bad row, in this order: a value that does not
 * fit its column's type, a null where the table allows none (a key column, or a
 * target column declared not null), then a key that repeats. Each check is one
 * scan in DuckDB; line numbers are looked up only for the row reported.
 */
export async function checkSource(session: DuckDbSession, source: CheckedSource): Promise<void> {
  await checkTypes(session, source);
  await checkNulls(session, source);
  await checkUnique(session, source);
}

async function checkTypes(session: DuckDbSession, source: CheckedSource): Promise<void> {
  let worst: { row: number; value: string; column: PlannedColumn } | undefined;
  for (const column of source.columns) {
    if (!column.misfit) continue;
    const rows = await session.rows(
      `SELECT ${ROW} AS row, ${column.sourceText} AS value FROM ${partOf(source, column).table} WHERE ${column.misfit} ORDER BY ${ROW} LIMIT 1`,
    );
    const found = rows[0];
    if (found && (!worst || Number(found['row']) < worst.row)) worst = { row: Number(found['row']), value: String(found['value']), column };
  }
  if (!worst) return;
  const where = await locateOne(source, worst.row);
  throw new InvalidInputError(
    `${where}: value ${JSON.stringify(worst.value)} in column ${JSON.stringify(worst.column.name)} does not fit type ${worst.column.type}` +
      (worst.column.hint ? `: ${worst.column.hint}` : ''),
    where,
  );
}

/** The first row with a null where none is allowed: the earliest row, and on it the first such column in table order. */
async function checkNulls(session: DuckDbSession, source: CheckedSource): Promise<void> {
  let first: { row: number; column: PlannedColumn } | undefined;
  for (const part of source.parts) {
    const required = part.columns.filter((column) => !column.nullable);
    if (required.length === 0) continue;
    const flags = required.map((column, i) => `(${column.value}) IS NULL AS n${i}`).join(', ');
    const any = required.map((column) => `(${column.value}) IS NULL`).join(' OR ');
    const rows = await session.rows(`SELECT ${ROW} AS row, ${flags} FROM ${part.table} WHERE ${any} ORDER BY ${ROW} LIMIT 1`);
    const found = rows[0];
    if (!found) continue;
    const row = Number(found['row']);
    const column = required
      .filter((_, i) => found[`n${i}`] === true)
      .reduce((a, b) => (source.columns.indexOf(a) <= source.columns.indexOf(b) ? a : b));
    if (!first || row < first.row || (row === first.row && source.columns.indexOf(column) < source.columns.indexOf(first.column))) first = { row, column };
  }
  if (!first) return;
  const { column } = first;
  const where = await locateOne(source, first.row);
  if (source.uniqueKey.includes(column.name))
    throw new NullKeyError(`${where}: key column ${JSON.stringify(column.name)} is empty (null)`, where);
  throw new InvalidInputError(`${where}: column ${JSON.stringify(column.name)} is empty (null), and the table does not allow nulls in it`, where);
}

async function checkUnique(session: DuckDbSession, source: CheckedSource): Promise<void> {
  if (source.uniqueKey.length === 0) return;
  const keys = source.uniqueKey.map((name) => source.columns.find((column) => column.name === name)!);
  const table = partOf(source, keys[0]!).table;
  if (keys.some((column) => partOf(source, column).table !== table)) throw new DgitError('INTERNAL', 'the key columns are loaded into different tables', source.file);
  const groupBy = keys.map((column) => column.value).join(', ');
  const texts = keys.map((column, i) => `CAST(${column.value} AS VARCHAR) AS k${i}`).join(', ');
  const any = await session.rows(`SELECT 1 FROM ${table} GROUP BY ${groupBy} HAVING count(*) > 1 LIMIT 1`);
  if (any.length === 0) return;
  // The key whose second occurrence comes first: the first place the file repeats itself.
  const rows = await session.rows(
    `SELECT min(${ROW}, 2) AS rows, count(*) OVER () AS keys, ${texts} FROM ${table} ` +
      `GROUP BY ${groupBy} HAVING count(*) > 1 ORDER BY rows[2] LIMIT 1`,
  );
  const found = rows[0];
  if (!found) return;
  const [first, second] = (found['rows'] as unknown[]).map(Number) as [number, number];
  const locations = await source.locate([first, second]);
  const where = describeLocation(source.file, locations.get(second));
  const key = keys.map((column, i) => `${column.name}=${showValue(column, found[`k${i}`])}`).join(', ');
  const others = Number(found['keys']) - 1;
  throw new DuplicateKeyError(
    `${where}: duplicate primary key (${key}), first at ${describeLocationShort(locations.get(first))}` +
      (others > 0 ? ` (and ${others} more repeated key${others === 1 ? '' : 's'})` : ''),
    where,
  );
}

/** The loaded table that holds a column. */
function partOf(source: CheckedSource, column: PlannedColumn): LoadedPart {
  const part = source.parts.find((p) => p.columns.includes(column));
  if (!part) throw new DgitError('INTERNAL', `column ${JSON.stringify(column.name)} is in no loaded table`, source.file);
  return part;
}

async function locateOne(source: CheckedSource, row: number): Promise<string> {
  const locations = await source.locate([row]);
  return describeLocation(source.file, locations.get(row) ?? { kind: 'row', row });
}

function showValue(column: PlannedColumn, text: unknown): string {
  return column.type === 'Utf8' ? JSON.stringify(String(text)) : String(text);
}
