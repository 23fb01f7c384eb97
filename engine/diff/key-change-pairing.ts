import { changedColumns } from './row-join.js';
import type { AddedRow, DeletedRow, DiffColumn, ModifiedRow, RowChange } from './row-change.js';
import type { Row, Value } from '../value/value.js';

interface Entry {
  change: RowChange | undefined;
  /** Non-key signature of an added or deleted row that may still pair; undefined once decided. */
  signature: string | undefined;
}

/** Held, undecided entries that share one signature, per side. */
interface SignatureGroup {
  deleted: number[];
  added: number[];
  /** Once more than one row on a side carried the signature, it never pairs: which row moved where would be a guess. */
  ambiguous: boolean;
}

/**
 * Turns a deleted row and an added row whose non-key cells are all equal into one
 * modified row whose key changed (what users of Dolt ask for in dolt#7808), on a
 * stream of changes in key order, keeping that order (a pair sits at its new key).
 * The pairing is an inference, so it is made only when it is unambiguous: the
 * non-key cells are carried by exactly one deleted and one added row. Summaries
 * still count such a pair as one delete and one add (see `DiffCounter`).
 *
 * Memory is bounded: at most `window` changes are held; past it the oldest leaves
 * unpaired, and uniqueness is judged among the changes held. Rows with no non-null
 * non-key cell never pair (every such pair would match, which says nothing).
 */
export class KeyChangePairing {
  private entries: Entry[] = [];
  private head = 0;
  /** Sequence number of entries[0]. */
  private base = 0;
  private readonly groups = new Map<string, SignatureGroup>();
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
    const signature = change.status === 'modified' ? undefined : this.signature(change.status === 'added' ? change.after : change.before);
    const sequence = this.base + this.entries.length;
    this.entries.push({ change, signature });
    if (signature === undefined || change.status === 'modified') return;
    let group = this.groups.get(signature);
    if (!group) this.groups.set(signature, (group = { deleted: [], added: [], ambiguous: false }));
    const side = change.status === 'added' ? group.added : group.deleted;
    side.push(sequence);
    if (side.length > 1) group.ambiguous = true;
  }

  /** Changes that can no longer pair, in order. */
  *ready(): Generator<RowChange> {
    while (this.head < this.entries.length) {
      const entry = this.entries[this.head]!;
      if (entry.signature !== undefined && this.entries.length - this.head <= this.window) break;
      this.decide(this.base + this.head);
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
      this.decide(this.base + i);
      const change = this.entries[i]!.change;
      if (change) yield change;
    }
    this.entries = [];
    this.base += this.head;
    this.head = 0;
    this.groups.clear();
  }

  /** Settles the entry at `sequence` as it leaves: paired with its unique partner, or left as it is. */
  private decide(sequence: number): void {
    const entry = this.entries[sequence - this.base]!;
    const signature = entry.signature;
    if (signature === undefined) return;
    entry.signature = undefined;
    const group = this.groups.get(signature)!;
    if (!group.ambiguous && group.deleted.length === 1 && group.added.length === 1) {
      const deletedEntry = this.entries[group.deleted[0]! - this.base]!;
      const addedEntry = this.entries[group.added[0]! - this.base]!;
      // The pair takes the place of the added row, its new key.
      addedEntry.change = this.pair(deletedEntry.change as DeletedRow, addedEntry.change as AddedRow);
      deletedEntry.change = undefined;
      deletedEntry.signature = undefined;
      addedEntry.signature = undefined;
      this.groups.delete(signature);
      return;
    }
    const side = entry.change!.status === 'added' ? group.added : group.deleted;
    side.splice(side.indexOf(sequence), 1);
    if (group.deleted.length === 0 && group.added.length === 0) this.groups.delete(signature);
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
