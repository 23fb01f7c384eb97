import { openAsBlob } from 'node:fs';
import * as arrow from 'apache-arrow';
import * as parquet from 'parquet-wasm';
import { conformToColumns } from '../store/parquet/chunk-codec.js';
import { DgitError } from '../errors/index.js';
import type { Column } from '../schema/schema.js';
import { isTimestamp, type ColumnType } from '../schema/types.js';
import { toArrowType } from '../store/parquet/arrow-types.js';
import type { DuckDbSession } from './duckdb-session.js';
import { arrowLayoutExpression } from './duckdb-types.js';
import { quoteIdentifier, quoteString } from './sql-text.js';

/**
 * Rows leave DuckDB as a Parquet file on disk ("staged"), then come back one row
 * group at a time as Arrow with dgit's exact types: DuckDB sorts and spills to disk
 * and JS never holds more than a row group.
 */

/** Rows per row group of a staged file: big enough to be fast, small enough to hold in memory. */
export const STAGED_ROW_GROUP_SIZE = 122_880;

/** A column of a staged file: its name and dgit type, and whether it may hold nulls. */
export interface StagedColumn {
  name: string;
  type: ColumnType;
  nullable: boolean;
}

/**
 * Writes the rows of `fromSql` (a FROM clause: table, view or subquery) to a staged
 * Parquet file. `values[i]` is the SQL of column i, already of the DuckDB type of its
 * column type; `orderBy` (SQL, optional) fixes the row order.
 */
export async function stageQuery(
  session: DuckDbSession,
  options: { columns: readonly StagedColumn[]; values: readonly string[]; fromSql: string; orderBy?: string; file: string; rowGroupSize?: number },
): Promise<void> {
  const select = options.columns
    .map((column, i) => `${arrowLayoutExpression(options.values[i]!, column.type)} AS ${quoteIdentifier(column.name)}`)
    .join(', ');
  const order = options.orderBy ? ` ORDER BY ${options.orderBy}` : '';
  await session.run(
    `COPY (SELECT ${select} FROM ${options.fromSql}${order}) TO ${quoteString(options.file)} ` +
      `(FORMAT parquet, ROW_GROUP_SIZE ${options.rowGroupSize ?? STAGED_ROW_GROUP_SIZE})`,
  );
}

/** The row groups of a staged file, in order, as Arrow tables whose types are exactly `toArrowType` of each column. */
export async function* readStagedParquet(file: string, columns: readonly StagedColumn[]): AsyncGenerator<arrow.Table> {
  const asColumns: Column[] = columns.map((column, index) => ({ id: index + 1, ...column }));
  const parquetFile = await parquet.ParquetFile.fromFile(await openAsBlob(file));
  try {
    const groups = parquetFile.metadata().numRowGroups();
    for (let group = 0; group < groups; group++) {
      const wasmTable = await parquetFile.read({ rowGroups: [group], batchSize: 1 << 20 });
      const table = arrow.tableFromIPC(wasmTable.intoIPCStream());
      checkLayout(table, columns, file);
      yield conformToColumns(table, asColumns);
    }
  } finally {
    parquetFile.free();
  }
}

/** Retyping Arrow data in place is only sound when the memory layout already matches; check it rather than trust it. */
function checkLayout(table: arrow.Table, columns: readonly StagedColumn[], file: string): void {
  for (const column of columns) {
    const vector = table.getChild(column.name);
    const expected = isTimestamp(column.type) ? 'Int64' : String(toArrowType(column.type));
    if (!vector || String(vector.type) !== expected)
      throw new DgitError(
        'INTERNAL',
        `staged column ${JSON.stringify(column.name)} has Arrow type ${vector ? String(vector.type) : 'none'}, expected ${expected}`,
        file,
      );
  }
}
