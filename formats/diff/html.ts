import type { Writable } from 'node:stream';
import type { RowChange, TableDiff } from '../../engine/diff/index.js';
import { DiffCounter } from '../../engine/diff/index.js';
import type { Value } from '../../engine/value/value.js';
import { reviewText, truncateText, visibleText } from './cell-text.js';
import type { DiffReport } from '../../engine/diff/diff-report.js';
import { schemaLines } from './terminal.js';
import { TextSink } from './text-sink.js';

export interface HtmlDiffOptions {
  /** Most rows shown per table; the rest are counted ("N more"). Default 100. */
  limit?: number;
  /** Longest cell text before it is cut with …; the full text stays in the cell's title. Default 200. */
  maxCellLength?: number;
  title?: string;
  /** The revisions as the user named them (`v0`, `main`), shown instead of bare ids. */
  fromLabel?: string;
  toLabel?: string;
  /** Show every column, not only the key and the columns that changed. */
  allColumns?: boolean;
  /** Counts and schema changes only, no rows (`--stat`). */
  stat?: boolean;
  /** An HTML fragment shown under the title, already escaped by its renderer (a heal commit's fix and profile). */
  preface?: string;
}

/** Tables dgit keeps for itself (the incident log): listed after the user's, folded. */
export function isInternalTable(name: string): boolean {
  return name.startsWith('_dgit');
}

/** Text made inert in HTML, in element content and in quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #1f2328; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 2em; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border: 1px solid #d0d7de; padding: 2px 8px; text-align: left; vertical-align: top; font-family: ui-monospace, monospace; white-space: pre-wrap; }
th { background: #f6f8fa; position: sticky; top: 0; }
td.number { text-align: right; }
tr.added td { background: #dafbe1; } tr.deleted td { background: #ffebe9; }
.old { background: #ffebe9; } .new { background: #dafbe1; font-weight: 600; } .arrow { color: #57606a; }
.null { color: #8c959f; font-style: italic; } .muted { color: #57606a; }
ul.schema li.added { color: #1a7f37; } ul.schema li.dropped { color: #cf222e; } ul.schema li.changed { color: #9a6700; }
details { margin-top: 2em; } summary { cursor: pointer; font-weight: 600; }
`;

/** One table's part of the page, kept until the summary is written above it. */
interface TableSection {
  table: string;
  status: string;
  summary: { added: number; deleted: number; modified: number };
  schemaChanges: number;
  html: string;
}

/**
 * Writes the diff as one standalone HTML page a reviewer opens in a browser: no
 * script, no external resource (a Content-Security-Policy forbids both), every
 * piece of user text escaped. The page starts with a summary (tables, rows added,
 * deleted and modified, schema changes), then the user's tables, then dgit's
 * internal ones folded. Per table: the key and the changed columns (all with
 * `allColumns`), at most `limit` rows with "N more", changed cells as `old → new`.
 * Sections are held until the summary is written; each holds at most `limit` rows.
 */
export async function writeDiffHtml(report: DiffReport, out: Writable, options: HtmlDiffOptions = {}): Promise<void> {
  const sections: TableSection[] = [];
  for await (const { table, diff } of report.tables) {
    if (diff.status === 'unchanged') continue;
    sections.push(await renderTable(table, diff, options));
  }
  const sink = new TextSink(out);
  const from = options.fromLabel ?? report.from;
  const to = options.toLabel ?? report.to;
  const title = `${options.title ?? 'Data diff'}: ${from} → ${to}`;
  const ids = [options.fromLabel && options.fromLabel !== report.from ? `${from} = ${report.from}` : '', options.toLabel && options.toLabel !== report.to ? `${to} = ${report.to}` : '']
    .filter(Boolean)
    .join(', ');
  await sink.write(
    `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n` +
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">\n` +
      `<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>${escapeHtml(visibleText(title))}</title>\n<style>${STYLE}</style>\n</head>\n<body>\n` +
      `<h1>${escapeHtml(visibleText(title))}</h1>\n` +
      (ids ? `<p class="muted">${escapeHtml(visibleText(ids))}</p>\n` : '') +
      (options.preface ?? ''),
  );
  const user = sections.filter((section) => !isInternalTable(section.table));
  const internal = sections.filter((section) => isInternalTable(section.table));
  await sink.write(summaryHtml([...user, ...internal]));
  for (const section of user) await sink.write(section.html);
  if (internal.length > 0) {
    await sink.write(`<details class="internal">\n<summary>dgit's internal tables (${internal.length})</summary>\n`);
    for (const section of internal) await sink.write(section.html);
    await sink.write('</details>\n');
  }
  await sink.write('</body>\n</html>\n');
  await sink.flush();
}

function summaryHtml(sections: readonly TableSection[]): string {
  if (sections.length === 0) return '<p id="summary">No differences.</p>\n';
  const total = { added: 0, deleted: 0, modified: 0 };
  for (const section of sections) for (const kind of ['added', 'deleted', 'modified'] as const) total[kind] += section.summary[kind];
  const rows = sections.map(
    (s) =>
      `<tr><td>${escapeHtml(visibleText(s.table))}</td><td>${s.status}</td><td class="number">${s.summary.added}</td><td class="number">${s.summary.deleted}</td>` +
      `<td class="number">${s.summary.modified}</td><td class="number">${s.schemaChanges}</td></tr>\n`,
  );
  return (
    `<section id="summary">\n<p>${sections.length} table${sections.length === 1 ? '' : 's'} changed: ${total.added} rows added, ${total.deleted} deleted, ${total.modified} modified.</p>\n` +
    '<table>\n<thead><tr><th>table</th><th>status</th><th>added</th><th>deleted</th><th>modified</th><th>schema changes</th></tr></thead>\n<tbody>\n' +
    rows.join('') +
    '</tbody>\n</table>\n</section>\n'
  );
}

async function renderTable(table: string, diff: TableDiff, options: HtmlDiffOptions): Promise<TableSection> {
  const parts: string[] = [`<section class="table">\n<h2>${escapeHtml(visibleText(table))} <span class="muted">(${diff.status})</span></h2>\n`];
  const schema = schemaLines(diff.schema);
  if (schema.length > 0) {
    parts.push('<ul class="schema">\n');
    for (const line of schema) {
      const kind = line[0] === '+' ? 'added' : line[0] === '-' ? 'dropped' : 'changed';
      parts.push(`<li class="${kind}">${escapeHtml(line.slice(2))}</li>\n`);
    }
    parts.push('</ul>\n');
  }
  const counter = new DiffCounter(diff.columns);
  const limit = options.stat ? 0 : options.limit ?? 100;
  const shown: RowChange[] = [];
  for await (const change of diff.rows) {
    counter.add(change);
    if (shown.length < limit) shown.push(change);
  }
  const s = counter.summary;
  parts.push(`<p>${s.added} added, ${s.deleted} deleted, ${s.modified} modified</p>\n`);
  if (shown.length > 0) {
    const visible = visibleColumns(diff, shown, options.allColumns ?? false);
    const elided = diff.columns.filter((_, i) => !visible.includes(i)).map((c) => c.name);
    parts.push(`<table class="rows">\n<thead><tr><th>change</th>${visible.map((i) => `<th>${escapeHtml(visibleText(diff.columns[i]!.name))}</th>`).join('')}</tr></thead>\n<tbody>\n`);
    for (const change of shown) parts.push(rowHtml(diff, change, visible, options.maxCellLength ?? 200));
    parts.push('</tbody>\n</table>\n');
    if (elided.length > 0)
      parts.push(`<p class="muted elided">${elided.length} unchanged column${elided.length === 1 ? '' : 's'} not shown: ${escapeHtml(visibleText(elided.join(', ')))}</p>\n`);
  }
  const hidden = options.stat ? 0 : counter.entries - shown.length;
  if (hidden > 0) parts.push(`<p class="muted more">${hidden} more changed row${hidden === 1 ? '' : 's'} not shown.</p>\n`);
  const columns = counter.columnChanges();
  if (columns.length > 0) {
    parts.push('<table class="columns">\n<thead><tr><th>column</th><th>cells changed</th></tr></thead>\n<tbody>\n');
    for (const c of columns) parts.push(`<tr><td>${escapeHtml(visibleText(c.column))}</td><td class="number">${c.cells}</td></tr>\n`);
    parts.push('</tbody>\n</table>\n');
  }
  parts.push('</section>\n');
  return { table, status: diff.status, summary: { ...s }, schemaChanges: schema.length, html: parts.join('') };
}

/** The key, then the columns a shown row changes (every column when a row is added or deleted, or with `all`). */
function visibleColumns(diff: TableDiff, shown: readonly RowChange[], all: boolean): number[] {
  if (all || shown.some((change) => change.status !== 'modified')) return diff.columns.map((_, i) => i);
  const changed = new Set<number>(diff.keyColumns);
  for (const change of shown) if (change.status === 'modified') for (const i of change.changedColumns) changed.add(i);
  return diff.columns.map((_, i) => i).filter((i) => changed.has(i));
}

function rowHtml(diff: TableDiff, change: RowChange, visible: readonly number[], maxLength: number): string {
  const cell = (index: number, value: Value) => {
    if (value === null) return '<span class="null">NULL</span>';
    const text = visibleText(reviewText(diff.columns[index]!.type, value));
    const shown = truncateText(text, maxLength);
    return shown === text ? escapeHtml(text) : `<span title="${escapeHtml(text)}">${escapeHtml(shown)}</span>`;
  };
  const cells = visible.map((i) => {
    if (change.status === 'added') return cell(i, change.after[i] ?? null);
    if (change.status === 'deleted') return cell(i, change.before[i] ?? null);
    // No strikethrough: it hides a minus sign. The old value, an arrow, the new value.
    if (change.changedColumns.includes(i))
      return `<span class="old">${cell(i, change.before[i] ?? null)}</span> <span class="arrow">→</span> <span class="new">${cell(i, change.after[i] ?? null)}</span>`;
    return cell(i, change.after[i] ?? null);
  });
  const label = change.status === 'modified' && change.previousKey ? 'key changed (inferred)' : change.status;
  return `<tr class="${change.status}"><td>${label}</td>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>\n`;
}
