import type { DuckDbSession } from '../sql/duckdb-session.js';
import type { TableVersion } from '../table/table-version.js';
import type { CheckObservation, CheckSample } from './check-result.js';

/** What one check runs against. */
export interface CheckContext {
  /** A restricted DuckDB session, locked: views of the tables (named as the tables) and of changed chunks. */
  session: DuckDbSession;
  /** The checked table at the revision. */
  table: TableVersion;
  /** The view the check reads: the table's own, or one over only its changed chunks. */
  view: string;
  /** Every table of the revision, by name (their views, where opened, have the same names). */
  tables: ReadonlyMap<string, TableVersion>;
  /** The table at the first parent (for the working set: at HEAD); undefined when it is new or there is no parent. */
  parentTable: TableVersion | undefined;
  /** Most failing rows to return (Infinity: all of them, as a healer may want). */
  sampleSize: number;
  /** The time freshness is measured against. */
  now: Date;
}

/** What a check found; run-checks.ts adds the check's identity. */
export interface CheckOutcome {
  failingRows: number;
  sample: CheckSample[];
  message: string;
  /** For sql: the columns the query returns. */
  columns?: string[];
  observed?: CheckObservation;
  /** For relative checks: the revision compared with. */
  comparedWith?: string;
}

/** `1,204` */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** `1 row` / `3 rows` */
export function rowsText(n: number): string {
  return `${formatCount(n)} row${n === 1 ? '' : 's'}`;
}

/** The LIMIT of a sample query: none for an unbounded sample size. */
export function sampleLimit(context: CheckContext): string {
  return Number.isFinite(context.sampleSize) ? `LIMIT ${Math.max(0, Math.floor(context.sampleSize))}` : '';
}
