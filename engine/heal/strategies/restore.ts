import { checkedColumns } from '../../config/configured-check.js';
import type { PatchEdit } from '../patch.js';
import type { FailingRow, StepOutcome, StrategyContext } from './strategy-context.js';
import { keyText, valueText } from './strategy-context.js';

/**
 * restore: a failing row whose key had a version at the last revision where the
 * check passed gets its checked cells back from that version, citing the commit.
 * This covers re-sent rows that arrived with a null, an out-of-range value, or
 * drifted case and spaces: the truth is in the history, so nothing is invented
 * and no row is dropped. Only the checked cells are restored (the other cells of
 * a re-sent row may be a legitimate update). Rows with no earlier version (new
 * rows), whose earlier cells equal today's, or that have a later version than
 * that revision's (checked cells changed after it to other values than today's,
 * or the row deleted or added in between) are left to the next step.
 */
export async function restore(context: StrategyContext, failing: FailingRow[]): Promise<StepOutcome> {
  const { check } = context;
  const columns = checkedColumns(check);
  if (columns.length === 0) return { notApplicable: `restore needs a check of columns; ${check.kind} has none` };
  const evidence = await context.evidence();
  if (!evidence) return { edits: [], remaining: failing };
  const commit = evidence.past.commit;
  const edits: PatchEdit[] = [];
  const remaining: FailingRow[] = [];
  const current = await context.currentRows(failing.map((row) => row.key));
  const changedSince = await context.changedSinceEvidence();
  for (const row of failing) {
    const before = await evidence.row(row.key);
    const now = current.get(keyText(row.key));
    // Changed after the evidence: restored only when that change is the one that broke it (its cells since are its cells
    // now); a row with a later version (a correction since), or deleted or added in between, is not.
    const since = changedSince.get(keyText(row.key));
    if (since === null || (since !== undefined && (now === undefined || columns.some((c) => JSON.stringify(since[c]) !== JSON.stringify(now[c]))))) {
      remaining.push(row);
      continue;
    }
    const set: Record<string, unknown> = {};
    let usable = before !== undefined && now !== undefined;
    for (const column of columns) {
      if (!usable) break;
      if (!(column in before!)) usable = false;
      else if (JSON.stringify(before![column]) !== JSON.stringify(now![column])) set[column] = before![column];
    }
    if (!usable || Object.keys(set).length === 0) {
      remaining.push(row);
      continue;
    }
    const was = Object.entries(set)
      .map(([column, value]) => `${column} was ${valueText(value)}`)
      .join(', ');
    edits.push({ op: 'update', key: row.key, set, reason: `restored from ${commit.slice(0, 12)}, the last revision where ${check.id} passed: ${was} there (${keyText(row.key)})` });
  }
  return { edits, remaining };
}
