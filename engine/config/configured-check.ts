import { canonicalJson } from '../value/canonical-json.js';
import type { CheckKind, Severity } from './config-schema.js';

/** A value written in dgit.yml for a cell: accepted values, range bounds, defaults. */
export type ConfigLiteral = string | number | boolean;

/** Where a check is written: the dgit.yml line of its list item, and its key path. */
export interface ConfigLocation {
  file: string;
  line: number;
  /** `tables.flights.checks[2]` */
  path: string;
  /** The same path as keys and indexes: `['tables', 'flights', 'checks', 2]`. */
  keys: Array<string | number>;
}

interface CheckCommon {
  /** The check's id in results: its `name`, or `<table>.<column(s) joined by +>.<kind>`. */
  id: string;
  table: string;
  severity: Severity;
  description?: string;
  location: ConfigLocation;
}

/**
 * Which row of a group of duplicates the healer keeps: the newest by load order
 * (the row whose commit brought it in last; the default), the newest by a
 * column, or the first by primary key.
 */
export type DuplicateRule = { keep: 'latest-load' } | { keep: 'newest'; by: string } | { keep: 'first' };

/** A row-count bound against the parent commit. */
export type RowCountChange = { rows: number } | { percent: number };

/**
 * One check of dgit.yml, normalised: an id, the table, and the columns always as
 * they are read (`column` or a list `columns`). What the check runner, the
 * renderers and the healer work from.
 */
export type ConfiguredCheck = CheckCommon &
  (
    | { kind: 'not_null'; column: string }
    | { kind: 'unique'; columns: string[]; keep: DuplicateRule }
    | { kind: 'accepted_values'; column: string; values: ConfigLiteral[]; caseSensitive: boolean }
    | { kind: 'range'; column: string; min?: number | string; max?: number | string; minInclusive: boolean; maxInclusive: boolean }
    | { kind: 'pattern'; column: string; pattern: string; caseSensitive: boolean }
    | { kind: 'row_count'; min?: number; max?: number; maxChange?: RowCountChange }
    | { kind: 'foreign_key'; columns: string[]; references: { table: string; columns: string[] } }
    | { kind: 'freshness'; column: string; maxAge: string; maxAgeSeconds: number }
    | { kind: 'sql'; sql: string }
  );

/** The kinds whose verdict is the conjunction of a test on each row alone, so they can run on changed chunks only. */
export const ROW_LOCAL_KINDS: ReadonlySet<CheckKind> = new Set(['not_null', 'accepted_values', 'range', 'pattern']);

/** The columns of its own table a check reads (none for row_count and sql). */
export function checkedColumns(check: ConfiguredCheck): string[] {
  switch (check.kind) {
    case 'unique':
    case 'foreign_key':
      return check.columns;
    case 'row_count':
    case 'sql':
      return [];
    default:
      return [check.column];
  }
}

/** `<table>.<column(s) joined by +>.<kind>`, or `<table>.<kind>` for checks of no column. */
export function defaultCheckId(table: string, kind: CheckKind, columns: string[]): string {
  return columns.length === 0 ? `${table}.${kind}` : `${table}.${columns.join('+')}.${kind}`;
}

/**
 * What decides a check's verdict on given rows, as canonical JSON: two checks with
 * equal definitions give equal verdicts on equal data, whatever their name,
 * severity or place in the file. Keys the incremental verdict cache.
 */
export function checkDefinitionKey(check: ConfiguredCheck): string {
  const { id: _id, severity: _severity, description: _description, location: _location, ...definition } = check;
  return canonicalJson(definition);
}
