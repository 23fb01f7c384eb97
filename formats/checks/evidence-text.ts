import type { FailingRowEvidence, RowEvidence } from '../../engine/heal/evidence.js';
import { truncateText, visibleText } from '../text/safe-text.js';

/**
 * `dgit propose --evidence` for people: a failing check's rows, each with the
 * checked and changed columns now and at the last revision where the check
 * passed. Every value and name from the data goes through visibleText, so a cell
 * cannot drive the terminal.
 */

/** Longest value shown; `--json` has every value whole. */
const VALUE_CHARS = 120;

/** The lines of the evidence, without colour. */
export function renderEvidenceText(evidence: FailingRowEvidence): string[] {
  const at = `${visibleText(evidence.rev)} (${evidence.revision.slice(0, 12)})`;
  const check = visibleText(evidence.check);
  if (evidence.passed) return [`${check} passes at ${at}: nothing is failing.`];
  const lines = [`${check} fails at ${at}: ${evidence.failing_rows} failing row${evidence.failing_rows === 1 ? '' : 's'} (${evidence.kind}, ${evidence.severity}).`];
  lines.push(
    evidence.last_passing
      ? `Last passed at ${evidence.last_passing}.`
      : `It did not pass in the last ${evidence.history_depth} first-parent commits: no good version in the history.`,
  );
  if (evidence.error !== null) return [...lines, `It could not run: ${visibleText(evidence.error)}`];
  if (!evidence.row_level) return [...lines, visibleText(evidence.message)];
  for (const row of evidence.rows) lines.push('', ...rowLines(row, evidence));
  if (evidence.truncated) lines.push('', `… and ${evidence.failing_rows - evidence.rows.length} more (--limit N shows more; --json gives every column).`);
  return lines;
}

function rowLines(row: RowEvidence, evidence: FailingRowEvidence): string[] {
  const head = `key ${text(row.key)}`;
  if (row.current === null) return [`${head}: not found at ${evidence.revision.slice(0, 12)}`];
  if (row.last_good === null) return [`${head}: no good version in the history`, ...columnLines(evidence.checked_columns, row.current, undefined)];
  if (row.changed!.length === 0) return [`${head}: the same at ${evidence.last_passing!.slice(0, 12)}; nothing there to restore`, ...columnLines(evidence.checked_columns, row.current, undefined)];
  const shown = [...new Set([...evidence.checked_columns, ...row.changed!])];
  return [`${head}: changed ${row.changed!.map(visibleText).join(', ')}`, ...columnLines(shown, row.current, row.last_good)];
}

function columnLines(columns: readonly string[], now: Record<string, unknown>, then: Record<string, unknown> | undefined): string[] {
  return columns.map((column) => {
    const current = `  ${visibleText(column)}: ${text(now[column])}`;
    return then === undefined ? current : `${current}  (last good: ${text(then[column])})`;
  });
}

/** A value as one line: JSON, cut, hidden characters shown. */
function text(value: unknown): string {
  return visibleText(truncateText(JSON.stringify(value) ?? 'absent', VALUE_CHARS));
}
