import type { CheckResult } from '../checks/check-result.js';
import { runChecks } from '../checks/run-checks.js';
import { checkedColumns, type ConfiguredCheck } from '../config/configured-check.js';
import { readConfig } from '../config/repository-config.js';
import { DgitError, UnknownNameError, UsageError } from '../errors/index.js';
import { WORKING, type Repository } from '../repository/repository.js';
import { keyColumnNames } from '../schema/schema.js';
import type { CommitId } from '../store/revision.js';
import { HISTORY_DEPTH, lastPassingRevision, PastRows, tableAt, type PastTable } from './history.js';

/**
 * The evidence the healer's `restore` works from, handed to anyone who fixes by
 * hand or by agent: for a failing check, each failing row as it is now and as it
 * was at the last revision where the check passed. With it an outside patch can
 * restore the truth instead of guessing a default. Reads only the chunks that
 * hold the failing keys, at both revisions.
 */

/** Failing rows shown when no limit is given. */
export const DEFAULT_EVIDENCE_ROWS = 20;

export interface EvidenceOptions {
  /** The failing revision (default: the head of the default branch); a commit, not the working set. */
  rev?: string;
  /** The check's id, as `dgit check` names it. */
  check: string;
  /** Most failing rows returned (default 20); `failing_rows` counts them all. */
  limit?: number;
}

/** One failing row, now and at the last passing revision. */
export interface RowEvidence {
  /** The row's key (the whole row for a keyless table). */
  key: Record<string, unknown>;
  /** The row at the failing revision, every column as JSON. */
  current: Record<string, unknown> | null;
  /** The row with this key at the last passing revision; null when there is no good version in the history. */
  last_good: Record<string, unknown> | null;
  /** Columns whose value differs between `last_good` and `current` (null without a good version). */
  changed: string[] | null;
}

/** What the history says about a check's failing rows at one revision (the shape of `dgit propose --evidence --json`). */
export interface FailingRowEvidence {
  /** The revision as given (default: the default branch). */
  rev: string;
  /** The commit it resolved to. */
  revision: CommitId;
  check: string;
  table: string;
  kind: string;
  severity: string;
  passed: boolean;
  /** The table's key columns (empty for a keyless table, whose rows are keyed by their whole value). */
  key_columns: string[];
  /** The columns of the table the check reads (empty for row_count and sql). */
  checked_columns: string[];
  /** The nearest first-parent ancestor where the check passed; null when it passes now or none did within `history_depth` commits. */
  last_passing: CommitId | null;
  /** How many first-parent commits were searched for `last_passing`. */
  history_depth: number;
  /** False for checks that judge the table as a whole (row_count, freshness) or whose failures are not rows of the table: then `rows` is empty. */
  row_level: boolean;
  /** Every failing row counted. */
  failing_rows: number;
  /** The first failing rows in key order, at most `limit`. */
  rows: RowEvidence[];
  /** More rows fail than are listed. */
  truncated: boolean;
  /** Set when the check could not run (a broken sql query, a column whose type drifted). */
  error: string | null;
  /** One line for people: what the evidence shows. */
  message: string;
}

/**
 * The failing rows of one check at a revision, each with its values at the last
 * revision where the check passed. A passing check, a check that judges the table
 * as a whole and a check that could not run each get an answer that says so and
 * no rows. An unknown check is a not-found error that lists the checks there are.
 */
export async function failingRowEvidence(repository: Repository, options: EvidenceOptions): Promise<FailingRowEvidence> {
  const limit = options.limit ?? DEFAULT_EVIDENCE_ROWS;
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`the row limit must be a positive whole number, not ${String(limit)}`, 'limit');
  if (options.rev === WORKING) throw new UsageError('evidence is read at a commit: the history of the working set starts at its last commit (commit first, or name a revision)', 'rev');
  const rev = options.rev ?? (await repository.defaultBranch());
  const revision = await repository.resolve(rev);
  const check = await configuredCheck(repository, revision, rev, options.check);
  const report = await runChecks(repository, revision, { only: [check.id], sampleSize: limit });
  const result = report.results.find((r) => r.check === check.id && r.kind !== 'integrity');
  if (!result) throw new DgitError('CORRUPT', `${check.id} could not run: the tables fail dgit's integrity checks (run \`dgit fsck\`)`, `dgit.yml at ${rev}`);
  const now = await tableAt(repository, revision, check.table);
  const base = {
    rev,
    revision,
    check: check.id,
    table: check.table,
    kind: check.kind,
    severity: check.severity,
    key_columns: now ? keyColumnNames(now.version.schema) : [],
    checked_columns: checkedColumns(check),
    history_depth: HISTORY_DEPTH,
  };
  const rowLevel = now !== undefined && isRowLevel(check, result, keyColumnNames(now.version.schema));
  const none = { rows: [], truncated: false, failing_rows: result.failing_rows };
  if (result.passed)
    return { ...base, ...none, passed: true, last_passing: null, row_level: rowLevel, error: null, message: `${check.id} passes at ${rev} (${revision.slice(0, 12)}): nothing is failing` };
  const lastPassing = (await lastPassingRevision(repository, revision, check.id)) ?? null;
  const failed = { ...base, passed: false, last_passing: lastPassing };
  if (result.error) return { ...failed, ...none, row_level: rowLevel, error: result.error, message: `${check.id} could not run at ${rev}: ${result.error}` };
  if (!rowLevel || !now) return { ...failed, ...none, row_level: false, error: null, message: `${result.message}; ${wholeTableReason(check)}` };
  const rows = await rowsThenAndNow(repository, now, check.table, lastPassing, result);
  const found = rows.filter((row) => row.last_good !== null).length;
  const history = lastPassing
    ? `${found} of the ${rows.length} listed had a good version at ${lastPassing.slice(0, 12)}, the last revision where it passed`
    : `it did not pass in the last ${HISTORY_DEPTH} first-parent commits, so there is no good version in the history`;
  return {
    ...failed,
    row_level: true,
    failing_rows: result.failing_rows,
    rows,
    truncated: result.failing_rows > rows.length,
    error: null,
    message: `${result.message}; ${history}${base.key_columns.length === 0 ? ' (a keyless table: a row is found then only if it was exactly the same)' : ''}`,
  };
}

/** The check of dgit.yml at the revision with this id, or an error naming the ones there are. */
async function configuredCheck(repository: Repository, revision: CommitId, rev: string, id: string): Promise<ConfiguredCheck> {
  const config = await readConfig(repository, (await repository.readCommit(revision)).tree);
  const check = config?.checks.find((c) => c.id === id);
  if (!check) throw new UnknownNameError('check', id, config?.checks.map((c) => c.id) ?? [], `dgit.yml at ${rev}`);
  return check;
}

/** Whether a check's failures are rows of its table that a key finds again: not for whole-table checks, nor for sql whose query does not return the table's key. */
function isRowLevel(check: ConfiguredCheck, result: CheckResult, keyColumns: readonly string[]): boolean {
  if (check.kind === 'row_count' || check.kind === 'freshness') return false;
  if (check.kind !== 'sql') return true;
  return keyColumns.length > 0 && keyColumns.every((name) => result.columns.includes(name));
}

function wholeTableReason(check: ConfiguredCheck): string {
  if (check.kind === 'sql') return `its query does not return the key of ${check.table}, so its failing rows cannot be matched to rows of the table: there are no rows to show`;
  return `a ${check.kind} check judges the table as a whole: there are no failing rows to show`;
}

/** Each sampled failing row at the failing revision and at the last passing one, reading only the chunks that hold their keys. */
async function rowsThenAndNow(repository: Repository, now: PastTable, table: string, lastPassing: CommitId | null, result: CheckResult): Promise<RowEvidence[]> {
  const current = new PastRows(now, repository);
  const then = lastPassing ? await tableAt(repository, lastPassing, table) : undefined;
  const past = then ? new PastRows(then, repository) : undefined;
  const out: RowEvidence[] = [];
  for (const { key } of result.sample) {
    const row = (await current.row(key)) ?? null;
    const good = past ? ((await past.row(key)) ?? null) : null;
    out.push({ key, current: row, last_good: good, changed: good ? changedColumns(good, row ?? {}) : null });
  }
  return out;
}

/** The columns (of either version) whose values differ, in the current version's order then the past one's. */
function changedColumns(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const names = [...new Set([...Object.keys(after), ...Object.keys(before)])];
  return names.filter((name) => JSON.stringify(before[name]) !== JSON.stringify(after[name]));
}
