import type { CheckKind, Severity } from '../config/config-schema.js';

/**
 * The results of `dgit check`: plain data in the JSON shape CLI.md fixes (snake
 * case, values as JSON), so renderers, the bot and the healer read them as they
 * are. Fields beyond CLI.md's example are additions, never changes.
 */

/** One failing row: its key (the primary key columns, or the whole row of a keyless table) and the offending value. */
export interface CheckSample {
  key: Record<string, unknown>;
  /** The value checked: one column's value, an object of several columns' values, or (sql) the returned row. */
  value: unknown;
}

/** What a check read: the whole table, or (row-local checks whose parent passed) only the chunks new since the parent. */
export type CheckScope = 'table' | 'changed-chunks';

/** The numbers an aggregate check (row_count, freshness) judged. */
export type CheckObservation =
  | {
      rows: number;
      parent_rows: number | null;
      change: number | null;
      change_percent: number | null;
      /** By how many rows the count misses its bounds (min, max, max_change); 0 when it passes. */
      missed_by: number;
    }
  | { newest: string | null; age_seconds: number | null; max_age_seconds: number }
  | { type: string; expected: string | null; expected_at: string | null; values: number; not_convertible: number | null };

/** A result's kind: a check kind of dgit.yml, or `schema` for a column whose type drifted (see schema-drift.ts). */
export type ResultKind = CheckKind | 'schema';

export interface CheckResult {
  /** The check's id: its name, or `<table>.<column(s)>.<kind>`. */
  check: string;
  table: string;
  /** The one column checked; null for several columns, row_count and sql. */
  column: string | null;
  /** The columns checked (for sql: the columns its query returns, in order). */
  columns: string[];
  /** The configured check's kind, `schema` for a column whose type drifted, or `integrity` for what dgit found wrong in the tables themselves (engine/integrity). */
  kind: ResultKind | 'integrity';
  severity: Severity;
  passed: boolean;
  /** Every failing row counted (0 for row_count and freshness, which judge the table as a whole). */
  failing_rows: number;
  /** The first failing rows, at most the sample size (10 by default), in key order. */
  sample: CheckSample[];
  /** One line for people: what failed, or what passed. */
  message: string;
  description?: string;
  /** Set when the check could not run (a rejected or broken sql query); the check then counts as failed. */
  error?: string;
  scope: CheckScope;
  /** For checks that read chunks one by one: how many were read, of how many in the table. */
  chunks?: { checked: number; total: number };
  observed?: CheckObservation;
  /** Set when the check could not run because a column it reads drifted to another type: the id of that `schema` result. */
  blocked_by?: string;
  /** The revision a relative check (row_count's max_change) compared with: the last where it passed. */
  compared_with?: string;
  /** The dgit.yml line the check is written on. */
  line: number;
}

export interface CheckReport {
  /** The commit id checked, or WORKING for the working set. */
  revision: string;
  /** False when a check of severity error failed (warnings never fail a report). */
  passed: boolean;
  /** False when the revision has no dgit.yml (then there are no results and the report passes). */
  config: boolean;
  results: CheckResult[];
}

/**
 * How a check failing in both `was` and `now` stands worse in `now`, for people, or
 * undefined when it does not: the one rule of the merge queue, the merge gate and
 * heal's re-check (a red branch may only get better). Worse is failing on more rows;
 * for a check that judges the table as a whole (row_count, freshness: no rows to
 * count), a count further from its bounds or a newest value older. A check that
 * could not run in `was` (blocked by a drifted column, or an error) has no count to
 * be worse than: only a new failure to run is worse; one that cannot run in `now` is.
 */
export function worseThan(was: CheckResult, now: CheckResult): string | undefined {
  const newFailureToRun = now.error !== undefined && now.blocked_by === undefined ? `it could not run: ${now.error}` : undefined;
  if (was.error !== undefined || was.blocked_by !== undefined) return was.blocked_by !== undefined ? newFailureToRun : undefined;
  if (now.error !== undefined) return `it could not run: ${now.error}`;
  if (now.failing_rows > was.failing_rows) return `${now.failing_rows} failing rows instead of ${was.failing_rows}`;
  const before = was.observed;
  const after = now.observed;
  if (before && after && 'rows' in before && 'rows' in after && after.missed_by > before.missed_by)
    return `${after.rows} rows, ${after.missed_by} outside its bounds instead of ${before.missed_by}`;
  if (before && after && 'newest' in before && 'newest' in after && before.newest !== null && (after.newest === null || Date.parse(after.newest) < Date.parse(before.newest)))
    return `newest ${after.newest ?? 'none'} instead of ${before.newest}`;
  return undefined;
}

/** Whether a result makes the report fail: a failed check of severity error. */
export function failsReport(result: CheckResult): boolean {
  return !result.passed && result.severity === 'error';
}
