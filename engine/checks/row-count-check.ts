import { manifestRowCount } from '../chunking/manifest.js';
import type { ConfiguredCheck } from '../config/configured-check.js';
import type { Repository } from '../repository/repository.js';
import type { CommitId } from '../store/revision.js';
import { readTableVersion } from '../table/table-tree.js';
import { formatCount, rowsText, type CheckContext, type CheckOutcome } from './check-context.js';

type RowCountCheck = Extract<ConfiguredCheck, { kind: 'row_count' }>;

/** How many first-parent commits the search for a row_count baseline walks back. */
const BASELINE_DEPTH = 50;

/** What a relative row_count compares with: the rows at the last revision where the check passed. */
export interface RowCountBaseline {
  commit: CommitId;
  rows: number;
  /** The first parent itself (then messages say "since the parent"). */
  isParent: boolean;
}

/**
 * The baseline of a row_count check with max_change at a revision whose first
 * parent (HEAD, for the working set) is `parent`: the nearest first-parent
 * ancestor where the check passed, so that an ordinary load after a partial one
 * cannot hide the loss. The window's oldest revision counts as passing; going
 * forward, a revision passed when its count kept to the bounds against the
 * baseline of its own time, or when a person accepted its row_count incident
 * (`accepted`: the commits whose failure was accepted).
 */
export async function rowCountBaseline(repository: Repository, parent: CommitId | undefined, check: RowCountCheck, accepted: ReadonlySet<string>): Promise<RowCountBaseline | undefined> {
  const chain: Array<{ commit: CommitId; rows: number }> = [];
  let commit = parent;
  for (let depth = 0; commit && depth < BASELINE_DEPTH; depth++) {
    const read = await repository.readCommit(commit);
    const tree = (await repository.tableTrees(read.tree)).get(check.table);
    if (!tree) break;
    chain.push({ commit, rows: manifestRowCount((await readTableVersion(repository.store, tree, check.table)).manifest) });
    commit = read.parents[0] as CommitId | undefined;
  }
  if (chain.length === 0) return undefined;
  let baseline = chain[chain.length - 1]!;
  for (let i = chain.length - 2; i >= 0; i--) {
    const candidate = chain[i]!;
    if (accepted.has(candidate.commit) || rowCountProblems(check, candidate.rows, baseline.rows).length === 0) baseline = candidate;
  }
  return { commit: baseline.commit, rows: baseline.rows, isParent: baseline.commit === parent };
}

/** The bounds a count breaks (its own min/max, and its change against `baselineRows`). */
function rowCountProblems(check: RowCountCheck, rows: number, baselineRows: number | null): string[] {
  const problems: string[] = [];
  if (check.min !== undefined && rows < check.min) problems.push('min');
  if (check.max !== undefined && rows > check.max) problems.push('max');
  if (check.maxChange && baselineRows !== null) {
    const change = rows - baselineRows;
    if ('rows' in check.maxChange ? Math.abs(change) > check.maxChange.rows : baselineRows > 0 && (Math.abs(change) / baselineRows) * 100 > check.maxChange.percent) problems.push('change');
  }
  return problems;
}

/**
 * Row count within bounds, and its change against the parent within `max_change`.
 * Counts come from the manifests, which record every chunk's rows exactly, so the
 * check reads no chunk. A table new since the parent (or with no parent, or a
 * parent of 0 rows for a percent bound) has no change to bound.
 */
export function runRowCountCheck(check: RowCountCheck, context: CheckContext, baseline?: RowCountBaseline): CheckOutcome & { passed: boolean } {
  const rows = manifestRowCount(context.table.manifest);
  // With a baseline (max_change), compare with the last revision where the check passed; else with the parent.
  const parentRows = baseline ? baseline.rows : context.parentTable ? manifestRowCount(context.parentTable.manifest) : null;
  const since = baseline && !baseline.isParent ? `since ${baseline.commit.slice(0, 12)}, the last revision where the check passed` : 'since the parent';
  const change = parentRows === null ? null : rows - parentRows;
  const changePercent = parentRows === null || parentRows === 0 || change === null ? null : (change / parentRows) * 100;
  const problems: string[] = [];
  if (check.min !== undefined && rows < check.min) problems.push(`${rowsText(rows)}, fewer than the ${formatCount(check.min)} required`);
  if (check.max !== undefined && rows > check.max) problems.push(`${rowsText(rows)}, more than the ${formatCount(check.max)} allowed`);
  let changeNote = '';
  if (check.maxChange && change !== null) {
    const signed = `${change >= 0 ? '+' : '-'}${formatCount(Math.abs(change))}`;
    if ('rows' in check.maxChange) {
      if (Math.abs(change) > check.maxChange.rows)
        problems.push(`rows changed by ${signed} ${since} (${formatCount(parentRows!)} → ${formatCount(rows)}), more than the ${formatCount(check.maxChange.rows)} allowed`);
      else changeNote = `, ${signed} ${since}`;
    } else if (changePercent !== null) {
      const percent = `${change >= 0 ? '+' : '-'}${roundPercent(Math.abs(changePercent))}%`;
      if (Math.abs(changePercent) > check.maxChange.percent)
        problems.push(`rows changed by ${percent} ${since} (${formatCount(parentRows!)} → ${formatCount(rows)}), more than the ${check.maxChange.percent}% allowed`);
      else changeNote = `, ${percent} ${since}`;
    }
  } else if (check.maxChange) {
    changeNote = ', no parent table to compare with';
  }
  // How far the count is from passing, in rows: a fix that moves it further is worse (see aggregateWorse).
  let missedBy = 0;
  if (check.min !== undefined && rows < check.min) missedBy += check.min - rows;
  if (check.max !== undefined && rows > check.max) missedBy += rows - check.max;
  if (check.maxChange && change !== null && parentRows !== null) {
    const allowed = 'rows' in check.maxChange ? check.maxChange.rows : parentRows > 0 ? (check.maxChange.percent / 100) * parentRows : Infinity;
    missedBy += Math.max(0, Math.abs(change) - allowed);
  }
  return {
    passed: problems.length === 0,
    failingRows: 0,
    sample: [],
    message: problems.length > 0 ? problems.join('; ') : `${rowsText(rows)}${changeNote}`,
    observed: { rows, parent_rows: parentRows, change, change_percent: changePercent === null ? null : roundPercent(changePercent), missed_by: Math.ceil(missedBy) },
    ...(baseline ? { comparedWith: baseline.commit } : {}),
  };
}

function roundPercent(value: number): number {
  return Math.round(value * 100) / 100;
}
