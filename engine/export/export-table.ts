import type { Progress } from '../progress.js';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import * as arrow from 'apache-arrow';
import { InvalidInputError } from '../errors/index.js';
import type { Column } from '../schema/schema.js';
import type { DuckDbSession } from '../sql/duckdb-session.js';
import { quoteIdentifier, quoteString } from '../sql/sql-text.js';
import { readStagedGroups, readStagedParquet, stagedColumnGroups, stagedRowGroupSize, stageQuery } from '../sql/staged-parquet.js';
import { WIDE_COLUMNS } from '../schema/wide.js';
import { arrowToRows, chunkArrowSchema } from '../store/parquet/chunk-codec.js';
import { openOutputSink, type OutputSink } from './output-sink.js';
import { csvHeader, csvLine, ndjsonLine } from './row-text.js';

/** The formats a table exports to. */
export type ExportFormat = 'parquet' | 'csv' | 'ndjson' | 'arrow';

export interface ExportTableOptions {
  session: DuckDbSession;
  /** A view made by `createTableView`; its row order (key order) is the export's. */
  view: string;
  /** The table's columns, as given to `createTableView`. */
  columns: Column[];
  format: ExportFormat;
  /** A file path, '-' for stdout, or a stream (written to, not ended). */
  output: string | NodeJS.WritableStream;
  /** Arrow IPC flavour: 'file' (Feather v2, random access) for a path, 'stream' for a stream, unless given. */
  arrowIpc?: 'file' | 'stream';
  /** Told as rows are written (of `totalRows`, when given). */
  progress?: Progress;
  totalRows?: number;
}

/** The export format of a file name, from its extension. */
export function exportFormatFromPath(file: string): ExportFormat {
  const extension = path.extname(file).toLowerCase();
  const format = ({ '.parquet': 'parquet', '.csv': 'csv', '.ndjson': 'ndjson', '.jsonl': 'ndjson', '.arrow': 'arrow', '.feather': 'arrow', '.ipc': 'arrow' } as const)[
    extension as '.csv'
  ];
  if (!format) throw new InvalidInputError(`cannot tell the export format of ${JSON.stringify(file)}; use .parquet .csv .ndjson or .arrow`, file);
  return format;
}

/** Text is handed to the sink in pieces of about this many characters. */
const TEXT_PIECE = 1 << 16;

/**
 * Writes a table's rows, in view order, as one Parquet file, CSV (header, RFC 4180
 * quoting), NDJSON (one object per line, `toJsonValue` rules) or Arrow IPC. Streams:
 * DuckDB stages the rows to a Parquet file in the session's directory, and they come
 * back one row group at a time. A file output appears only when complete.
 */
export async function exportTable(options: ExportTableOptions): Promise<{ rows: number }> {
  const { session, columns } = options;
  const staged = path.join(session.workDir, `export-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}.parquet`);
  const sink = await openOutputSink(options.output);
  const stagedFiles = [staged];
  try {
    let rows: number;
    if (options.format === 'parquet') {
      const copied = await session.rows(`COPY (SELECT * FROM ${quoteIdentifier(options.view)}) TO ${quoteString(staged)} (FORMAT parquet)`);
      rows = Number(copied[0]?.['Count'] ?? 0);
      await copyFile(staged, sink);
    } else {
      const read = await stageView(session, options.view, columns, staged);
      stagedFiles.push(...read.files);
      const batches = counted(read.batches, options.progress, options.totalRows);
      if (options.format === 'arrow') {
        const flavour = options.arrowIpc ?? (typeof options.output === 'string' && options.output !== '-' ? 'file' : 'stream');
        rows = await writeArrow(batches, columns, flavour, sink);
      } else rows = await writeText(batches, columns, options.format, sink);
    }
    await sink.commit();
    return { rows };
  } catch (error) {
    await sink.abort();
    throw error;
  } finally {
    for (const file of stagedFiles) await rm(file, { force: true });
  }
}

/**
 * The view's rows staged by DuckDB and read back, in view order. A wide table (more
 * than WIDE_COLUMNS columns) is staged in files of STAGED_GROUP_COLUMNS columns,
 * each a projection of the view in its order, and read back side by side: DuckDB
 * needs about 0.5 MiB per column of a Parquet file it writes, before the first row.
 */
async function stageView(session: DuckDbSession, view: string, columns: Column[], staged: string): Promise<{ batches: AsyncIterable<arrow.Table>; files: string[] }> {
  const groups = columns.length <= WIDE_COLUMNS ? [columns] : stagedColumnGroups(columns);
  const files = groups.map((_, index) => (groups.length === 1 ? staged : `${staged}.${index}`));
  const rowGroupSize = stagedRowGroupSize(columns.length);
  for (const [index, group] of groups.entries())
    await stageQuery(session, { columns: group, values: group.map((column) => quoteIdentifier(column.name)), fromSql: quoteIdentifier(view), file: files[index]!, rowGroupSize });
  const batches = groups.length === 1 ? readStagedParquet(staged, columns) : readStagedGroups(groups.map((group, index) => ({ file: files[index]!, columns: group })), columns);
  return { batches, files };
}

/** The batches, telling `progress` the rows passed on so far. */
async function* counted(batches: AsyncIterable<arrow.Table>, progress: Progress | undefined, total: number | undefined): AsyncIterable<arrow.Table> {
  let done = 0;
  for await (const table of batches) {
    yield table;
    done += table.numRows;
    progress?.({ phase: 'Exporting', done, total, unit: 'rows' });
  }
}

async function copyFile(file: string, sink: OutputSink): Promise<void> {
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  for await (const chunk of stream) await sink.write(chunk as Buffer);
}

async function writeText(batches: AsyncIterable<arrow.Table>, columns: Column[], format: 'csv' | 'ndjson', sink: OutputSink): Promise<number> {
  let rows = 0;
  let piece = format === 'csv' ? csvHeader(columns) : '';
  const line = format === 'csv' ? csvLine : ndjsonLine;
  for await (const table of batches) {
    for (const row of arrowToRows(table, columns)) {
      piece += line(columns, row);
      if (piece.length >= TEXT_PIECE) {
        await sink.write(piece);
        piece = '';
      }
    }
    rows += table.numRows;
  }
  if (piece.length > 0) await sink.write(piece);
  return rows;
}

/**
 * Arrow IPC out of apache-arrow's writer, which queues encoded bytes for an async
 * reader. Between batches the queue is emptied into the sink, so at most one
 * batch's bytes wait in memory.
 */
async function writeArrow(batches: AsyncIterable<arrow.Table>, columns: Column[], flavour: 'file' | 'stream', sink: OutputSink): Promise<number> {
  const schema = chunkArrowSchema(columns);
  const writer = flavour === 'file' ? new arrow.RecordBatchFileWriter() : new arrow.RecordBatchStreamWriter();
  writer.reset(undefined, schema);
  const bytes = writer[Symbol.asyncIterator]();
  let next = bytes.next();
  // Moves what the writer has queued so far into the sink; stops when the queue is empty or closed.
  const drain = async (untilClosed: boolean) => {
    for (;;) {
      const result = untilClosed ? await next : await Promise.race([next, idle()]);
      if (result === IDLE || result.done) return;
      await sink.write(result.value);
      next = bytes.next();
    }
  };
  let rows = 0;
  for await (const table of batches) {
    for (const batch of table.batches) writer.write(new arrow.RecordBatch(schema, batch.data));
    rows += table.numRows;
    await drain(false);
  }
  writer.finish();
  await drain(true);
  return rows;
}

const IDLE = Symbol('idle');
/** Resolves after pending promise callbacks have run: a queued value wins the race against it, an empty queue loses. */
function idle(): Promise<typeof IDLE> {
  return new Promise((resolve) => setImmediate(() => resolve(IDLE)));
}
