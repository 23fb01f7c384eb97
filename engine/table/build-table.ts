import type * as arrow from 'apache-arrow';
import type { Manifest } from '../chunking/manifest.js';
import { CorruptError, DuplicateKeyError, NullKeyError } from '../errors/index.js';
import { isKeyless, keyColumnIndexes, type TableSchema } from '../schema/schema.js';
import { compareKeys, toJsonValue, type Value } from '../value/value.js';
import { KEY_HASH_SEED, finishKeyHash } from '../chunking/key-hash.js';
import { keyColumnReader } from './key-columns.js';
import { ChunkBuilder, CHUNKS_IN_FLIGHT } from './chunk-builder.js';
import type { ChunkWriter } from './table-version.js';

/**
 * Chunk a whole table from Arrow batches sorted by key (a bulk import). Rows stay
 * in Arrow; only the key columns become JS values, to hash and to check order.
 * Gives the same chunks as building the same rows through `applyEdits`.
 */
export async function buildTable(
  schema: TableSchema,
  batches: AsyncIterable<arrow.Table>,
  writer: ChunkWriter,
  where: string,
): Promise<Manifest> {
  const builder = new ChunkBuilder(schema, writer);
  try {
    return await chunkBatches(schema, batches, builder, where);
  } finally {
    await builder.close();
  }
}

async function chunkBatches(schema: TableSchema, batches: AsyncIterable<arrow.Table>, builder: ChunkBuilder, where: string): Promise<Manifest> {
  const keyColumns = keyColumnIndexes(schema).map((i) => schema.columns[i]!);
  const bag = isKeyless(schema);
  let previous: Value[] | undefined;
  let rowNumber = 0;
  for await (const batch of batches) {
    const n = batch.numRows;
    if (n === 0) continue;
    const readers = keyColumns.map((column) => keyColumnReader(batch, column));
    const keyAt = (row: number) => readers.map((r) => r.value(row));
    const hashes = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      rowNumber++;
      let h = KEY_HASH_SEED;
      for (let k = 0; k < readers.length; k++) {
        const reader = readers[k]!;
        if (!bag && reader.isNull(i)) throw new NullKeyError(`null in key column ${JSON.stringify(keyColumns[k]!.name)}`, where);
        h = reader.feed(h, i);
      }
      hashes[i] = finishKeyHash(h);
      // Sorted input: each key must follow the one before (the first of a batch, the last of the batch before).
      let order = 0;
      if (i > 0) {
        for (let k = 0; k < readers.length && order === 0; k++) order = readers[k]!.compare(i - 1, i);
      } else if (previous) order = compareKeys(previous, keyAt(0));
      else order = -1;
      if (order > 0) throw new CorruptError(`rows are not sorted by key at row ${rowNumber}`, where);
      if (order === 0 && !bag) {
        const shown = keyAt(i).map((v, k) => toJsonValue(keyColumns[k]!.type, v));
        throw new DuplicateKeyError(`duplicate primary key ${JSON.stringify(shown)}`, where);
      }
    }
    previous = keyAt(n - 1);
    builder.pushBatch(batch, hashes, keyAt);
    await builder.written(CHUNKS_IN_FLIGHT);
  }
  return { chunks: await builder.finish() };
}
