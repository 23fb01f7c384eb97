import { AgentRefusal } from './refusal.js';
import { loadSyncApi, DgitError, distinctNames, InvalidInputError, openRevisionSession, plainJsonValue, selectJson, trimDuckdbMessage, UsageError, type DuckDbSession, type ObjectId, type Repository, type RevisionSession } from '../engine/index.js';

const { singleStatement } = await loadSyncApi();

export interface ReadOnlyQueryOptions {
  /** Most rows returned; `truncated` says when the query had more. */
  maxRows: number;
  /** Wall-clock time before the query is interrupted. */
  timeoutMs: number;
  /** DuckDB's memory_limit. */
  memoryLimit: string;
  /** DuckDB's max_temp_directory_size: how much the query may spill to disk. */
  spillLimit: string;
  /** Most characters of SQL text. */
  maxChars: number;
}

export interface ReadOnlyQueryResult {
  columns: Array<{ name: string; type: string }>;
  rows: Array<Record<string, unknown>>;
  /** Whether the query returned more rows than `maxRows`. */
  truncated: boolean;
}

/** A query's first word, after opening parentheses: what a read-only query may start with. */
const READ_ONLY_START = /^\(*\s*(SELECT|WITH|FROM|VALUES|TABLE)\b/i;

/** Statement verbs that have no place in a read-only query (a `WITH … INSERT` starts like a query). */
const WRITING_WORD = /\b(INSERT|UPDATE|DELETE|MERGE|UPSERT|CREATE|DROP|ALTER|TRUNCATE|ATTACH|DETACH|COPY|EXPORT|IMPORT|INSTALL|LOAD|PRAGMA|CHECKPOINT|VACUUM|SET|RESET)\b/i;

/** Time given to DuckDB to honour an interrupt before the call returns without waiting for it. */
const INTERRUPT_GRACE_MS = 1500;

/**
 * One read-only SELECT over the tables of a root tree, for an agent. Stricter than
 * `dgit sql`, in layers, so no single check has to be perfect:
 * - the text is one statement (comments stripped) starting like a query, with
 *   no writing verb outside quotes (INSERT, CREATE, ATTACH, COPY, SET …), at most
 *   `maxChars` long;
 * - DuckDB's own parser must find exactly one statement, and its prepared type
 *   must be SELECT (a `WITH … INSERT` or a `PRAGMA` is refused);
 * - it runs in a session with external access off and its configuration locked
 *   (it can read the revision's chunk files and nothing else: no file, no
 *   network, no ATTACH, no SET), with a memory and a spill cap;
 * - it is interrupted at `timeoutMs`, and the call returns by then plus a grace
 *   period even if DuckDB does not stop;
 * - at most `maxRows` rows are read from a streaming result.
 * Even a statement that got through would change only the in-memory database of
 * this one session, which is thrown away: the repository is never opened for writing.
 */
export async function runReadOnlyQuery(repository: Repository, tree: ObjectId, sql: string, options: ReadOnlyQueryOptions): Promise<ReadOnlyQueryResult> {
  if (sql.length > options.maxChars) throw new AgentRefusal('too-large', `the SQL is ${sql.length} characters long; the limit is ${options.maxChars}`, 'sql');
  let statement: string;
  try {
    statement = singleStatement(sql);
  } catch (error) {
    throw new AgentRefusal('read-only', `query runs exactly one read-only SELECT statement (${error instanceof Error ? error.message : String(error)})`, 'sql');
  }
  if (!READ_ONLY_START.test(statement)) throw new AgentRefusal('read-only', 'query runs one read-only SELECT (or WITH … SELECT, FROM …, VALUES); nothing else', 'sql');
  const writing = WRITING_WORD.exec(withoutQuoted(statement));
  if (writing) throw new AgentRefusal('read-only', `query runs one read-only SELECT; ${writing[1]!.toUpperCase()} has no place in it (quote a column of that name: "${writing[1]}")`, 'sql');

  const opened = await openRevisionSession(repository, tree, { allowExternalAccess: false, memoryLimit: options.memoryLimit, spillLimit: options.spillLimit });
  let settled = false;
  let timedOut = false;
  const run = (async () => {
    await opened.session.run('SELECT 1');
    await assertLocked(opened.session);
    return execute(opened.session, statement, options.maxRows);
  })();
  const finished = run.finally(() => {
    settled = true;
  });
  let timer: NodeJS.Timeout | undefined;
  let graceTimer: NodeJS.Timeout | undefined;
  try {
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        try {
          opened.session.interrupt();
        } catch {
          // Nothing running yet, or already closed: the grace timer still ends the call.
        }
        graceTimer = setTimeout(() => reject(timeoutRefusal(options.timeoutMs)), INTERRUPT_GRACE_MS);
      }, options.timeoutMs);
    });
    return await Promise.race([finished, deadline]);
  } catch (error) {
    if (timedOut) throw timeoutRefusal(options.timeoutMs);
    throw asQueryError(error);
  } finally {
    clearTimeout(timer);
    clearTimeout(graceTimer);
    // A query DuckDB did not stop is left to end on its own; its session closes then.
    if (settled) await opened.close();
    else void finished.then(closeQuietly(opened), closeQuietly(opened));
  }
}

/** The statement with its string literals and quoted identifiers blanked, so words inside them are not read as SQL. */
function withoutQuoted(statement: string): string {
  return statement.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"/g, "''");
}

function closeQuietly(opened: RevisionSession): () => Promise<void> {
  return async () => {
    await opened.close().catch(() => undefined);
  };
}

function timeoutRefusal(timeoutMs: number): AgentRefusal {
  return new AgentRefusal('timeout', `the query ran longer than ${timeoutMs / 1000} s and was stopped; narrow it (a WHERE, a LIMIT, fewer joins)`, 'sql');
}

async function execute(session: DuckDbSession, statement: string, maxRows: number): Promise<ReadOnlyQueryResult> {
  try {
    await session.assertReadOnly(statement);
    // Values by column position and spelled exactly, as `dgit sql --json` gives them (engine/sql/select-json.ts).
    const exact = await selectJson(session, statement, async (sql) => (await session.readOnlyRows(sql, maxRows)).rows, maxRows);
    if (exact) return exact;
    const result = await session.readOnlyRows(statement, maxRows);
    const names = distinctNames(result.names);
    const rows = result.rows.slice(0, maxRows).map((row) => Object.fromEntries(names.map((name, index) => [name, plainJsonValue(row[index])])));
    return { columns: names.map((name, index) => ({ name, type: result.types[index] ?? '' })), rows, truncated: result.rows.length > maxRows };
  } catch (error) {
    if (error instanceof UsageError) throw new AgentRefusal('read-only', `query runs one read-only SELECT; ${error.message}`, 'sql');
    throw error;
  }
}

/** Refuse to run unless the session really is locked down (a change in DuckDbSession must not silently open it). */
async function assertLocked(session: DuckDbSession): Promise<void> {
  const rows = await session.rows(`SELECT name, value FROM duckdb_settings() WHERE name IN ('enable_external_access', 'lock_configuration')`);
  const settings = new Map(rows.map((row) => [String(row['name']), String(row['value'])]));
  if (settings.get('enable_external_access') !== 'false' || settings.get('lock_configuration') !== 'true')
    throw new DgitError('INTERNAL', 'the DuckDB session is not locked down (external access or configuration still open); refusing to run agent SQL');
}

/** DuckDB's error as dgit's: its sandbox saying no (a file, the network, a setting) is a refusal, anything else bad SQL. */
function asQueryError(error: unknown): Error {
  if (error instanceof AgentRefusal) return error;
  const message = error instanceof DgitError && error.cause instanceof Error ? error.cause.message : error instanceof Error ? error.message : String(error);
  const trimmed = trimDuckdbMessage(message);
  if (/^Permission Error|disabled (by|through) configuration/i.test(message)) return new AgentRefusal('external-access', `${trimmed}: query reads the revision's tables and nothing else`, 'sql');
  if (/configuration has been locked/i.test(message)) return new AgentRefusal('read-only', `${trimmed}: query cannot change settings`, 'sql');
  if (error instanceof DgitError) return error;
  return new InvalidInputError(trimmed, 'sql');
}
