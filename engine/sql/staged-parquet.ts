import { openAsBlob } from 'node:fs';
import * as arrow from 'apache-arrow';
import * as parquet from 'parquet-wasm';
import { chunkArrowSchema, conformToColumns } from '../store/parquet/chunk-codec.js';
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

/** Cells (rows x columns) a staged row group of a wide table holds at most: about what one of a narrow table holds. */
const WIDE_ROW_GROUP_CELLS = 1 << 21;

/** Rows per staged row group for a table of `columnCount` columns (all its files together): fewer for wide tables, never under 1,024. */
export function stagedRowGroupSize(columnCount: number): number {
  return Math.max(1024, Math.min(STAGED_ROW_GROUP_SIZE, Math.floor(WIDE_ROW_GROUP_CELLS / Math.max(1, columnCount))));
}

/**
 * Columns a staged file holds at most when a wide table is staged in several
 * (see readStagedGroups): DuckDB's Parquet writer keeps a writer per column, and the
 * sort before it a row of every column (1,000 columns ran out of 600 MiB; with 256, a
 * 3,000-column import peaked at 911 MiB in this phase, 833 MiB with 128).
 */
export const STAGED_GROUP_COLUMNS = 128;

/** `columns` cut into runs of at most STAGED_GROUP_COLUMNS, in order: the column sets of a wide table's staged files. */
export function stagedColumnGroups<C>(columns: readonly C[]): C[][] {
  const groups: C[][] = [];
  for (let start = 0; start < columns.length; start += STAGED_GROUP_COLUMNS) groups.push(columns.slice(start, start + STAGED_GROUP_COLUMNS));
  return groups;
}

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

/**
 * Staged files of some columns each (the same rows, in the same order) read back side
 * by side, as Arrow tables of all `columns` (in that order; the same column objects as
 * the files'), typed as `readStagedParquet` types them. The groups' row groups need not line up: each table is as long as the
 * shortest piece at hand, sliced (not copied) from each group's.
 */
export async function* readStagedGroups<C extends StagedColumn>(staged: ReadonlyArray<{ file: string; columns: readonly C[] }>, columns: readonly C[]): AsyncGenerator<arrow.Table> {
  const place = new Map<C, { group: number; index: number }>();
  staged.forEach((group, g) => group.columns.forEach((column, index) => place.set(column, { group: g, index })));
  const schema = chunkArrowSchema(columns.map(({ name, type, nullable }, index) => ({ id: index + 1, name, type, nullable })));
  const readers = staged.map(({ file, columns: groupColumns }) => readStagedParquet(file, groupColumns));
  const heads: Array<{ children: readonly arrow.Data[]; rows: number; offset: number } | undefined> = staged.map(() => undefined);
  try {
    for (;;) {
      let ended = 0;
      for (let g = 0; g < readers.length; g++) {
        while (heads[g] === undefined || heads[g]!.offset === heads[g]!.rows) {
          const next = await readers[g]!.next();
          if (next.done) {
            heads[g] = undefined;
            ended++;
            break;
          }
          const batch = next.value.batches[0];
          heads[g] = { children: batch ? batch.data.children : [], rows: batch ? next.value.numRows : 0, offset: 0 };
        }
      }
      if (ended === readers.length) return;
      if (ended > 0) throw new DgitError('INTERNAL', 'staged column groups hold different numbers of rows', staged[0]!.file);
      const length = Math.min(...heads.map((head) => head!.rows - head!.offset));
      const children = columns.map((column) => {
        const { group, index } = place.get(column)!;
        const head = heads[group]!;
        return head.children[index]!.slice(head.offset, length);
      });
      for (const head of heads) head!.offset += length;
      const data = arrow.makeData({ type: new arrow.Struct(schema.fields), length, nullCount: 0, children });
      yield new arrow.Table(schema, [new arrow.RecordBatch(schema, data)]);
    }
  } finally {
    await Promise.all(readers.map((reader) => reader.return(undefined)));
  }
}
