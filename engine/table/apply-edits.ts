import { DuplicateKeyError } from '../errors/index.js';
import type { ChunkEntry, Manifest } from '../chunking/manifest.js';
import { isKeyless, keyColumnIndexes, storedColumns, type TableSchema } from '../schema/schema.js';
import { compareKeys, rowsEqual, type Row, type Value } from '../value/value.js';
import { ChunkBuilder, CHUNKS_IN_FLIGHT } from './chunk-builder.js';
import type * as arrow from 'apache-arrow';
import { KEY_HASH_SEED, finishKeyHash } from '../chunking/key-hash.js';
import { arrowToRows, chunkUnderNames } from '../store/parquet/chunk-codec.js';
import { keyColumnReader } from './key-columns.js';
import { readsArrow, type ChunkReader, type ChunkWriter, type RowEdits } from './table-version.js';

/** What applying edits did, row by row. */
export interface EditCounts {
  inserted: number;
  updated: number;
  deleted: number;
  /** Deletes whose key (or row, in a bag) was not in the table. */
  missing: number;
  /** Upserts that replaced a row with an equal one. */
  unchanged: number;
}

/** One edit in key order: a row to put, or a key (a whole row, for a bag) to remove. */
type Edit = { kind: 'put'; key: Value[]; row: Row } | { kind: 'delete'; key: Value[] };

export interface ApplyOptions {
  /** The schema changed in a way old chunks do not carry (a rename, a drop): every chunk is rewritten. */
  rewriteAll?: boolean;
  /**
   * Runs of chunks (by the index of the first, through `last`) whose edited rows are
   * known to be exactly `chunks`, cut as the builder would cut them from a boundary
   * (a merge's runs only theirs changed, see theirsRuns): reached at a boundary, a
   * run is replaced by those chunks unread, and its edits are skipped (not counted).
   */
  replace?: ReadonlyMap<number, { last: number; chunks: readonly ChunkEntry[] }>;
}

/**
 * Apply sorted row edits to a table and return its new manifest. Chunks whose key
 * range holds no edit are kept by id, unread, as long as the rewritten rows before
 * them end on a chunk boundary; so the cost is the chunks that hold edits plus the
 * few neighbours a moved boundary reaches, not the table.
 */
export async function applyEdits(
  schema: TableSchema,
  manifest: Manifest,
  edits: RowEdits,
  io: { reader: ChunkReader; writer: ChunkWriter },
  options: ApplyOptions = {},
): Promise<{ manifest: Manifest; counts: EditCounts }> {
  const keyIndexes = keyColumnIndexes(schema);
  const bag = isKeyless(schema);
  const keyOf = (row: readonly Value[]) => keyIndexes.map((i) => row[i]!);
  const queue = mergeEdits(
    edits.upserts.map((row) => ({ kind: 'put' as const, key: keyOf(row), row })),
    edits.deletes.map((key) => ({ kind: 'delete' as const, key: bag ? keyOf(key) : key })),
  );
  if (!bag) {
    for (let i = 1; i < queue.length; i++)
      if (compareKeys(queue[i - 1]!.key, queue[i]!.key) === 0)
        throw new DuplicateKeyError(`two edits name the key ${JSON.stringify(queue[i]!.key, jsonBigint)}`, 'edits');
  }
  const counts: EditCounts = { inserted: 0, updated: 0, deleted: 0, missing: 0, unchanged: 0 };
  const builder = new ChunkBuilder(schema, io.writer);
  try {
    const chunks = await rewriteChunks(schema, manifest.chunks, queue, io.reader, builder, counts, options);
    return { manifest: { chunks }, counts };
  } finally {
    await builder.close();
  }
}

/**
 * The new chunk list: the chunks that hold edits rewritten through `builder`, the
 * others kept by id (see applyEdits). A kept chunk is noted with how many chunks the
 * builder had closed before it, and the list is put together at the end: so the
 * walk never waits for the encoding of the chunks before a kept one, and reading
 * and splicing the next chunk overlaps the workers' encoding of the previous ones.
 */
async function rewriteChunks(
  schema: TableSchema,
  chunks: readonly ChunkEntry[],
  queue: Edit[],
  reader: ChunkReader,
  builder: ChunkBuilder,
  counts: EditCounts,
  options: ApplyOptions,
): Promise<ChunkEntry[]> {
  const bag = isKeyless(schema);
  const keyIndexes = keyColumnIndexes(schema);
  const keyOf = (row: readonly Value[]) => keyIndexes.map((i) => row[i]!);
  const kept: Array<{ entry: ChunkEntry; after: number }> = [];
  let next = 0; // index of the next edit in `queue`
  for (let c = 0; c < chunks.length; c++) {
    const run = options.rewriteAll ? undefined : options.replace?.get(c);
    if (run && builder.atBoundary && run.last < chunks.length - 1) {
      // Skip the run's edits and take the chunks known to hold their result. Theirs' chunks hold every row
      // before the next chunk's first key, so the edits skipped are those before it, the gap after the run
      // included (an edit there would otherwise be applied again to the next chunk).
      while (next < queue.length && compareKeys(queue[next]!.key, chunks[run.last + 1]!.first) < 0) next++;
      for (const entry of run.chunks) kept.push({ entry, after: builder.closed });
      c = run.last;
      continue;
    }
    const chunk = chunks[c]!;
    // In a bag the rule may cut between copies of one row (equal rows hash alike), so copies can
    // straddle a boundary: such chunks are one unit, or a delete of every copy would find only the
    // first chunk's and count the rest missing. `group` is the unit's last chunk.
    let group = c;
    if (bag) while (group + 1 < chunks.length && compareKeys(chunks[group]!.last, chunks[group + 1]!.first) === 0) group++;
    const lastChunk = group === chunks.length - 1;
    // Edits up to the unit's last key belong to it (those before its first key sit in the gap before it).
    let end = next;
    while (end < queue.length && (lastChunk || compareKeys(queue[end]!.key, chunks[group]!.last) <= 0)) end++;
    // `rewriteAll`: the schema changed in a way old chunks do not carry (a rename, a drop), so every chunk is rewritten.
    if (end === next && builder.atBoundary && !options.rewriteAll) {
      for (let k = c; k <= group; k++) kept.push({ entry: chunks[k]!, after: builder.closed });
      c = group;
      continue;
    }
    if (group > c) {
      // Rare (duplicates at a cut): the unit's rows read whole, in order, and merged with its edits at once.
      const rows: Row[] = [];
      for (let k = c; k <= group; k++) for (const row of await reader.readRows(chunks[k]!.id, schema.columns)) rows.push(row);
      mergeRows(rows, queue, next, end, bag, keyOf, counts, (row) => builder.pushRow(row));
      next = end;
      c = group;
      await builder.written(CHUNKS_IN_FLIGHT);
      continue;
    }
    // Chunk files hold a renamed column under its stored name: the splice reads the chunk under the schema's names.
    const stored = readsArrow(reader) ? await reader.readTable(chunk.id) : undefined;
    const table = stored && chunkUnderNames(stored, schema.columns, storedColumns(schema.columns));
    if (table && spliceable(schema, table)) {
      if (bag || !builder.atBoundary || !spliceUpdates(schema, table, queue, next, end, counts, builder)) spliceEdits(schema, table, queue, next, end, bag, counts, builder);
    } else {
      const rows = await reader.readRows(chunk.id, schema.columns);
      mergeRows(rows, queue, next, end, bag, keyOf, counts, (row) => builder.pushRow(row));
    }
    next = end;
    await builder.written(CHUNKS_IN_FLIGHT);
  }
  if (chunks.length === 0) mergeRows([], queue, 0, queue.length, bag, keyOf, counts, (row) => builder.pushRow(row));
  return interleave(await builder.finish(), kept);
}

/** The built chunks (in order) with each kept chunk placed after the `after` built chunks that precede it. */
function interleave(built: readonly ChunkEntry[], kept: ReadonlyArray<{ entry: ChunkEntry; after: number }>): ChunkEntry[] {
  const out: ChunkEntry[] = [];
  let taken = 0;
  for (const { entry, after } of kept) {
    while (taken < after) out.push(built[taken++]!);
    out.push(entry);
  }
  while (taken < built.length) out.push(built[taken++]!);
  return out;
}

/**
 * Whether a decoded chunk has exactly the layout of the schema's columns, so its
 * untouched rows can be copied buffer to buffer. Not so for seconds timestamps
 * (stored as milliseconds). (A column added after the chunk was written comes as
 * nulls from chunkUnderNames.)
 */
function spliceable(schema: TableSchema, table: arrow.Table): boolean {
  // `table` is the chunk under the schema's names (see chunkUnderNames).
  return schema.columns.every((c) => !c.type.startsWith('Timestamp<s') && table.getChild(c.name)?.data.length === 1);
}

/**
 * `mergeRows` over a decoded chunk: the runs of rows between edits go to the
 * builder as ranges of the Arrow table (hashed from the key buffers, never made
 * into JS rows); only the edited rows are JS rows. Same rows in the same order as
 * `mergeRows`, hence the same chunks.
 */
function spliceEdits(
  schema: TableSchema,
  table: arrow.Table,
  queue: Edit[],
  from: number,
  to: number,
  bag: boolean,
  counts: EditCounts,
  builder: ChunkBuilder,
): void {
  const n = table.numRows;
  const keyColumns = keyColumnIndexes(schema).map((i) => schema.columns[i]!);
  const readers = keyColumns.map((column) => keyColumnReader(table, column));
  const keyAt = (row: number) => readers.map((r) => r.value(row));
  const storedRow = storedRowReader(table, schema.columns);
  const hashes = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let h = KEY_HASH_SEED;
    for (const reader of readers) h = reader.feed(h, i);
    hashes[i] = finishKeyHash(h);
  }
  let r = 0;
  for (let e = from; e < to; e++) {
    const edit = queue[e]!;
    const lo = firstRowAtOrAfter(keyAt, edit.key, r, n);
    if (lo > r) builder.pushRange(table, r, lo, hashes, keyAt, true);
    r = lo;
    const found = r < n && compareKeys(keyAt(r), edit.key) === 0;
    if (!found) {
      if (edit.kind === 'put') {
        builder.pushRow(edit.row);
        counts.inserted++;
      } else counts.missing++;
    } else if (bag) {
      // In a bag equal keys are equal rows: a put adds a copy, a delete removes one.
      if (edit.kind === 'put') {
        builder.pushRow(edit.row);
        counts.inserted++;
      } else {
        r++;
        counts.deleted++;
      }
    } else {
      if (edit.kind === 'put') {
        builder.pushRow(edit.row);
        if (rowsEqual(storedRow(r), edit.row)) counts.unchanged++;
        else counts.updated++;
      } else counts.deleted++;
      r++;
    }
  }
  if (r < n) builder.pushRange(table, r, n, hashes, keyAt, true);
}

/**
 * `spliceEdits` for a chunk whose edits all replace rows it holds (no insert, no
 * delete), pushed at a boundary: the keys are the chunk's own, so the chunk keeps
 * its cut (see ChunkBuilder.pushAsStoredChunk) and its rows are not hashed. False,
 * with nothing pushed or counted, when an edit is not such an update or the rule
 * does not end a chunk at its last row: the caller splices the general way.
 */
function spliceUpdates(schema: TableSchema, table: arrow.Table, queue: Edit[], from: number, to: number, counts: EditCounts, builder: ChunkBuilder): boolean {
  const n = table.numRows;
  if (n === 0 || from === to) return false;
  const readers = keyColumnIndexes(schema).map((i) => keyColumnReader(table, schema.columns[i]!));
  const keyAt = (row: number) => readers.map((r) => r.value(row));
  const parts: Array<{ row: Row } | { batch: arrow.Table; start: number; end: number }> = [];
  const replaced: Array<{ at: number; row: Row }> = [];
  let r = 0;
  for (let e = from; e < to; e++) {
    const edit = queue[e]!;
    if (edit.kind !== 'put') return false;
    const lo = firstRowAtOrAfter(keyAt, edit.key, r, n);
    if (lo >= n || compareKeys(keyAt(lo), edit.key) !== 0) return false;
    if (lo > r) parts.push({ batch: table, start: r, end: lo });
    parts.push({ row: edit.row });
    replaced.push({ at: lo, row: edit.row });
    r = lo + 1;
  }
  if (r < n) parts.push({ batch: table, start: r, end: n });
  let h = KEY_HASH_SEED;
  for (const reader of readers) h = reader.feed(h, n - 1);
  if (!builder.pushAsStoredChunk(parts, finishKeyHash(h), keyAt)) return false;
  const storedRow = storedRowReader(table, schema.columns);
  for (const { at, row } of replaced) {
    if (rowsEqual(storedRow(at), row)) counts.unchanged++;
    else counts.updated++;
  }
  return true;
}

/**
 * Rows of a decoded chunk by index, for comparing an edit with the row it replaces:
 * a few are read one by one, and past that the chunk is read whole once (a slice
 * per row made an edit of half a chunk's rows mostly garbage).
 */
function storedRowReader(table: arrow.Table, columns: TableSchema['columns']): (row: number) => Row {
  let all: Row[] | undefined;
  let asked = 0;
  return (row) => {
    if (!all && ++asked > 16) all = arrowToRows(table, columns);
    return all ? all[row]! : arrowToRows(table.slice(row, row + 1), columns)[0]!;
  };
}

/** The first row in [from, to) whose key is at or after `key` (rows sorted by key), or `to`: a binary search. */
function firstRowAtOrAfter(keyAt: (row: number) => Value[], key: readonly Value[], from: number, to: number): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(keyAt(mid), key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function mergeEdits(puts: Edit[], deletes: Edit[]): Edit[] {
  const all = puts.concat(deletes);
  // Stable: for equal keys of a bag, deletes and puts keep their list order.
  return all
    .map((edit, index) => ({ edit, index }))
    .sort((a, b) => compareKeys(a.edit.key, b.edit.key) || a.index - b.index)
    .map((x) => x.edit);
}

/** Merge a chunk's sorted rows with the edits `queue[from, to)`, emitting the result in key order. */
function mergeRows(
  rows: Row[],
  queue: Edit[],
  from: number,
  to: number,
  bag: boolean,
  keyOf: (row: readonly Value[]) => Value[],
  counts: EditCounts,
  emit: (row: Row) => void,
): void {
  let r = 0;
  let e = from;
  while (r < rows.length || e < to) {
    if (e >= to) {
      emit(rows[r++]!);
      continue;
    }
    const edit = queue[e]!;
    if (r >= rows.length) {
      if (edit.kind === 'put') {
        emit(edit.row);
        counts.inserted++;
      } else counts.missing++;
      e++;
      continue;
    }
    const row = rows[r]!;
    const order = compareKeys(keyOf(row), edit.key);
    if (order < 0) {
      emit(row);
      r++;
    } else if (order > 0) {
      if (edit.kind === 'put') {
        emit(edit.row);
        counts.inserted++;
      } else counts.missing++;
      e++;
    } else if (bag) {
      // In a bag equal keys are equal rows: a put adds a copy, a delete removes one.
      if (edit.kind === 'put') {
        emit(edit.row);
        counts.inserted++;
      } else {
        r++;
        counts.deleted++;
      }
      e++;
    } else {
      if (edit.kind === 'put') {
        emit(edit.row);
        if (rowsEqual(row, edit.row)) counts.unchanged++;
        else counts.updated++;
      } else counts.deleted++;
      r++;
      e++;
    }
  }
}

function jsonBigint(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
