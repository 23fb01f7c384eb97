import type { CheckResult } from '../../checks/check-result.js';
import type { ConfiguredCheck } from '../../config/configured-check.js';
import { diffTables } from '../../diff/index.js';
import type { Repository } from '../../repository/repository.js';
import { isKeyless, keyColumnNames } from '../../schema/schema.js';
import type { CommitId } from '../../store/revision.js';
import { toJsonValue } from '../../value/value.js';
import { lastPassingRevision, PastRows, tableAt } from '../history.js';
import type { PatchEdit } from '../patch.js';
import type { FailingRevision } from '../proposal.js';
import { keyText } from './strategy-context.js';

/**
 * Fixes of the cause rather than the symptom: they change another table than the
 * failing rows' own (restore-referenced), or put back what a load removed
 * (revert-deletes). Each gives row edits for one table and the commit its rows
 * come from.
 */
export type CauseFix = { table: string; edits: PatchEdit[]; evidence: CommitId; reviewRequired: boolean } | { fail: string };

/**
 * restore-referenced (foreign_key): the referenced rows of the failing values
 * existed at the last revision where the check passed: a shrunken dimension (a
 * partial load of airports) is the cause, so those rows are put back in the
 * referenced table rather than the referencing rows quarantined. Applies only
 * when every missing value is found there, by the referenced table's primary
 * key.
 */
export async function restoreReferenced(repository: Repository, base: FailingRevision, check: ConfiguredCheck, result: CheckResult): Promise<CauseFix> {
  if (check.kind !== 'foreign_key') return { fail: 'restore-referenced fixes foreign_key checks only' };
  const target = check.references.table;
  const now = await tableAt(repository, base.commit, target);
  if (!now) return { fail: `${target} does not exist` };
  const keys = keyColumnNames(now.version.schema);
  if (keys.length !== check.references.columns.length || !keys.every((k) => check.references.columns.includes(k)))
    return { fail: `${target} is not keyed by ${check.references.columns.join(', ')}, so its rows cannot be looked up by the missing values` };
  const evidence = await lastPassingRevision(repository, base.commit, check.id);
  if (!evidence) return { fail: `no earlier revision where ${check.id} passed` };
  const past = await tableAt(repository, evidence, target);
  if (!past) return { fail: `${target} did not exist at ${evidence.slice(0, 12)}` };
  const reader = new PastRows(past, repository);
  const edits: PatchEdit[] = [];
  const seen = new Set<string>();
  for (const row of result.sample) {
    const values = check.columns.length === 1 ? [row.value] : check.columns.map((c) => (row.value as Record<string, unknown>)[c]);
    const key = Object.fromEntries(check.references.columns.map((column, i) => [column, values[i]]));
    const text = keyText(key);
    if (seen.has(text)) continue;
    seen.add(text);
    const restored = await reader.row(key);
    if (!restored) return { fail: `${target} ${text} was not there at ${evidence.slice(0, 12)} either: the reference is new, not a lost row` };
    edits.push({
      op: 'upsert',
      row: restored,
      reason: `restored from ${evidence.slice(0, 12)}, the last revision where ${check.id} passed: ${check.table} rows reference ${target} ${text}, which a later load removed`,
    });
  }
  if (edits.length === 0) return { fail: 'no failing value to look up' };
  return { table: target, edits, evidence, reviewRequired: false };
}

/**
 * revert-deletes (row_count): the table shrank past `max_change` against the last
 * revision where the check passed (a partial load). The rows that revision had
 * and this one lacks are put back from it. Whether those rows were meant to go is
 * a judgement no check can make, so the proposal is marked for review: the merge
 * queue lands it only after a person approved it, unless the policy says
 * otherwise (`policy.land_unreviewed`).
 */
export async function revertDeletes(repository: Repository, base: FailingRevision, check: ConfiguredCheck, result: CheckResult): Promise<CauseFix> {
  if (check.kind !== 'row_count') return { fail: 'revert-deletes fixes row_count checks only' };
  const observed = result.observed as { change?: number | null } | undefined;
  if (!result.compared_with) return { fail: 'the check did not compare with an earlier revision' };
  if (observed?.change === undefined || observed.change === null || observed.change >= 0) return { fail: 'the table did not shrink' };
  const evidence = result.compared_with as CommitId;
  const past = await tableAt(repository, evidence, check.table);
  const now = await tableAt(repository, base.commit, check.table);
  if (!past || !now) return { fail: `${check.table} is missing at one side` };
  if (isKeyless(now.version.schema)) return { fail: `${check.table} has no primary key: which copies went missing cannot be told by key` };
  const diff = await diffTables(past.version, now.version, repository.chunks());
  if (diff.schema.added.length + diff.schema.dropped.length + diff.schema.changed.length > 0) return { fail: `the columns of ${check.table} changed since ${evidence.slice(0, 12)}` };
  const edits: PatchEdit[] = [];
  for await (const change of diff.rows) {
    if (change.status !== 'deleted') continue;
    const row = Object.fromEntries(diff.columns.map((column, i) => [column.afterName ?? column.name, toJsonValue(column.type, change.before[i] ?? null)]));
    edits.push({ op: 'upsert', row, reason: `restored from ${evidence.slice(0, 12)}, the last revision where ${check.id} passed: the row is missing since a load that removed ${-observed.change} rows` });
  }
  if (edits.length === 0) return { fail: `no row of ${evidence.slice(0, 12)} is missing` };
  return { table: check.table, edits, evidence, reviewRequired: true };
}
