import type { ColumnChangeCount, DiffSummary, RowChange, SchemaChanges, TableDiff, TableStatus } from '../../engine/diff/index.js';
import { DiffCounter } from '../../engine/diff/index.js';
import type { Value } from '../../engine/value/value.js';
import { reviewText, truncateText } from './cell-text.js';
import { codeSpan, escapeMarkdown } from '../text/safe-text.js';
import { fitToBudget } from '../text/budget.js';
import type { DiffReport } from '../../engine/diff/diff-report.js';

/** GitHub's limit on the body of a comment or pull request, in characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;

export interface MarkdownDiffOptions {
  /** Most characters of the whole output. Default 65,536 (GitHub's comment limit). */
  budget?: number;
  /** Changed rows shown per table at most. Default 10. */
  sampleRows?: number;
  /** Longest cell text before it is cut with …. Default 60. */
  maxCellLength?: number;
  /** Most columns in a sample table (key and changed columns first). Default 8. */
  maxColumns?: number;
  /** Heading of the comment. Default "Data diff". */
  title?: string;
  /** Counts and schema changes only, no rows and no per-column counts (`--stat`). */
  stat?: boolean;
}

export { escapeMarkdown } from '../text/safe-text.js';

/** What the renderer keeps of a table: counts and the first changed rows. */
interface TableSection {
  table: string;
  status: TableStatus;
  diff: TableDiff;
  summary: DiffSummary;
  columnChanges: ColumnChangeCount[];
  samples: RowChange[];
  /** Row changes as listed (an inferred key change is one). */
  entries: number;
}

/** How much detail one rendering keeps; the budget walks down these. */
interface Detail {
  samples: number;
  columnCounts: boolean;
  schemaDetail: boolean;
  tables: number;
}

/**
 * The diff as a GitHub comment: a summary table, then per table its schema
 * changes, per-column change counts and a sample of changed rows with changed
 * cells shown `` `old` → `new` ``. Always within `budget` characters: when the
 * full form is too long it degrades from fewer samples, to per-column counts, to
 * the summary alone, to part of the summary, and says so.
 */
export async function renderDiffMarkdown(report: DiffReport, options: MarkdownDiffOptions = {}): Promise<string> {
  const budget = options.budget ?? GITHUB_COMMENT_LIMIT;
  const sampleRows = options.stat ? 0 : options.sampleRows ?? 10;
  const sections: TableSection[] = [];
  for await (const { table, diff } of report.tables) {
    if (diff.status === 'unchanged') continue;
    const counter = new DiffCounter(diff.columns);
    const samples: RowChange[] = [];
    for await (const change of diff.rows) {
      counter.add(change);
      if (samples.length < sampleRows) samples.push(change);
    }
    sections.push({ table, status: diff.status, diff, summary: counter.summary, columnChanges: counter.columnChanges(), samples, entries: counter.entries });
  }
  const render = (detail: Detail, note: string | undefined) => renderSections(report, sections, detail, options, note);
  const full: Detail = { samples: sampleRows, columnCounts: !options.stat, schemaDetail: true, tables: sections.length };
  const note = (what: string) => `_${what} to stay within GitHub's comment size limit._`;
  const attempts: Array<() => string> = [() => render(full, undefined)];
  for (let samples = Math.floor(sampleRows / 2); samples >= 1; samples = Math.floor(samples / 2))
    attempts.push(() => render({ ...full, samples }, note(`Showing at most ${samples} changed row${samples === 1 ? '' : 's'} per table`)));
  attempts.push(() => render({ ...full, samples: 0 }, note('Changed rows are not shown')));
  attempts.push(() => render({ ...full, samples: 0, columnCounts: false }, note('Only schema changes and counts are shown')));
  attempts.push(() => render({ ...full, samples: 0, columnCounts: false, schemaDetail: false }, note('Only the summary is shown')));
  // Even the summary too long: keep as many tables as fit.
  const keep = (tables: number) =>
    render({ samples: 0, columnCounts: false, schemaDetail: false, tables }, note(`Only the first ${tables} of ${sections.length} changed tables are shown`));
  return fitToBudget(budget, attempts, keep, sections.length);
}

function renderSections(report: DiffReport, sections: TableSection[], detail: Detail, options: MarkdownDiffOptions, note: string | undefined): string {
  const lines: string[] = [];
  lines.push(`### ${escapeMarkdown(options.title ?? 'Data diff')}: ${escapeMarkdown(report.from)} → ${escapeMarkdown(report.to)}`, '');
  if (sections.length === 0) {
    lines.push('No differences.');
    return lines.join('\n') + '\n';
  }
  const shown = sections.slice(0, detail.tables);
  lines.push('| table | status | added | deleted | modified | schema changes |', '| --- | --- | ---: | ---: | ---: | --- |');
  for (const s of shown) {
    lines.push(
      `| ${escapeMarkdown(s.table)} | ${s.status} | ${s.summary.added} | ${s.summary.deleted} | ${s.summary.modified} | ${schemaCountText(s.diff.schema)} |`,
    );
  }
  if (shown.length < sections.length) lines.push('', `_… and ${sections.length - shown.length} more changed tables._`);
  for (const s of shown) {
    const schema = detail.schemaDetail ? schemaMarkdown(s.diff.schema) : [];
    const counts = detail.columnCounts && s.columnChanges.length > 0;
    const samples = s.samples.slice(0, detail.samples);
    if (schema.length === 0 && !counts && samples.length === 0) continue;
    lines.push('', `#### ${escapeMarkdown(s.table)}`);
    if (schema.length > 0) lines.push('', ...schema);
    if (counts) {
      lines.push('', '| column | cells changed |', '| --- | ---: |');
      for (const c of s.columnChanges) lines.push(`| ${escapeMarkdown(c.column)} | ${c.cells} |`);
    }
    if (samples.length > 0) {
      lines.push('', ...sampleTable(s.diff, samples, options));
      if (s.entries > samples.length) lines.push('', `_Showing ${samples.length} of ${s.entries} changed rows._`);
    }
  }
  if (note) lines.push('', note);
  return lines.join('\n') + '\n';
}

function schemaCountText(schema: SchemaChanges): string {
  const parts: string[] = [];
  if (schema.added.length) parts.push(`${schema.added.length} added`);
  if (schema.dropped.length) parts.push(`${schema.dropped.length} dropped`);
  if (schema.changed.length) parts.push(`${schema.changed.length} changed`);
  if (schema.primaryKey) parts.push('key changed');
  return parts.length ? `columns: ${parts.join(', ')}` : '';
}

function schemaMarkdown(schema: SchemaChanges): string[] {
  const name = (text: string) => `**${escapeMarkdown(text)}**`;
  const lines: string[] = [];
  for (const c of schema.added) lines.push(`- added column ${name(c.name)} (${c.type})`);
  for (const c of schema.dropped) lines.push(`- dropped column ${name(c.name)} (${c.type})`);
  for (const c of schema.changed) {
    if (c.previousName !== undefined) lines.push(`- renamed column ${name(c.previousName)} → ${name(c.name)}`);
    if (c.type) lines.push(`- column ${name(c.name)}: type ${c.type.from} → ${c.type.to}`);
    if (c.nullable) lines.push(`- column ${name(c.name)}: ${c.nullable.to ? 'now nullable' : 'now not null'}`);
  }
  if (schema.primaryKey) {
    const keyText = (names: string[]) => (names.length ? names.map(name).join(', ') : '(none: keyless)');
    lines.push(`- primary key ${keyText(schema.primaryKey.from)} → ${keyText(schema.primaryKey.to)}`);
  }
  return lines;
}

/**
 * NULL as everywhere else (`NULL`, README "Values print one way"), in italics and
 * outside any code span, so it is told from the string "NULL" (shown `"NULL"`).
 */
const NULL_CELL = '*NULL*';

function sampleTable(diff: TableDiff, samples: RowChange[], options: MarkdownDiffOptions): string[] {
  const maxColumns = options.maxColumns ?? 8;
  const maxLength = options.maxCellLength ?? 60;
  const wanted = new Set<number>(diff.keyless ? [] : diff.keyColumns);
  for (const change of samples) if (change.status === 'modified') for (const i of change.changedColumns) wanted.add(i);
  for (let i = 0; i < diff.columns.length; i++) wanted.add(i);
  const columns = [...wanted].slice(0, maxColumns).sort((x, y) => x - y);
  const hidden = diff.columns.length - columns.length;
  const cell = (index: number, value: Value) => {
    if (value === null) return NULL_CELL;
    if (value === '') return '*empty*';
    // Quoted when its whitespace would vanish (`"Los Angeles "`).
    return escapeMarkdown(truncateText(reviewText(diff.columns[index]!.type, value), maxLength));
  };
  const changedCell = (index: number, value: Value) => (value === null ? NULL_CELL : codeSpan(truncateText(reviewText(diff.columns[index]!.type, value), maxLength)));
  const lines = [
    `| change | ${columns.map((i) => escapeMarkdown(diff.columns[i]!.name)).join(' | ')} |`,
    `| --- | ${columns.map(() => '---').join(' | ')} |`,
  ];
  for (const change of samples) {
    const cells = columns.map((i) => {
      if (change.status === 'added') return cell(i, change.after[i] ?? null);
      if (change.status === 'deleted') return `~~${cell(i, change.before[i] ?? null)}~~`;
      // Code spans, not `~~old~~ → **new**`: a strikethrough hides a minus sign, and only code shows spaces as they are.
      if (change.changedColumns.includes(i)) return `${changedCell(i, change.before[i] ?? null)} → ${changedCell(i, change.after[i] ?? null)}`;
      return cell(i, change.after[i] ?? null);
    });
    const status = change.status === 'modified' && change.previousKey ? 'key changed (inferred)' : change.status;
    lines.push(`| ${status} | ${cells.join(' | ')} |`);
  }
  if (hidden > 0) lines.push('', `_${hidden} more column${hidden === 1 ? '' : 's'} not shown._`);
  return lines;
}
