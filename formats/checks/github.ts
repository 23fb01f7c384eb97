import type { CheckReport, CheckResult } from '../../engine/checks/check-result.js';
import type { ConfigIssue } from '../../engine/config/config-error.js';
import { sampleText, summaryText, truncateText } from './check-text.js';

/**
 * GitHub Actions workflow commands: each failed check becomes an annotation on
 * the line of dgit.yml that declares it (`::error file=dgit.yml,line=12,title=…::…`),
 * warnings as `::warning`. Values are escaped as GitHub's toolkit does, so no
 * text from the data can end the command early or start another one.
 */

/** Escape the message of a workflow command: `%`, CR and LF. */
export function escapeCommandData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escape a property of a workflow command (file, title): as data, plus `:` and `,`. */
export function escapeCommandProperty(text: string): string {
  return escapeCommandData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export interface GithubAnnotationOptions {
  /** The path of dgit.yml in the checked-out repository. Default `dgit.yml`. */
  file?: string;
  /** Failing rows listed in each annotation. Default 3. */
  sampleRows?: number;
}

function command(level: 'error' | 'warning' | 'notice', properties: Record<string, string | number>, message: string): string {
  const props = Object.entries(properties)
    .map(([name, value]) => `${name}=${escapeCommandProperty(String(value))}`)
    .join(',');
  return `::${level} ${props}::${escapeCommandData(message)}`;
}

/** One annotation per failed check, then a summary line (plain log text). */
export function renderCheckGithub(report: CheckReport, options: GithubAnnotationOptions = {}): string {
  const file = options.file ?? 'dgit.yml';
  const sampleRows = options.sampleRows ?? 3;
  const lines: string[] = [];
  for (const result of report.results) {
    if (result.passed) continue;
    lines.push(command(result.severity === 'error' ? 'error' : 'warning', { file, line: result.line, title: `dgit check ${truncateText(result.check, 200)}` }, annotationMessage(result, sampleRows)));
  }
  lines.push(report.config ? `dgit check: ${summaryText(report.results)}` : 'dgit check: no dgit.yml, nothing to check');
  return lines.join('\n') + '\n';
}

function annotationMessage(result: CheckResult, sampleRows: number): string {
  const parts = [result.message];
  if (result.description) parts.push(result.description);
  const samples = result.sample.slice(0, sampleRows).map((s) => truncateText(sampleText(s, result.kind), 300));
  if (samples.length > 0) parts.push(`Failing rows: ${samples.join('; ')}${result.failing_rows > samples.length ? '; …' : ''}`);
  return truncateText(parts.join('\n'), 4000);
}

/** The problems of an invalid dgit.yml as error annotations on their lines. */
export function renderConfigIssuesGithub(issues: readonly ConfigIssue[]): string {
  return (
    issues
      .map((issue) => command('error', { file: issue.file, line: issue.line, col: issue.column, title: 'invalid dgit.yml' }, issue.path ? `${issue.path}: ${issue.message}` : issue.message))
      .join('\n') + '\n'
  );
}
