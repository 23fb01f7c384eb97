import type * as arrow from 'apache-arrow';
import type { Manifest } from '../chunking/manifest.js';
import { CorruptError, DuplicateKeyError, NullKeyError } from '../errors/index.js';
import { isKeyless, keyColumnIndexes, type TableSchema } from '../schema/schema.js';
import { compareKeys, toJsonValue, type Value } from '../value/value.js';
import { arrowColumnValues } from '../../formats/parquet/chunk-codec.js';
import { ChunkBuilder } from './chunk-builder.js';
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
  const keyColumns = keyColumnIndexes(schema).map((i) => schema.columns[i]!);
  const bag = isKeyless(schema);
  let previous: Value[] | undefined;
  let rowNumber = 0;
  for await (const batch of batches) {
    if (batch.numRows === 0) continue;
    const columns = keyColumns.map((column) => arrowColumnValues(batch, column));
    const keys: Value[][] = new Array(batch.numRows);
    for (let i = 0; i < batch.numRows; i++) {
      const key = columns.map((values) => values[i]!);
      rowNumber++;
      if (!bag) {
        const nullAt = key.findIndex((v) => v === null);
        if (nullAt >= 0) throw new NullKeyError(`null in key column ${JSON.stringify(keyColumns[nullAt]!.name)}`, where);
      }
      if (previous) {
        const order = compareKeys(previous, key);
        if (order > 0) throw new CorruptError(`rows are not sorted by key at row ${rowNumber}`, where);
        if (order === 0 && !bag) {
          const shown = key.map((v, k) => toJsonValue(keyColumns[k]!.type, v));
          throw new DuplicateKeyError(`duplicate primary key ${JSON.stringify(shown)}`, where);
        }
      }
      keys[i] = key;
      previous = key;
    }
    builder.pushBatch(batch, keys);
  }
  return { chunks: builder.finish() };
}
