import * as parquet from 'parquet-wasm';
import { valueKind, type ColumnType } from '../../schema/types.js';
import { WIDE_COLUMNS } from '../../schema/wide.js';

/**
 * The Parquet half of chunk encoding: Arrow IPC bytes in, Parquet bytes out, with
 * the format's fixed writer settings. Apart from chunk-codec.ts (which loads Arrow)
 * so that an encoding worker thread loads parquet-wasm alone.
 */
export const CHUNK_CREATED_BY = 'dgit chunk format 1';

/** What the writer settings need to know of a column. */
export interface ParquetColumn {
  name: string;
  type: ColumnType;
}

/**
 * Writer settings, built fresh for every chunk: parquet-wasm consumes the
 * WriterProperties it is given, and a reused one silently falls back to defaults.
 * Integers, dates and timestamps use DELTA_BINARY_PACKED without a dictionary
 * (15.4 MB vs 23.6 MB on the 3M flights rows); floats BYTE_STREAM_SPLIT; strings
 * keep the dictionary, which wins on low-cardinality columns. Statistics are off:
 * the manifest holds each chunk's key range, and readers do not need min/max to be correct.
 *
 * Wide chunks (more than WIDE_COLUMNS columns) are compressed with LZ4_RAW and
 * keep integers PLAIN: in parquet-wasm, ZSTD and DELTA_BINARY_PACKED cost about a
 * millisecond per column per chunk, growing with the column count (a chunk of 5,000
 * rows by 3,000 columns took 11.7 s, against 3.1 s this way, for files 1.8 times
 * larger), and DELTA_BINARY_PACKED runs out of WebAssembly memory at 4,000 integer
 * columns. DuckDB and every Parquet reader read both forms. The form is a pure
 * function of the chunk's columns, so the same rows and columns always give the same
 * bytes, whichever command writes them.
 */
function writerProperties(columns: readonly ParquetColumn[]): parquet.WriterProperties {
  const wide = columns.length > WIDE_COLUMNS;
  let builder = new parquet.WriterPropertiesBuilder()
    .setCompression(wide ? parquet.Compression.LZ4_RAW : parquet.Compression.ZSTD)
    .setCreatedBy(CHUNK_CREATED_BY)
    .setStatisticsEnabled(parquet.EnabledStatistics.None)
    .setWriterVersion(parquet.WriterVersion.V1)
    .setMaxRowGroupSize(1 << 30);
  for (const column of columns) {
    const kind = valueKind(column.type);
    if (kind === 'bigint' || (kind === 'number' && !column.type.startsWith('Float'))) {
      builder = builder.setColumnDictionaryEnabled(column.name, false);
      if (!wide) builder = builder.setColumnEncoding(column.name, parquet.Encoding.DELTA_BINARY_PACKED);
    } else if (column.type.startsWith('Float')) {
      builder = builder
        .setColumnDictionaryEnabled(column.name, false)
        .setColumnEncoding(column.name, parquet.Encoding.BYTE_STREAM_SPLIT);
    }
  }
  return builder.build();
}

/** Parquet bytes of a chunk given as an Arrow IPC stream of the chunk schema (see `chunkIpc`). */
export function parquetOfIpc(ipc: Uint8Array, columns: readonly ParquetColumn[]): Uint8Array {
  const wasmTable = parquet.Table.fromIPCStream(ipc);
  return parquet.writeParquet(wasmTable, writerProperties(columns));
}

/**
 * The Parquet half of decoding: a chunk's Parquet bytes in, its Arrow IPC stream
 * out (what `decodeChunk` reads as a table). Here, without Arrow, so a worker
 * thread can decode chunks ahead of a merge (see ChunkPrefetch).
 */
export function ipcOfParquet(bytes: Uint8Array): Uint8Array {
  return parquet.readParquet(bytes, { batchSize: 1 << 20 }).intoIPCStream();
}
