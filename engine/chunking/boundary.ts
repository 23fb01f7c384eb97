import type { ChunkingParameters } from '../schema/schema.js';

/**
 * Content-defined chunk boundaries. A row ends its chunk when the hash of its key
 * falls under a threshold, once the chunk holds `minRows`; a chunk is cut at
 * `maxRows` whatever the hashes say. The decision depends only on the sorted rows
 * from the previous boundary on, so the same rows always give the same chunks
 * whatever edits led to them, and an edit moves boundaries only until the next
 * row whose hash passes (the same idea as Dolt's prolly trees).
 */
export class BoundaryRule {
  private readonly threshold: number;

  constructor(readonly parameters: ChunkingParameters) {
    // Past minRows each row ends the chunk with probability p, so the mean size is minRows + 1/p = targetRows.
    const spread = Math.max(1, parameters.targetRows - parameters.minRows);
    this.threshold = Math.floor(4294967296 / spread);
  }

  /** Whether the row with `hash`, the `rowsInChunk`-th row of the open chunk, ends it. */
  endsChunk(hash: number, rowsInChunk: number): boolean {
    if (rowsInChunk >= this.parameters.maxRows) return true;
    if (rowsInChunk < this.parameters.minRows) return false;
    return hash < this.threshold;
  }
}
