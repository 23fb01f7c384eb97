import { codeSpan, renderCheckMarkdown, summaryText } from '../../formats/checks/index.js';
import { sampleText } from '../../formats/checks/check-text.js';
import { escapeMarkdown } from '../../formats/diff/index.js';
import type { CheckOutcome, SchemaNote, TableChange } from '../review/data-review.js';
import { annotationText, titleText, withinLimit } from './plain-text.js';
import { loadSyncApi, type CheckResult, type ConfigIssue } from '../../engine/index.js';

const { CONFIG_FILE, TABLES_DIR } = await loadSyncApi();

/** GitHub's limit on a check run's summary and text, in characters. */
export const CHECK_RUN_SUMMARY_LIMIT = 65_535;

/** One annotation, as the Checks API takes it. */
export interface CheckRunAnnotation {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: 'notice' | 'warning' | 'failure';
  title: string;
  message: string;
}

/** What a finished check run says. */
export interface CheckRunOutput {
  conclusion: 'success' | 'failure';
  title: string;
  summary: string;
  annotations: CheckRunAnnotation[];
}

/** What the check run reports: the checks at the head, and (for a pull request or merge group) what changed. */
export interface CheckRunSubject {
  checks: CheckOutcome;
  tables: readonly TableChange[];
  schemaNotes: readonly SchemaNote[];
  /** The commit the changes are counted from. */
  base: string;
}

/**
 * The check run of a revision: conclusion `failure` when a check of severity
 * error failed or dgit.yml is invalid; a summary with the check results (the
 * Markdown of `dgit check --format markdown`) and the data diff's counts; one
 * annotation per failed check on its dgit.yml line, per problem of an invalid
 * dgit.yml, and per schema change on `tables/<t>/schema.json`.
 */
export function checkRunOutput(subject: CheckRunSubject): CheckRunOutput {
  const changes = changesMarkdown(subject.tables, subject.base);
  const budget = CHECK_RUN_SUMMARY_LIMIT - changes.length - 2;
  const schemaAnnotations = subject.schemaNotes.map(schemaAnnotation);
  if (subject.checks.kind === 'invalid-config') {
    const issues = subject.checks.issues;
    return {
      conclusion: 'failure',
      title: `dgit.yml is invalid: ${issues.length} problem${issues.length === 1 ? '' : 's'}`,
      summary: withinLimit(`${invalidConfigMarkdown(issues, budget)}\n${changes}`, CHECK_RUN_SUMMARY_LIMIT),
      annotations: [...issues.map(configIssueAnnotation), ...schemaAnnotations],
    };
  }
  const report = subject.checks.report;
  const title = report.config ? capitalized(summaryText(report.results)) : `No ${CONFIG_FILE}: nothing to check`;
  return {
    conclusion: report.passed ? 'success' : 'failure',
    title: titleText(title, 255),
    summary: withinLimit(`${renderCheckMarkdown(report, { budget, title: 'dgit check' })}\n${changes}`, CHECK_RUN_SUMMARY_LIMIT),
    annotations: [...report.results.filter((result) => !result.passed).map(checkAnnotation), ...schemaAnnotations],
  };
}

/** The check run of a pull request that changes no data: it passes, so a required `dgit/checks` never waits. */
export function noDataChangeOutput(): CheckRunOutput {
  return {
    conclusion: 'success',
    title: 'No data change',
    summary: `### ✅ No data change\n\nThis pull request changes neither ${codeSpan(`${TABLES_DIR}/`)} nor ${codeSpan(CONFIG_FILE)}: there is no data to check.\n`,
    annotations: [],
  };
}

/** The check run of a revision the bot could not check at all (a corrupt table, a bug): it fails and says why. */
export function unexpectedErrorOutput(error: unknown): CheckRunOutput {
  const message = error instanceof Error ? error.message : String(error);
  return {
    conclusion: 'failure',
    title: 'dgit could not check this revision',
    summary: withinLimit(`### ❌ dgit could not check this revision\n\n${escapeMarkdown(message)}\n`, CHECK_RUN_SUMMARY_LIMIT),
    annotations: [],
  };
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function checkAnnotation(result: CheckResult): CheckRunAnnotation {
  const parts = [result.message];
  if (result.description) parts.push(result.description);
  const samples = result.sample.slice(0, 5).map((sample) => annotationText(sampleText(sample, result.kind), 300));
  if (samples.length > 0) parts.push(`Failing rows: ${samples.join('; ')}${result.failing_rows > samples.length ? '; …' : ''}`);
  return {
    path: CONFIG_FILE,
    start_line: result.line,
    end_line: result.line,
    annotation_level: result.severity === 'error' ? 'failure' : 'warning',
    title: annotationText(`dgit check ${result.check}`, 255),
    message: annotationText(parts.join('\n'), 4000),
  };
}

function configIssueAnnotation(issue: ConfigIssue): CheckRunAnnotation {
  return {
    path: issue.file,
    start_line: Math.max(1, issue.line),
    end_line: Math.max(1, issue.line),
    annotation_level: 'failure',
    title: 'invalid dgit.yml',
    message: annotationText(issue.path ? `${issue.path}: ${issue.message}` : issue.message, 4000),
  };
}

function schemaAnnotation(note: SchemaNote): CheckRunAnnotation {
  return {
    path: `${TABLES_DIR}/${note.table}/schema.json`,
    start_line: note.line,
    end_line: note.line,
    annotation_level: 'notice',
    title: annotationText(`schema change in ${note.table}`, 255),
    message: annotationText(note.message, 4000),
  };
}

function invalidConfigMarkdown(issues: readonly ConfigIssue[], budget: number): string {
  const lines = [`### ❌ dgit check: ${CONFIG_FILE} is invalid`, '', '| Where | Key | Problem |', '| --- | --- | --- |'];
  let length = lines.join('\n').length;
  let shown = 0;
  for (const issue of issues) {
    const line = `| ${codeSpan(`${issue.file}:${issue.line}`)} | ${issue.path ? codeSpan(issue.path) : ''} | ${escapeMarkdown(issue.message)} |`;
    if (length + line.length + 200 > budget) break;
    lines.push(line);
    length += line.length + 1;
    shown += 1;
  }
  if (shown < issues.length) lines.push('', `_${issues.length - shown} more problems not shown._`);
  return lines.join('\n') + '\n';
}

/** The data diff's counts per table, at most ~16,000 characters of them. */
export function changesMarkdown(tables: readonly TableChange[], base: string): string {
  const lines = ['', `#### Data changed since ${codeSpan(base.slice(0, 12))}`, ''];
  if (tables.length === 0) return [...lines, 'No table changed.', ''].join('\n');
  lines.push('| table | status | added | deleted | modified | schema changes |', '| --- | --- | ---: | ---: | ---: | --- |');
  let length = lines.join('\n').length;
  let shown = 0;
  for (const change of tables) {
    const schema = change.schema;
    const parts = [
      schema.added.length ? `${schema.added.length} added` : '',
      schema.dropped.length ? `${schema.dropped.length} dropped` : '',
      schema.changed.length ? `${schema.changed.length} changed` : '',
      schema.primaryKey ? 'key changed' : '',
    ].filter(Boolean);
    const line = `| ${escapeMarkdown(change.table)} | ${change.status} | ${change.summary.added} | ${change.summary.deleted} | ${change.summary.modified} | ${parts.join(', ')} |`;
    if (length + line.length > 16_000) break;
    lines.push(line);
    length += line.length + 1;
    shown += 1;
  }
  if (shown < tables.length) lines.push('', `_… and ${tables.length - shown} more changed tables._`);
  return lines.join('\n') + '\n';
}
