import { isDuckDbOutOfMemory } from '../sql/wide-table-limit.js';
import type { Progress } from '../progress.js';
import { ConfigError } from '../config/config-error.js';
import { CorruptError } from '../errors/index.js';
import { integrityResults, withIntegrity } from '../integrity/check-integrity.js';
import { parseConfig, sortIssues, type LoadedConfig } from '../config/config-file.js';
import { configIssues, duckdbConfigIssues } from '../config/config-validation.js';
import { checkedColumns, ROW_LOCAL_KINDS, type ConfiguredCheck } from '../config/configured-check.js';
import { readConfig, stageWorktreeConfig } from '../config/repository-config.js';
import { parseDuration } from '../config/duration.js';
import { WORKING, type Repository, type Revision } from '../repository/repository.js';
import { openRevisionSession } from '../repository/revision-views.js';
import type { TableSchema } from '../schema/schema.js';
import { createTableView, type DuckDbSession } from '../sql/duckdb-session.js';
import { trimDuckdbMessage } from '../sql/sql-text.js';
import type { ObjectId } from '../store/object-store.js';
import type { CommitId } from '../store/revision.js';
import { ChunkFileCache } from '../table/chunk-files.js';
import { readTableVersion } from '../table/table-tree.js';
import type { TableVersion } from '../table/table-version.js';
import type { CheckContext, CheckOutcome } from './check-context.js';
import { failsReport, type CheckReport, type CheckResult } from './check-result.js';
import { CheckVerdictCache, chunkScope, type ChunkScope, type ParentTable } from './check-scope.js';
import { runRowCheck, type RowLocalCheck } from './row-checks.js';
import { readIncidentLog } from '../incidents/incident-log.js';
import { manifestRowCount } from '../chunking/manifest.js';
import { rowCountBaseline, runRowCountCheck, type RowCountBaseline } from './row-count-check.js';
import { blockingDrift, detectSchemaDrift, schemaDriftResult, type SchemaDrift } from './schema-drift.js';
import { runSqlCheck } from './sql-check.js';
import { isFresh, runForeignKeyCheck, runFreshnessCheck, runUniqueCheck } from './table-checks.js';

export interface RunChecksOptions {
  /** Let row-local checks read only the chunks changed since the parent when the parent passed them (default true). */
  incremental?: boolean;
  /** Most failing rows kept per check (default 10; Infinity keeps every one, for a healer). */
  sampleSize?: number;
  /** The time freshness is measured against (default now). */
  now?: Date;
  /** Check with this dgit.yml (text or parsed) instead of the revision's own. */
  config?: string | LoadedConfig;
  /** Told as checks run. */
  progress?: Progress;
  /** Run only these checks (by id); the others are not run and not reported. */
  only?: readonly string[];
}

/** The default number of failing rows kept per check. */
export const DEFAULT_SAMPLE_SIZE = 10;

/**
 * Run the checks of dgit.yml against a commit (`rev`) or, when `rev` is undefined,
 * the current branch's working set. Every check runs in one DuckDB session over
 * the revision's chunks with external access off. An invalid dgit.yml (or one that
 * names tables and columns the revision lacks) throws a ConfigError; a check that
 * cannot run (a rejected sql query) is a failed result with `error` set, and the
 * other checks still run.
 */
export async function runChecks(repository: Repository, rev: string | undefined, options: RunChecksOptions = {}): Promise<CheckReport> {
  // What dgit did not write (files no manifest lists, manifests that disagree with their chunks) fails the report too.
  const integrity = await integrityResults(repository, rev, { full: options.incremental === false });
  if (integrity.length > 0) {
    const report = await runConfiguredChecks(repository, rev, options).catch((error: unknown) => {
      if (error instanceof CorruptError) return { revision: rev ?? WORKING, passed: false, config: true, results: [] };
      throw error;
    });
    return withIntegrity(report, integrity);
  }
  return runConfiguredChecks(repository, rev, options);
}

async function runConfiguredChecks(repository: Repository, rev: string | undefined, options: RunChecksOptions): Promise<CheckReport> {
  // Checking the working set checks the dgit.yml the user is editing.
  // (On a detached HEAD there is no working set: the checks read HEAD's commit, see Repository.revision.)
  if (rev === undefined && options.config === undefined && repository.refs.headTarget() !== undefined) await stageWorktreeConfig(repository);
  let revision = await repository.revision(rev);
  // A working set with no change is its branch's commit, checked as that commit is (`dgit check HEAD`): the same
  // parent for type drift and row counts, the same accepted incidents; and the report names it (CLI.md's has a commit id).
  if (revision.kind === 'working') {
    const working = await repository.workingSet(revision.branch);
    if (working.head && working.tree === working.headTree) revision = { kind: 'commit', commit: working.head as CommitId, tree: working.tree };
  }
  const label = revision.kind === 'commit' ? revision.commit : WORKING;
  let loaded =
    options.config === undefined ? await readConfig(repository, revision.tree) : typeof options.config === 'string' ? parseConfig(options.config) : options.config;
  if (!loaded) return { revision: label, passed: true, config: false, results: [] };
  if (options.only) {
    const wanted = new Set(options.only);
    loaded = { ...loaded, checks: loaded.checks.filter((check) => wanted.has(check.id)) };
  }

  const tableTrees = await repository.tableTrees(revision.tree);
  const tables = new Map<string, TableVersion>();
  for (const [name, tree] of tableTrees) tables.set(name, await readTableVersion(repository.store, tree, name));
  const schemas = new Map<string, TableSchema>([...tables].map(([name, version]) => [name, version.schema]));
  // A checked column that drifted to text is a failing `schema` check, not an invalid dgit.yml: the checks that read it wait for it.
  const drifts = await detectSchemaDrift(repository, loaded, schemas, await parentCommit(repository, revision));
  const blocked = new Map<string, SchemaDrift>();
  for (const check of loaded.checks) {
    const drift = blockingDrift(check, drifts);
    if (drift) blocked.set(check.id, drift);
  }
  const all = loaded;
  loaded = { ...all, checks: all.checks.filter((check) => !blocked.has(check.id)) };
  const issues = configIssues(loaded, schemas, revision.kind === 'commit' ? revision.commit.slice(0, 12) : WORKING);
  if (issues.length > 0) {
    // Report what DuckDB finds too (regular expressions, values), so one run shows every problem.
    const { session, close } = await openRevisionSession(repository, revision.tree, { allowExternalAccess: false, only: [] });
    try {
      await session.run('SELECT 1');
      issues.push(...(await duckdbConfigIssues(loaded, schemas, session)));
    } finally {
      await close();
    }
    throw new ConfigError(sortIssues(issues));
  }

  const parents = await parentTables(repository, revision, new Set(loaded.checks.map((c) => c.table)));
  const baselines = await rowCountBaselines(repository, revision, loaded.checks);
  const verdicts = new CheckVerdictCache(repository.gitdir);
  const incremental = options.incremental ?? true;
  const scopes = loaded.checks.map((check) => chunkScope(check, tables.get(check.table)!, parents.get(check.table), verdicts, { incremental }));

  const limits = checkLimits(loaded);
  const { session, close } = await openRevisionSession(repository, revision.tree, {
    allowExternalAccess: false,
    only: [...tablesReadWhole(loaded.checks, scopes, tables), ...drifts.map((drift) => drift.table)],
    memoryLimit: limits.memory,
    spillLimit: limits.memory,
  });
  try {
    const changedViews = await createChangedChunkViews(repository, session, loaded.checks, scopes, tables);
    // Lock the session (external access off, configuration frozen) before any text from dgit.yml reaches DuckDB.
    await session.run('SELECT 1');
    const duckdbIssues = await duckdbConfigIssues(loaded, schemas, session);
    if (duckdbIssues.length > 0) throw new ConfigError(sortIssues(duckdbIssues));

    const results: CheckResult[] = [];
    for (const drift of drifts) results.push(await schemaDriftResult(session, drift, schemas.get(drift.table)!, firstLine(all, drift)));
    for (const check of all.checks) {
      const drift = blocked.get(check.id);
      if (drift) results.push(blockedResult(check, drift));
    }
    for (const [index, check] of loaded.checks.entries()) {
      options.progress?.({ phase: 'Checking', done: index, total: loaded.checks.length, unit: 'checks' });
      const scope = scopes[index]!;
      const table = tables.get(check.table)!;
      const context: CheckContext = {
        session,
        table,
        view: scope.kind === 'table' ? check.table : changedViews.get(check.table)!,
        tables,
        parentTable: parents.get(check.table)?.version,
        sampleSize: options.sampleSize ?? DEFAULT_SAMPLE_SIZE,
        now: options.now ?? new Date(),
      };
      const result = await runCheck(check, scope, context, limits, baselines);
      if (result.passed && !result.error && ROW_LOCAL_KINDS.has(check.kind)) verdicts.recordPass(tableTrees.get(check.table)!, check);
      results.push(result);
    }
    // In dgit.yml order, each drifted column's schema result before the first check of its column.
    const order = new Map(all.checks.map((check, index) => [check.id, index]));
    const rank = (result: CheckResult) => (result.kind === 'schema' ? firstIndex(all, drifts.find((d) => d.check === result.check)!) - 0.5 : order.get(result.check)!);
    results.sort((a, b) => rank(a) - rank(b));
    return { revision: label, passed: !results.some(failsReport), config: true, results };
  } finally {
    await close();
  }
}

/** The baseline of every row_count check with max_change: the last revision where it passed. */
async function rowCountBaselines(repository: Repository, revision: Revision, checks: readonly ConfiguredCheck[]): Promise<Map<string, RowCountBaseline>> {
  const out = new Map<string, RowCountBaseline>();
  const relative = checks.filter((check): check is Extract<ConfiguredCheck, { kind: 'row_count' }> => check.kind === 'row_count' && check.maxChange !== undefined);
  if (relative.length === 0) return out;
  const parent = await parentCommit(repository, revision);
  const log = await readIncidentLog(repository);
  for (const check of relative) {
    // A failure a person accepted (dgit incidents accept) is the new normal: that revision counts as passing
    // (the latest one it was seen failing at, and the first).
    const accepted = new Set(log.filter((incident) => incident.outcome === 'accepted' && incident.check === check.id).flatMap((incident) => [incident.first_seen, incident.last_seen]));
    if (revision.kind === 'commit' && accepted.has(revision.commit)) {
      const own = await repository.readTable(revision.tree, check.table);
      if (own) out.set(check.id, { commit: revision.commit, rows: manifestRowCount(own.manifest), isParent: false });
      continue;
    }
    const baseline = await rowCountBaseline(repository, parent, check, accepted);
    if (baseline) out.set(check.id, baseline);
  }
  return out;
}

/** The commit a revision's relative checks look back from: a commit's first parent, the working set's HEAD. */
async function parentCommit(repository: Repository, revision: Revision): Promise<CommitId | undefined> {
  if (revision.kind === 'commit') return (await repository.readCommit(revision.commit)).parents[0] as CommitId | undefined;
  return (await repository.workingSet(revision.branch)).head as CommitId | undefined;
}

/** The first check (in dgit.yml order) that reads a drifted column. */
function firstIndex(loaded: LoadedConfig, drift: SchemaDrift): number {
  const index = loaded.checks.findIndex((check) => blockingDrift(check, [drift]) !== undefined);
  return index >= 0 ? index : loaded.checks.length;
}

function firstLine(loaded: LoadedConfig, drift: SchemaDrift): number {
  return loaded.checks[firstIndex(loaded, drift)]?.location.line ?? 1;
}

/** The result of a check that cannot run because a column it reads drifted: failed, pointing at the schema check. */
function blockedResult(check: ConfiguredCheck, drift: SchemaDrift): CheckResult {
  const columns = checkedColumns(check);
  const reason = `${drift.table}.${drift.column} is ${drift.now}${drift.expected ? `, not ${drift.expected}` : ''}: the check waits for ${drift.check}`;
  return {
    check: check.id,
    table: check.table,
    column: columns.length === 1 ? columns[0]! : null,
    columns,
    kind: check.kind,
    severity: check.severity,
    passed: false,
    failing_rows: 0,
    sample: [],
    message: `could not run: ${reason}`,
    ...(check.description === undefined ? {} : { description: check.description }),
    error: reason,
    blocked_by: drift.check,
    scope: 'table',
    line: check.location.line,
  };
}

/** The caps of every check: dgit.yml's `check_limits`, or 60 s and 1 GB. */
export function checkLimits(loaded: LoadedConfig): { time: string; seconds: number; memory: string } {
  const time = loaded.config.check_limits?.time ?? '60s';
  return { time, seconds: parseDuration(time) ?? 60, memory: loaded.config.check_limits?.memory ?? '1GB' };
}

/**
 * Run `work` (one check's queries on `session`); past `seconds` the running query
 * is interrupted and the check fails saying so. DuckDB answers an interrupt
 * between pipeline steps, so even an endless query (a recursive CTE, a huge
 * range) stops.
 */
async function withinTimeCap<T>(session: DuckDbSession, limits: { time: string; seconds: number }, work: () => Promise<T>): Promise<T> {
  let stopped = false;
  const timer = setTimeout(() => {
    stopped = true;
    session.interrupt();
  }, limits.seconds * 1000);
  try {
    return await work();
  } catch (error) {
    if (stopped) throw new CheckLimitError(`ran longer than ${limits.time} and was stopped (check_limits.time in dgit.yml)`);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** A check stopped by its time or memory cap. */
class CheckLimitError extends Error {}

/** Run one check; a failure to run becomes a failed result that says why. */
async function runCheck(
  check: ConfiguredCheck,
  scope: ChunkScope,
  context: CheckContext,
  limits: { time: string; seconds: number; memory: string },
  baselines: ReadonlyMap<string, RowCountBaseline>,
): Promise<CheckResult> {
  const columns = checkedColumns(check);
  const totalChunks = context.table.manifest.chunks.length;
  // Fields in the order of CLI.md's example, then the additions.
  const result = (fields: { passed: boolean; outcome: CheckOutcome; error?: string }): CheckResult => ({
    check: check.id,
    table: check.table,
    column: columns.length === 1 ? columns[0]! : null,
    columns: fields.outcome.columns ?? columns,
    kind: check.kind,
    severity: check.severity,
    passed: fields.passed,
    failing_rows: fields.outcome.failingRows,
    sample: fields.outcome.sample,
    message: fields.outcome.message,
    ...(check.description === undefined ? {} : { description: check.description }),
    ...(fields.error === undefined ? {} : { error: fields.error }),
    scope: scope.kind,
    ...(ROW_LOCAL_KINDS.has(check.kind) ? { chunks: { checked: scope.kind === 'table' ? totalChunks : scope.chunks.length, total: totalChunks } } : {}),
    ...(fields.outcome.observed ? { observed: fields.outcome.observed } : {}),
    ...(fields.outcome.comparedWith ? { compared_with: fields.outcome.comparedWith } : {}),
    line: check.location.line,
  });
  try {
    return await withinTimeCap(context.session, limits, () => runKind());
  } catch (error) {
    const raw = error instanceof Error ? error.message : String(error);
    const reason =
      error instanceof CheckLimitError
        ? raw
        : isDuckDbOutOfMemory(raw)
          ? `needed more memory than the cap of ${limits.memory} and was stopped (check_limits.memory in dgit.yml): ${trimDuckdbMessage(raw)}`
          : trimDuckdbMessage(raw);
    return result({ passed: false, outcome: { failingRows: 0, sample: [], message: `could not run: ${reason}` }, error: reason });
  }

  async function runKind(): Promise<CheckResult> {
    switch (check.kind) {
      case 'row_count': {
        const outcome = runRowCountCheck(check, context, baselines.get(check.id));
        return result({ passed: outcome.passed, outcome });
      }
      case 'freshness': {
        const outcome = await runFreshnessCheck(check, context);
        return result({ passed: isFresh(outcome), outcome });
      }
      case 'unique':
        return passedWhenNoRowFails(await runUniqueCheck(check, context));
      case 'foreign_key':
        return passedWhenNoRowFails(await runForeignKeyCheck(check, context));
      case 'sql':
        return passedWhenNoRowFails(await runSqlCheck(check, context));
      default:
        return passedWhenNoRowFails(await runRowCheck(check as RowLocalCheck, context));
    }
  }

  function passedWhenNoRowFails(outcome: CheckOutcome): CheckResult {
    return result({ passed: outcome.failingRows === 0, outcome });
  }
}

/** The tables of the parent revision that checks look at: the first parent's, or HEAD's for the working set. */
async function parentTables(repository: Repository, revision: Revision, names: Set<string>): Promise<Map<string, ParentTable>> {
  let parentTree: ObjectId | undefined;
  if (revision.kind === 'commit') {
    const parent = (await repository.readCommit(revision.commit)).parents[0];
    if (parent) parentTree = (await repository.readCommit(parent as CommitId)).tree;
  } else {
    const working = await repository.workingSet(revision.branch);
    if (working.head) parentTree = working.headTree;
  }
  const out = new Map<string, ParentTable>();
  if (!parentTree) return out;
  for (const [name, tree] of await repository.tableTrees(parentTree)) {
    if (names.has(name)) out.set(name, { tree, version: await readTableVersion(repository.store, tree, name) });
  }
  return out;
}

/** Tables whose full view some check reads (row_count reads manifests only; sql may read any table). */
function tablesReadWhole(checks: ConfiguredCheck[], scopes: ChunkScope[], tables: ReadonlyMap<string, TableVersion>): Set<string> {
  const out = new Set<string>();
  checks.forEach((check, index) => {
    if (check.kind === 'sql') for (const name of tables.keys()) out.add(name);
    else if (check.kind === 'foreign_key') out.add(check.table).add(check.references.table);
    else if (check.kind !== 'row_count' && scopes[index]!.kind === 'table') out.add(check.table);
  });
  return out;
}

/**
 * A view per table over only its changed chunks, for the checks that may read
 * just those. Its name holds a space and a slash, which no table name can, so it
 * never hides a table's own view.
 */
async function createChangedChunkViews(
  repository: Repository,
  session: DuckDbSession,
  checks: ConfiguredCheck[],
  scopes: ChunkScope[],
  tables: ReadonlyMap<string, TableVersion>,
): Promise<Map<string, string>> {
  const views = new Map<string, string>();
  const files = new ChunkFileCache(repository.store);
  for (const [index, check] of checks.entries()) {
    const scope = scopes[index]!;
    if (scope.kind !== 'changed-chunks' || views.has(check.table)) continue;
    const view = `changed chunks/${check.table}`;
    const paths: string[] = [];
    for (const chunk of scope.chunks) paths.push(await files.file(chunk.id));
    await createTableView(session, view, { columns: tables.get(check.table)!.schema.columns, files: paths });
    views.set(check.table, view);
  }
  return views;
}
