import type { ConfiguredCheck } from '../config/configured-check.js';
import { InvalidInputError } from '../errors/index.js';
import { columnTypeFromDuckdb } from '../sql/duckdb-types.js';
import { quoteIdentifier, quoteString, trimDuckdbMessage } from '../sql/sql-text.js';
import { rowsText, sampleLimit, type CheckContext, type CheckOutcome } from './check-context.js';
import { countOf, jsonReadyExpression, jsonValue, keyColumns } from './check-values.js';

type SqlCheck = Extract<ConfiguredCheck, { kind: 'sql' }>;

/**
 * A custom query: every row it returns is a failure. It runs in the check
 * session, whose DuckDB cannot reach any file but the revision's chunks (external
 * access off, configuration locked), and it must be one SELECT: DuckDB's own
 * parser says so (`json_serialize_sql` serialises SELECTs only), so COPY, ATTACH,
 * SET, INSERT or a second statement are refused before anything runs. The
 * query is then only ever a subquery of ours.
 */
export async function runSqlCheck(check: SqlCheck, context: CheckContext): Promise<CheckOutcome> {
  const query = await singleSelect(context, check.sql);
  const failures = `(\n${query}\n) AS failures`;
  const [counted] = await context.session.rows(`SELECT count(*) AS n FROM ${failures}`).catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    if (/Permission Error|disabled by configuration/i.test(message))
      throw new InvalidInputError(`an sql check may read only the tables of the revision: ${trimDuckdbMessage(message).replace(/^Permission Error: /, '')}`, 'sql');
    throw error;
  });
  const failingRows = countOf(counted?.['n']);
  const described = await context.session.describe(`SELECT * FROM ${failures}`);
  const columns = described.map((column, index) => {
    const mapping = columnTypeFromDuckdb(column.type);
    return { name: column.name, type: mapping.type, alias: `c${index}`, sql: jsonReadyExpression(mapping.convert(quoteIdentifier(column.name)), mapping.type) };
  });
  let sample: CheckOutcome['sample'] = [];
  if (failingRows > 0 && context.sampleSize > 0 && columns.length > 0) {
    const names = new Set(columns.map((c) => c.name));
    // The key when the query returns the table's key columns; else the whole row identifies it.
    const keyNames = keyColumns(context.table.schema).map((c) => c.name);
    const keyed = keyNames.every((name) => names.has(name));
    // A stable sample (a PR comment must not change when nothing did): in key order, or by every column.
    const order = keyed ? keyNames.map((name) => `${quoteIdentifier(name)} NULLS FIRST`).join(', ') : 'ALL NULLS FIRST';
    const rows = await context.session.rows(
      `SELECT ${columns.map((c) => `${c.sql} AS ${quoteIdentifier(c.alias)}`).join(', ')} FROM ${failures} ORDER BY ${order} ${sampleLimit(context)}`,
    );
    sample = rows.map((row) => {
      const value: Record<string, unknown> = {};
      for (const c of columns) value[c.name] = jsonValue(c.type, row[c.alias]);
      const key = keyed ? Object.fromEntries(keyNames.map((name) => [name, value[name]])) : value;
      return { key, value };
    });
  }
  return {
    failingRows,
    sample,
    columns: columns.map((c) => c.name),
    message: failingRows === 0 ? 'the query returned no rows' : `the query returned ${rowsText(failingRows)}`,
  };
}

/** How DuckDB's parser sees a text: its statements, or why it does not parse. */
async function parse(context: CheckContext, text: string): Promise<{ error?: boolean; error_message?: string; statements?: unknown[] }> {
  const [row] = await context.session.rows(`SELECT json_serialize_sql(${quoteString(text)}) AS parsed`);
  return JSON.parse(String(row?.['parsed'] ?? '{}')) as { error?: boolean; error_message?: string; statements?: unknown[] };
}

/**
 * The query as one SELECT ready to be a subquery, or an error saying why it is not
 * one. A final `;` (with comments after it) is dropped when the text without it
 * parses to the very same statement.
 */
async function singleSelect(context: CheckContext, sql: string): Promise<string> {
  const parsed = await parse(context, sql);
  if (parsed.error) {
    const reason = String(parsed.error_message ?? 'it does not parse');
    if (/only select statements/i.test(reason)) throw new InvalidInputError('an sql check must be one SELECT query; other statements are not allowed', 'sql');
    throw new InvalidInputError(`the query does not parse: ${trimDuckdbMessage(reason)}`, 'sql');
  }
  if ((parsed.statements?.length ?? 0) !== 1) throw new InvalidInputError('an sql check must be one SELECT query, not several statements', 'sql');
  const statement = JSON.stringify(parsed.statements);
  let text = sql.trim();
  for (let at = text.lastIndexOf(';'); at >= 0; at = text.lastIndexOf(';')) {
    const candidate = text.slice(0, at).trimEnd();
    const reparsed = await parse(context, candidate);
    if (reparsed.error || JSON.stringify(reparsed.statements) !== statement) break;
    text = candidate;
  }
  return text;
}
