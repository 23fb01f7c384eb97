import path from 'node:path';
import crypto from 'node:crypto';
import type { CheckSample } from '../../checks/check-result.js';
import { jsonReadyExpression, jsonValue } from '../../checks/check-values.js';
import type { LoadedConfig } from '../../config/config-file.js';
import { checkedColumns } from '../../config/configured-check.js';
import type { Repository } from '../../repository/repository.js';
import { keyColumnNames, type Column, type TableSchema } from '../../schema/schema.js';
import type { ColumnType } from '../../schema/types.js';
import { duckdbTypeOf } from '../../sql/duckdb-types.js';
import { quoteIdentifier } from '../../sql/sql-text.js';
import { readStagedParquet, stageQuery } from '../../sql/staged-parquet.js';
import type { CommitId } from '../../store/revision.js';
import { buildTable } from '../../table/build-table.js';
import type { GitChunkStore } from '../../table/git-chunk-store.js';
import { readTableVersion } from '../../table/table-tree.js';
import type { TableVersion } from '../../table/table-version.js';
import type { FailingRevision } from '../proposal.js';
import type { SessionPool } from './strategy-context.js';

/**
 * coerce-type: a column that held numbers (or dates, timestamps, booleans) in the
 * parent commit holds text now. That is what a messy load does: one quoted
 * number in a JSON file (`"US Gross": "146083"`) and the import, which must not
 * guess, reads the whole column as text; the checks written for numbers then
 * cannot even run. When every value of the column converts back without loss
 * (after trimming spaces), the fix rewrites the table with the column's type
 * (and id) of the parent. Only columns dgit.yml names are watched: a column a
 * person turned into text on purpose, unchecked, is left alone.
 *
 * This is the one built-in fix that is not row edits (a patch cannot change a
 * type): it rewrites the table, so its size is bounded by the policy's row limits
 * like any other fix (every non-null value counts as a changed row).
 */

/** A column whose type drifted to text since the parent commit. */
export interface TypeDrift {
  table: string;
  column: string;
  /** The type now (Utf8). */
  from: ColumnType;
  /** The type in the parent commit, restored by the fix. */
  to: ColumnType;
  /** The parent's column, whose id the fix restores. */
  parentColumn: Column;
  /** Non-null values, each converted by the fix. */
  values: number;
  sample: CheckSample[];
  /** The synthetic check id of the incident: `<table>.<column>.type`. */
  check: string;
}

/** The columns dgit.yml's checks, defaults and policy name, per table. */
function configuredColumns(config: LoadedConfig): Map<string, Set<string>> {
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

/** SQL true when a text value converts to `type` without loss (after trimming). */
function convertsWithoutLoss(sql: string, type: ColumnType): string {
  if (type === 'Bool') return `lower(trim(${sql})) IN ('true', 'false')`;
  return `TRY_CAST(trim(${sql}) AS ${duckdbTypeOf(type)}) IS NOT NULL`;
}

/** SQL of a text value converted to `type`. */
function converted(sql: string, type: ColumnType): string {
  if (type === 'Bool') return `CASE lower(trim(${sql})) WHEN 'true' THEN TRUE WHEN 'false' THEN FALSE END`;
  return `TRY_CAST(trim(${sql}) AS ${duckdbTypeOf(type)})`;
}

/** Columns of the failing revision that drifted to text since its first parent and convert back without loss. */
export async function detectTypeDrift(repository: Repository, base: FailingRevision, sessions: SessionPool): Promise<TypeDrift[]> {
  if (!base.config) return [];
  const parent = (await repository.readCommit(base.commit)).parents[0];
  if (!parent) return [];
  const parentTrees = await repository.tableTrees((await repository.readCommit(parent as CommitId)).tree);
  const watched = configuredColumns(base.config);
  const drifts: TypeDrift[] = [];
  for (const [table, tree] of await repository.tableTrees(base.tree)) {
    const columns = watched.get(table);
    const parentTree = parentTrees.get(table);
    if (!columns || !parentTree || parentTree === tree) continue;
    const now = (await readTableVersion(repository.store, tree, table)).schema;
    const before = (await readTableVersion(repository.store, parentTree, table)).schema;
    for (const column of now.columns) {
      const was = before.columns.find((c) => c.name === column.name);
      if (!columns.has(column.name) || column.type !== 'Utf8' || !was || was.type === 'Utf8' || was.type === 'Binary') continue;
      const session = (await sessions.get(repository, base, [table])).session;
      const name = quoteIdentifier(column.name);
      const [counted] = await session.rows(
        `SELECT count(${name}) AS n, count(${name}) FILTER (WHERE NOT (${convertsWithoutLoss(name, was.type)})) AS bad FROM ${quoteIdentifier(table)}`,
      );
      if (Number(counted?.['bad'] ?? 1) > 0) continue;
      const keys = keyColumnNames(now);
      const keyColumns = (keys.length > 0 ? keys : now.columns.map((c) => c.name)).map((k) => now.columns.find((c) => c.name === k)!);
      const sampleRows = await session.rows(
        `SELECT ${keyColumns.map((c, i) => `${jsonReadyExpression(quoteIdentifier(c.name), c.type)} AS "k${i}"`).join(', ')}, ${name} AS v FROM ${quoteIdentifier(table)} ` +
          `WHERE ${name} IS NOT NULL ORDER BY ${keyColumns.map((c) => `${quoteIdentifier(c.name)} NULLS FIRST`).join(', ')} LIMIT 10`,
      );
      drifts.push({
        table,
        column: column.name,
        from: column.type,
        to: was.type,
        parentColumn: was,
        values: Number(counted?.['n'] ?? 0),
        sample: sampleRows.map((row) => ({ key: Object.fromEntries(keyColumns.map((c, i) => [c.name, jsonValue(c.type, row[`k${i}`])])), value: row['v'] })),
        check: `${table}.${column.name}.type`,
      });
    }
  }
  return drifts;
}

/** The table of the failing revision with the drifted column converted back, built into the proposal's transaction. */
export function coerceTypeBuilder(repository: Repository, base: FailingRevision, drift: TypeDrift, sessions: SessionPool) {
  return async (io: { chunks: GitChunkStore }): Promise<TableVersion> => {
    const current = await repository.requireTable(base.tree, drift.table, drift.table);
    const schema = retypedSchema(current.schema, drift);
    const session = (await sessions.get(repository, base, [drift.table])).session;
    const file = path.join(session.workDir, `coerce-${crypto.randomBytes(6).toString('hex')}.parquet`);
    const keys = keyColumnNames(schema);
    const order = (keys.length > 0 ? keys : schema.columns.map((c) => c.name)).map((name) => `${quoteIdentifier(name)} ASC NULLS FIRST`).join(', ');
    await stageQuery(session, {
      columns: schema.columns,
      values: schema.columns.map((c) => (c.name === drift.column ? converted(quoteIdentifier(c.name), drift.to) : quoteIdentifier(c.name))),
      fromSql: quoteIdentifier(drift.table),
      orderBy: order,
      file,
    });
    const manifest = await buildTable(schema, readStagedParquet(file, schema.columns), io.chunks, `${drift.table} (coerce-type)`);
    return { schema, manifest };
  };
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
