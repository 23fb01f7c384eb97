import path from 'node:path';
import type * as arrow from 'apache-arrow';
import { ConcurrentUpdateError, DuplicateKeyError, InvalidInputError, NullKeyError, SchemaMismatchError, UsageError } from '../errors/index.js';
import type { Repository } from '../repository/repository.js';
import { openRevisionSession } from '../repository/revision-views.js';
import {
  columnId,
  createTableSchema,
  keyColumnNames,
  storedName,
  storedNamesClash,
  validateColumnName,
  validateTableName,
  withoutStoredNames,
  type Column,
  type TableSchema,
} from '../schema/schema.js';
import type { ColumnType } from '../schema/types.js';
import { createTaggedCopy, HELPER_PREFIX, readCatalog, type CatalogColumn, type CatalogTable } from '../sql/ddl-catalog.js';
import type { DuckDbSession } from '../sql/duckdb-session.js';
import { DECIMAL_AS_DOUBLE_HINT, columnTypeFromDuckdb, decimalLostInDouble, duckdbTypeOf, isFractionalDecimal, isWideInteger } from '../sql/duckdb-types.js';
import { quoteIdentifier, trimDuckdbMessage } from '../sql/sql-text.js';
import { readStagedParquet, stageQuery, type StagedColumn } from '../sql/staged-parquet.js';
import { unknownTableError } from '../sql/unknown-table.js';
import { buildTable } from '../table/build-table.js';
import { withTableTrees } from '../table/root-tree.js';
import { writeTableTree } from '../table/table-tree.js';
import type { TableVersion } from '../table/table-version.js';
import type { ObjectId } from '../store/object-store.js';

/** What one DDL statement did to the working set, table by table. */
export interface DdlChange {
  table: string;
  /** `created`, `dropped`, `renamed` (from `from`) or `altered`. */
  action: 'created' | 'dropped' | 'renamed' | 'altered';
  from?: string;
  /** Whether the table's chunks were rewritten (a drop or retype of a column, a new key, a filled default); false when only its schema changed. */
  rewritten: boolean;
  /** Rows in the table afterwards (0 for a dropped table). */
  rows: number;
}

/** The result of a DDL statement run by `dgit sql`. */
export interface DdlResult {
  kind: 'ddl';
  changes: DdlChange[];
}

/** A dgit table as the statement leaves it: the new schema, and whether its rows must come from DuckDB. */
interface PlannedTable {
  name: string;
  origin: TableVersion | undefined;
  originName: string | undefined;
  catalog: CatalogTable;
  schema: TableSchema;
  /** The rows change (or must be re-sorted): they are read back from DuckDB and the table is rebuilt. */
  rebuild: boolean;
  /** Columns whose type changed: checked to convert losslessly. */
  retyped: Array<{ name: string; from: ColumnType; to: ColumnType; oldName: string }>;
  /** Types as DuckDB holds each column, to read rows back. */
  columnMappings: Array<{ type: ColumnType; convert(sql: string): string }>;
}

/**
 * Runs one CREATE, ALTER or DROP statement against the working set. DuckDB runs it
 * twice: first on empty copies of the tables, to learn from its catalog what the
 * statement does (which tables and columns it creates, drops, renames or retypes,
 * and any PRIMARY KEY it declares); then, only when rows must change, on copies
 * holding the rows, which are read back. A rename or an added nullable column
 * changes only `schema.json`; the chunks stay as they are.
 */
export async function runDdl(repository: Repository, statement: string): Promise<DdlResult> {
  const before = await repository.workingSet();
  const plans = await planStatement(repository, before.tree, statement);
  const built = await buildPlannedTables(repository, before.tree, statement, plans.tables);
  try {
    return { kind: 'ddl', changes: await writeChanges(repository, before.tree, plans, built.staged) };
  } finally {
    await built.close();
  }
}

async function writeChanges(
  repository: Repository,
  expectedTree: ObjectId,
  plans: { tables: PlannedTable[]; dropped: string[] },
  built: StagedTables['staged'],
): Promise<DdlChange[]> {
  return repository.changeWorkingSet(async ({ working, tx, chunks }) => {
    if (working.tree !== expectedTree) throw new ConcurrentUpdateError(`working set of ${working.branch}`);
    // Every table tree set at once: a root written into `tx` cannot be read back before it commits.
    const tables = new Map<string, ObjectId | undefined>();
    const out: DdlChange[] = [];
    for (const name of plans.dropped) {
      tables.set(name, undefined);
      out.push({ table: name, action: 'dropped', rewritten: false, rows: 0 });
    }
    for (const plan of plans.tables) if (plan.originName !== undefined && plan.originName !== plan.name) tables.set(plan.originName, undefined);
    for (const plan of plans.tables) {
      const staged = built.get(plan.name);
      const manifest = staged ? await buildTable(plan.schema, staged.batches(), chunks, 'sql') : plan.origin!.manifest;
      tables.set(plan.name, writeTableTree({ schema: plan.schema, manifest }, tx));
      const action = !plan.origin ? 'created' : plan.originName !== plan.name ? 'renamed' : 'altered';
      out.push({
        table: plan.name,
        action,
        ...(action === 'renamed' ? { from: plan.originName } : {}),
        rewritten: !!staged && !!plan.origin,
        rows: manifest.chunks.reduce((n, c) => n + c.rows, 0),
      });
    }
    return { tree: await withTableTrees(repository.store, tx, working.tree, tables), result: out };
  });
}

/** Phase one: the statement on empty copies; what it does, as new schemas. Nothing is written. */
async function planStatement(repository: Repository, tree: ObjectId, statement: string): Promise<{ tables: PlannedTable[]; dropped: string[] }> {
  const opened = await openRevisionSession(repository, tree);
  try {
    const session = opened.session;
    for (const [name, version] of opened.tables) await createTaggedCopy(session, name, version.schema, { fill: false });
    const baseline = new Map((await readCatalog(session)).map((t) => [t.origin!, t]));
    await runStatement(session, statement, opened.tables.keys());
    const after = await readCatalog(session);
    const tables: PlannedTable[] = [];
    const seen = new Set<string>();
    for (const catalog of after) {
      if (catalog.origin !== undefined) {
        seen.add(catalog.origin);
        const version = opened.tables.get(catalog.origin)!;
        const plan = planAltered(catalog, version, baseline.get(catalog.origin)!);
        if (plan) tables.push(plan);
      } else {
        tables.push(planCreated(catalog));
      }
    }
    const dropped = [...opened.tables.keys()].filter((name) => !seen.has(name));
    if (tables.length === 0 && dropped.length === 0)
      throw new UsageError('DuckDB ran the statement, but it changed no table; dgit keeps tables, their columns, types and primary key (not views, indexes, defaults or constraints)', 'sql');
    for (const plan of tables) validateTableName(plan.name);
    return { tables, dropped };
  } finally {
    await opened.close();
  }
}

async function runStatement(session: DuckDbSession, statement: string, tables: Iterable<string>): Promise<void> {
  try {
    await session.run(statement);
  } catch (error) {
    const unknown = unknownTableError(error, tables, 'working set');
    if (unknown) throw unknown;
    // Tables are views in the session: DuckDB would say a view of that name exists.
    const taken = /^Catalog Error: View with name "?(.+?)"? already exists!/.exec((error instanceof Error ? error.message : String(error)).trim())?.[1];
    if (taken !== undefined) throw new UsageError(`table ${JSON.stringify(taken)} already exists`, taken);
    throw new InvalidInputError(trimDuckdbMessage(error instanceof Error ? error.message : String(error)), 'sql', error);
  }
}

/** A type dgit stores as it is: DDL does not convert behind the user's back. */
function storedType(column: CatalogColumn, table: string): ColumnType {
  const mapping = columnTypeFromDuckdb(column.duckType);
  if (duckdbTypeOf(mapping.type) !== column.duckType && !sameDuckType(mapping.type, column.duckType))
    throw new SchemaMismatchError(
      `column ${JSON.stringify(column.name)} of ${table} would have DuckDB type ${column.duckType}, which dgit does not store; use BOOLEAN, TINYINT..BIGINT, UTINYINT..UBIGINT, FLOAT, DOUBLE, VARCHAR, BLOB, DATE or a TIMESTAMP`,
      `${table}.${column.name}`,
    );
  return mapping.type;
}

function sameDuckType(type: ColumnType, duckType: string): boolean {
  return duckType === 'TIMESTAMP WITH TIME ZONE' && duckdbTypeOf(type) === 'TIMESTAMPTZ';
}

/** The plan for an existing table the statement may have changed; undefined when it did not. */
function planAltered(catalog: CatalogTable, version: TableVersion, baseline: CatalogTable): PlannedTable | undefined {
  const old = version.schema;
  const table = catalog.name;
  const byId = new Map(old.columns.map((c) => [c.id, c]));
  const baselineById = new Map(baseline.columns.map((c) => [c.id!, c]));
  const taken = new Set(old.columns.map((c) => c.id));
  const columns: Column[] = [];
  const retyped: PlannedTable['retyped'] = [];
  const newIds = new Map<number, number>(); // old id -> new id (a retype)
  let rebuild = false;
  for (const column of catalog.columns) {
    validateColumnName(column.name);
    const was = column.id !== undefined ? byId.get(column.id) : undefined;
    if (!was) {
      // A new column: nullable and without a default, old chunks read it as null; otherwise its values must be written.
      const type = storedType(column, table);
      const id = columnId(column.name, type, taken);
      taken.add(id);
      columns.push({ id, name: column.name, type, nullable: column.nullable });
      if (!column.nullable || (column.defaultSql !== null && column.defaultSql.toUpperCase() !== 'NULL')) rebuild = true;
      continue;
    }
    if (column.duckType !== baselineById.get(was.id)!.duckType) {
      // A retype makes a new column (new id): its bytes change, and a merge must not mix old-typed edits into it.
      const type = storedType(column, table);
      const id = columnId(column.name, type, taken);
      taken.add(id);
      newIds.set(was.id, id);
      retyped.push({ name: column.name, from: was.type, to: type, oldName: was.name });
      columns.push({ id, name: column.name, type, nullable: column.nullable });
      rebuild = true;
      continue;
    }
    if (column.nullable !== was.nullable) rebuild = true;
    // A rename keeps the id, and the chunks keep the column under its stored name.
    const stored = storedName(was);
    columns.push({ id: was.id, name: column.name, type: was.type, nullable: column.nullable, ...(stored !== column.name ? { stored } : {}) });
  }
  const kept = new Set(catalog.columns.map((c) => c.id));
  const dropped = old.columns.filter((c) => !kept.has(c.id));
  for (const column of dropped) {
    if (old.primaryKey.includes(column.id))
      throw new SchemaMismatchError(`column ${JSON.stringify(column.name)} is part of the primary key of ${table}; change the key first (ALTER TABLE ${table} ADD PRIMARY KEY (...))`, `${table}.${column.name}`);
    rebuild = true;
  }
  let primaryKey = old.primaryKey.map((id) => newIds.get(id) ?? id);
  if (catalog.primaryKey) {
    const declared = catalog.primaryKey.map((name) => columns.find((c) => c.name === name)!.id);
    // A new key re-sorts the rows: the table is rebuilt. Declaring the key it already has changes nothing.
    if (declared.join() !== primaryKey.join()) rebuild = true;
    primaryKey = declared;
  }
  for (const id of primaryKey) {
    const column = columns.find((c) => c.id === id)!;
    if (column.nullable) columns[columns.indexOf(column)] = { ...column, nullable: false };
  }
  const clash = storedNamesClash(columns);
  if (clash) rebuild = true;
  const schema: TableSchema = { ...old, columns: rebuild ? withoutStoredNames(columns) : columns, primaryKey };
  const unchanged =
    !rebuild &&
    catalog.name === catalog.origin &&
    schema.columns.length === old.columns.length &&
    schema.columns.every((c, i) => {
      const o = old.columns[i]!;
      return c.id === o.id && c.name === o.name && c.type === o.type && c.nullable === o.nullable;
    });
  if (unchanged) return undefined;
  return {
    name: catalog.name,
    origin: version,
    originName: catalog.origin,
    catalog,
    schema,
    rebuild,
    retyped,
    columnMappings: schema.columns.map((c) => ({ type: c.type, convert: (sql: string) => sql })),
  };
}

/** The plan for a table the statement created: columns as DuckDB typed them (converted as an import converts), key as declared. */
function planCreated(catalog: CatalogTable): PlannedTable {
  // Integers wider than Int64 are Int64 where every value fits (see checkCreatedValues), as import makes them.
  const mappings = catalog.columns.map((c) => (isWideInteger(c.duckType) ? { type: 'Int64' as const, convert: (sql: string) => `TRY_CAST(${sql} AS BIGINT)` } : columnTypeFromDuckdb(c.duckType)));
  const schema = createTableSchema(
    catalog.columns.map((c, i) => ({ name: c.name, type: mappings[i]!.type, nullable: c.nullable })),
    catalog.primaryKey ?? [],
  );
  return { name: catalog.name, origin: undefined, originName: undefined, catalog, schema, rebuild: true, retyped: [], columnMappings: mappings };
}

/**
 * Phase two, for the tables whose rows change: the statement on copies holding the
 * rows, checked (a new key unique and without nulls; a retype lossless), and the
 * rows staged in key order for `buildTable`. Returns the staged rows by table name.
 */
async function buildPlannedTables(repository: Repository, tree: ObjectId, statement: string, plans: PlannedTable[]): Promise<StagedTables> {
  const staged = new Map<string, { batches(): AsyncIterable<arrow.Table> }>();
  if (!plans.some((p) => p.rebuild)) return { staged, close: async () => {} };
  const opened = await openRevisionSession(repository, tree);
  try {
    const session = opened.session;
    for (const plan of plans.filter((p) => p.rebuild && p.originName !== undefined)) {
      await createTaggedCopy(session, plan.originName!, plan.origin!.schema, { fill: true });
      if (plan.retyped.length > 0)
        await session.run(`CREATE TEMP TABLE ${quoteIdentifier(HELPER_PREFIX + 'before_' + plan.originName!)} AS SELECT * FROM ${quoteIdentifier(plan.originName!)}`);
      await checkBeforeStatement(session, plan);
    }
    await runStatement(session, statement, opened.tables.keys());
    const catalog = await readCatalog(session);
    for (const plan of plans.filter((p) => p.rebuild)) {
      const now = catalog.find((t) => (plan.originName !== undefined ? t.origin === plan.originName : t.origin === undefined && t.name === plan.name));
      if (!now) throw new InvalidInputError(`DuckDB left ${plan.name} differently on the second run of the statement`, 'sql');
      await checkAfterStatement(session, plan, now);
      const columns: StagedColumn[] = plan.schema.columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable }));
      const keys = keyColumnNames(plan.schema);
      const sortBy = keys.length > 0 ? keys : plan.schema.columns.map((c) => c.name);
      const file = path.join(session.workDir, `ddl-${staged.size}.parquet`);
      await stageQuery(session, {
        columns,
        values: plan.schema.columns.map((c, i) => plan.columnMappings[i]!.convert(quoteIdentifier(c.name))),
        fromSql: now.qualifiedName,
        orderBy: sortBy.map((name) => `${plan.schema.columns.findIndex((c) => c.name === name) + 1} ASC NULLS FIRST`).join(', '),
        file,
      });
      staged.set(plan.name, { batches: () => readStagedParquet(file, columns) });
    }
    // The staged files live in the session's folder: the caller closes it once it has read them.
    return { staged, close: () => opened.close() };
  } catch (error) {
    await opened.close();
    throw error;
  }
}

/** Rows staged by table name, in key order, and how to remove them. */
interface StagedTables {
  staged: Map<string, { batches(): AsyncIterable<arrow.Table> }>;
  close(): Promise<void>;
}

/** Before the statement: a new primary key must be unique and without nulls; a retyped value must convert. The first offending rows are named. */
async function checkBeforeStatement(session: DuckDbSession, plan: PlannedTable): Promise<void> {
  const table = quoteIdentifier(plan.originName!);
  const oldKey = keyColumnNames(plan.origin!.schema);
  const keyList = (names: string[]) => names.map(quoteIdentifier).join(', ');
  const shownKey = (row: Record<string, unknown>, names: string[]) => names.map((n) => `${n}=${JSON.stringify(String(row[n]))}`).join(', ');
  if (plan.catalog.primaryKey) {
    // Names as the statement leaves them; before it runs, only ADD PRIMARY KEY changes a key, and it renames nothing.
    const names = plan.catalog.primaryKey;
    const missing = names.filter((n) => !plan.origin!.schema.columns.some((c) => c.name === n));
    if (missing.length === 0) {
      const nulls = await session.rows(`SELECT ${keyList(names)} FROM ${table} WHERE ${names.map((n) => `${quoteIdentifier(n)} IS NULL`).join(' OR ')} LIMIT 1`);
      if (nulls.length > 0) throw new NullKeyError(`the new primary key (${names.join(', ')}) of ${plan.name} has a null in a row`, 'sql');
      const duplicates = await session.rows(
        `SELECT ${keyList(names)}, count(*) AS copies FROM ${table} GROUP BY ALL HAVING count(*) > 1 ORDER BY ${keyList(names)} LIMIT 10`,
      );
      if (duplicates.length > 0)
        throw new DuplicateKeyError(
          `the new primary key (${names.join(', ')}) of ${plan.name} is not unique: ${duplicates.map((d) => `(${shownKey(d, names)}) ${String(d['copies'])} times`).join('; ')}${duplicates.length === 10 ? '; …' : ''}`,
          'sql',
        );
    }
  }
  for (const change of plan.retyped) {
    const column = quoteIdentifier(change.oldName);
    const order = oldKey.length > 0 ? keyList(oldKey) : column;
    const bad = await session.rows(
      `SELECT ${oldKey.length > 0 ? keyList(oldKey) + ', ' : ''}CAST(${column} AS VARCHAR) AS __value FROM ${table} ` +
        `WHERE ${column} IS NOT NULL AND TRY_CAST(${column} AS ${duckdbTypeOf(change.to)}) IS NULL ORDER BY ${order} LIMIT 1`,
    );
    if (bad.length > 0) throw lossyRetype(plan, change, bad[0]!, oldKey);
  }
}

/** After the statement: a retyped value must convert back to itself (nothing rounded, cut or reformatted). */
async function checkAfterStatement(session: DuckDbSession, plan: PlannedTable, now: CatalogTable): Promise<void> {
  if (plan.originName === undefined) await checkCreatedValues(plan, now, session);
  if (plan.retyped.length === 0) return;
  const before = quoteIdentifier(HELPER_PREFIX + 'before_' + plan.originName!);
  const oldKey = keyColumnNames(plan.origin!.schema);
  for (const change of plan.retyped) {
    const old = `b.${quoteIdentifier(change.oldName)}`;
    const converted = `a.${quoteIdentifier(change.name)}`;
    const order = oldKey.length > 0 ? oldKey.map((k) => `b.${quoteIdentifier(k)}`).join(', ') : old;
    const bad = await session.rows(
      `SELECT ${oldKey.map((k) => `b.${quoteIdentifier(k)}`).join(', ')}${oldKey.length > 0 ? ', ' : ''}CAST(${old} AS VARCHAR) AS __value FROM ${before} b JOIN ${now.qualifiedName} a USING (${quoteIdentifier('__dgit_row')}) ` +
        `WHERE TRY_CAST(${converted} AS ${duckdbTypeOf(change.from)}) IS DISTINCT FROM ${old} ORDER BY ${order} LIMIT 1`,
    );
    if (bad.length > 0) throw lossyRetype(plan, change, bad[0]!, oldKey);
  }
}

/**
 * A created table's columns are converted as import converts them, and refused where
 * a value would not survive: a decimal a double does not hold exactly, an integer
 * past Int64 (never rounded into a double, never silently text).
 */
async function checkCreatedValues(plan: PlannedTable, now: CatalogTable, session: DuckDbSession): Promise<void> {
  for (const column of now.columns) {
    const name = quoteIdentifier(column.name);
    const lost = isFractionalDecimal(column.duckType)
      ? { sql: decimalLostInDouble(name, column.duckType), type: 'Float64', hint: DECIMAL_AS_DOUBLE_HINT }
      : isWideInteger(column.duckType)
        ? { sql: `TRY_CAST(${name} AS BIGINT) IS NULL`, type: 'Int64', hint: 'integers past Int64 are not rounded into a Float64; keep such numbers as text (CAST them to VARCHAR)' }
        : undefined;
    if (!lost) continue;
    const bad = await session.rows(`SELECT CAST(${name} AS VARCHAR) AS value FROM ${now.qualifiedName} WHERE ${name} IS NOT NULL AND ${lost.sql} LIMIT 1`);
    if (bad.length > 0)
      throw new InvalidInputError(
        `column ${JSON.stringify(column.name)} of ${plan.name}: value ${JSON.stringify(bad[0]!['value'])} does not fit type ${lost.type}: ${lost.hint}`,
        `${plan.name}.${column.name}`,
      );
  }
}

function lossyRetype(plan: PlannedTable, change: PlannedTable['retyped'][number], row: Record<string, unknown>, key: string[]): InvalidInputError {
  const where = key.length > 0 ? `the row with ${key.map((k) => `${k}=${JSON.stringify(String(row[k]))}`).join(', ')}` : 'a row';
  return new InvalidInputError(
    `column ${JSON.stringify(change.oldName)} of ${plan.name} cannot change type ${change.from} -> ${change.to} without loss: ${where} holds ${JSON.stringify(row['__value'])}`,
    `${plan.name}.${change.oldName}`,
  );
}
