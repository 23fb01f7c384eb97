import type * as arrow from 'apache-arrow';
import { BoundaryRule } from '../chunking/boundary.js';
import { keyHash } from '../chunking/key-hash.js';
import type { ChunkEntry } from '../chunking/manifest.js';
import { keyColumnIndexes, storedColumns, type TableSchema } from '../schema/schema.js';
import type { Row, Value } from '../value/value.js';
import { arrowToRows, conformToColumns, encodeChunk, renameColumns, rowsToArrow, spliceRuns, type ArrowRun } from '../store/parquet/chunk-codec.js';
import { ChunkEncodingPool, encodingThreads } from '../store/parquet/chunk-encoding-pool.js';
import type { PreparedBlob } from '../store/object-encoding.js';
import type { ChunkWriter } from './table-version.js';

/** Chunks a job encodes in this thread before it starts worker threads: a small command never pays their start. */
const IN_THREAD_CHUNKS = 16;

/** Chunks handed to workers and not yet written that a caller lets pile up (see `written`): bounds a large job's memory. */
export const CHUNKS_IN_FLIGHT = 64;

/** A chunk whose bytes a worker is making, with its manifest entry but for the id. */
interface ChunkInFlight {
  entry: Omit<ChunkEntry, 'id'>;
  settled: boolean;
  blob: Promise<{ blob: PreparedBlob } | { error: unknown }>;
}

/**
 * A run of sorted rows waiting in the open chunk: JS rows, or a slice of an Arrow
 * batch: from a bulk import (`exact` false: its types are conformed to the schema's
 * first), or from a decoded chunk of this table (`exact`: already the chunk layout).
 */
type Piece = { rows: Row[] } | { batch: arrow.Table; start: number; end: number; exact: boolean };

/**
 * Cuts a stream of rows, pushed in key order, into chunks by the boundary rule and
 * writes each chunk as it closes. Rows may come as JS rows (edits) or as slices of
 * Arrow batches (bulk import, no per-row objects); both give the same bytes.
 *
 * Past its first few chunks a job encodes them in worker threads (see
 * ChunkEncodingPool, `DGIT_WORKERS`); they are written, and their entries listed,
 * in key order whatever order the workers finish in. So a caller reads the entries
 * through `takeEntries`/`finish`, and must `close()` the builder when done, error or not.
 */
export class ChunkBuilder {
  private readonly rule: BoundaryRule;
  private readonly keyIndexes: number[];
  private readonly isFloat: boolean[];
  private pieces: Piece[] = [];
  private openRows = 0;
  private openFirst: Value[] | undefined;
  private lastKey: Value[] | undefined;
  private readonly entries: ChunkEntry[] = [];
  private readonly inFlight: ChunkInFlight[] = [];
  private readonly threads: number;
  /** The workers, once the job is large enough to want them; null when it encodes in this thread. */
  private pool: ChunkEncodingPool | null | undefined;
  /** Whether this builder started the pool (and so stops it); a writer's shared pool is left running. */
  private ownsPool = false;
  private flushed = 0;

  constructor(
    private readonly schema: TableSchema,
    private readonly writer: ChunkWriter,
  ) {
    this.rule = new BoundaryRule(schema.chunking);
    this.keyIndexes = keyColumnIndexes(schema);
    this.isFloat = this.keyIndexes.map((i) => schema.columns[i]!.type.startsWith('Float'));
    this.threads = encodingThreads();
  }

  /** How many chunks this builder has closed so far (written or still being encoded). */
  get closed(): number {
    return this.flushed;
  }

  /** Whether no chunk is open: the rows pushed so far end exactly at a chunk boundary. */
  get atBoundary(): boolean {
    return this.openRows === 0;
  }

  keyOf(row: readonly Value[]): Value[] {
    return this.keyIndexes.map((i) => row[i]!);
  }

  /** Push one row (the caller guarantees key order). */
  pushRow(row: Row): void {
    const key = this.keyOf(row);
    const last = this.pieces[this.pieces.length - 1];
    if (last && 'rows' in last) last.rows.push(row);
    else this.pieces.push({ rows: [row] });
    this.afterRow(key);
  }

  /**
   * Push the rows of an Arrow batch (already in the table's column types), given
   * each row's key hash; `keyAt` makes a row's key, asked only at chunk edges.
   */
  pushBatch(batch: arrow.Table, hashes: Uint32Array, keyAt: (row: number) => Value[]): void {
    this.pushRange(batch, 0, batch.numRows, hashes, keyAt, false);
  }

  /**
   * Push rows `[from, to)` of an Arrow batch; `hashes[i]` is row i's key hash. With
   * `exact`, the batch already has the chunk layout (a decoded chunk of this table),
   * and its rows are copied buffer to buffer into the chunk they land in.
   */
  pushRange(batch: arrow.Table, from: number, to: number, hashes: Uint32Array, keyAt: (row: number) => Value[], exact: boolean): void {
    let start = from;
    for (let i = from; i < to; i++) {
      if (this.openRows === 0) this.openFirst = keyAt(i);
      this.openRows++;
      if (this.rule.endsChunk(hashes[i]!, this.openRows)) {
        this.lastKey = keyAt(i);
        this.pieces.push({ batch, start, end: i + 1, exact });
        start = i + 1;
        this.flush();
      }
    }
    if (start < to) {
      this.lastKey = keyAt(to - 1);
      this.pieces.push({ batch, start, end: to, exact });
    }
  }

  /**
   * Push a whole chunk's worth of rows, known to be cut exactly as a stored chunk
   * was: the pieces (runs of a decoded chunk of this table, `exact`, and JS rows)
   * hold the same keys as that chunk, in order, and it starts at a boundary (the
   * caller checks `atBoundary`). Its rows then end a chunk where the stored one
   * ended, and nowhere before, since the rule sees the same keys and counts; so the
   * rule is asked about the last row alone (`lastKeyHash`), not hashed row by row.
   * `keyAt` gives a batch row's key. False (nothing pushed) when the rule does not
   * end the chunk there (the table's last chunk, cut by its end).
   */
  pushAsStoredChunk(parts: ReadonlyArray<{ row: Row } | { batch: arrow.Table; start: number; end: number }>, lastKeyHash: number, keyAt: (row: number) => Value[]): boolean {
    const rows = parts.reduce((n, part) => n + ('row' in part ? 1 : part.end - part.start), 0);
    if (this.openRows !== 0 || rows === 0 || !this.rule.endsChunk(lastKeyHash, rows)) return false;
    for (const part of parts) {
      if ('row' in part) {
        const last = this.pieces[this.pieces.length - 1];
        if (last && 'rows' in last) last.rows.push(part.row);
        else this.pieces.push({ rows: [part.row] });
      } else this.pieces.push({ batch: part.batch, start: part.start, end: part.end, exact: true });
    }
    const first = parts[0]!;
    const last = parts[parts.length - 1]!;
    this.openFirst = 'row' in first ? this.keyOf(first.row) : keyAt(first.start);
    this.lastKey = 'row' in last ? this.keyOf(last.row) : keyAt(last.end - 1);
    this.openRows = rows;
    this.flush();
    return true;
  }

  private afterRow(key: Value[]): void {
    if (this.noteRow(key)) this.flush();
  }

  /** Count a row into the open chunk; true when it ends the chunk. */
  private noteRow(key: Value[]): boolean {
    if (this.openRows === 0) this.openFirst = key;
    this.openRows++;
    this.lastKey = key;
    return this.rule.endsChunk(keyHash(key, this.isFloat), this.openRows);
  }

  /** Close the open chunk, boundary or not (the end of the table), and take every entry not yet taken. */
  async finish(): Promise<ChunkEntry[]> {
    if (this.openRows > 0) this.flush();
    return this.takeEntries();
  }

  /** The entries of the chunks closed so far and not yet taken, in key order, once all are written. */
  async takeEntries(): Promise<ChunkEntry[]> {
    await this.written();
    return this.entries.splice(0);
  }

  /**
   * Write the chunks the workers have made, in order, until at most `limit` are in
   * flight. A chunk whose encoding failed throws its error here.
   */
  async written(limit = 0): Promise<void> {
    // Let the workers' replies in, so each gets its next chunk: a caller that reads decoded chunks from a
    // cache runs on settled promises alone, and the workers' messages would wait until it blocks here.
    if (this.pool) await new Promise((resolve) => setImmediate(resolve));
    while (this.inFlight.length > limit) {
      const chunk = this.inFlight[0]!;
      // Rather than wait for the workers, encode a chunk none has taken yet; then let their replies in.
      while (!chunk.settled && this.pool?.encodeWaitingHere()) await new Promise(setImmediate);
      this.inFlight.shift();
      const made = await chunk.blob;
      if ('error' in made) throw made.error;
      const id = this.writer.writePreparedChunk ? this.writer.writePreparedChunk(made.blob) : this.writer.writeChunk(made.blob.bytes);
      this.entries.push({ id, ...chunk.entry });
    }
  }

  /** Stop the worker threads, if this builder started any. */
  async close(): Promise<void> {
    if (this.ownsPool) await this.pool?.close();
  }

  /** The pool for this job's next chunk, or undefined to encode it here: workers only past the first chunks, and only if configured. */
  private encodingPool(): ChunkEncodingPool | undefined {
    if (this.pool === undefined && this.flushed > IN_THREAD_CHUNKS) {
      const shared = this.writer.encodingPool?.();
      this.ownsPool = !shared && this.threads > 1;
      this.pool = shared ?? (this.ownsPool ? new ChunkEncodingPool(this.threads) : null);
    }
    return this.pool ?? undefined;
  }

  /** The open chunk's pieces as one Arrow table by copying buffers, or undefined when a piece's layout does not allow it. */
  private splicePieces(): arrow.Table | undefined {
    const columns = this.schema.columns;
    const runs: ArrowRun[] = [];
    // The JS rows of every piece as one Arrow table: an edit of every other row makes thousands of
    // one-row pieces, and a table apiece was most of such a rewrite's time (its garbage above all).
    const jsRows: Row[] = [];
    for (const piece of this.pieces) if ('rows' in piece) for (const row of piece.rows) jsRows.push(row);
    const rowsTable = jsRows.length > 0 ? rowsToArrow(columns, jsRows) : undefined;
    let nextJsRow = 0;
    for (const piece of this.pieces) {
      if ('rows' in piece) {
        runs.push({ table: rowsTable!, start: nextJsRow, end: nextJsRow + piece.rows.length });
        nextJsRow += piece.rows.length;
      } else if (piece.exact) runs.push({ table: piece.batch, start: piece.start, end: piece.end });
      else {
        // An import batch may be in DuckDB's types: conform its slice (sharing buffers) when every column is there.
        if (columns.some((c) => !piece.batch.getChild(c.name))) return undefined;
        runs.push({ table: conformToColumns(piece.batch.slice(piece.start, piece.end), columns), start: 0, end: piece.end - piece.start });
      }
    }
    return spliceRuns(runs, columns);
  }

  private pieceRows(): Row[] {
    const rows: Row[] = [];
    for (const piece of this.pieces) {
      const part = 'rows' in piece ? piece.rows : arrowToRows(piece.batch.slice(piece.start, piece.end), this.schema.columns);
      for (const row of part) rows.push(row);
    }
    return rows;
  }

  private flush(): void {
    const columns = this.schema.columns;
    let table: arrow.Table;
    const only = this.pieces.length === 1 ? this.pieces[0]! : undefined;
    if (only && 'batch' in only) {
      table = conformToColumns(only.batch.slice(only.start, only.end), columns);
    } else {
      table = this.splicePieces() ?? rowsToArrow(columns, this.pieceRows());
    }
    // A renamed column keeps its stored name in chunk files (see Column.stored).
    const stored = storedColumns(columns);
    const chunk = stored === columns || stored.every((c, i) => c === columns[i]) ? table : renameColumns(table, stored);
    const entry = { rows: this.openRows, first: this.openFirst!, last: this.lastKey! };
    this.flushed++;
    const pool = this.encodingPool();
    if (pool) {
      const blob = pool.encode(chunk, stored).then(
        (made) => ({ blob: made }),
        (error: unknown) => ({ error }),
      );
      const inFlight: ChunkInFlight = { entry, blob, settled: false };
      void blob.then(() => (inFlight.settled = true));
      this.inFlight.push(inFlight);
    } else {
      this.entries.push({ id: this.writer.writeChunk(encodeChunk(chunk, stored)), ...entry });
    }
    this.pieces = [];
    this.openRows = 0;
    this.openFirst = undefined;
  }
}
