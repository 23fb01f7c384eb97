import type { Progress } from '../progress.js';
import { ConcurrentUpdateError, DuplicateKeyError, NotFoundError, NullKeyError, UsageError } from '../errors/index.js';
import type { Repository } from '../repository/repository.js';
import { openRevisionSession } from '../repository/revision-views.js';
import { isKeyless, keyColumnNames, type TableSchema } from '../schema/schema.js';
import { duckdbTypeOf } from '../sql/duckdb-session.js';
import { quoteIdentifier } from '../sql/sql-text.js';
import { plainJsonValue, selectJson } from '../sql/select-json.js';
import { readStagedParquet, stageQuery } from '../sql/staged-parquet.js';
import { unknownTableError } from '../sql/unknown-table.js';
import { wideTableError } from '../sql/wide-table-limit.js';
import { applyEdits, type EditCounts } from '../table/apply-edits.js';
import { withTableTree } from '../table/root-tree.js';
import { previousTableTree, writeTableTree, type PreviousTableTree } from '../table/table-tree.js';
import type { ObjectId } from '../store/object-store.js';
import type { Row } from '../value/value.js';
import { arrowToRows } from '../store/parquet/chunk-codec.js';
import path from 'node:path';
import type { ChunkEntry } from '../chunking/manifest.js';
import { chunkPredicateOfWhere, hasSqlComment } from '../sql/key-pruning.js';
import type { TableVersion } from '../table/table-version.js';
import { runDdl, type DdlResult } from './sql-ddl.js';

export type SqlResult =
  | { kind: 'rows'; columns: Array<{ name: string; type: string }>; rows: Array<Record<string, unknown>> }
  | { kind: 'edit'; statement: 'INSERT' | 'UPDATE' | 'DELETE'; table: string; counts: EditCounts }
  | DdlResult;

const READ_STATEMENTS = new Set(['SELECT', 'WITH', 'FROM', 'VALUES', 'TABLE', 'DESCRIBE', 'SUMMARIZE', 'EXPLAIN', 'SHOW']);

/**
 * One SQL statement over the tables of a revision, through DuckDB reading the
 * chunks. Queries read any revision; INSERT, UPDATE and DELETE change the working
 * set's table through the same row edits as an import. DuckDB runs with external
 * access off: SQL reads the tables and nothing else on the machine.
 */
export async function runSql(repository: Repository, query: string, options: { rev?: string; progress?: Progress; pruneChunks?: boolean } = {}): Promise<SqlResult> {
  const statement = singleStatement(query);
  const verb = /^\(*\s*([A-Za-z]+)/.exec(statement)?.[1]?.toUpperCase() ?? '';
  // A CTE before an edit (WITH x AS (...) DELETE FROM t ...): the tables are views here, and DuckDB's refusal
  // ("Can only delete from base table") would not say what to do.
  if (verb === 'WITH' && /\)\s*(INSERT|UPDATE|DELETE)\s/i.test(statement))
    throw new UsageError('dgit sql stages an INSERT, UPDATE or DELETE that starts with its verb; move the WITH into a subquery of the statement', 'sql');
  if (READ_STATEMENTS.has(verb)) return runQuery(repository, statement, options.rev);
  if (verb === 'INSERT' || verb === 'UPDATE' || verb === 'DELETE') {
    if (options.rev !== undefined) throw new UsageError(`${verb} changes the working set; it cannot run at --rev`, '--rev');
    return runEdit(repository, statement, verb, options.progress, options.pruneChunks ?? true);
  }
  if (verb === 'CREATE' || verb === 'ALTER' || verb === 'DROP') {
    if (options.rev !== undefined) throw new UsageError(`${verb} changes the working set; it cannot run at --rev`, '--rev');
    return runDdl(repository, statement);
  }
  throw new UsageError(`dgit sql runs one SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER or DROP statement, not ${verb || 'this'}`, 'sql');
}

/** The statement without comments and a trailing semicolon; more than one statement is refused. */
export function singleStatement(query: string): string {
  let out = '';
  let i = 0;
  while (i < query.length) {
    const c = query[i]!;
    if (c === "'" || c === '"') {
      const end = closingQuote(query, i, c);
      out += query.slice(i, end);
      i = end;
    } else if (c === '-' && query[i + 1] === '-') {
      while (i < query.length && query[i] !== '\n') i++;
    } else if (c === '/' && query[i + 1] === '*') {
      const end = query.indexOf('*/', i + 2);
      i = end < 0 ? query.length : end + 2;
      out += ' ';
    } else {
      out += c;
      i++;
    }
  }
  // Semicolons inside quotes were copied whole above, so a split here only cuts between statements.
  const statements = splitOutsideQuotes(out).map((p) => p.trim()).filter((p) => p !== '');
  if (statements.length === 0) throw new UsageError('empty SQL statement', 'sql');
  if (statements.length > 1) throw new UsageError('dgit sql runs exactly one statement', 'sql');
  return statements[0]!;
}

function splitOutsideQuotes(text: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; ) {
    const c = text[i]!;
    if (c === "'" || c === '"') i = closingQuote(text, i, c);
    else if (c === ';') {
      parts.push(text.slice(start, i));
      start = ++i;
    } else i++;
  }
  parts.push(text.slice(start));
  return parts;
}

function closingQuote(text: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < text.length) {
    if (text[i] === quote) {
      if (text[i + 1] === quote) i += 2;
      else return i + 1;
    } else i++;
  }
  return text.length;
}

async function runQuery(repository: Repository, statement: string, rev: string | undefined): Promise<SqlResult> {
  const revision = await repository.revision(rev);
  const opened = await openRevisionSession(repository, revision.tree);
  try {
    // Read by column position and spelled exactly (engine/sql/select-json.ts); statements DuckDB cannot describe
    // as a subquery (PRAGMA, SHOW, DESCRIBE, ...) are read as DuckDB gives them.
    const exact = /^(SELECT|WITH|FROM|VALUES|TABLE)$/i.test(/^\(*\s*([A-Za-z]+)/.exec(statement)?.[1] ?? '')
      ? await selectJson(opened.session, statement, async (sql) => (await opened.session.rows(sql)).map((row) => Object.values(row)))
      : undefined;
    if (exact) return { kind: 'rows', columns: exact.columns, rows: exact.rows };
    const rows = (await opened.session.rows(statement)).map((row) => plainJsonValue(row) as Record<string, unknown>);
    return { kind: 'rows', columns: Object.keys(rows[0] ?? {}).map((name) => ({ name, type: '' })), rows };
  } catch (error) {
    throw unknownTableError(error, opened.tables.keys(), rev ?? 'working set') ?? error;
  } finally {
    await opened.close();
  }
}

const TARGET = /^(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+("(?:[^"]|"")+"|[A-Za-z_][\w.-]*)/i;

async function runEdit(repository: Repository, statement: string, verb: 'INSERT' | 'UPDATE' | 'DELETE', progress: Progress | undefined, pruneChunks: boolean): Promise<SqlResult> {
  const step = (done: number, phase: string) => progress?.({ phase, done, total: 4, unit: 'steps' });
  const match = TARGET.exec(statement);
  if (!match) throw new UsageError(`cannot tell which table the ${verb} changes`, 'sql');
  const table = match[1]!.startsWith('"') ? match[1]!.slice(1, -1).replace(/""/g, '"') : match[1]!;
  const before = await repository.workingSet();
  const viewChunks = pruneChunks ? (name: string, version: TableVersion) => (name === table ? chunksTheEditReads(statement, verb, table, version) : version.manifest.chunks) : undefined;
  const opened = await openRevisionSession(repository, before.tree, { viewChunks });
  let columns = 0;
  try {
    const version = opened.tables.get(table);
    if (!version) {
      await repository.requireTable(before.tree, table, table); // names the tables there are
      throw new NotFoundError(`table ${JSON.stringify(table)}`);
    }
    const { schema } = version;
    columns = schema.columns.length;
    const session = opened.session;
    const name = quoteIdentifier(table);
    const old = quoteIdentifier('__dgit_before');
    const narrow = narrowEditPlan(statement, verb, table, schema);
    if (narrow) {
      const edits = await stageNarrowEdit(session, schema, table, statement, narrow);
      const counts = await repository.changeWorkingSet(async ({ working, tx, chunks }) => {
        if (working.tree !== before.tree) throw new ConcurrentUpdateError(`working set of ${working.branch}`);
        const applied = await applyEdits(schema, version.manifest, edits, { reader: chunks, writer: chunks });
        const tableTree = writeTableTree({ schema, manifest: applied.manifest }, tx, await editedTableTree(repository, working.tree, table, version));
        return { tree: await withTableTree(repository.store, tx, working.tree, table, tableTree), result: applied.counts };
      });
      return { kind: 'edit', statement: verb, table, counts };
    }
    // The table becomes a real table with the schema's types; the view stays as the "before" side.
    await session.run(`ALTER VIEW ${name} RENAME TO ${old}`);
    const keys = keyColumnNames(schema);
    const definitions = schema.columns.map((c) => `${quoteIdentifier(c.name)} ${duckdbTypeOf(c.type)}${keys.includes(c.name) ? ' NOT NULL' : ''}`);
    step(0, 'Loading the table');
    // INSERT OR REPLACE / OR IGNORE / ON CONFLICT need the key as a constraint. Only for them: an UPDATE of the
    // key under DuckDB's constraint can fail midway on a duplicate the statement's end would not have.
    const upsert = /^\s*INSERT\s+OR\s+(?:REPLACE|IGNORE)\b|\bON\s+CONFLICT\b/i.test(statement);
    if (upsert && keys.length > 0) definitions.push(`PRIMARY KEY (${keys.map(quoteIdentifier).join(', ')})`);
    await session.run(`CREATE TEMP TABLE ${name} (${definitions.join(', ')})`);
    await session.run(`INSERT INTO ${name} SELECT * FROM ${old}`);
    step(1, `Running the ${verb}`);
    await session.run(statement);
    if (!isKeyless(schema)) {
      const keyList = keys.map(quoteIdentifier).join(', ');
      const duplicates = await session.rows(`SELECT ${keyList}, count(*) AS n FROM ${name} GROUP BY ALL HAVING count(*) > 1 LIMIT 1`);
      if (duplicates.length > 0) {
        const shown = keys.map((k) => JSON.stringify(plainJsonValue(duplicates[0]![k])));
        throw new DuplicateKeyError(`${verb} would make the key (${shown.join(', ')}) appear twice in ${table}`, 'sql');
      }
    }
    step(2, 'Finding the changed rows');
    const upserts = await stagedRows(session, schema, `(SELECT * FROM ${name} EXCEPT ALL SELECT * FROM ${old})`, 'upserts');
    const deletes = isKeyless(schema)
      ? await stagedRows(session, schema, `(SELECT * FROM ${old} EXCEPT ALL SELECT * FROM ${name})`, 'deletes')
      : (
          await stagedRows(
            session,
            schema,
            `(SELECT * FROM ${old} WHERE NOT EXISTS (SELECT 1 FROM ${name} n WHERE ${keys.map((k) => `n.${quoteIdentifier(k)} = ${old}.${quoteIdentifier(k)}`).join(' AND ')}))`,
            'deletes',
          )
        ).map((row) => keyValues(schema, row));
    step(3, 'Writing the working set');
    const counts = await repository.changeWorkingSet(async ({ working, tx, chunks }) => {
      if (working.tree !== before.tree) throw new ConcurrentUpdateError(`working set of ${working.branch}`);
      const applied = await applyEdits(schema, version.manifest, { upserts, deletes }, { reader: chunks, writer: chunks });
      const tableTree = writeTableTree({ schema, manifest: applied.manifest }, tx, await editedTableTree(repository, working.tree, table, version));
      return { tree: await withTableTree(repository.store, tx, working.tree, table, tableTree), result: applied.counts };
    });
    return { kind: 'edit', statement: verb, table, counts };
  } catch (error) {
    throw wideTableError(error, columns, `dgit sql ${verb}`);
  } finally {
    await opened.close();
  }
}

/** What the table tree of an edit can take from the tree the edit started from (see writeTableTree). */
async function editedTableTree(repository: Repository, root: ObjectId, table: string, version: TableVersion): Promise<PreviousTableTree | undefined> {
  const tree = (await repository.tableTrees(root)).get(table);
  return tree ? previousTableTree(repository.store, tree, table, version) : undefined;
}

/**
 * The chunks an edit's view of its table must read: for an UPDATE (that leaves the
 * key alone) or a DELETE staged the narrow way, only the chunks whose key range
 * may hold a row its WHERE selects (see chunkPredicateOfWhere); otherwise all. The
 * general path compares the whole table before and after, and an UPDATE that sets
 * the key or an INSERT checks new keys against every row, so they read it all.
 */
export function chunksTheEditReads(statement: string, verb: 'INSERT' | 'UPDATE' | 'DELETE', table: string, version: TableVersion): ChunkEntry[] {
  const all = version.manifest.chunks;
  const plan = narrowEditPlan(statement, verb, table, version.schema);
  if (!plan || plan.verb === 'INSERT' || plan.setsKey || plan.where === undefined) return all;
  const mayHold = chunkPredicateOfWhere(plan.where, { schema: version.schema, qualifiers: [table, plan.alias] });
  return mayHold ? all.filter(mayHold) : all;
}

/**
 * How a keyed table's UPDATE, DELETE or INSERT can be staged from the rows it
 * touches alone, rather than from a copy of the whole table: the statement names its
 * table once (no subquery reads it), and is of a plain form. UPDATE: the rows its
 * WHERE selects are copied, the SET is applied to them; DELETE: the keys its WHERE
 * selects are deleted; INSERT: the rows are inserted into an empty copy. Anything
 * else goes the general way.
 */
export interface NarrowEditPlan {
  verb: 'INSERT' | 'UPDATE' | 'DELETE';
  /** UPDATE: the statement up to its WHERE (applied to the selected rows only). */
  head: string;
  /** The condition of the WHERE, or undefined (every row). */
  where: string | undefined;
  /** The alias rows are named by in the statement. */
  alias: string;
  /** Whether the SET may change a key column (then new keys are checked against the rest of the table). */
  setsKey: boolean;
}

/** The narrow plan of an edit statement, or undefined when it must copy the table (exported for tests). */
export function narrowEditPlan(statement: string, verb: 'INSERT' | 'UPDATE' | 'DELETE', table: string, schema: TableSchema): NarrowEditPlan | undefined {
  if (isKeyless(schema)) return undefined;
  // Its WHERE and SET are found by reading words: a comment could hide or fake one (`SET v = 0 -- WHERE id = 5`).
  // runSql strips comments first (singleStatement); this keeps the plan safe for any caller.
  if (hasSqlComment(statement)) return undefined;
  const words = topLevelWords(statement);
  if (words === undefined) return undefined;
  // The table named once: as the target. A second mention may be a subquery reading it, qualified too (main.t),
  // or a string a table function reads it by (query_table('t')): so string literals count as mentions.
  const mentions = statement.match(new RegExp(`(?<![\\w"])"?${escapeRegExp(table)}"?(?![\\w"])`, 'gi'))?.length ?? 0;
  if (mentions !== 1) return undefined;
  const at = (word: string) => words.find((w) => w.word === word)?.index;
  if (at('RETURNING') !== undefined || at('USING') !== undefined) return undefined;
  const whereAt = at('WHERE');
  const where = whereAt === undefined ? undefined : statement.slice(whereAt + 'WHERE'.length);
  const target = TARGET.exec(statement)!;
  if (verb === 'INSERT') {
    if (/^INSERT\s+OR\b/i.test(statement) || at('CONFLICT') !== undefined) return undefined;
    return { verb, head: statement, where: undefined, alias: table, setsKey: false };
  }
  const rest = statement.slice(target[0].length);
  if (verb === 'DELETE') {
    const alias = /^\s*(?:AS\s+)?([A-Za-z_]\w*)?\s*$/i.exec(whereAt === undefined ? rest : statement.slice(target[0].length, whereAt));
    if (!alias) return undefined;
    return { verb, head: statement, where, alias: alias[1] ?? table, setsKey: false };
  }
  const setAt = at('SET');
  if (setAt === undefined || at('FROM') !== undefined) return undefined;
  const alias = /^\s*(?:AS\s+)?([A-Za-z_]\w*)?\s*$/i.exec(statement.slice(target[0].length, setAt));
  if (!alias || (alias[1] && alias[1].toUpperCase() === 'SET')) return undefined;
  const setText = withoutStrings(statement.slice(setAt, whereAt ?? statement.length));
  const setsKey = keyColumnNames(schema).some((k) => new RegExp(`(?<![\\w])"?${escapeRegExp(k)}"?(?![\\w])`, 'i').test(setText));
  return { verb, head: whereAt === undefined ? statement : statement.slice(0, whereAt), where, alias: alias[1] ?? table, setsKey };
}

/** Stage the row edits of a narrow plan: only the touched rows ever leave DuckDB. */
async function stageNarrowEdit(
  session: Awaited<ReturnType<typeof openRevisionSession>>['session'],
  schema: TableSchema,
  table: string,
  statement: string,
  plan: NarrowEditPlan,
): Promise<{ upserts: Row[]; deletes: Row[] }> {
  const name = quoteIdentifier(table);
  const old = quoteIdentifier('__dgit_before');
  const subset = quoteIdentifier('__dgit_subset');
  await session.run(`ALTER VIEW ${name} RENAME TO ${old}`);
  const keys = keyColumnNames(schema);
  const keyList = keys.map(quoteIdentifier).join(', ');
  const selected = `(SELECT * FROM ${old} AS ${quoteIdentifier(plan.alias)}${plan.where === undefined ? '' : ` WHERE ${plan.where}`})`;
  if (plan.verb === 'DELETE') {
    const deletes = (await stagedRows(session, schema, selected, 'deletes')).map((row) => keyValues(schema, row));
    return { upserts: [], deletes };
  }
  const definitions = schema.columns.map((c) => `${quoteIdentifier(c.name)} ${duckdbTypeOf(c.type)}${keys.includes(c.name) ? ' NOT NULL' : ''}`);
  await session.run(`CREATE TEMP TABLE ${name} (${definitions.join(', ')})`);
  if (plan.verb === 'UPDATE') {
    await session.run(`CREATE TEMP TABLE ${subset} AS SELECT * FROM ${selected}`);
    await session.run(`INSERT INTO ${name} SELECT * FROM ${subset}`);
    await session.run(plan.head);
  } else await session.run(statement);
  const duplicates = await session.rows(`SELECT ${keyList} FROM ${name} GROUP BY ALL HAVING count(*) > 1 LIMIT 1`);
  // New keys must not meet a row the statement did not touch.
  const checkRest = plan.verb === 'INSERT' || plan.setsKey;
  const untouched = plan.verb === 'UPDATE' ? ` WHERE NOT EXISTS (SELECT 1 FROM ${subset} s WHERE ${keys.map((k) => `s.${quoteIdentifier(k)} = o.${quoteIdentifier(k)}`).join(' AND ')})` : '';
  const clash = duplicates.length > 0 || !checkRest ? [] : await session.rows(`SELECT ${keys.map((k) => `n.${quoteIdentifier(k)}`).join(', ')} FROM ${name} n JOIN ${old} o ON ${keys.map((k) => `n.${quoteIdentifier(k)} = o.${quoteIdentifier(k)}`).join(' AND ')}${untouched} LIMIT 1`);
  const twice = duplicates[0] ?? clash[0];
  if (twice) {
    const shown = keys.map((k) => JSON.stringify(plainJsonValue(twice[k])));
    throw new DuplicateKeyError(`${plan.verb} would make the key (${shown.join(', ')}) appear twice in ${table}`, 'sql');
  }
  // An UPDATE's rows left as they were are no edit (as in the general path, which keeps only rows that differ).
  const changed = plan.verb === 'UPDATE' ? `(SELECT * FROM ${name} EXCEPT ALL SELECT * FROM ${subset})` : name;
  const upserts = await stagedRows(session, schema, `(SELECT * FROM ${changed} ORDER BY ${keyList})`, 'upserts');
  const deletes =
    plan.verb === 'UPDATE' && plan.setsKey
      ? (await stagedRows(session, schema, `(SELECT * FROM ${subset} s WHERE NOT EXISTS (SELECT 1 FROM ${name} n WHERE ${keys.map((k) => `n.${quoteIdentifier(k)} = s.${quoteIdentifier(k)}`).join(' AND ')}) ORDER BY ${keyList})`, 'deletes')).map((row) => keyValues(schema, row))
      : [];
  return { upserts, deletes };
}

/** Top-level keywords of a statement (outside quotes and parentheses) with their positions; undefined if quotes do not close. */
function topLevelWords(statement: string): Array<{ word: string; index: number }> | undefined {
  const out: Array<{ word: string; index: number }> = [];
  let depth = 0;
  for (let i = 0; i < statement.length; ) {
    const c = statement[i]!;
    if (c === "'" || c === '"') {
      const end = closingQuote(statement, i, c);
      if (end >= statement.length && statement[statement.length - 1] !== c) return undefined;
      i = end;
    } else if (c === '(') {
      depth++;
      i++;
    } else if (c === ')') {
      depth--;
      i++;
    } else if (/[A-Za-z_]/.test(c) && (i === 0 || !/[\w.]/.test(statement[i - 1]!))) {
      let j = i;
      while (j < statement.length && /\w/.test(statement[j]!)) j++;
      if (depth === 0) out.push({ word: statement.slice(i, j).toUpperCase(), index: i });
      i = j;
    } else i++;
  }
  return out;
}

/** The statement with the contents of its string literals blanked (identifiers in double quotes kept). */
function withoutStrings(statement: string): string {
  return statement.replace(/'(?:[^']|'')*'/g, "''");
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

async function stagedRows(session: Awaited<ReturnType<typeof openRevisionSession>>['session'], schema: TableSchema, from: string, label: string): Promise<Row[]> {
  const file = path.join(session.workDir, `${label}.parquet`);
  await stageQuery(session, { columns: schema.columns, values: schema.columns.map((c) => quoteIdentifier(c.name)), fromSql: from, file });
  const rows: Row[] = [];
  for await (const batch of readStagedParquet(file, schema.columns)) for (const row of arrowToRows(batch, schema.columns)) rows.push(row);
  for (const row of rows)
    schema.columns.forEach((c, i) => {
      if (!c.nullable && row[i] === null) throw new NullKeyError(`null in key column ${JSON.stringify(c.name)}`, 'sql');
    });
  return rows;
}

function keyValues(schema: TableSchema, row: Row): Row {
  return schema.primaryKey.map((id) => row[schema.columns.findIndex((c) => c.id === id)]!);
}
