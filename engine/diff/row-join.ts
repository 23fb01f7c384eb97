import type { ChunkEntry } from '../chunking/manifest.js';
import type { Column } from '../schema/schema.js';
import type { ChunkReader } from '../table/table-version.js';
import { valuesEqual, type Row, type Value } from '../value/value.js';
import { projectRow, targetBound, type JoinPlan, type SideProjection } from './column-alignment.js';
import { compareKeyToRow, compareKeysLoose, compareRowKeys, compareValuesLoose } from './key-order.js';
import { EagerRows, isLazyChunkReader, type LazyRows } from './lazy-rows.js';

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

/** Told each time the walk is past a chunk of either side, read or skipped unread (for progress). */
export type ChunkPassed = () => void;

/** A row of a bag (keyless table) held a different number of times on the two sides. */
export interface BagDelta {
  row: Row;
  beforeCount: number;
  afterCount: number;
}

/**
 * One side of a merge-join: the rows of the chunks in hand (usually one; the
 * unconsumed rest of the previous ones when a chunk is loaded early, or the whole
 * table when it had to be re-sorted) and the chunks still to come. Only chunks that
 * are loaded are read, so memory stays at about one chunk per side. Keys are
 * compared in place on the rows (`keyIndexes`); a chunk read lazily builds only
 * its key columns, and the rest of a row only when the row is asked for whole.
 */
class SideCursor {
  private parts: LazyRows[] = [];
  private part = 0;
  private position = 0;
  private nextIndex = 0;

  constructor(
    private readonly chunks: readonly ChunkEntry[],
    private readonly read: (chunk: ChunkEntry) => Promise<LazyRows>,
    readonly keyIndexes: readonly number[],
    private readonly passed: ChunkPassed | undefined,
  ) {}

  static sorted(rows: Row[], keyIndexes: readonly number[]): SideCursor {
    const cursor = new SideCursor([], async () => new EagerRows([], keyIndexes), keyIndexes, undefined);
    if (rows.length > 0) cursor.parts = [new EagerRows(rows, keyIndexes)];
    return cursor;
  }

  hasRows(): boolean {
    return this.part < this.parts.length;
  }

  nextChunk(): ChunkEntry | undefined {
    return this.chunks[this.nextIndex];
  }

  nextFirst(): Value[] {
    return targetBound(this.chunks[this.nextIndex]!.first, this.keyIndexes.length);
  }

  skipChunk(): void {
    this.nextIndex++;
    this.passed?.();
  }

  /** Reads the next chunk and appends its rows after the ones not yet consumed. */
  async loadChunk(): Promise<void> {
    const chunk = this.chunks[this.nextIndex++]!;
    const rows = await this.read(chunk);
    this.passed?.();
    if (this.part > 0) {
      this.parts = this.parts.slice(this.part);
      this.part = 0;
    }
    if (rows.length > 0) this.parts.push(rows);
  }

  /** The head row, whole. */
  headRow(): Row {
    return this.parts[this.part]!.row(this.position);
  }

  /** Key cell `k` (in key order) of the head row. */
  private headKeyValue(k: number): Value {
    return this.parts[this.part]!.keyValue(this.position, k);
  }

  headKey(): Value[] {
    const part = this.parts[this.part]!;
    return this.keyIndexes.map((_, k) => part.keyValue(this.position, k));
  }

  /** Whether the first `count` cells of the two heads are surely equal, judged without building them (false: unknown). */
  headSameAs(other: SideCursor, count: number): boolean {
    return this.parts[this.part]!.sameCells(this.position, other.parts[other.part]!, other.position, count);
  }

  /** Order of this side's next chunk and the other side's head row. */
  nextFirstVersus(other: SideCursor): number {
    const key = this.nextFirst();
    for (let k = 0; k < this.keyIndexes.length; k++) {
      const c = compareValuesLoose(key[k] ?? null, other.headKeyValue(k));
      if (c !== 0) return c;
    }
    return 0;
  }

  /** Order of the two heads. */
  headVersus(other: SideCursor): number {
    const fast = this.parts[this.part]!.compareKeys(this.position, other.parts[other.part]!, other.position);
    if (fast === fast) return fast;
    for (let k = 0; k < this.keyIndexes.length; k++) {
      const c = compareValuesLoose(this.headKeyValue(k), other.headKeyValue(k));
      if (c !== 0) return c;
    }
    return 0;
  }

  /**
   * How many rows from the heads on are surely equal on both sides in the first
   * `count` cells (keys among them, so they pair up row for row), within the rows
   * in hand of each side's current chunk; 0 when not known.
   */
  sameRunAs(other: SideCursor, count: number): number {
    const part = this.parts[this.part]!;
    const peer = other.parts[other.part]!;
    return part.sameRun(this.position, peer, other.position, count, Math.min(part.length - this.position, peer.length - other.position));
  }

  /** Move past `count` rows, all in the current chunk's rows in hand (see `sameRunAs`). */
  advanceBy(count: number): void {
    this.position += count - 1;
    this.advance();
  }

  advance(): void {
    if (++this.position >= this.parts[this.part]!.length) {
      this.part++;
      this.position = 0;
    }
  }

  /** Consumes the rows in hand whose key equals `row`'s; returns how many. */
  takeRun(row: Row): number {
    let count = 0;
    while (this.hasRows() && compareRowKeys(this.headRow(), row, this.keyIndexes) === 0) {
      count++;
      this.advance();
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
async function openSide(plan: JoinPlan, side: SideProjection, reader: ChunkReader, passed: ChunkPassed | undefined): Promise<SideCursor> {
  const keyIndexes = plan.keyIndexes;
  if (!side.version) return SideCursor.sorted([], keyIndexes);
  const sideColumns = side.version.schema.columns;
  const read = async (chunk: ChunkEntry): Promise<Row[]> => {
    const rows = await reader.readRows(chunk.id, sideColumns);
    return side.identity ? rows : rows.map((row) => projectRow(side, plan.columns, row));
  };
  if (side.sortedByTargetKey) {
    // Rows read on demand when the side's columns are the target's, or the target's first ones (columns added
    // after the side's version read as nulls); a keyed table only (a bag's key is the whole row).
    const lazyColumns = lazySideColumns(side, plan);
    const lazy = lazyColumns && !plan.keyless && isLazyChunkReader(reader) ? reader : undefined;
    const readChunk = lazy ? (chunk: ChunkEntry) => lazy.readLazyRows(chunk.id, lazyColumns!, keyIndexes) : async (chunk: ChunkEntry) => new EagerRows(await read(chunk), keyIndexes);
    return new SideCursor(side.version.manifest.chunks, readChunk, keyIndexes, passed);
  }
  const rows: Row[] = [];
  for (const chunk of side.version.manifest.chunks) {
    for (const row of await read(chunk)) rows.push(row);
    passed?.();
  }
  const order = rows.map((_, index) => index);
  order.sort((x, y) => compareRowKeys(rows[x]!, rows[y]!, keyIndexes) || x - y);
  return SideCursor.sorted(
    order.map((index) => rows[index]!),
    keyIndexes,
  );
}

/**
 * The columns to read a side's chunks under so that its rows are target rows, or
 * undefined when only reading them whole and projecting them does: the side's own
 * columns when they are the target's, and when they are the target's first ones
 * (same ids, order and types), those followed by a column for each target column
 * the side lacks, under a name no chunk holds (a column name never has a NUL), so
 * it reads as null, as `projectRow` makes it. A chunk may still hold a column the
 * side dropped under the name of a column added since: it is never read by name.
 */
function lazySideColumns(side: SideProjection, plan: JoinPlan): readonly Column[] | undefined {
  const sideColumns = side.version!.schema.columns;
  if (side.identity) return sideColumns;
  const columns = plan.columns;
  if (sideColumns.length >= columns.length) return undefined;
  for (let t = 0; t < columns.length; t++) {
    const source = side.sourceIndexes[t]!;
    if (t < sideColumns.length ? source !== t || sideColumns[t]!.type !== columns[t]!.type : source !== -1) return undefined;
  }
  return [...sideColumns, ...columns.slice(sideColumns.length).map((column, i): Column => ({ id: column.id, name: `\u0000absent ${i}`, type: column.type, nullable: true }))];
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
 * order, by a merge-join on the key over the chunks that differ. `passed` is told
 * of every chunk the walk leaves behind, read or skipped.
 */
export async function* joinKeyedRows(plan: JoinPlan, reader: ChunkReader, passed?: ChunkPassed): AsyncGenerator<KeyedDelta> {
  const a = await openSide(plan, plan.from, reader, passed);
  const b = await openSide(plan, plan.to, reader, passed);
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
      // Equal rows come in long runs (a chunk that changed holds few changed rows): skip a run at once.
      const run = a.sameRunAs(b, plan.comparedColumns);
      if (run > 0) {
        a.advanceBy(run);
        b.advanceBy(run);
        continue;
      }
      if (a.headSameAs(b, plan.comparedColumns)) {
        a.advance();
        b.advance();
        continue;
      }
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
export async function* joinBagRows(plan: JoinPlan, reader: ChunkReader, passed?: ChunkPassed): AsyncGenerator<BagDelta> {
  const a = await openSide(plan, plan.from, reader, passed);
  const b = await openSide(plan, plan.to, reader, passed);
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
