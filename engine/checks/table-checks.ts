import type { ConfiguredCheck } from '../config/configured-check.js';
import { formatTimestamp } from '../value/value.js';
import { quoteIdentifier } from '../sql/sql-text.js';
import { formatCount, rowsText, sampleLimit, type CheckContext, type CheckOutcome } from './check-context.js';
import { countOf, sampleColumns, sampleObject, sampleSelectList, sampleValue } from './check-values.js';

/**
 * The checks that need the whole table (and, for foreign keys, another one): a
 * duplicate or an orphan can involve rows of any chunk, so they always read
 * everything.
 */

type UniqueCheck = Extract<ConfiguredCheck, { kind: 'unique' }>;
type ForeignKeyCheck = Extract<ConfiguredCheck, { kind: 'foreign_key' }>;
type FreshnessCheck = Extract<ConfiguredCheck, { kind: 'freshness' }>;

/** Rows that share their value (combination) with another row; rows with a null in a checked column are not compared. */
export async function runUniqueCheck(check: UniqueCheck, context: CheckContext): Promise<CheckOutcome> {
  const view = quoteIdentifier(context.view);
  const list = check.columns.map(quoteIdentifier).join(', ');
  const present = check.columns.map((c) => `${quoteIdentifier(c)} IS NOT NULL`).join(' AND ');
  const duplicates = `SELECT ${list}, count(*) AS "n" FROM ${view} WHERE ${present} GROUP BY ${list} HAVING count(*) > 1`;
  const [counted] = await context.session.rows(`SELECT coalesce(sum("n"), 0) AS "rows", count(*) AS "groups" FROM (${duplicates}) AS duplicates`);
  const failingRows = countOf(counted?.['rows']);
  const groups = countOf(counted?.['groups']);
  const columns = sampleColumns(context.table.schema, check.columns, 't');
  let sample: CheckOutcome['sample'] = [];
  if (failingRows > 0 && context.sampleSize > 0) {
    const join = check.columns.map((c) => `t.${quoteIdentifier(c)} = d.${quoteIdentifier(c)}`).join(' AND ');
    const rows = await context.session.rows(
      `SELECT ${sampleSelectList([...columns.key, ...columns.value])} FROM ${view} AS t SEMI JOIN (${duplicates}) AS d ON ${join} ` +
        `ORDER BY ${[...columns.value, ...columns.key].map((c) => `${c.sql} NULLS FIRST`).join(', ')} ${sampleLimit(context)}`,
    );
    sample = rows.map((row) => ({ key: sampleObject(columns.key, row), value: sampleValue(columns.value, row) }));
  }
  const what = check.columns.length === 1 ? check.columns[0]! : `(${check.columns.join(', ')})`;
  const message =
    failingRows === 0
      ? `every ${what} is unique`
      : `${rowsText(failingRows)} share ${formatCount(groups)} duplicated value${groups === 1 ? '' : 's'} of ${what}`;
  return { failingRows, sample, message };
}

/** Rows whose value (combination) is not in the referenced table; rows with a null there are not checked (SQL's MATCH SIMPLE). */
export async function runForeignKeyCheck(check: ForeignKeyCheck, context: CheckContext): Promise<CheckOutcome> {
  const view = quoteIdentifier(context.view);
  const target = quoteIdentifier(check.references.table);
  const join = check.columns.map((c, i) => `t.${quoteIdentifier(c)} = r.${quoteIdentifier(check.references.columns[i]!)}`).join(' AND ');
  const present = check.columns.map((c) => `t.${quoteIdentifier(c)} IS NOT NULL`).join(' AND ');
  const orphans = `FROM ${view} AS t ANTI JOIN ${target} AS r ON ${join} WHERE ${present}`;
  const [counted] = await context.session.rows(`SELECT count(*) AS n ${orphans}`);
  const failingRows = countOf(counted?.['n']);
  const columns = sampleColumns(context.table.schema, check.columns, 't');
  let sample: CheckOutcome['sample'] = [];
  if (failingRows > 0 && context.sampleSize > 0) {
    const rows = await context.session.rows(
      `SELECT ${sampleSelectList([...columns.key, ...columns.value])} ${orphans} ` +
        `ORDER BY ${columns.key.map((c) => `${c.sql} NULLS FIRST`).join(', ')} ${sampleLimit(context)}`,
    );
    sample = rows.map((row) => ({ key: sampleObject(columns.key, row), value: sampleValue(columns.value, row) }));
  }
  const own = check.columns.length === 1 ? check.columns[0]! : `(${check.columns.join(', ')})`;
  const referenced = `${check.references.table}.${check.references.columns.length === 1 ? check.references.columns[0]! : `(${check.references.columns.join(', ')})`}`;
  const message = failingRows === 0 ? `every ${own} is found in ${referenced}` : `${rowsText(failingRows)} whose ${own} is not found in ${referenced}`;
  return { failingRows, sample, message };
}

/** The newest value of a date or timestamp column is at most `max_age` old (an empty column is not fresh). */
export async function runFreshnessCheck(check: FreshnessCheck, context: CheckContext): Promise<CheckOutcome> {
  const type = context.table.schema.columns.find((c) => c.name === check.column)!.type;
  const column = quoteIdentifier(check.column);
  // Timestamps without a zone are read as UTC, the session's zone; a date counts from its midnight.
  const newestSql = type.endsWith(', UTC>') ? `max(${column})` : `CAST(max(${column}) AS TIMESTAMP)`;
  const [row] = await context.session.rows(`SELECT epoch_us(${newestSql}) AS newest FROM ${quoteIdentifier(context.view)}`);
  const raw = row?.['newest'];
  const maxAge = check.maxAgeSeconds;
  if (raw === null || raw === undefined) {
    return {
      failingRows: 0,
      sample: [],
      message: `${check.column} has no value, so the data is not fresh`,
      observed: { newest: null, age_seconds: null, max_age_seconds: maxAge },
    };
  }
  const newestMicros = typeof raw === 'bigint' ? raw : BigInt(Number(raw));
  const newest = formatTimestamp('Timestamp<us, UTC>', newestMicros);
  const ageSeconds = Math.floor((context.now.getTime() * 1000 - Number(newestMicros)) / 1_000_000);
  const fresh = ageSeconds <= maxAge;
  return {
    failingRows: 0,
    sample: [],
    message: fresh
      ? `newest ${check.column} is ${newest}, ${ageText(ageSeconds)} (at most ${check.maxAge} allowed)`
      : `newest ${check.column} is ${newest}, ${ageText(ageSeconds)}, more than the ${check.maxAge} allowed`,
    observed: { newest, age_seconds: ageSeconds, max_age_seconds: maxAge },
  };
}

/** Whether a freshness outcome passed (it has no failing rows to count). */
export function isFresh(outcome: CheckOutcome): boolean {
  const observed = outcome.observed;
  return observed !== undefined && 'age_seconds' in observed && observed.age_seconds !== null && observed.age_seconds <= observed.max_age_seconds;
}

/** `3d 4h old`, `36m old`, `in the future` */
function ageText(seconds: number): string {
  if (seconds < 0) return 'in the future';
  return `${durationText(seconds)} old`;
}

function durationText(seconds: number): string {
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  if (days > 0) return hours > 0 ? `${days}d ${hours}h` : `${days}d`;
  if (hours > 0) return minutes > 0 ? `${hours}h ${minutes}m` : `${hours}h`;
  if (minutes > 0) return `${minutes}m`;
  return `${seconds}s`;
}
