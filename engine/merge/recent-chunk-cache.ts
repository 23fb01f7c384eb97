import type { ChunkId } from '../chunking/manifest.js';
import type { Column } from '../schema/schema.js';
import type { ChunkReader } from '../table/table-version.js';
import type { Row } from '../value/value.js';
import { isLazyChunkReader, type LazyChunkReader, type LazyRows } from '../diff/lazy-rows.js';

/**
 * Keeps the last few chunks read. A merge walks base -> ours and base -> theirs
 * side by side in key order, so both diffs ask for the same base chunk at about
 * the same time: this reads it once. Rows are shared, never mutated.
 */
export class RecentChunkCache implements ChunkReader {
  private readonly entries = new Map<string, Promise<Row[] | LazyRows>>();

  constructor(
    private readonly reader: ChunkReader,
    private readonly capacity = 8,
  ) {
    const lazy = isLazyChunkReader(reader) ? reader : undefined;
    this.readLazyRows = lazy
      ? (id, columns, keyIndexes) => this.cached(`${id}|${columnsKey(columns)}|lazy ${keyIndexes.join(',')}`, () => lazy.readLazyRows(id, columns, keyIndexes))
      : undefined;
  }

  readRows(id: ChunkId, columns: readonly Column[]): Promise<Row[]> {
    return this.cached(`${id}|${columnsKey(columns)}`, () => this.reader.readRows(id, columns));
  }

  /** Present when the underlying reader has it (see LazyChunkReader): rows read on demand, shared by both diffs. */
  readonly readLazyRows: LazyChunkReader['readLazyRows'] | undefined;

  private cached<T extends Row[] | LazyRows>(key: string, read: () => Promise<T>): Promise<T> {
    const cached = this.entries.get(key);
    if (cached) {
      this.entries.delete(key);
      this.entries.set(key, cached);
      return cached as Promise<T>;
    }
    const rows = read();
    this.entries.set(key, rows);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    rows.catch(() => this.entries.delete(key));
    return rows;
  }
}

function columnsKey(columns: readonly Column[]): string {
  return columns.map((c) => `${c.id}:${c.type}:${c.name}`).join(',');
}
