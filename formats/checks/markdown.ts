import type { CheckReport, CheckResult } from '../../engine/checks/check-result.js';
import { checkStatus, summaryText, truncateText, type CheckStatus } from './check-text.js';
import { codeSpan, escapeHtmlText, escapeMarkdown } from '../text/safe-text.js';
import { fitToBudget } from '../text/budget.js';

/** GitHub's limit on the body of a comment, a pull request or a check run summary, in characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;

export interface MarkdownCheckOptions {
  /** Most characters of the whole output. Default 65,536 (GitHub's comment limit). */
  budget?: number;
  /** Failing rows shown per failed check. Default 10. */
  sampleRows?: number;
  /** Longest cell text before it is cut with …. Default 80. */
  maxCellLength?: number;
  /** Heading of the comment. Default "dgit check". */
  title?: string;
}

const ICONS: Record<CheckStatus, string> = { pass: '✅', FAIL: '❌', WARN: '⚠️', ERROR: '❌' };

/** User text made inert in GitHub Markdown (see formats/text/safe-text.ts). */
export const escapeMarkdownText = escapeMarkdown;
export { escapeHtmlText, codeSpan };

/** How much detail a rendering keeps; the budget walks down these. */
interface Detail {
  samples: number;
  passedRows: boolean;
  failedRows: number;
}

/**
 * The report as a pull-request comment: a heading with the verdict, a table of
 * checks (failed first), and the failing rows of each failed check in a collapsed
 * section. Every piece of user text is escaped; the whole stays within `budget`
 * characters, giving up samples, then passed checks, then failed ones, and saying so.
 */
export function renderCheckMarkdown(report: CheckReport, options: MarkdownCheckOptions = {}): string {
  const budget = options.budget ?? GITHUB_COMMENT_LIMIT;
  const sampleRows = options.sampleRows ?? 10;
  const failed = report.results.filter((r) => !r.passed);
  const render = (detail: Detail, note?: string) => renderReport(report, options, detail, note);

  const full: Detail = { samples: sampleRows, passedRows: true, failedRows: failed.length };
  const note = (what: string) => `_${what} to stay within GitHub's size limit._`;
  const attempts: Array<() => string> = [() => render(full)];
  for (let samples = Math.floor(sampleRows / 2); samples >= 1; samples = Math.floor(samples / 2))
    attempts.push(() => render({ ...full, samples }, note(`Showing at most ${samples} failing row${samples === 1 ? '' : 's'} per check`)));
  attempts.push(() => render({ ...full, samples: 0 }, note('Failing rows are not shown')));
  attempts.push(() => render({ ...full, samples: 0, passedRows: false }, note('Failing rows and passed checks are not shown')));
  // Even the failed checks alone too long: keep as many as fit.
  const keep = (count: number) =>
    render({ samples: 0, passedRows: false, failedRows: count }, note(`Only the first ${count} of ${failed.length} failed checks are shown`));
  return fitToBudget(budget, attempts, keep, failed.length);
}

function renderReport(report: CheckReport, options: MarkdownCheckOptions, detail: Detail, note: string | undefined): string {
  const maxCell = options.maxCellLength ?? 80;
  const cell = (text: string) => escapeMarkdownText(truncateText(text, maxCell));
  const revision = report.revision === 'WORKING' ? 'the working set' : codeSpan(report.revision.slice(0, 12));
  const title = escapeMarkdownText(options.title ?? 'dgit check');
  const verdict = report.passed ? '✅' : '❌';
  const lines: string[] = [`### ${verdict} ${title}: ${escapeMarkdownText(summaryText(report.results))}`, '', `Checked ${revision}.`];
  if (!report.config) {
    lines.push('', `No ${codeSpan('dgit.yml')} at this revision: nothing to check.`);
    return lines.join('\n') + '\n';
  }

  // Failed checks first (errors, then warnings), then the passed ones, each in file order.
  const order = (r: CheckResult) => (r.passed ? 2 : r.severity === 'error' ? 0 : 1);
  const failed = report.results.filter((r) => !r.passed).sort((a, b) => order(a) - order(b));
  const shownFailed = failed.slice(0, detail.failedRows);
  const rows = [...shownFailed, ...(detail.passedRows ? report.results.filter((r) => r.passed) : [])];
  if (rows.length > 0) {
    lines.push('', '| | Check | Severity | Failing rows | Details |', '| --- | --- | --- | ---: | --- |');
    for (const result of rows) {
      const status = checkStatus(result);
      const failing = result.kind === 'row_count' || result.kind === 'freshness' || result.error !== undefined ? '—' : result.failing_rows.toLocaleString('en-US');
      const details = [result.message, result.description].filter((t): t is string => Boolean(t)).map(cell).join(' — ');
      lines.push(`| ${ICONS[status]} | ${cell(result.check)} | ${result.severity} | ${failing} | ${details} |`);
    }
  }
  const hidden = report.results.length - rows.length;
  if (hidden > 0) lines.push('', `_${hidden} more check${hidden === 1 ? '' : 's'} not shown._`);

  if (detail.samples > 0) {
    for (const result of shownFailed) {
      if (result.sample.length === 0) continue;
      const samples = result.sample.slice(0, detail.samples);
      lines.push('', `<details><summary>Failing rows of ${escapeHtmlText(truncateText(result.check, 200))} (dgit.yml line ${result.line})</summary>`, '');
      lines.push('| Key | Value |', '| --- | --- |');
      for (const sample of samples) {
        lines.push(`| ${codeSpan(truncateText(JSON.stringify(sample.key), maxCell))} | ${codeSpan(truncateText(JSON.stringify(sample.value) ?? 'null', maxCell))} |`);
      }
      const more = result.failing_rows - samples.length;
      if (more > 0) lines.push('', `_and ${more.toLocaleString('en-US')} more._`);
      lines.push('', '</details>');
    }
  }
  if (note) lines.push('', note);
  return lines.join('\n') + '\n';
}
