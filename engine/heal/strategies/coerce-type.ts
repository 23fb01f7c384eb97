import path from 'node:path';
import crypto from 'node:crypto';
import type { CheckResult } from '../../checks/check-result.js';
import { jsonReadyExpression, jsonValue } from '../../checks/check-values.js';
import { convertsExactly } from '../../checks/schema-drift.js';
import type { Repository } from '../../repository/repository.js';
import { keyColumnNames, type Column, type TableSchema } from '../../schema/schema.js';
import type { ColumnType } from '../../schema/types.js';
import { duckdbTypeOf } from '../../sql/duckdb-types.js';
import { quoteIdentifier, quoteString } from '../../sql/sql-text.js';
import { PastRows, tableAt } from '../history.js';
import { readStagedParquet, stageQuery } from '../../sql/staged-parquet.js';
import type { CommitId } from '../../store/revision.js';
import { buildTable } from '../../table/build-table.js';
import type { GitChunkStore } from '../../table/git-chunk-store.js';
import type { TableVersion } from '../../table/table-version.js';
import type { FailingRevision } from '../proposal.js';
import type { SessionPool } from './strategy-context.js';

/**
 * coerce-type: a column that held numbers (or dates, timestamps, booleans) holds
 * text now. That is what a messy load does: one quoted number in a JSON file
 * (`"US Gross": "146083"`) and the import, which must not guess, reads the whole
 * column as text; `dgit check` reports it as a failing `schema` check
 * (checks/schema-drift.ts). The fix rewrites the table with the column's earlier
 * type (and id):
 * - a value that converts exactly ("12.0" to 12) is converted; only those whose
 *   text was not already the value's own spelling count as changed rows for the
 *   policy (a column reloaded as text with equal values changes nothing);
 * - a value that is no value of the type ("N/A", "") becomes null only when the
 *   policy allows it (`null_unconvertible`), each listed; else no fix;
 * - a value the type cannot hold exactly ("181.5" for an integer) is never
 *   rounded: there is no fix, and the rows are listed.
 * This is the one built-in fix that is not row edits (a patch cannot change a type).
 */

/** A column whose type drifted to text, as its failing `schema` check reports it, with the type to go back to. */
export interface TypeDrift {
  table: string;
  column: string;
  /** The type now (Utf8). */
  from: ColumnType;
  /** The type it had, restored by the fix. */
  to: ColumnType;
  /** The commit where the column had `to`: the evidence. */
  toAt: string;
  /** That commit's column, whose id the fix restores. */
  parentColumn: Column;
  /** The `schema` check id: `<table>.<column>.schema`. */
  check: string;
}

/** What converting a drifted column back does, row by row. */
export interface CoercePlan {
  /** Rows whose text is not already the value's own spelling (" 146083 ", "12.0"): changed by the fix. */
  respelled: number;
  /** Rows whose text is no value of the type ("N/A", "") but whose key had a value at the revision the type comes from: restored from it. */
  restored: Array<{ key: Record<string, unknown>; value: string; was: unknown }>;
  /** Rows whose text is no value of the type and that have no earlier value: nulled, when the policy allows it. */
  unconvertible: Array<{ key: Record<string, unknown>; value: string }>;
  /** Rows whose text is a value the type cannot hold exactly ("181.5" for an integer): never rounded. */
  inexact: Array<{ key: Record<string, unknown>; value: string }>;
}

/** The drift a failing `schema` result describes, when the type to go back to is known. */
export async function typeDriftOf(repository: Repository, result: CheckResult): Promise<TypeDrift | { unknown: string }> {
  const observed = result.observed as { expected?: string | null; expected_at?: string | null } | undefined;
  if (!observed?.expected || !observed.expected_at || !result.column)
    return { unknown: `no earlier revision had ${result.table}.${result.column ?? '?'} typed, so there is no type to go back to` };
  const tree = (await repository.readCommit(observed.expected_at as CommitId)).tree;
  const was = (await repository.requireTable(tree, result.table, result.table)).schema.columns.find((c) => c.name === result.column);
  if (!was) return { unknown: `${result.column} is missing at ${observed.expected_at.slice(0, 12)}` };
  return { table: result.table, column: result.column, from: 'Utf8', to: was.type, toAt: observed.expected_at, parentColumn: was, check: result.check };
}

/** SQL of a text value converted to `type`. */
function converted(sql: string, type: ColumnType): string {
  if (type === 'Bool') return `CASE lower(trim(${sql})) WHEN 'true' THEN TRUE WHEN 'false' THEN FALSE END`;
  return `TRY_CAST(trim(${sql}) AS ${duckdbTypeOf(type)})`;
}

/** SQL true when a text value is a number or a value of the type at all (else it is a placeholder such as "N/A"). */
function isAValue(sql: string, type: ColumnType): string {
  if (type === 'Bool') return `lower(trim(${sql})) IN ('true', 'false')`;
  if (/^(U?Int|Float)/.test(type)) return `TRY_CAST(trim(${sql}) AS DOUBLE) IS NOT NULL`;
  return `${converted(sql, type)} IS NOT NULL`;
}

/** Read what converting the drifted column back would do. */
export async function planCoercion(repository: Repository, base: FailingRevision, drift: TypeDrift, sessions: SessionPool): Promise<CoercePlan> {
  const session = (await sessions.get(repository, base, [drift.table])).session;
  const current = await repository.requireTable(base.tree, drift.table, drift.table);
  const name = quoteIdentifier(drift.column);
  const keys = keyColumnNames(current.schema);
  const keyColumns = (keys.length > 0 ? keys : current.schema.columns.map((c) => c.name)).map((k) => current.schema.columns.find((c) => c.name === k)!);
  const keySql = keyColumns.map((c, i) => `${jsonReadyExpression(quoteIdentifier(c.name), c.type)} AS "k${i}"`).join(', ');
  const order = keyColumns.map((c) => `${quoteIdentifier(c.name)} NULLS FIRST`).join(', ');
  const table = quoteIdentifier(drift.table);
  const exact = convertsExactly(name, drift.to);
  const [counted] = await session.rows(
    `SELECT count(*) FILTER (WHERE ${name} IS NOT NULL AND (${exact}) AND CAST(${converted(name, drift.to)} AS VARCHAR) IS DISTINCT FROM ${name}) AS respelled FROM ${table}`,
  );
  const listed = async (where: string) =>
    (await session.rows(`SELECT ${keySql}, ${name} AS v FROM ${table} WHERE ${name} IS NOT NULL AND ${where} ORDER BY ${order}`)).map((row) => ({
      key: Object.fromEntries(keyColumns.map((c, i) => [c.name, jsonValue(c.type, row[`k${i}`])])),
      value: String(row['v']),
    }));
  // A re-sent row whose value arrived as "N/A" had its value at the revision the type comes from: restore it from there.
  const past = await tableAt(repository, drift.toAt as CommitId, drift.table);
  const reader = past ? new PastRows(past, repository) : undefined;
  const restored: CoercePlan['restored'] = [];
  const unconvertible: CoercePlan['unconvertible'] = [];
  for (const row of await listed(`NOT (${isAValue(name, drift.to)})`)) {
    const was = reader ? (await reader.row(row.key))?.[drift.column] : undefined;
    if (was !== undefined && was !== null) restored.push({ ...row, was });
    else unconvertible.push(row);
  }
  return {
    respelled: Number(counted?.['respelled'] ?? 0),
    restored,
    unconvertible,
    inexact: await listed(`(${isAValue(name, drift.to)}) AND NOT (${exact})`),
  };
}

/** The table of the failing revision with the drifted column converted back, built into the proposal's transaction. */
export function coerceTypeBuilder(repository: Repository, base: FailingRevision, drift: TypeDrift, sessions: SessionPool, restored: CoercePlan['restored'] = []) {
  return async (io: { chunks: GitChunkStore }): Promise<TableVersion> => {
    const current = await repository.requireTable(base.tree, drift.table, drift.table);
    const schema = retypedSchema(current.schema, drift);
    const session = (await sessions.get(repository, base, [drift.table])).session;
    const file = path.join(session.workDir, `coerce-${crypto.randomBytes(6).toString('hex')}.parquet`);
    const keys = keyColumnNames(schema);
    const order = (keys.length > 0 ? keys : schema.columns.map((c) => c.name)).map((name) => `${quoteIdentifier(name)} ASC NULLS FIRST`).join(', ');
    await stageQuery(session, {
      columns: schema.columns,
      // Values that are no value of the type ("N/A") become null (the policy allowed it, each is listed); nothing inexact gets here.
      values: schema.columns.map((c) => (c.name === drift.column ? withRestored(converted(quoteIdentifier(c.name), drift.to), restored, drift.to) : quoteIdentifier(c.name))),
      fromSql: quoteIdentifier(drift.table),
      orderBy: order,
      file,
    });
    const manifest = await buildTable(schema, readStagedParquet(file, schema.columns), io.chunks, `${drift.table} (coerce-type)`);
    return { schema, manifest };
  };
}

/** The conversion, with the restored rows' earlier values put in by key. */
function withRestored(conversion: string, restored: CoercePlan['restored'], type: ColumnType): string {
  if (restored.length === 0) return conversion;
  const literal = (value: unknown) => (value === null ? 'NULL' : typeof value === 'number' || typeof value === 'boolean' ? String(value) : quoteString(String(value)));
  const cases = restored.map(({ key, was }) => {
    const match = Object.entries(key)
      .map(([column, value]) => (value === null ? `${quoteIdentifier(column)} IS NULL` : `${quoteIdentifier(column)} = ${literal(value)}`))
      .join(' AND ');
    return `WHEN ${match} THEN CAST(${literal(was)} AS ${duckdbTypeOf(type)})`;
  });
  return `CASE ${cases.join(' ')} ELSE ${conversion} END`;
}

/** The schema with the drifted column given back the parent's type and id (a key column's id follows). */
function retypedSchema(schema: TableSchema, drift: TypeDrift): TableSchema {
  const old = schema.columns.find((c) => c.name === drift.column)!;
  const idTaken = schema.columns.some((c) => c.id === drift.parentColumn.id && c.name !== drift.column);
  const id = idTaken ? old.id : drift.parentColumn.id;
  return {
    ...schema,
    columns: schema.columns.map((c) => (c.name === drift.column ? { ...c, id, type: drift.to } : c)),
    primaryKey: schema.primaryKey.map((k) => (k === old.id ? id : k)),
  };
}
