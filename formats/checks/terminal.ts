import { paint, type Colour } from '../text/ansi.js';
import type { CheckReport, CheckResult } from '../../engine/checks/check-result.js';
import { checkStatus, sampleText, summaryText, truncateText, visibleText, type CheckStatus } from './check-text.js';

export interface TerminalCheckOptions {
  /** ANSI colours (only on a TTY without NO_COLOR: the CLI decides). */
  colour?: boolean;
  /** Widest cell before it is cut with …. Default 60. */
  maxCellLength?: number;
  /** Sample rows printed under each failed check. Default 5. */
  sampleRows?: number;
}

const COLOURS: Record<CheckStatus, Colour> = { pass: 'green', FAIL: 'red', WARN: 'yellow', ERROR: 'red' };

/**
 * The report for a terminal: a table of every check (check, severity, status,
 * failing rows, first failing value), then per failed check its message, where
 * it is in dgit.yml and a few failing rows, then a summary line.
 */
export function renderCheckTerminal(report: CheckReport, options: TerminalCheckOptions = {}): string {
  const colour = options.colour ?? false;
  const maxCell = options.maxCellLength ?? 60;
  const sampleRows = options.sampleRows ?? 5;
  const painted = (text: string, status: CheckStatus) => paint(text, COLOURS[status], colour);
  const clean = (text: string, max = maxCell) => truncateText(visibleText(text), max);
  const revision = report.revision === 'WORKING' ? 'the working set' : report.revision.slice(0, 12);
  if (!report.config) return `no dgit.yml at ${revision}: nothing to check\n`;
  if (report.results.length === 0) return `dgit.yml at ${revision} has no checks\n`;

  const headers = ['check', 'severity', 'status', 'failing rows', 'sample'];
  const rows = report.results.map((result) => {
    const status = checkStatus(result);
    return {
      status,
      cells: [clean(result.check), result.severity, status, failingRowsText(result), clean(firstSample(result))],
    };
  });
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => row.cells[i]!.length)));
  const line = (cells: string[], status?: CheckStatus) =>
    cells
      .map((cell, i) => {
        const padded = i === 3 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!);
        return i === 2 && status ? painted(padded, status) : padded;
      })
      .join('  ')
      .trimEnd();
  const out: string[] = [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((row) => line(row.cells, row.status))];

  for (const result of report.results) {
    if (result.passed) continue;
    const status = checkStatus(result);
    out.push('', `${painted(status, status)} ${clean(result.check, 200)} (dgit.yml:${result.line}): ${clean(result.message, 400)}`);
    if (result.description) out.push(`  ${clean(result.description, 400)}`);
    for (const sample of result.sample.slice(0, sampleRows)) out.push(`  ${clean(sampleText(sample, result.kind), 200)}`);
    const more = result.failing_rows - Math.min(result.sample.length, sampleRows);
    if (result.sample.length > 0 && more > 0) out.push(`  … ${more.toLocaleString('en-US')} more`);
  }
  const scopeNote = report.results.some((r) => r.scope === 'changed-chunks') ? ' (some checks read only the chunks changed since the parent)' : '';
  out.push('', `${summaryText(report.results)} at ${revision}${scopeNote}`);
  return out.join('\n') + '\n';
}

function failingRowsText(result: CheckResult): string {
  if (result.error !== undefined) return '-';
  if (result.kind === 'row_count' || result.kind === 'freshness') return '-';
  return result.failing_rows.toLocaleString('en-US');
}

function firstSample(result: CheckResult): string {
  if (result.passed) return '';
  const first = result.sample[0];
  if (!first) return result.message;
  return sampleText(first, result.kind) + (result.failing_rows > 1 ? ' …' : '');
}
