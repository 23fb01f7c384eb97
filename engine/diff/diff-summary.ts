import type { DiffColumn, RowChange } from './row-change.js';

/** Row counts of a diff. For a keyless table each extra or missing copy of a row counts once; an inferred key change counts as one delete and one add. */
export interface DiffSummary {
  added: number;
  deleted: number;
  modified: number;
}

/** How many modified rows changed a column's cell (added and deleted rows do not count). */
export interface ColumnChangeCount {
  column: string;
  cells: number;
}

/** Counts row changes as they stream past: the summary and the per-column change counts. */
export class DiffCounter {
  readonly summary: DiffSummary = { added: 0, deleted: 0, modified: 0 };
  private readonly cells: number[];

  constructor(private readonly columns: readonly DiffColumn[]) {
    this.cells = columns.map(() => 0);
  }

  /** Row changes as listed (an inferred key change is one entry, though the summary counts it as a delete and an add). */
  entries = 0;

  add(change: RowChange): void {
    this.entries++;
    if (change.status === 'modified' && change.previousKey) {
      // A key change is inferred, not recorded: the summary counts what happened literally, one delete and one add.
      this.summary.deleted++;
      this.summary.added++;
      return;
    }
    this.summary[change.status]++;
    if (change.status === 'modified') for (const index of change.changedColumns) this.cells[index]!++;
  }

  get total(): number {
    return this.summary.added + this.summary.deleted + this.summary.modified;
  }

  /** Columns with at least one changed cell, in column order. */
  columnChanges(): ColumnChangeCount[] {
    const out: ColumnChangeCount[] = [];
    this.cells.forEach((cells, index) => {
      if (cells > 0) out.push({ column: this.columns[index]!.name, cells });
    });
    return out;
  }
}
