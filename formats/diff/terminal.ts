import { paint, type Colour } from '../text/ansi.js';
import type { Writable } from 'node:stream';
import type { RowChange, SchemaChanges, TableDiff } from '../../engine/diff/index.js';
import { DiffCounter, type DiffSummary } from '../../engine/diff/index.js';
import type { Value } from '../../engine/value/value.js';
import { reviewText, truncateText, visibleText } from './cell-text.js';
import type { DiffReport } from '../../engine/diff/diff-report.js';
import { TextSink } from './text-sink.js';

export interface TerminalDiffOptions {
  /** ANSI colours (the CLI turns them off for NO_COLOR and pipes). */
  colour?: boolean;
  /** Most rows shown per table; the rest are counted. */
  limit?: number;
  /** Counts only, like `git diff --stat`. */
  stat?: boolean;
  /** Longest cell text before it is cut with …. Default 40. */
  maxCellWidth?: number;
  /** Rows aligned together; a long diff is printed in blocks of this many, so it streams. Default 100. */
  blockRows?: number;
}

type Style = 'added' | 'deleted' | 'modified' | 'old' | 'new' | 'header' | 'dim' | 'plain';

const COLOURS: Record<Exclude<Style, 'plain'>, Colour> = {
  added: 'green',
  deleted: 'red',
  modified: 'yellow',
  old: 'red',
  new: 'green',
  header: 'bold',
  dim: 'dim',
};

/** Styled pieces of text; width is counted on the text alone, never on escape codes. */
type Cell = Array<{ text: string; style: Style }>;

const cellWidth = (cell: Cell) => cell.reduce((n, part) => n + Array.from(part.text).length, 0);

class Painter {
  constructor(private readonly colour: boolean) {}

  paint(text: string, style: Style): string {
    return style === 'plain' ? text : paint(text, COLOURS[style], this.colour);
  }

  cell(cell: Cell, width: number): string {
    return cell.map((part) => this.paint(part.text, part.style)).join('') + ' '.repeat(Math.max(0, width - cellWidth(cell)));
  }
}

const MARK: Record<RowChange['status'], string> = { added: '+', deleted: '-', modified: '~' };

function summaryText(summary: DiffSummary): string {
  return `${summary.added} added, ${summary.deleted} deleted, ${summary.modified} modified`;
}

/** Schema changes as short lines: `+ c Int64`, `- d`, `~ x -> y`. Names are made visible (no control characters). */
export function schemaLines(schema: SchemaChanges): string[] {
  const name = (text: string) => visibleText(text);
  const lines: string[] = [];
  for (const c of schema.added) lines.push(`+ column ${name(c.name)} ${c.type}`);
  for (const c of schema.dropped) lines.push(`- column ${name(c.name)} ${c.type}`);
  for (const c of schema.changed) {
    const parts: string[] = [];
    if (c.previousName !== undefined) parts.push(`renamed from ${name(c.previousName)}`);
    if (c.type) parts.push(`type ${c.type.from} -> ${c.type.to}`);
    if (c.nullable) parts.push(c.nullable.to ? 'now nullable' : 'now not null');
    lines.push(`~ column ${name(c.name)}: ${parts.join(', ')}`);
  }
  if (schema.primaryKey) {
    const keyText = (names: string[]) => (names.length ? names.map(name).join(', ') : '(none: keyless)');
    lines.push(`~ primary key ${keyText(schema.primaryKey.from)} -> ${keyText(schema.primaryKey.to)}`);
  }
  return lines;
}

/**
 * Writes a diff for a terminal: per table the schema changes, then the changed
 * rows as an aligned table (`~` modified with `old → new` in changed cells, `+`
 * added, `-` deleted), long values cut, at most `limit` rows, then the counts.
 */
export async function writeDiffTerminal(report: DiffReport, out: Writable, options: TerminalDiffOptions = {}): Promise<void> {
  const sink = new TextSink(out);
  const painter = new Painter(options.colour ?? false);
  const maxWidth = options.maxCellWidth ?? 40;
  const blockRows = options.blockRows ?? 100;
  const limit = options.limit ?? Infinity;
  const totals: DiffSummary = { added: 0, deleted: 0, modified: 0 };
  let tables = 0;
  for await (const { table, diff } of report.tables) {
    if (diff.status === 'unchanged') continue;
    tables++;
    const counter = new DiffCounter(diff.columns);
    await sink.write(painter.paint(`${options.stat ? '' : '\n'}table ${visibleText(table)}: ${diff.status}`, 'header') + '\n');
    if (diff.status === 'added' || diff.status === 'deleted') {
      // A whole table came or went: one line of its columns, not a schema change per column.
      const columns = diff.columns.map((c) => `${visibleText(c.name)} ${c.type}`).join(', ');
      await sink.write(`  ${painter.paint(`columns: ${columns}`, 'dim')}\n`);
    } else {
      for (const line of schemaLines(diff.schema)) await sink.write(`  ${painter.paint(line, line[0] === '+' ? 'added' : line[0] === '-' ? 'deleted' : 'modified')}\n`);
    }
    let block: RowChange[] = [];
    let shown = 0;
    for await (const change of diff.rows) {
      counter.add(change);
      if (options.stat || shown >= limit) continue;
      block.push(change);
      shown++;
      if (block.length >= blockRows) {
        await sink.write(renderBlock(diff, block, painter, maxWidth));
        block = [];
      }
    }
    if (block.length > 0) await sink.write(renderBlock(diff, block, painter, maxWidth));
    const hidden = counter.entries - shown;
    if (!options.stat && hidden > 0) await sink.write(painter.paint(`  … ${hidden} more row${hidden === 1 ? '' : 's'} not shown (--limit)\n`, 'dim'));
    const columns = counter.columnChanges();
    const perColumn = columns.length ? `; cells changed: ${columns.map((c) => `${visibleText(c.column)} ${c.cells}`).join(', ')}` : '';
    await sink.write(`  ${summaryText(counter.summary)}${perColumn}\n`);
    totals.added += counter.summary.added;
    totals.deleted += counter.summary.deleted;
    totals.modified += counter.summary.modified;
  }
  await sink.write(tables === 0 ? 'no differences\n' : `${options.stat ? '' : '\n'}${tables} table${tables === 1 ? '' : 's'} changed: ${summaryText(totals)}\n`);
  await sink.flush();
}

function renderBlock(diff: TableDiff, changes: RowChange[], painter: Painter, maxWidth: number): string {
  const text = (index: number, value: Value) => visibleText(truncateText(reviewText(diff.columns[index]!.type, value), maxWidth));
  const header: Cell[] = [[{ text: '', style: 'plain' }], ...diff.columns.map((c) => [{ text: visibleText(truncateText(c.name, maxWidth)), style: 'header' as Style }])];
  const lines: Cell[][] = [header];
  for (const change of changes) {
    // A paired delete and add is an inference, and says so (`~k`, with a legend under the block).
    const inferred = change.status === 'modified' && change.previousKey !== undefined;
    const mark: Cell = [{ text: inferred ? '~k' : MARK[change.status], style: change.status }];
    const cells: Cell[] = diff.columns.map((_, i) => {
      if (change.status === 'added') return [{ text: text(i, change.after[i] ?? null), style: 'added' }];
      if (change.status === 'deleted') return [{ text: text(i, change.before[i] ?? null), style: 'deleted' }];
      if (change.changedColumns.includes(i)) {
        return [
          { text: text(i, change.before[i] ?? null), style: 'old' },
          { text: ' → ', style: 'dim' },
          { text: text(i, change.after[i] ?? null), style: 'new' },
        ];
      }
      return [{ text: text(i, change.after[i] ?? null), style: 'plain' }];
    });
    lines.push([mark, ...cells]);
  }
  const widths = header.map((_, c) => Math.max(...lines.map((line) => cellWidth(line[c]!))));
  const legend = changes.some((c) => c.status === 'modified' && c.previousKey !== undefined) ? `  ${painter.paint('~k: key changed (inferred from equal other cells; counted as a delete and an add)', 'dim')}\n` : '';
  return lines.map((line) => '  ' + line.map((cell, c) => painter.cell(cell, c === line.length - 1 ? 0 : widths[c]!)).join('  ') + '\n').join('') + legend;
}
