import { open, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as arrow from 'apache-arrow';
import * as parquet from 'parquet-wasm';
import { DgitError, InvalidInputError } from '../errors/index.js';
import { quoteIdentifier, quoteStringList } from '../sql/sql-text.js';

/** Rows per staged part: batches are merged up to this so DuckDB reads few, reasonably sized files. */
const PART_ROWS = 1 << 16;

/**
 * Copies an Arrow IPC file (file or stream format) to Parquet parts that DuckDB
 * reads without an extension. Streams batch by batch: at most one part is in
 * memory. Returns the parts in row order and the column names as the file spells them.
 */
export async function stageArrowIpc(file: string, dir: string): Promise<{ parts: string[]; schema: arrow.Schema }> {
  const handle = await open(file, 'r');
  const parts: string[] = [];
  try {
    const reader = await arrow.RecordBatchReader.from(handle);
    await reader.open();
    const schema = reader.schema;
    if (!schema) throw new InvalidInputError(`${file}: not Arrow IPC data (no schema)`, file);
    let pending: arrow.RecordBatch[] = [];
    let pendingRows = 0;
    const flush = async () => {
      const part = path.join(dir, `part-${String(parts.length).padStart(6, '0')}.parquet`);
      await writeFile(part, toParquet(new arrow.Table(schema, pending)));
      parts.push(part);
      pending = [];
      pendingRows = 0;
    };
    for await (const batch of reader) {
      pending.push(batch);
      pendingRows += batch.numRows;
      if (pendingRows >= PART_ROWS) await flush();
    }
    if (pendingRows > 0 || parts.length === 0) await flush();
    return { parts, schema };
  } catch (error) {
    if (error instanceof DgitError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new InvalidInputError(`${file}: cannot read Arrow IPC data (truncated or not Arrow?): ${message}`, file, error);
  } finally {
    await handle.close();
  }
}

function toParquet(table: arrow.Table): Uint8Array {
  const wasmTable = parquet.Table.fromIPCStream(arrow.tableToIPC(table, 'stream'));
  const properties = new parquet.WriterPropertiesBuilder().setCompression(parquet.Compression.UNCOMPRESSED).build();
  return parquet.writeParquet(wasmTable, properties);
}

/**
 * SQL that reads staged parts back with the Arrow types DuckDB would otherwise
 * miss. Parquet has no unit for seconds and no millisecond date, so the Parquet
 * writer stores Timestamp(SECOND) and Date64 as plain INT64 (the real type lives
 * only in the embedded Arrow schema, which DuckDB does not read).
 */
export function readStagedArrowSql(parts: readonly string[], schema: arrow.Schema): string {
  const read = `read_parquet(${quoteStringList(parts)})`;
  const replacements = schema.fields.flatMap((field) => {
    const name = quoteIdentifier(field.name);
    const type = field.type as arrow.DataType;
    if (arrow.DataType.isTimestamp(type) && type.unit === arrow.TimeUnit.SECOND)
      return [`CAST(make_timestamp(CAST(${name} AS BIGINT) * 1000000) AS ${type.timezone ? 'TIMESTAMPTZ' : 'TIMESTAMP_S'}) AS ${name}`];
    if (arrow.DataType.isDate(type) && type.unit === arrow.DateUnit.MILLISECOND)
      return [`CAST(make_timestamp(CAST(${name} AS BIGINT) * 1000) AS DATE) AS ${name}`];
    return [];
  });
  return replacements.length === 0 ? read : `(SELECT * REPLACE (${replacements.join(', ')}) FROM ${read})`;
}
