import type { Writable } from 'node:stream';
import type { RowChange, TableDiff } from '../../engine/diff/index.js';
import { DiffCounter } from '../../engine/diff/index.js';
import type { Value } from '../../engine/value/value.js';
import { cellText, truncateText, visibleText } from './cell-text.js';
import type { DiffReport } from '../../engine/diff/diff-report.js';
import { schemaLines } from './terminal.js';
import { TextSink } from './text-sink.js';

export interface HtmlDiffOptions {
  /** Most rows shown per table; the rest are counted. Default: all. */
  limit?: number;
  /** Longest cell text before it is cut with …; the full text stays in the cell's title. Default 200. */
  maxCellLength?: number;
  title?: string;
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
tr.added td { background: #dafbe1; } tr.deleted td { background: #ffebe9; }
del { background: #ffcecb; text-decoration: line-through; } ins { background: #aceebb; text-decoration: none; }
.null { color: #8c959f; font-style: italic; } .muted { color: #57606a; }
ul.schema li.added { color: #1a7f37; } ul.schema li.dropped { color: #cf222e; } ul.schema li.changed { color: #9a6700; }
`;

/**
 * Writes the diff as one standalone HTML page a reviewer opens in a browser: no
 * script, no external resource (a Content-Security-Policy forbids both), every
 * piece of user text escaped. Streamed, so a large diff is never one string.
 */
export async function writeDiffHtml(report: DiffReport, out: Writable, options: HtmlDiffOptions = {}): Promise<void> {
  const sink = new TextSink(out);
  const title = `${options.title ?? 'Data diff'}: ${report.from} → ${report.to}`;
  await sink.write(
    `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n` +
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">\n` +
      `<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>${escapeHtml(visibleText(title))}</title>\n<style>${STYLE}</style>\n</head>\n<body>\n` +
      `<h1>${escapeHtml(visibleText(title))}</h1>\n`,
  );
  let tables = 0;
  for await (const { table, diff } of report.tables) {
    if (diff.status === 'unchanged') continue;
    tables++;
    await sink.write(`<section>\n<h2>${escapeHtml(visibleText(table))} <span class="muted">(${diff.status})</span></h2>\n`);
    const schema = schemaLines(diff.schema);
    if (schema.length > 0) {
      await sink.write('<ul class="schema">\n');
      for (const line of schema) {
        const kind = line[0] === '+' ? 'added' : line[0] === '-' ? 'dropped' : 'changed';
        await sink.write(`<li class="${kind}">${escapeHtml(line.slice(2))}</li>\n`);
      }
      await sink.write('</ul>\n');
    }
    const counter = new DiffCounter(diff.columns);
    const limit = options.limit ?? Infinity;
    let shown = 0;
    for await (const change of diff.rows) {
      counter.add(change);
      if (shown >= limit) continue;
      if (shown === 0) {
        await sink.write(`<table>\n<thead><tr><th>change</th>${diff.columns.map((c) => `<th>${escapeHtml(visibleText(c.name))}</th>`).join('')}</tr></thead>\n<tbody>\n`);
      }
      await sink.write(rowHtml(diff, change, options.maxCellLength ?? 200));
      shown++;
    }
    if (shown > 0) await sink.write('</tbody>\n</table>\n');
    const hidden = counter.total - shown;
    if (hidden > 0) await sink.write(`<p class="muted">${hidden} more changed rows not shown.</p>\n`);
    const s = counter.summary;
    await sink.write(`<p>${s.added} added, ${s.deleted} deleted, ${s.modified} modified</p>\n`);
    const columns = counter.columnChanges();
    if (columns.length > 0) {
      await sink.write('<table class="columns">\n<thead><tr><th>column</th><th>cells changed</th></tr></thead>\n<tbody>\n');
      for (const c of columns) await sink.write(`<tr><td>${escapeHtml(visibleText(c.column))}</td><td>${c.cells}</td></tr>\n`);
      await sink.write('</tbody>\n</table>\n');
    }
    await sink.write('</section>\n');
  }
  if (tables === 0) await sink.write('<p>No differences.</p>\n');
  await sink.write('</body>\n</html>\n');
  await sink.flush();
}

function rowHtml(diff: TableDiff, change: RowChange, maxLength: number): string {
  const cell = (index: number, value: Value) => {
    if (value === null) return '<span class="null">NULL</span>';
    const text = visibleText(cellText(diff.columns[index]!.type, value));
    const shown = truncateText(text, maxLength);
    return shown === text ? escapeHtml(text) : `<span title="${escapeHtml(text)}">${escapeHtml(shown)}</span>`;
  };
  const cells = diff.columns.map((_, i) => {
    if (change.status === 'added') return cell(i, change.after[i] ?? null);
    if (change.status === 'deleted') return cell(i, change.before[i] ?? null);
    if (change.changedColumns.includes(i)) return `<del>${cell(i, change.before[i] ?? null)}</del> <ins>${cell(i, change.after[i] ?? null)}</ins>`;
    return cell(i, change.after[i] ?? null);
  });
  const label = change.status === 'modified' && change.previousKey ? 'key changed (inferred)' : change.status;
  return `<tr class="${change.status}"><td>${label}</td>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>\n`;
}
