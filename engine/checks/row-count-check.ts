import { manifestRowCount } from '../chunking/manifest.js';
import type { ConfiguredCheck } from '../config/configured-check.js';
import { formatCount, rowsText, type CheckContext, type CheckOutcome } from './check-context.js';

type RowCountCheck = Extract<ConfiguredCheck, { kind: 'row_count' }>;

/**
 * Row count within bounds, and its change against the parent within `max_change`.
 * Counts come from the manifests, which record every chunk's rows exactly, so the
 * check reads no chunk. A table new since the parent (or with no parent, or a
 * parent of 0 rows for a percent bound) has no change to bound.
 */
export function runRowCountCheck(check: RowCountCheck, context: CheckContext): CheckOutcome & { passed: boolean } {
  const rows = manifestRowCount(context.table.manifest);
  const parentRows = context.parentTable ? manifestRowCount(context.parentTable.manifest) : null;
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
        problems.push(`rows changed by ${signed} since the parent (${formatCount(parentRows!)} → ${formatCount(rows)}), more than the ${formatCount(check.maxChange.rows)} allowed`);
      else changeNote = `, ${signed} since the parent`;
    } else if (changePercent !== null) {
      const percent = `${change >= 0 ? '+' : '-'}${roundPercent(Math.abs(changePercent))}%`;
      if (Math.abs(changePercent) > check.maxChange.percent)
        problems.push(`rows changed by ${percent} since the parent (${formatCount(parentRows!)} → ${formatCount(rows)}), more than the ${check.maxChange.percent}% allowed`);
      else changeNote = `, ${percent} since the parent`;
    }
  } else if (check.maxChange) {
    changeNote = ', no parent table to compare with';
  }
  return {
    passed: problems.length === 0,
    failingRows: 0,
    sample: [],
    message: problems.length > 0 ? problems.join('; ') : `${rowsText(rows)}${changeNote}`,
    observed: { rows, parent_rows: parentRows, change, change_percent: changePercent === null ? null : roundPercent(changePercent) },
  };
}

function roundPercent(value: number): number {
  return Math.round(value * 100) / 100;
}
