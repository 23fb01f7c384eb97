import { DuplicateKeyError } from '../errors/index.js';
import type { ChunkEntry, Manifest } from '../chunking/manifest.js';
import { isKeyless, keyColumnIndexes, type TableSchema } from '../schema/schema.js';
import { compareKeys, rowsEqual, type Row, type Value } from '../value/value.js';
import { ChunkBuilder } from './chunk-builder.js';
import type { ChunkReader, ChunkWriter, RowEdits } from './table-version.js';

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
  options: { rewriteAll?: boolean } = {},
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
  const out: ChunkEntry[] = [];
  let next = 0; // index of the next edit in `queue`

  const chunks = manifest.chunks;
  for (let c = 0; c < chunks.length; c++) {
    const chunk = chunks[c]!;
    const lastChunk = c === chunks.length - 1;
    // Edits up to this chunk's last key belong to it (those before its first key sit in the gap before it).
    let end = next;
    while (end < queue.length && (lastChunk || compareKeys(queue[end]!.key, chunk.last) <= 0)) end++;
    // `rewriteAll`: the schema changed in a way old chunks do not carry (a rename, a drop), so every chunk is rewritten.
    if (end === next && builder.atBoundary && !options.rewriteAll) {
      out.push(...builder.entries.splice(0), chunk);
      continue;
    }
    const rows = await io.reader.readRows(chunk.id, schema.columns);
    mergeRows(rows, queue, next, end, bag, keyOf, counts, (row) => builder.pushRow(row));
    next = end;
    if (builder.atBoundary) out.push(...builder.entries.splice(0));
  }
  if (chunks.length === 0) mergeRows([], queue, 0, queue.length, bag, keyOf, counts, (row) => builder.pushRow(row));
  out.push(...builder.finish().splice(0));
  return { manifest: { chunks: out }, counts };
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
