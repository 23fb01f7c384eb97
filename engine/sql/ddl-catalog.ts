import type { TableSchema } from '../schema/schema.js';
import type { DuckDbSession } from './duckdb-session.js';
import { duckdbTypeOf } from './duckdb-types.js';
import { quoteIdentifier, quoteString } from './sql-text.js';

/**
 * DDL is understood by DuckDB, not by a parser of ours: each dgit table is copied
 * into DuckDB as a table whose comment names it and whose column comments carry the
 * column ids, the statement runs there, and DuckDB's catalog says what it left.
 * DuckDB keeps comments through RENAME TO, RENAME COLUMN and ALTER TYPE, so a
 * column found under a new name is the same column, a column without a tag is new,
 * a missing tag is a drop, and a table without a tag was created.
 */

const TABLE_TAG = 'dgit-table:';
const COLUMN_TAG = 'dgit-column:';
/** A helper column numbering the rows of a copy, so that before and after can be joined row by row. */
export const ROW_COLUMN = '__dgit_row';
/** Name prefix of helper tables (a copy of a table before the statement ran). */
export const HELPER_PREFIX = '__dgit_';

/** A column as DuckDB's catalog holds it after the statement. */
export interface CatalogColumn {
  name: string;
  /** DuckDB's type name, as DESCRIBE prints it. */
  duckType: string;
  /** The dgit column id it was tagged with; undefined for a column the statement added. */
  id: number | undefined;
  /** DuckDB's text of the column's default, or null. */
  defaultSql: string | null;
  nullable: boolean;
}

/** A table as DuckDB's catalog holds it after the statement. */
export interface CatalogTable {
  /** The SQL name to read it by: database, schema and table, quoted. */
  qualifiedName: string;
  name: string;
  /** The dgit table it was copied from; undefined for a table the statement created. */
  origin: string | undefined;
  columns: CatalogColumn[];
  /** The PRIMARY KEY the statement declared, by column name; undefined when none. */
  primaryKey: string[] | undefined;
}

/**
 * A DuckDB table standing for dgit table `name`: the schema's columns with their
 * DuckDB types, tagged. With `fill`, the rows of the view of the same name (in the
 * main schema, which the temporary table shadows) are copied in, numbered by `ROW_COLUMN`.
 * No PRIMARY KEY is declared, so that `ALTER TABLE ... ADD PRIMARY KEY` can set one.
 */
export async function createTaggedCopy(session: DuckDbSession, name: string, schema: TableSchema, options: { fill: boolean }): Promise<void> {
  const table = quoteIdentifier(name);
  const definitions = schema.columns.map((c) => `${quoteIdentifier(c.name)} ${duckdbTypeOf(c.type)}${c.nullable ? '' : ' NOT NULL'}`);
  if (options.fill) definitions.push(`${quoteIdentifier(ROW_COLUMN)} BIGINT`);
  await session.run(`CREATE TEMP TABLE ${table} (${definitions.join(', ')})`);
  await session.run(`COMMENT ON TABLE ${table} IS ${quoteString(TABLE_TAG + name)}`);
  for (const column of schema.columns)
    await session.run(`COMMENT ON COLUMN ${table}.${quoteIdentifier(column.name)} IS ${quoteString(COLUMN_TAG + String(column.id))}`);
  if (options.fill) {
    const names = schema.columns.map((c) => quoteIdentifier(c.name)).join(', ');
    await session.run(`INSERT INTO ${table} SELECT ${names}, row_number() OVER () FROM memory.main.${table}`);
  }
}

/** Every table DuckDB holds (views and dgit's helper tables aside), with its columns and declared primary key. */
export async function readCatalog(session: DuckDbSession): Promise<CatalogTable[]> {
  const tables = await session.rows(
    `SELECT database_name, schema_name, table_name, comment FROM duckdb_tables() WHERE NOT internal ORDER BY database_name, schema_name, table_name`,
  );
  const columns = await session.rows(
    `SELECT database_name, schema_name, table_name, column_name, data_type, comment, column_default, is_nullable FROM duckdb_columns() WHERE NOT internal ORDER BY column_index`,
  );
  const keys = await session.rows(
    `SELECT database_name, schema_name, table_name, constraint_column_names FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'`,
  );
  const where = (row: Record<string, unknown>) => `${String(row['database_name'])}\u0000${String(row['schema_name'])}\u0000${String(row['table_name'])}`;
  const out: CatalogTable[] = [];
  for (const table of tables) {
    const name = String(table['table_name']);
    if (name.startsWith(HELPER_PREFIX)) continue;
    const at = where(table);
    const comment = typeof table['comment'] === 'string' ? table['comment'] : '';
    const key = keys.find((k) => where(k) === at);
    out.push({
      qualifiedName: [table['database_name'], table['schema_name'], name].map((part) => quoteIdentifier(String(part))).join('.'),
      name,
      origin: comment.startsWith(TABLE_TAG) ? comment.slice(TABLE_TAG.length) : undefined,
      columns: columns
        .filter((c) => where(c) === at && c['column_name'] !== ROW_COLUMN)
        .map((c) => {
          const tag = typeof c['comment'] === 'string' && c['comment'].startsWith(COLUMN_TAG) ? Number(c['comment'].slice(COLUMN_TAG.length)) : undefined;
          return {
            name: String(c['column_name']),
            duckType: String(c['data_type']),
            id: tag !== undefined && Number.isSafeInteger(tag) ? tag : undefined,
            defaultSql: typeof c['column_default'] === 'string' ? c['column_default'] : null,
            nullable: c['is_nullable'] !== false,
          };
        }),
      primaryKey: key ? (key['constraint_column_names'] as unknown[]).map(String) : undefined,
    });
  }
  return out;
}
