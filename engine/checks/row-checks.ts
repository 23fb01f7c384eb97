import { literalSql } from '../config/config-literal.js';
import type { ConfiguredCheck } from '../config/configured-check.js';
import type { ColumnType } from '../schema/types.js';
import { quoteIdentifier, quoteString } from '../sql/sql-text.js';
import { formatCount, rowsText, sampleLimit, type CheckContext, type CheckOutcome } from './check-context.js';
import { countOf, sampleColumns, sampleObject, sampleSelectList, sampleValue } from './check-values.js';

/** The checks that judge each row alone: a table passes when every chunk does, so they may run on changed chunks only. */
export type RowLocalCheck = Extract<ConfiguredCheck, { kind: 'not_null' | 'accepted_values' | 'range' | 'pattern' }>;

/**
 * SQL that is true for a failing row. Nulls fail only not_null: every other check
 * judges values that are there (as SQL constraints and dbt tests do), so a
 * nullable column with a range is not also a not-null check. NaN fails every range.
 */
export function failingRowCondition(check: RowLocalCheck, type: ColumnType): string {
  const column = quoteIdentifier(check.column);
  const literal = (value: string | number | boolean, numbersAsText: boolean): string => {
    const sql = literalSql(value, type, { numbersAsText });
    if ('problem' in sql) throw new Error(`unvalidated configuration: ${sql.problem}`);
    return sql.sql;
  };
  switch (check.kind) {
    case 'not_null':
      return `${column} IS NULL`;
    case 'accepted_values': {
      if (!check.caseSensitive && type === 'Utf8') {
        return `${column} IS NOT NULL AND lower(${column}) NOT IN (${check.values.map((v) => `lower(${literal(v, true)})`).join(', ')})`;
      }
      return `${column} IS NOT NULL AND ${column} NOT IN (${check.values.map((v) => literal(v, true)).join(', ')})`;
    }
    case 'range': {
      const bounds: string[] = [];
      if (check.min !== undefined) bounds.push(`${column} ${check.minInclusive ? '>=' : '>'} ${literal(check.min, false)}`);
      if (check.max !== undefined) bounds.push(`${column} ${check.maxInclusive ? '<=' : '<'} ${literal(check.max, false)}`);
      // NaN lies in no range, but DuckDB orders it above every number: NaN >= 0 holds.
      const nan = type === 'Float32' || type === 'Float64' ? `isnan(${column}) OR ` : '';
      return `${column} IS NOT NULL AND (${nan}NOT (${bounds.join(' AND ')}))`;
    }
    case 'pattern':
      return `${column} IS NOT NULL AND NOT regexp_matches(CAST(${column} AS VARCHAR), ${quoteString(check.pattern)}${check.caseSensitive ? '' : `, 'i'`})`;
  }
}

/** Count the failing rows of a row-local check in the context's view, and sample the first ones in key order. */
export async function runRowCheck(check: RowLocalCheck, context: CheckContext): Promise<CheckOutcome> {
  const type = context.table.schema.columns.find((c) => c.name === check.column)!.type;
  const condition = failingRowCondition(check, type);
  const view = quoteIdentifier(context.view);
  const [counted] = await context.session.rows(`SELECT count(*) AS n FROM ${view} WHERE ${condition}`);
  const failingRows = countOf(counted?.['n']);
  const columns = sampleColumns(context.table.schema, [check.column]);
  let sample: CheckOutcome['sample'] = [];
  if (failingRows > 0 && context.sampleSize > 0) {
    const rows = await context.session.rows(
      `SELECT ${sampleSelectList([...columns.key, ...columns.value])} FROM ${view} WHERE ${condition} ` +
        `ORDER BY ${columns.key.map((c) => `${c.sql} NULLS FIRST`).join(', ')} ${sampleLimit(context)}`,
    );
    sample = rows.map((row) => ({ key: sampleObject(columns.key, row), value: sampleValue(columns.value, row) }));
  }
  return { failingRows, sample, message: rowCheckMessage(check, failingRows) };
}

function rowCheckMessage(check: RowLocalCheck, failing: number): string {
  const column = check.column;
  switch (check.kind) {
    case 'not_null':
      return failing === 0 ? `every row has a ${column}` : `${rowsText(failing)} with no ${column}`;
    case 'accepted_values': {
      const list = `${formatCount(check.values.length)} accepted value${check.values.length === 1 ? '' : 's'}`;
      return failing === 0 ? `every ${column} is one of the ${list}` : `${rowsText(failing)} whose ${column} is not one of the ${list}`;
    }
    case 'range':
      return failing === 0 ? `every ${column} is ${rangeText(check)}` : `${rowsText(failing)} whose ${column} is not ${rangeText(check)}`;
    case 'pattern':
      return failing === 0 ? `every ${column} matches /${check.pattern}/` : `${rowsText(failing)} whose ${column} does not match /${check.pattern}/`;
  }
}

/** `in [0, 10]`, `in (0, 10]`, `>= 0`, `< 10` */
export function rangeText(check: Extract<ConfiguredCheck, { kind: 'range' }>): string {
  const show = (v: string | number) => (typeof v === 'number' ? String(v) : JSON.stringify(v));
  if (check.min !== undefined && check.max !== undefined)
    return `in ${check.minInclusive ? '[' : '('}${show(check.min)}, ${show(check.max)}${check.maxInclusive ? ']' : ')'}`;
  if (check.min !== undefined) return `${check.minInclusive ? '>=' : '>'} ${show(check.min)}`;
  return `${check.maxInclusive ? '<=' : '<'} ${show(check.max!)}`;
}
