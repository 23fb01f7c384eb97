import { changedColumns } from './row-join.js';
import type { AddedRow, DeletedRow, DiffColumn, ModifiedRow, RowChange } from './row-change.js';
import type { Row, Value } from '../value/value.js';

interface Entry {
  change: RowChange | undefined;
  /** An added or deleted row that a later row may still pair with. */
  waiting: boolean;
}

/**
 * Turns a deleted row and an added row whose non-key cells are all equal into one
 * modified row whose key changed (what users of Dolt ask for in dolt#7808), on a
 * stream of changes in key order, keeping that order (a pair sits at its new key).
 *
 * Memory is bounded: at most `window` changes are held; past it the oldest leaves
 * unpaired. Rows with no non-null non-key cell never pair (every such pair would
 * match, which says nothing).
 */
export class KeyChangePairing {
  private entries: Entry[] = [];
  private head = 0;
  /** Sequence number of entries[0]. */
  private base = 0;
  private readonly deletedBySignature = new Map<string, number[]>();
  private readonly addedBySignature = new Map<string, number[]>();
  private readonly nonKeyIndexes: number[];

  constructor(
    private readonly columns: readonly DiffColumn[],
    keyIndexes: readonly number[],
    private readonly comparedColumns: number,
    private readonly window: number,
  ) {
    const keys = new Set(keyIndexes);
    this.nonKeyIndexes = columns.slice(0, comparedColumns).map((_, i) => i).filter((i) => !keys.has(i));
  }

  push(change: RowChange): void {
    if (change.status === 'modified') {
      this.append(change, false);
      return;
    }
    const signature = this.signature(change.status === 'added' ? change.after : change.before);
    if (signature === undefined) {
      this.append(change, false);
      return;
    }
    const opposite = change.status === 'added' ? this.deletedBySignature : this.addedBySignature;
    const match = this.takeLive(opposite, signature);
    if (match === undefined) {
      const sequence = this.append(change, true);
      const own = change.status === 'added' ? this.addedBySignature : this.deletedBySignature;
      const list = own.get(signature);
      if (list) list.push(sequence);
      else own.set(signature, [sequence]);
      return;
    }
    const other = this.entries[match - this.base]!;
    other.waiting = false;
    if (change.status === 'added') {
      // The pair takes the place of the added row, its new key: later than the deleted row's slot.
      const deleted = other.change as DeletedRow;
      other.change = undefined;
      this.append(this.pair(deleted, change), false);
    } else {
      other.change = this.pair(change, other.change as AddedRow);
    }
  }

  /** Changes that can no longer pair, in order. */
  *ready(): Generator<RowChange> {
    while (this.head < this.entries.length) {
      const entry = this.entries[this.head]!;
      if (entry.waiting && this.entries.length - this.head <= this.window) break;
      this.head++;
      if (entry.change) yield entry.change;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.base += this.head;
      this.head = 0;
    }
  }

  /** All remaining changes, at the end of the stream. */
  *flush(): Generator<RowChange> {
    for (let i = this.head; i < this.entries.length; i++) {
      const change = this.entries[i]!.change;
      if (change) yield change;
    }
    this.entries = [];
    this.base += this.head;
    this.head = 0;
  }

  private append(change: RowChange, waiting: boolean): number {
    this.entries.push({ change, waiting });
    return this.base + this.entries.length - 1;
  }

  /** The oldest entry still held under `signature`, removed from the index. */
  private takeLive(index: Map<string, number[]>, signature: string): number | undefined {
    const list = index.get(signature);
    if (!list) return undefined;
    const firstHeld = this.base + this.head;
    while (list.length > 0 && list[0]! < firstHeld) list.shift();
    const sequence = list.shift();
    if (list.length === 0) index.delete(signature);
    return sequence;
  }

  private pair(deleted: DeletedRow, added: AddedRow): ModifiedRow {
    const changed = changedColumns(deleted.before, added.after, this.comparedColumns);
    return {
      status: 'modified',
      key: added.key,
      previousKey: deleted.key,
      before: deleted.before,
      after: added.after,
      changed: changed.map((i) => this.columns[i]!.name),
      changedColumns: changed,
    };
  }

  private signature(row: Row): string | undefined {
    if (this.nonKeyIndexes.length === 0) return undefined;
    let anyValue = false;
    const parts: string[] = [];
    for (const i of this.nonKeyIndexes) {
      const value = row[i] ?? null;
      if (value !== null) anyValue = true;
      parts.push(encodeValue(value));
    }
    return anyValue ? parts.join(',') : undefined;
  }
}

/** An injective text form of a value, equal for values that `valuesEqual` calls equal. */
function encodeValue(value: Value): string {
  if (value === null) return 'n';
  switch (typeof value) {
    case 'boolean':
      return value ? 't' : 'f';
    case 'number':
      return 'd' + String(value);
    case 'bigint':
      return 'b' + value.toString();
    case 'string':
      return 's' + JSON.stringify(value);
    default:
      return 'x' + Buffer.from(value).toString('hex');
  }
}
