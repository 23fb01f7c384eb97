import type { ChunkEntry } from '../chunking/manifest.js';
import type { ChunkReader } from '../table/table-version.js';
import { valuesEqual, type Row, type Value } from '../value/value.js';
import { projectRow, targetBound, type JoinPlan, type SideProjection } from './column-alignment.js';
import { compareKeyToRow, compareKeysLoose, compareRowKeys } from './key-order.js';

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
 * are read, so memory stays at about one chunk per side. Keys are compared in
 * place on the rows (`keyIndexes`); key arrays are built only for rows that differ.
 */
class SideCursor {
  private rows: Row[] = [];
  private position = 0;
  private nextIndex = 0;

  constructor(
    private readonly chunks: readonly ChunkEntry[],
    private readonly read: (chunk: ChunkEntry) => Promise<Row[]>,
    readonly keyIndexes: readonly number[],
  ) {}

  static sorted(rows: Row[], keyIndexes: readonly number[]): SideCursor {
    const cursor = new SideCursor([], async () => [], keyIndexes);
    cursor.rows = rows;
    return cursor;
  }

  hasRows(): boolean {
    return this.position < this.rows.length;
  }

  nextChunk(): ChunkEntry | undefined {
    return this.chunks[this.nextIndex];
  }

  nextFirst(): Value[] {
    return targetBound(this.chunks[this.nextIndex]!.first, this.keyIndexes.length);
  }

  skipChunk(): void {
    this.nextIndex++;
  }

  /** Reads the next chunk and appends its rows after the ones not yet consumed. */
  async loadChunk(): Promise<void> {
    const chunk = this.chunks[this.nextIndex++]!;
    const rows = await this.read(chunk);
    this.rows = this.position >= this.rows.length ? rows : this.rows.slice(this.position).concat(rows);
    this.position = 0;
  }

  headRow(): Row {
    return this.rows[this.position]!;
  }

  headKey(): Value[] {
    const row = this.rows[this.position]!;
    return this.keyIndexes.map((index) => row[index] ?? null);
  }

  /** Order of this side's next chunk and the other side's head row. */
  nextFirstVersus(other: SideCursor): number {
    return compareKeyToRow(this.nextFirst(), other.headRow(), this.keyIndexes);
  }

  /** Order of the two heads. */
  headVersus(other: SideCursor): number {
    return compareRowKeys(this.headRow(), other.headRow(), this.keyIndexes);
  }

  advance(): void {
    this.position++;
  }

  /** Consumes the rows in hand whose key equals `row`'s; returns how many. */
  takeRun(row: Row): number {
    let count = 0;
    while (this.hasRows() && compareRowKeys(this.headRow(), row, this.keyIndexes) === 0) {
      count++;
      this.position++;
    }
    return count;
  }

  /** Whether rows with `row`'s key may continue in the next chunk (all rows in hand are consumed). */
  runContinues(row: Row): boolean {
    return !this.hasRows() && this.nextChunk() !== undefined && compareKeyToRow(this.nextFirst(), row, this.keyIndexes) === 0;
  }
}

/**
 * A cursor over one side: streaming chunk by chunk when the side is stored in the
 * target key order, otherwise (primary key changed, key column retyped, keyless
 * table reshaped) read whole and re-sorted — such a change rewrites every chunk
 * anyway, so the whole table is the changed range.
 */
async function openSide(plan: JoinPlan, side: SideProjection, reader: ChunkReader): Promise<SideCursor> {
  const keyIndexes = plan.keyIndexes;
  if (!side.version) return SideCursor.sorted([], keyIndexes);
  const sideColumns = side.version.schema.columns;
  const read = async (chunk: ChunkEntry): Promise<Row[]> => {
    const rows = await reader.readRows(chunk.id, sideColumns);
    return side.identity ? rows : rows.map((row) => projectRow(side, plan.columns, row));
  };
  if (side.sortedByTargetKey) return new SideCursor(side.version.manifest.chunks, read, keyIndexes);
  const rows: Row[] = [];
  for (const chunk of side.version.manifest.chunks) for (const row of await read(chunk)) rows.push(row);
  const order = rows.map((_, index) => index);
  order.sort((x, y) => compareRowKeys(rows[x]!, rows[y]!, keyIndexes) || x - y);
  return SideCursor.sorted(
    order.map((index) => rows[index]!),
    keyIndexes,
  );
}

/** What the merge-join must do next: compare the heads, stop, or load a chunk into a side. */
const COMPARE = 0;
const DONE = 1;
type Step = typeof COMPARE | typeof DONE | SideCursor;

/**
 * Brings the two cursors to a state where their heads can be compared, without
 * awaiting anything unless a chunk must be read (the per-row path stays
 * synchronous). Runs of chunks with equal ids on both sides are skipped unread:
 * equal ids hold equal rows, and chunks of one side never overlap in key, so no
 * row of the other side falls in their range.
 */
function nextStep(a: SideCursor, b: SideCursor): Step {
  for (;;) {
    if (!a.hasRows() && !b.hasRows()) {
      const chunkA = a.nextChunk();
      const chunkB = b.nextChunk();
      if (!chunkA && !chunkB) return DONE;
      if (chunkA && chunkB && chunkA.id === chunkB.id) {
        a.skipChunk();
        b.skipChunk();
        continue;
      }
      return chunkA && (!chunkB || compareKeysLoose(a.nextFirst(), b.nextFirst()) <= 0) ? a : b;
    }
    // A side with no rows in hand must load its next chunk when it may hold the other side's head key.
    if (!a.hasRows() && a.nextChunk() && a.nextFirstVersus(b) <= 0) return a;
    if (!b.hasRows() && b.nextChunk() && b.nextFirstVersus(a) <= 0) return b;
    return COMPARE;
  }
}

/** Indexes of the columns whose values differ, among the first `count`. */
export function changedColumns(before: Row, after: Row, count = before.length): number[] {
  let changed: number[] | undefined;
  for (let i = 0; i < count; i++) {
    if (before[i] === after[i] || valuesEqual(before[i]!, after[i]!)) continue;
    (changed ??= []).push(i);
  }
  return changed ?? NONE;
}

/** Shared empty result; frozen so no caller can fill it by mistake. */
const NONE = Object.freeze([]) as unknown as number[];

/**
 * The rows that differ between `plan.from` and `plan.to` of a keyed table, in key
 * order, by a merge-join on the key over the chunks that differ.
 */
export async function* joinKeyedRows(plan: JoinPlan, reader: ChunkReader): AsyncGenerator<KeyedDelta> {
  const a = await openSide(plan, plan.from, reader);
  const b = await openSide(plan, plan.to, reader);
  for (;;) {
    const step = nextStep(a, b);
    if (step === DONE) return;
    if (step !== COMPARE) {
      await step.loadChunk();
      continue;
    }
    const order = !a.hasRows() ? 1 : !b.hasRows() ? -1 : a.headVersus(b);
    if (order < 0) {
      yield { key: a.headKey(), before: a.headRow(), after: undefined, changed: [] };
      a.advance();
    } else if (order > 0) {
      yield { key: b.headKey(), before: undefined, after: b.headRow(), changed: [] };
      b.advance();
    } else {
      const before = a.headRow();
      const after = b.headRow();
      const changed = changedColumns(before, after, plan.comparedColumns);
      if (changed.length > 0) yield { key: b.headKey(), before, after, changed };
      a.advance();
      b.advance();
    }
  }
}

/**
 * The rows of a bag (keyless table) whose number of copies differs, in row order:
 * multiset semantics, so a row present twice more is a delta of two. A run of
 * duplicates may spill into the next chunk, which is then loaded to count it whole.
 */
export async function* joinBagRows(plan: JoinPlan, reader: ChunkReader): AsyncGenerator<BagDelta> {
  const a = await openSide(plan, plan.from, reader);
  const b = await openSide(plan, plan.to, reader);
  for (;;) {
    const step = nextStep(a, b);
    if (step === DONE) return;
    if (step !== COMPARE) {
      await step.loadChunk();
      continue;
    }
    const fromA = a.hasRows() && (!b.hasRows() || a.headVersus(b) <= 0);
    const row = fromA ? a.headRow() : b.headRow();
    let beforeCount = a.takeRun(row);
    while (a.runContinues(row)) {
      await a.loadChunk();
      beforeCount += a.takeRun(row);
    }
    let afterCount = b.takeRun(row);
    while (b.runContinues(row)) {
      await b.loadChunk();
      afterCount += b.takeRun(row);
    }
    if (beforeCount !== afterCount) yield { row, beforeCount, afterCount };
  }
}
