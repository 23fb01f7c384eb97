import type { ChunkEntry } from '../chunking/manifest.js';
import type { ChunkReader } from '../table/table-version.js';
import { valuesEqual, type Row, type Value } from '../value/value.js';
import { projectRow, targetBound, type JoinPlan, type SideProjection } from './column-alignment.js';
import { compareKeysLoose } from './key-order.js';

/**
 * A keyed row that differs between the two sides, in target columns: `before`
 * alone is a deleted row, `after` alone an added one, both a modified one with
 * `changed` the indexes of the differing columns.
 */
export interface KeyedDelta {
  key: Value[];
  before: Row | undefined;
  after: Row | undefined;
  changed: number[];
}

/** A row of a bag (keyless table) held a different number of times on the two sides. */
export interface BagDelta {
  row: Row;
  beforeCount: number;
  afterCount: number;
}

/**
 * One side of a merge-join: rows of the current chunk (or of the whole table, when
 * it had to be re-sorted) and the chunks still to come. Only chunks that are loaded
 * are read, so memory stays at about one chunk per side.
 */
class SideCursor {
  private rows: Row[] = [];
  private keys: Value[][] = [];
  private position = 0;
  private nextIndex = 0;

  constructor(
    private readonly chunks: readonly ChunkEntry[],
    private readonly read: (chunk: ChunkEntry) => Promise<Row[]>,
    private readonly keyOf: (row: Row) => Value[],
    private readonly keyLength: number,
  ) {}

  static sorted(rows: Row[], keys: Value[][]): SideCursor {
    const cursor = new SideCursor([], async () => [], (row) => row, 0);
    cursor.rows = rows;
    cursor.keys = keys;
    return cursor;
  }

  hasRows(): boolean {
    return this.position < this.rows.length;
  }

  nextChunk(): ChunkEntry | undefined {
    return this.chunks[this.nextIndex];
  }

  nextFirst(): Value[] {
    return targetBound(this.chunks[this.nextIndex]!.first, this.keyLength);
  }

  skipChunk(): void {
    this.nextIndex++;
  }

  /** Reads the next chunk and appends its rows after the ones not yet consumed. */
  async loadChunk(): Promise<void> {
    const chunk = this.chunks[this.nextIndex++]!;
    const rows = await this.read(chunk);
    const keys = rows.map(this.keyOf);
    if (this.position >= this.rows.length) {
      this.rows = rows;
      this.keys = keys;
    } else {
      this.rows = this.rows.slice(this.position).concat(rows);
      this.keys = this.keys.slice(this.position).concat(keys);
    }
    this.position = 0;
  }

  headRow(): Row {
    return this.rows[this.position]!;
  }

  headKey(): Value[] {
    return this.keys[this.position]!;
  }

  advance(): void {
    this.position++;
  }
}

function keyFunction(plan: JoinPlan): (row: Row) => Value[] {
  const indexes = plan.keyIndexes;
  if (indexes.length === plan.columns.length && indexes.every((index, i) => index === i)) return (row) => row;
  return (row) => indexes.map((index) => row[index]!);
}

/**
 * A cursor over one side: streaming chunk by chunk when the side is stored in the
 * target key order, otherwise (primary key changed, key column retyped, keyless
 * table reshaped) read whole and re-sorted — such a change rewrites every chunk
 * anyway, so the whole table is the changed range.
 */
async function openSide(plan: JoinPlan, side: SideProjection, reader: ChunkReader): Promise<SideCursor> {
  const keyOf = keyFunction(plan);
  if (!side.version) return SideCursor.sorted([], []);
  const sideColumns = side.version.schema.columns;
  const read = async (chunk: ChunkEntry): Promise<Row[]> => {
    const rows = await reader.readRows(chunk.id, sideColumns);
    return side.identity ? rows : rows.map((row) => projectRow(side, plan.columns, row));
  };
  if (side.sortedByTargetKey) return new SideCursor(side.version.manifest.chunks, read, keyOf, plan.keyIndexes.length);
  const rows: Row[] = [];
  for (const chunk of side.version.manifest.chunks) for (const row of await read(chunk)) rows.push(row);
  const keys = rows.map(keyOf);
  const order = rows.map((_, index) => index);
  order.sort((x, y) => compareKeysLoose(keys[x]!, keys[y]!) || x - y);
  return SideCursor.sorted(
    order.map((index) => rows[index]!),
    order.map((index) => keys[index]!),
  );
}

/**
 * Brings the two cursors to a state where their heads can be compared. Returns
 * false when both are exhausted. Runs of chunks with equal ids on both sides are
 * skipped unread: equal ids hold equal rows, and chunks of one side never overlap
 * in key, so no row of the other side falls in their range.
 */
async function align(a: SideCursor, b: SideCursor): Promise<boolean> {
  for (;;) {
    if (!a.hasRows() && !b.hasRows()) {
      const chunkA = a.nextChunk();
      const chunkB = b.nextChunk();
      if (!chunkA && !chunkB) return false;
      if (chunkA && chunkB && chunkA.id === chunkB.id) {
        a.skipChunk();
        b.skipChunk();
      } else if (chunkA && (!chunkB || compareKeysLoose(a.nextFirst(), b.nextFirst()) <= 0)) {
        await a.loadChunk();
      } else {
        await b.loadChunk();
      }
      continue;
    }
    // A side with no rows in hand must load its next chunk when it may hold the other side's head key.
    if (!a.hasRows() && a.nextChunk() && compareKeysLoose(a.nextFirst(), b.headKey()) <= 0) {
      await a.loadChunk();
      continue;
    }
    if (!b.hasRows() && b.nextChunk() && compareKeysLoose(b.nextFirst(), a.headKey()) <= 0) {
      await b.loadChunk();
      continue;
    }
    return true;
  }
}

/** Indexes of the columns whose values differ. */
export function changedColumns(before: Row, after: Row): number[] {
  const changed: number[] = [];
  for (let i = 0; i < before.length; i++) if (!valuesEqual(before[i]!, after[i]!)) changed.push(i);
  return changed;
}

/**
 * The rows that differ between `plan.from` and `plan.to` of a keyed table, in key
 * order, by a merge-join on the key over the chunks that differ.
 */
export async function* joinKeyedRows(plan: JoinPlan, reader: ChunkReader): AsyncGenerator<KeyedDelta> {
  const a = await openSide(plan, plan.from, reader);
  const b = await openSide(plan, plan.to, reader);
  while (await align(a, b)) {
    const order = !a.hasRows() ? 1 : !b.hasRows() ? -1 : compareKeysLoose(a.headKey(), b.headKey());
    if (order < 0) {
      yield { key: a.headKey(), before: a.headRow(), after: undefined, changed: [] };
      a.advance();
    } else if (order > 0) {
      yield { key: b.headKey(), before: undefined, after: b.headRow(), changed: [] };
      b.advance();
    } else {
      const before = a.headRow();
      const after = b.headRow();
      const changed = changedColumns(before, after);
      if (changed.length > 0) yield { key: b.headKey(), before, after, changed };
      a.advance();
      b.advance();
    }
  }
}

/** Consumes the rows equal to `key` at the head of a side, loading chunks a run of duplicates spills into. */
async function consumeRun(side: SideCursor, key: Value[]): Promise<number> {
  let count = 0;
  for (;;) {
    while (side.hasRows() && compareKeysLoose(side.headKey(), key) === 0) {
      count++;
      side.advance();
    }
    if (side.hasRows() || !side.nextChunk() || compareKeysLoose(side.nextFirst(), key) !== 0) return count;
    await side.loadChunk();
  }
}

/**
 * The rows of a bag (keyless table) whose number of copies differs, in row order:
 * multiset semantics, so a row present twice more is a delta of two.
 */
export async function* joinBagRows(plan: JoinPlan, reader: ChunkReader): AsyncGenerator<BagDelta> {
  const a = await openSide(plan, plan.from, reader);
  const b = await openSide(plan, plan.to, reader);
  while (await align(a, b)) {
    const fromA = a.hasRows() && (!b.hasRows() || compareKeysLoose(a.headKey(), b.headKey()) <= 0);
    const row = fromA ? a.headRow() : b.headRow();
    const key = fromA ? a.headKey() : b.headKey();
    const beforeCount = await consumeRun(a, key);
    const afterCount = await consumeRun(b, key);
    if (beforeCount !== afterCount) yield { row, beforeCount, afterCount };
  }
}
