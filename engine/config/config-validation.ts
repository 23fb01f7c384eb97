import type { DuckDbSession } from '../sql/duckdb-session.js';
import { duckdbTypeOf } from '../sql/duckdb-types.js';
import { quoteString, trimDuckdbMessage } from '../sql/sql-text.js';
import type { TableSchema } from '../schema/schema.js';
import type { ColumnType } from '../schema/types.js';
import { ConfigError, type ConfigIssue, type ConfigPath } from './config-error.js';
import { sortIssues, type LoadedConfig } from './config-file.js';
import { isNumericType, isTemporalType, literalSql } from './config-literal.js';
import type { ConfiguredCheck } from './configured-check.js';
import { didYouMean } from './spelling.js';

/**
 * Check a parsed dgit.yml against the tables of a revision: tables and columns it
 * names exist, values fit their column's type, regular expressions compile (in
 * DuckDB, whose RE2 engine runs them). Throws a ConfigError naming every problem.
 * `session` is a restricted DuckDB session whose configuration is already locked.
 */
export async function validateConfig(
  loaded: LoadedConfig,
  tables: ReadonlyMap<string, TableSchema>,
  session: DuckDbSession,
  revisionLabel: string,
): Promise<void> {
  const issues = [...configIssues(loaded, tables, revisionLabel), ...(await duckdbConfigIssues(loaded, tables, session))];
  if (issues.length > 0) throw new ConfigError(sortIssues(issues));
}

/** The problems found without running SQL: unknown tables and columns, values of the wrong kind, incompatible key types. */
export function configIssues(loaded: LoadedConfig, tables: ReadonlyMap<string, TableSchema>, revisionLabel: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const at = (path: ConfigPath, message: string, key = false) => issues.push(loaded.issueAt(path, message, { key }));
  const tableNames = [...tables.keys()];
  const missingTable = (name: string) =>
    `table ${JSON.stringify(name)} does not exist at ${revisionLabel}${didYouMean(name, tableNames) || (tableNames.length ? ` (tables: ${tableNames.join(', ')})` : ' (it has no tables)')}`;
  const columnType = (table: string, column: string): ColumnType | undefined => tables.get(table)?.columns.find((c) => c.name === column)?.type;
  const missingColumn = (table: string, column: string) =>
    `column ${JSON.stringify(column)} does not exist in table ${table}${didYouMean(column, tables.get(table)?.columns.map((c) => c.name) ?? [])}`;

  for (const [table, tableConfig] of Object.entries(loaded.config.tables)) {
    if (!tables.has(table)) {
      at(['tables', table], missingTable(table), true);
      continue;
    }
    for (const [column, value] of Object.entries(tableConfig.defaults ?? {})) {
      const type = columnType(table, column);
      if (!type) at(['tables', table, 'defaults', column], missingColumn(table, column), true);
      else {
        const literal = literalSql(value, type, { numbersAsText: true });
        if ('problem' in literal) at(['tables', table, 'defaults', column], literal.problem);
      }
    }
  }
  for (const check of loaded.checks) {
    if (tables.has(check.table)) checkIssues(loaded, check, tables, columnType, missingColumn, missingTable, at);
  }
  for (const [table, policy] of Object.entries(loaded.config.policy?.tables ?? {})) {
    if (!tables.has(table)) {
      at(['policy', 'tables', table], missingTable(table), true);
      continue;
    }
    (policy.columns ?? []).forEach((column, index) => {
      if (!columnType(table, column)) at(['policy', 'tables', table, 'columns', index], missingColumn(table, column));
    });
  }
  return issues;
}

function checkIssues(
  loaded: LoadedConfig,
  check: ConfiguredCheck,
  tables: ReadonlyMap<string, TableSchema>,
  columnType: (table: string, column: string) => ColumnType | undefined,
  missingColumn: (table: string, column: string) => string,
  missingTable: (table: string) => string,
  at: (path: ConfigPath, message: string, key?: boolean) => void,
): void {
  const path = check.location.keys;
  /** The type of a column the check names, or undefined after reporting it missing. */
  const typeOf = (table: string, column: string, where: ConfigPath) => {
    const type = columnType(table, column);
    if (!type) at(where, missingColumn(table, column));
    return type;
  };
  // Point at the key the user wrote: `column: a` or `columns: [a, b]`.
  const written = loaded.config.tables[check.table]?.checks[Number(path.at(-1))] as
    | { column?: string; references?: { column?: string } }
    | undefined;
  const columnsPath = (spec: 'own' | 'references', index: number): ConfigPath => {
    const base = spec === 'own' ? path : [...path, 'references'];
    const source = spec === 'own' ? written : written?.references;
    return source?.column !== undefined ? [...base, 'column'] : [...base, 'columns', index];
  };

  switch (check.kind) {
    case 'not_null':
    case 'pattern':
      typeOf(check.table, check.column, [...path, 'column']);
      return;
    case 'accepted_values': {
      const type = typeOf(check.table, check.column, [...path, 'column']);
      if (!type) return;
      if (!check.caseSensitive && type !== 'Utf8') at([...path, 'case_sensitive'], `case_sensitive applies to text columns; ${check.column} is ${type}`);
      check.values.forEach((value, index) => {
        const literal = literalSql(value, type, { numbersAsText: true });
        if ('problem' in literal) at([...path, 'values', index], literal.problem);
      });
      return;
    }
    case 'range': {
      const type = typeOf(check.table, check.column, [...path, 'column']);
      if (!type) return;
      if (type === 'Binary' || type === 'Bool') {
        at([...path, 'column'], `a range check needs a number, text, date or timestamp column; ${check.column} is ${type}`);
        return;
      }
      for (const bound of ['min', 'max'] as const) {
        const value = check[bound];
        if (value === undefined) continue;
        const literal = literalSql(value, type, { numbersAsText: false });
        if ('problem' in literal) at([...path, bound], literal.problem);
      }
      return;
    }
    case 'freshness': {
      const type = typeOf(check.table, check.column, [...path, 'column']);
      if (type && !isTemporalType(type)) at([...path, 'column'], `a freshness check needs a date or timestamp column; ${check.column} is ${type}`);
      return;
    }
    case 'unique':
      check.columns.forEach((column, index) => typeOf(check.table, column, columnsPath('own', index)));
      if (check.keep.keep === 'newest') typeOf(check.table, check.keep.by, [...path, 'by']);
      return;
    case 'foreign_key': {
      const own = check.columns.map((column, index) => typeOf(check.table, column, columnsPath('own', index)));
      const target = check.references.table;
      if (!tables.has(target)) {
        at([...path, 'references', 'table'], missingTable(target));
        return;
      }
      check.references.columns.forEach((column, index) => {
        const where = columnsPath('references', index);
        const type = typeOf(target, column, where);
        const ownType = own[index];
        if (type && ownType && typeFamily(type) !== typeFamily(ownType))
          at(where, `${target}.${column} is ${type} but ${check.table}.${check.columns[index]} is ${ownType}; they cannot be compared`);
      });
      return;
    }
    case 'row_count':
    case 'sql':
      return;
  }
}

/** Values of one family compare in SQL; across families (text against numbers) they do not. */
function typeFamily(type: ColumnType): string {
  if (isNumericType(type)) return 'number';
  if (isTemporalType(type)) return 'time';
  return type;
}

/** The problems DuckDB finds: regular expressions that do not compile, text that does not cast to its column's type. */
export async function duckdbConfigIssues(loaded: LoadedConfig, tables: ReadonlyMap<string, TableSchema>, session: DuckDbSession): Promise<ConfigIssue[]> {
  const issues: ConfigIssue[] = [];
  const probes: Array<{ path: ConfigPath; text: string; type: ColumnType }> = [];
  const columnType = (table: string, column: string) => tables.get(table)?.columns.find((c) => c.name === column)?.type;
  const probe = (path: ConfigPath, value: unknown, type: ColumnType | undefined, numbersAsText: boolean) => {
    if (!type || (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')) return;
    const literal = literalSql(value, type, { numbersAsText });
    if ('castText' in literal && literal.castText !== undefined) probes.push({ path, text: literal.castText, type });
  };

  for (const check of loaded.checks) {
    const path = check.location.keys;
    if (check.kind === 'pattern') {
      try {
        await session.rows(`SELECT regexp_matches('', ${quoteString(check.pattern)}${check.caseSensitive ? '' : `, 'i'`}) AS matched`);
      } catch (error) {
        issues.push(loaded.issueAt([...path, 'pattern'], `invalid regular expression: ${trimDuckdbMessage(error instanceof Error ? error.message : String(error)).replace(/^Invalid Input Error: /, '')}`));
      }
    } else if (check.kind === 'accepted_values') {
      check.values.forEach((value, index) => probe([...path, 'values', index], value, columnType(check.table, check.column), true));
    } else if (check.kind === 'range') {
      for (const bound of ['min', 'max'] as const) probe([...path, bound], check[bound], columnType(check.table, check.column), false);
    }
  }
  for (const [table, tableConfig] of Object.entries(loaded.config.tables)) {
    for (const [column, value] of Object.entries(tableConfig.defaults ?? {})) probe(['tables', table, 'defaults', column], value, columnType(table, column), true);
  }
  if (probes.length > 0) {
    const select = probes.map((p, index) => `TRY_CAST(${quoteString(p.text)} AS ${duckdbTypeOf(p.type)}) IS NULL AS "bad${index}"`).join(', ');
    const [row] = await session.rows(`SELECT ${select}`);
    probes.forEach((p, index) => {
      if (row?.[`bad${index}`] === true) issues.push(loaded.issueAt(p.path, `${JSON.stringify(p.text)} is not a valid ${p.type} value`));
    });
  }
  return issues;
}
