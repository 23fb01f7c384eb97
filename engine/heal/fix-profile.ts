import { diffTrees } from '../commands/diff.js';
import type { DiffColumn, RowChange } from '../diff/index.js';
import { INCIDENTS_TABLE } from '../incidents/incident-words.js';
import type { Repository } from '../repository/repository.js';
import type { ColumnType } from '../schema/types.js';
import type { ObjectId } from '../store/object-store.js';
import type { CommitId } from '../store/revision.js';
import { EMPTY_TREE } from '../table/root-tree.js';
import { compareValues, toJsonValue, type Value } from '../value/value.js';

/**
 * What a fix did to the values it touched, column by column: a reviewer sees that
 * restored masses went from 30,000-60,000 back to 3,000-6,000, or that 12 nulls
 * became 0, without reading every row. Computed from the diff of the commit (only
 * the rows it changed are read), never by scanning whole tables.
 */

/** Nulls, distinct values and range of one column over a set of rows. */
export interface ColumnStats {
  /** Rows profiled (the affected rows on this side). */
  rows: number;
  nulls: number;
  /** Distinct non-null values. */
  distinct: number;
  /** Smallest and largest non-null value as display text (strings bare unless their edges are blank; cut at 200 characters); null when there is none. */
  min: string | null;
  max: string | null;
}

/** One column of an affected table: its values before the fix (at the parent) and after (at the commit). */
export interface ColumnProfile {
  column: string;
  key: boolean;
  /** Null when the column is not on that side (added or dropped by the commit). */
  before: ColumnStats | null;
  after: ColumnStats | null;
  /** Whether before and after differ in nulls, distinct values, min or max. */
  changed: boolean;
}

/** The affected rows of one table the commit changed, profiled. */
export interface TableProfile {
  table: string;
  /** Affected rows by what happened to them: modified keep their key; removed are gone after (after is empty for them); added are new (before is empty). */
  rows: { modified: number; removed: number; added: number };
  /** Whether more rows changed than were profiled (the figures are of the first `maxRows` in key order). */
  capped: boolean;
  columns: ColumnProfile[];
}

/** The profile of a commit's changes to the user's tables (dgit's own `_dgit_*` tables are left out). */
export interface FixProfile {
  from: string;
  to: CommitId;
  /** Most changed rows profiled per table. */
  maxRows: number;
  tables: TableProfile[];
}

export interface FixProfileOptions {
  /** Compare with this revision instead of the first parent (a pull request compares with its merge base). */
  from?: string;
  /** Only this table. */
  table?: string;
  /** Most changed rows profiled per table. Default 100,000. */
  maxRows?: number;
}

export const DEFAULT_PROFILE_ROWS = 100_000;
const DISPLAY_LENGTH = 200;

/**
 * Before/after profile of the rows `rev` changed against its first parent (or
 * `options.from`): for each user table, the rows modified, removed or added, and
 * per column their nulls, distinct values, min and max at the parent and at the
 * commit. Reads only the changed chunks (the diff's rows), at most `maxRows` per table.
 */
export async function fixProfile(repository: Repository, rev: string, options: FixProfileOptions = {}): Promise<FixProfile> {
  const maxRows = options.maxRows ?? DEFAULT_PROFILE_ROWS;
  const id = await repository.resolve(rev);
  const commit = await repository.readCommit(id);
  const from = options.from !== undefined ? await repository.resolve(options.from) : (commit.parents[0] as CommitId | undefined);
  const fromTree: ObjectId = from ? (await repository.readCommit(from)).tree : EMPTY_TREE;
  const report = await diffTrees(repository, { name: from ?? 'EMPTY', tree: fromTree }, { name: id, tree: commit.tree }, { table: options.table });
  const tables: TableProfile[] = [];
  for await (const { table, diff } of report.tables) {
    if (isDgitTable(table)) continue;
    tables.push(await profileTable(table, diff.columns, new Set(diff.keyColumns), diff.rows, maxRows));
  }
  return { from: from ?? 'EMPTY', to: id, maxRows, tables };
}

/** dgit's own tables (the incident memory): bookkeeping, not the fix. Quarantine tables (`<table>__quarantine`) are the user's. */
function isDgitTable(table: string): boolean {
  return table === INCIDENTS_TABLE || table.startsWith('_dgit');
}

async function profileTable(table: string, columns: DiffColumn[], keys: Set<number>, changes: AsyncIterable<RowChange>, maxRows: number): Promise<TableProfile> {
  const before = columns.map((column) => new StatsCounter(column.type));
  const after = columns.map((column) => new StatsCounter(column.type));
  const rows = { modified: 0, removed: 0, added: 0 };
  let profiled = 0;
  let capped = false;
  for await (const change of changes) {
    if (profiled === maxRows) {
      capped = true;
      break;
    }
    profiled++;
    if (change.status === 'modified') rows.modified++;
    else if (change.status === 'deleted') rows.removed++;
    else rows.added++;
    if (change.status !== 'added') change.before.forEach((value, i) => before[i]?.add(value));
    if (change.status !== 'deleted') change.after.forEach((value, i) => after[i]?.add(value));
  }
  return {
    table,
    rows,
    capped,
    columns: columns.map((column, i) => {
      const was = column.beforeName !== undefined ? before[i]!.stats() : null;
      const is = column.afterName !== undefined ? after[i]!.stats() : null;
      return { column: column.afterName ?? column.name, key: keys.has(i), before: was, after: is, changed: !sameStats(was, is) };
    }),
  };
}

function sameStats(a: ColumnStats | null, b: ColumnStats | null): boolean {
  if (a === null || b === null) return a === b;
  // Not `rows`: removing quarantined rows changes every column's row count, not what a reviewer looks for.
  return a.nulls === b.nulls && a.distinct === b.distinct && a.min === b.min && a.max === b.max;
}

/** Counts one column's values as they stream by. */
class StatsCounter {
  private rows = 0;
  private nulls = 0;
  private readonly seen = new Set<string>();
  private min: Value = null;
  private max: Value = null;

  constructor(private readonly type: ColumnType) {}

  add(value: Value): void {
    this.rows++;
    if (value === null) {
      this.nulls++;
      return;
    }
    this.seen.add(distinctKey(value));
    if (this.min === null || compareValues(value, this.min) < 0) this.min = value;
    if (this.max === null || compareValues(value, this.max) > 0) this.max = value;
  }

  stats(): ColumnStats {
    return { rows: this.rows, nulls: this.nulls, distinct: this.seen.size, min: displayValue(this.type, this.min), max: displayValue(this.type, this.max) };
  }
}

/** A value as a string that equals another's exactly when the values are equal (one column holds one kind of value). */
function distinctKey(value: Exclude<Value, null>): string {
  if (value instanceof Uint8Array) return 'x' + Buffer.from(value).toString('base64');
  return typeof value === 'string' ? 's' + value : String(value);
}

/** A value for a reviewer: its JSON form, strings bare unless blank edges, emptiness or the text NULL would mislead. */
function displayValue(type: ColumnType, value: Value): string | null {
  if (value === null) return null;
  if (typeof value === 'string' && (value === '' || value === 'NULL' || /^\s|\s$/u.test(value))) return cut(JSON.stringify(value));
  const json = toJsonValue(type, value);
  return cut(typeof json === 'string' ? json : JSON.stringify(json));
}

function cut(text: string): string {
  const points = Array.from(text);
  return points.length <= DISPLAY_LENGTH ? text : points.slice(0, DISPLAY_LENGTH - 1).join('') + '…';
}
