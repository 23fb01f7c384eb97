import type { CheckResult, CheckSample } from '../../checks/check-result.js';
import { jsonReadyExpression, jsonValue } from '../../checks/check-values.js';
import type { ConfiguredCheck } from '../../config/configured-check.js';
import type { Repository } from '../../repository/repository.js';
import { openRevisionSession, type RevisionSession } from '../../repository/revision-views.js';
import { keyColumnNames, type TableSchema } from '../../schema/schema.js';
import type { DuckDbSession } from '../../sql/duckdb-session.js';
import { quoteIdentifier } from '../../sql/sql-text.js';
import type { TableVersion } from '../../table/table-version.js';
import type { PatchEdit } from '../patch.js';
import type { FailingRevision } from '../proposal.js';
import type { DuplicateRule } from '../../config/configured-check.js';
import type { CommitId } from '../../store/revision.js';
import { lastPassingRevision, PastRows, tableAt } from '../history.js';
import { diffTables } from '../../diff/table-diff.js';
import { toJsonValue } from '../../value/value.js';
import { checkedColumns } from '../../config/configured-check.js';

/** The built-in strategies. A plan chains some: `normalize-text+quarantine` fixes what it can and quarantines the rest. */
export const STRATEGY_NAMES = [
  'restore',
  'normalize-text',
  'coerce-type',
  'drop-duplicates',
  'keep-latest-load',
  'keep-newest',
  'keep-first',
  'fill-default',
  'quarantine',
  'restore-referenced',
  'revert-deletes',
] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

/** What a fix did to a row, in the words every proposal, incident and PR body uses; most faithful first. */
export const FIX_KINDS = ['restored', 'normalized', 'coerced', 'deduplicated', 'defaulted', 'quarantined'] as const;
export type FixKind = (typeof FIX_KINDS)[number];

/** The kind of the rows a strategy changes (a quarantine edit is `quarantined` whatever the strategy). */
export function fixKindOf(strategy: StrategyName): FixKind {
  switch (strategy) {
    case 'restore':
    case 'restore-referenced':
    case 'revert-deletes':
      return 'restored';
    case 'normalize-text':
      return 'normalized';
    case 'coerce-type':
      return 'coerced';
    case 'drop-duplicates':
    case 'keep-latest-load':
    case 'keep-newest':
    case 'keep-first':
      return 'deduplicated';
    case 'fill-default':
      return 'defaulted';
    case 'quarantine':
      return 'quarantined';
  }
}

/** How the rows sharing a unique value are resolved once exact duplicates are gone (dgit.yml's `keep` / `by`). */
export type { DuplicateRule } from '../../config/configured-check.js';

/** A failing row: its key and the checked value, as `dgit check --json` gives them. */
export type FailingRow = CheckSample;

/** What one step of a plan did: the edits it makes, and the failing rows it leaves to the next step. */
export type StepOutcome = { edits: PatchEdit[]; remaining: FailingRow[] } | { notApplicable: string };

/** Everything a strategy reads: the failing check, its rows, the table, and DuckDB over the failing revision. */
export class StrategyContext {
  private readonly cache = new Map<string, unknown>();

  constructor(
    readonly repository: Repository,
    readonly base: FailingRevision,
    readonly check: ConfiguredCheck,
    readonly result: CheckResult,
    readonly version: TableVersion,
    readonly duplicateRule: DuplicateRule,
    private readonly sessions: SessionPool,
  ) {}

  get schema(): TableSchema {
    return this.version.schema;
  }

  /** A DuckDB session over the checked table (and the one a foreign key references), external access off, shared by the strategies of one heal. */
  async session(): Promise<DuckDbSession> {
    const tables = [this.check.table, ...(this.check.kind === 'foreign_key' ? [this.check.references.table] : [])];
    return (await this.sessions.get(this.repository, this.base, tables)).session;
  }

  /** A value computed once per check (e.g. the full rows of duplicate groups), shared by a plan's steps. */
  async memo<T>(name: string, compute: () => Promise<T>): Promise<T> {
    if (!this.cache.has(name)) this.cache.set(name, await compute());
    return this.cache.get(name) as T;
  }

  /** Rows of the table as JSON objects (the form of `dgit diff --json`), selected by a FROM-and-WHERE clause over alias `t`. */
  async jsonRows(fromWhere: string, orderBy?: string): Promise<Array<Record<string, unknown>>> {
    const session = await this.session();
    const columns = this.schema.columns;
    const select = columns.map((c, i) => `${jsonReadyExpression(`t.${quoteIdentifier(c.name)}`, c.type)} AS "c${i}"`).join(', ');
    const rows = await session.rows(`SELECT ${select} ${fromWhere}${orderBy ? ` ORDER BY ${orderBy}` : ''}`);
    return rows.map((row) => Object.fromEntries(columns.map((c, i) => [c.name, jsonValue(c.type, row[`c${i}`])])));
  }

  /** The check's table at the last revision where the check passed (the evidence of restore), found once. */
  async evidence(): Promise<PastRows | undefined> {
    return this.memo('evidence', async () => {
      const commit = await lastPassingRevision(this.repository, this.base.commit, this.check.id);
      const past = commit ? await tableAt(this.repository, commit, this.check.table) : undefined;
      return past ? new PastRows(past, this.repository) : undefined;
    });
  }

  /**
   * The rows whose checked cells changed between the evidence revision and the
   * failing revision's parent, by key text: their checked cells at that parent (JSON
   * by column name), or null for a row deleted or added in between. Restore uses it
   * to tell a row that broke in between and stayed so (its cells at the parent are
   * its cells now) from one with a later version than the evidence (a correction
   * made since, or another row that took a deleted row's key). One diff, costing
   * what changed in between.
   */
  async changedSinceEvidence(): Promise<Map<string, Record<string, unknown> | null>> {
    return this.memo('changed-since-evidence', async () => {
      const evidence = await this.evidence();
      const parent = (await this.repository.readCommit(this.base.commit as CommitId)).parents[0] as CommitId | undefined;
      const changed = new Map<string, Record<string, unknown> | null>();
      if (!evidence || !parent || parent === evidence.past.commit) return changed;
      const before = await tableAt(this.repository, parent, this.check.table);
      const diff = await diffTables(evidence.past.version, before?.version, this.repository.chunks());
      const checked = new Set(checkedColumns(this.check));
      const nameOf = (i: number) => diff.columns[i]!.afterName ?? diff.columns[i]!.name;
      for await (const change of diff.rows) {
        if (change.status === 'modified' && !change.changedColumns.some((i) => checked.has(nameOf(i)))) continue;
        const key: Record<string, unknown> = {};
        for (const [i, c] of diff.keyColumns.entries()) key[nameOf(c)] = toJsonValue(diff.columns[c]!.type, change.key[i] ?? null);
        let cells: Record<string, unknown> | null = null;
        if (change.status === 'modified') {
          cells = {};
          for (const [i, column] of diff.columns.entries()) if (checked.has(nameOf(i))) cells[nameOf(i)] = toJsonValue(column.type, change.after[i] ?? null);
        }
        changed.set(keyText(key), cells);
      }
      return changed;
    });
  }

  /** The failing revision's rows with these keys, by key text (reads only their chunks). */
  async currentRows(keys: ReadonlyArray<Record<string, unknown>>): Promise<Map<string, Record<string, unknown>>> {
    const reader = new PastRows({ commit: this.base.commit as CommitId, tree: this.base.tree, version: this.version }, this.repository);
    const out = new Map<string, Record<string, unknown>>();
    for (const key of keys) {
      const row = await reader.row(key);
      if (row) out.set(keyText(key), row);
    }
    return out;
  }

  /** The key of a JSON row: its key columns (every column, for a keyless table). */
  keyOf(row: Record<string, unknown>): Record<string, unknown> {
    const names = keyColumnNames(this.schema);
    const columns = names.length > 0 ? names : this.schema.columns.map((c) => c.name);
    return Object.fromEntries(columns.map((name) => [name, row[name]]));
  }
}

/** DuckDB sessions over the failing revision, one per set of tables, opened on first use and closed at the end of a heal. */
export class SessionPool {
  private readonly sessions = new Map<string, Promise<RevisionSession>>();

  /** A session with views of `tables` only (the others' chunks are not even made files). */
  get(repository: Repository, base: FailingRevision, tables: readonly string[]): Promise<RevisionSession> {
    const only = [...new Set(tables)].sort();
    const name = `${base.tree}\u0000${only.join('\u0000')}`;
    let session = this.sessions.get(name);
    if (!session) {
      session = (async () => {
        const opened = await openRevisionSession(repository, base.tree, { allowExternalAccess: false, only });
        // Lock the session before any text from dgit.yml (a pattern, a value) reaches DuckDB.
        await opened.session.run('SELECT 1');
        return opened;
      })();
      this.sessions.set(name, session);
    }
    return session;
  }

  async close(): Promise<void> {
    for (const session of this.sessions.values()) {
      try {
        await (await session).close();
      } catch {
        // A session that failed to open has nothing to close.
      }
    }
    this.sessions.clear();
  }
}

/** `{"id": 4}` as people read it in a reason. */
export function keyText(key: Record<string, unknown>): string {
  return JSON.stringify(key);
}

/** The longest value text a reason quotes: a patch's reason holds at most 2,000 characters, and a value may be longer. */
const QUOTED_VALUE_LIMIT = 200;

/** A value as people read it in a reason: text quoted, the rest as JSON. */
export function valueText(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  if (text.length <= QUOTED_VALUE_LIMIT) return text;
  const shown = Array.from(text);
  return shown.length <= QUOTED_VALUE_LIMIT ? text : `${shown.slice(0, QUOTED_VALUE_LIMIT - 1).join('')}… (${shown.length} characters)`;
}
