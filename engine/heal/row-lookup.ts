import type { ChunkId } from '../chunking/manifest.js';
import { keyColumnIndexes } from '../schema/schema.js';
import type { ChunkReader, TableVersion } from '../table/table-version.js';
import { compareKeys, type Row, type Value } from '../value/value.js';

/**
 * Rows of a table by key, read from the manifest's chunks: a key's chunk is found
 * by the first and last keys the manifest lists, so a lookup reads one chunk (two,
 * when copies of a keyless row straddle a boundary), each at most once.
 */
export class RowLookup {
  private readonly rowsByChunk = new Map<ChunkId, Row[]>();
  private readonly keyIndexes: number[];

  constructor(
    private readonly version: TableVersion,
    private readonly reader: ChunkReader,
  ) {
    this.keyIndexes = keyColumnIndexes(version.schema);
  }

  keyOf(row: readonly Value[]): Value[] {
    return this.keyIndexes.map((i) => row[i]!);
  }

  /** Every row whose key is `key` (one for a keyed table; the copies, for a keyless one). */
  async rowsWithKey(key: readonly Value[]): Promise<Row[]> {
    const chunks = this.version.manifest.chunks;
    // The first chunk whose last key is not before `key`.
    let low = 0;
    let high = chunks.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareKeys(chunks[middle]!.last, key) < 0) low = middle + 1;
      else high = middle;
    }
    const found: Row[] = [];
    for (let c = low; c < chunks.length && compareKeys(chunks[c]!.first, key) <= 0; c++) {
      const rows = await this.chunkRows(chunks[c]!.id);
      let r = lowerBound(rows, key, (row) => this.keyOf(row));
      while (r < rows.length && compareKeys(this.keyOf(rows[r]!), key) === 0) found.push(rows[r++]!);
    }
    return found;
  }

  private async chunkRows(id: ChunkId): Promise<Row[]> {
    let rows = this.rowsByChunk.get(id);
    if (!rows) {
      rows = await this.reader.readRows(id, this.version.schema.columns);
      this.rowsByChunk.set(id, rows);
    }
    return rows;
  }
}

function lowerBound(rows: readonly Row[], key: readonly Value[], keyOf: (row: Row) => Value[]): number {
  let low = 0;
  let high = rows.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareKeys(keyOf(rows[middle]!), key) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}
