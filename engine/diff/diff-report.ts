import type { TableDiff } from './index.js';

/** One table's diff under its name. */
export interface NamedTableDiff {
  table: string;
  diff: TableDiff;
}

/**
 * What every renderer takes: the two revisions and the diffs of the tables, which
 * may be produced lazily (an async iterable) so a renderer holds one table at a time.
 */
export interface DiffReport {
  /** A commit id, or WORKING for the working set. */
  from: string;
  to: string;
  tables: Iterable<NamedTableDiff> | AsyncIterable<NamedTableDiff>;
}
