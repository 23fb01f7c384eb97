import type { ChunkId } from '../chunking/manifest.js';
import type { Column } from '../schema/schema.js';
import type { ChunkReader } from '../table/table-version.js';
import type { Row } from '../value/value.js';

/**
 * Keeps the last few chunks read. A merge walks base -> ours and base -> theirs
 * side by side in key order, so both diffs ask for the same base chunk at about
 * the same time: this reads it once. Rows are shared, never mutated.
 */
export class RecentChunkCache implements ChunkReader {
  private readonly entries = new Map<string, Promise<Row[]>>();

  constructor(
    private readonly reader: ChunkReader,
    private readonly capacity = 8,
  ) {}

  readRows(id: ChunkId, columns: readonly Column[]): Promise<Row[]> {
    const key = `${id}|${columns.map((c) => `${c.id}:${c.type}:${c.name}`).join(',')}`;
    const cached = this.entries.get(key);
    if (cached) {
      this.entries.delete(key);
      this.entries.set(key, cached);
      return cached;
    }
    const rows = this.reader.readRows(id, columns);
    this.entries.set(key, rows);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    rows.catch(() => this.entries.delete(key));
    return rows;
  }
}
