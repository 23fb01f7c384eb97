import type { LoadedConfig } from '../config/config-file.js';
import { isNumericType } from '../config/config-literal.js';
import { checkedColumns, type ConfiguredCheck } from '../config/configured-check.js';
import type { Repository } from '../repository/repository.js';
import type { TableSchema } from '../schema/schema.js';
import type { ColumnType } from '../schema/types.js';
import type { DuckDbSession } from '../sql/duckdb-session.js';
import { duckdbTypeOf } from '../sql/duckdb-types.js';
import { quoteIdentifier } from '../sql/sql-text.js';
import type { CommitId } from '../store/revision.js';
import { readTableVersion } from '../table/table-tree.js';
import { jsonReadyExpression, jsonValue, keyColumns } from './check-values.js';
import type { CheckResult } from './check-result.js';

/**
 * Type drift: a column the checks of dgit.yml are written for arrives as text (a
 * JSON file with one quoted number, a CSV with "N/A"). That is a data problem, not
 * a broken dgit.yml, so `dgit check` answers it with a failing `schema` check
 * (`<table>.<column>.schema`) and the checks of that column are reported as
 * blocked by it, never with a ConfigError.
 *
 * A column drifted when it is text now and was another type in the previous
 * revision, or, when a check needs another type (a numeric range, a freshness
 * check), in the nearest earlier revision that had it typed (at most
 * HISTORY_DEPTH commits back), so a second load cannot hide the drift. A column
 * that was always text under such a check is a mistake of dgit.yml: ConfigError.
 */
export interface SchemaDrift {
  table: string;
  column: string;
  /** The check id of the drift: `<table>.<column>.schema`. */
  check: string;
  /** The type now (Utf8). */
  now: ColumnType;
  /** The type the column had (or null when no earlier revision had it typed). */
  expected: ColumnType | null;
  /** The commit where the column had `expected` (null when unknown). */
  expectedAt: string | null;
  /** Why it counts as drift, for people. */
  because: string;
}

/** How many first-parent commits the search for a column's earlier type walks back. */
const HISTORY_DEPTH = 100;

/** The id of a drifted column's schema check. */
export function schemaCheckId(table: string, column: string): string {
  return `${table}.${column}.schema`;
}

/** The columns dgit.yml's checks, defaults and policy name, per table. */
export function configuredColumns(config: LoadedConfig): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (table: string, column: string) => out.set(table, (out.get(table) ?? new Set()).add(column));
  for (const check of config.checks) {
    for (const column of checkedColumns(check)) add(check.table, column);
    if (check.kind === 'foreign_key') for (const column of check.references.columns) add(check.references.table, column);
  }
  for (const [table, tableConfig] of Object.entries(config.config.tables)) for (const column of Object.keys(tableConfig.defaults ?? {})) add(table, column);
  for (const [table, rule] of Object.entries(config.config.policy?.tables ?? {})) for (const column of rule.columns ?? []) add(table, column);
  return out;
}

/** What a check needs of a column's type, when it needs more than text: `a number`, `a date or timestamp`. */
function neededType(check: ConfiguredCheck, column: string): string | undefined {
  if (check.kind === 'range' && check.column === column && (typeof check.min === 'number' || typeof check.max === 'number')) return 'a number';
  if (check.kind === 'freshness' && check.column === column) return 'a date or timestamp';
  return undefined;
}

function isText(type: ColumnType): boolean {
  return type === 'Utf8';
}

/**
 * The drifted columns of a revision whose first parent (or, for the working set,
 * HEAD) is `parent`. Reads schema files only.
 */
export async function detectSchemaDrift(repository: Repository, loaded: LoadedConfig, schemas: ReadonlyMap<string, TableSchema>, parent: CommitId | undefined): Promise<SchemaDrift[]> {
  const drifts: SchemaDrift[] = [];
  for (const [table, columns] of configuredColumns(loaded)) {
    const schema = schemas.get(table);
    if (!schema) continue;
    for (const name of columns) {
      const column = schema.columns.find((c) => c.name === name);
      if (!column || !isText(column.type)) continue;
      const needs = loaded.checks.map((check) => (check.table === table ? neededType(check, name) : undefined)).find((need) => need !== undefined);
      const earlier = parent ? await earlierType(repository, parent, table, name, needs === undefined) : undefined;
      const typedBefore = earlier && !isText(earlier.type) && earlier.type !== 'Binary' ? earlier : undefined;
      // A column that was never typed in the history is not drift: a check that needs a number there is a mistake of dgit.yml.
      if (!typedBefore) continue;
      const because = `${name} is ${column.type} but was ${typedBefore.type} at ${typedBefore.commit.slice(0, 12)}${needs ? ` (the checks of dgit.yml need ${needs})` : ''}`;
      drifts.push({ table, column: name, check: schemaCheckId(table, name), now: column.type, expected: typedBefore.type, expectedAt: typedBefore.commit, because });
    }
  }
  return drifts;
}

/**
 * The column's type in the nearest revision from `start` back that has it: only
 * `start` itself when `nearestOnly` (drift from the previous revision), else the
 * nearest where it was not text.
 */
async function earlierType(repository: Repository, start: CommitId, table: string, column: string, nearestOnly: boolean): Promise<{ type: ColumnType; commit: CommitId } | undefined> {
  let commit: CommitId | undefined = start;
  for (let depth = 0; commit && depth < HISTORY_DEPTH; depth++) {
    const read = await repository.readCommit(commit);
    const tree = (await repository.tableTrees(read.tree)).get(table);
    if (tree) {
      const found = (await readTableVersion(repository.store, tree, table)).schema.columns.find((c) => c.name === column);
      if (found && (nearestOnly || !isText(found.type))) return { type: found.type, commit };
      if (!found && nearestOnly) return undefined;
    } else if (nearestOnly) return undefined;
    commit = read.parents[0] as CommitId | undefined;
  }
  return undefined;
}

/** Whether a check reads a drifted column (then it cannot run until the type is fixed). */
export function blockingDrift(check: ConfiguredCheck, drifts: readonly SchemaDrift[]): SchemaDrift | undefined {
  const columns = new Set(checkedColumns(check));
  const own = drifts.find((drift) => drift.table === check.table && columns.has(drift.column));
  if (own || check.kind !== 'foreign_key') return own;
  return drifts.find((drift) => drift.table === check.references.table && check.references.columns.includes(drift.column));
}

/** SQL true when a text value converts to `type` exactly (after trimming): "12.0" to an integer yes, "181.5" no. */
export function convertsExactly(sql: string, type: ColumnType): string {
  if (type === 'Bool') return `lower(trim(${sql})) IN ('true', 'false')`;
  const cast = `TRY_CAST(trim(${sql}) AS ${duckdbTypeOf(type)})`;
  // An integer type rounds "181.5" to 182: exact only when the value read as a decimal number equals it.
  if (isNumericType(type) && !/^Float/.test(type)) return `(${cast} IS NOT NULL AND TRY_CAST(trim(${sql}) AS DOUBLE) = ${cast})`;
  return `${cast} IS NOT NULL`;
}

/** The failing `schema` result of a drift: counts of values that convert back exactly, and a sample of those that do not (else of any). */
export async function schemaDriftResult(session: DuckDbSession, drift: SchemaDrift, schema: TableSchema, line: number): Promise<CheckResult> {
  const name = quoteIdentifier(drift.column);
  const table = quoteIdentifier(drift.table);
  const fits = drift.expected ? convertsExactly(name, drift.expected) : 'FALSE';
  const [counted] = await session.rows(`SELECT count(${name}) AS n, count(${name}) FILTER (WHERE NOT (${fits})) AS bad FROM ${table}`);
  const values = Number(counted?.['n'] ?? 0);
  const bad = Number(counted?.['bad'] ?? 0);
  const keys = keyColumns(schema);
  const keySql = keys.map((c, i) => `${jsonReadyExpression(quoteIdentifier(c.name), c.type)} AS "k${i}"`).join(', ');
  const order = keys.map((c) => `${quoteIdentifier(c.name)} NULLS FIRST`).join(', ');
  const rows = await session.rows(
    `SELECT ${keySql}, ${name} AS v FROM ${table} WHERE ${name} IS NOT NULL ORDER BY (${fits}), ${order} LIMIT 10`,
  );
  const sample = rows.map((row) => ({ key: Object.fromEntries(keys.map((c, i) => [c.name, jsonValue(c.type, row[`k${i}`])])), value: row['v'] }));
  const convertNote = drift.expected
    ? bad === 0
      ? `; all ${values} values convert back to ${drift.expected} exactly`
      : `; ${bad} of ${values} values do not convert back to ${drift.expected} exactly`
    : '';
  return {
    check: drift.check,
    table: drift.table,
    column: drift.column,
    columns: [drift.column],
    kind: 'schema',
    severity: 'error',
    passed: false,
    failing_rows: values,
    sample,
    message: `type drift: ${drift.because}${convertNote}`,
    scope: 'table',
    observed: { type: drift.now, expected: drift.expected, expected_at: drift.expectedAt, values, not_convertible: drift.expected ? bad : null },
    line,
  };
}
