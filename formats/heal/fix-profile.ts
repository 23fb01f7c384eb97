import type { ColumnProfile, ColumnStats, FixProfile, TableProfile } from '../../engine/heal/fix-profile.js';
import type { FixTrailers } from '../../engine/heal/fix-trailers.js';
import { fixKindsText } from '../../engine/incidents/incident-words.js';
import { paint } from '../text/ansi.js';
import { fitToBudget } from '../text/budget.js';
import { escapeHtml } from '../diff/html.js';
import { escapeMarkdown, truncateText, visibleText } from '../text/safe-text.js';

/**
 * The fix a heal commit carries and the before/after profile of the rows it
 * changed, for a reviewer: a Markdown table in a pull request, a terminal table
 * for `dgit show`, HTML for `dgit show --format html`. One layout, three
 * serializations; every piece of data text is escaped for where it goes.
 */

const HEADERS = ['column', 'nulls', 'distinct', 'min', 'max'];
/** Longest min or max shown in a cell, before escaping. */
const VALUE_LENGTH = 40;

/** One table of the profile as plain (unescaped) cells: the key and the columns whose profile changed. */
interface ProfileBlock {
  title: string;
  rows: string[][];
  /** Columns left out because their profile did not change. */
  elided: number;
  capped: boolean;
}

/** The sentence under which the profile stands, and each table's block. */
function layout(profile: FixProfile): ProfileBlock[] {
  return profile.tables.map((table) => {
    const shown = table.columns.filter((column) => column.key || column.changed);
    return {
      title: `${table.table}: ${rowCountsText(table)}`,
      rows: shown.map((column) => profileCells(column)),
      elided: table.columns.length - shown.length,
      capped: table.capped,
    };
  });
}

function rowCountsText(table: TableProfile): string {
  const parts = [
    table.rows.modified ? `${table.rows.modified.toLocaleString('en-US')} modified` : '',
    table.rows.removed ? `${table.rows.removed.toLocaleString('en-US')} removed` : '',
    table.rows.added ? `${table.rows.added.toLocaleString('en-US')} added` : '',
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : 'no rows changed';
}

/** `column`, then `before → after` per figure (one value when it did not change; — where a side has none). */
function profileCells(column: ColumnProfile): string[] {
  const name = column.key ? `${column.column} (key)` : column.column;
  const figure = (pick: (stats: ColumnStats) => string | null) => {
    const was = column.before && column.before.rows > 0 ? pick(column.before) ?? '—' : '—';
    const is = column.after && column.after.rows > 0 ? pick(column.after) ?? '—' : '—';
    return was === is ? was : `${was} → ${is}`;
  };
  const value = (text: string | null) => (text === null ? null : truncateText(text, VALUE_LENGTH));
  return [
    name,
    figure((s) => s.nulls.toLocaleString('en-US')),
    figure((s) => s.distinct.toLocaleString('en-US')),
    figure((s) => value(s.min)),
    figure((s) => value(s.max)),
  ];
}

function notes(block: ProfileBlock, profile: FixProfile): string[] {
  const out: string[] = [];
  if (block.elided > 0) out.push(`${block.elided} unchanged column${block.elided === 1 ? '' : 's'} not shown`);
  if (block.capped) out.push(`profile of the first ${profile.maxRows.toLocaleString('en-US')} changed rows only`);
  return out;
}

const INTRO = 'Affected rows, before → after (values at the parent, then at this commit):';

/** The profile as GitHub Markdown within `budget` characters (fewer tables, then fewer columns, when it does not fit). */
export function renderFixProfileMarkdown(profile: FixProfile, options: { budget?: number } = {}): string {
  const blocks = layout(profile);
  if (blocks.length === 0) return '';
  const cell = (text: string) => escapeMarkdown(text);
  const render = (count: number, columns = Infinity) => {
    const lines = [`**${escapeMarkdown(INTRO)}**`, ''];
    for (const block of blocks.slice(0, count)) {
      lines.push(`${cell(block.title)}`, '', `| ${HEADERS.join(' | ')} |`, `|${HEADERS.map(() => '---').join('|')}|`);
      for (const row of block.rows.slice(0, columns)) lines.push(`| ${row.map(cell).join(' | ')} |`);
      const left = Math.max(0, block.rows.length - columns);
      const extra = [...notes(block, profile), ...(left > 0 ? [`${left} more changed column${left === 1 ? '' : 's'} not shown`] : [])];
      if (extra.length > 0) lines.push('', `_${escapeMarkdown(extra.join('; '))}._`);
      lines.push('');
    }
    if (count < blocks.length) lines.push(`_${blocks.length - count} more table${blocks.length - count === 1 ? '' : 's'} not shown._`, '');
    return lines.join('\n');
  };
  return fitToBudget(options.budget ?? Infinity, [() => render(blocks.length), () => render(blocks.length, 20)], (count) => render(count, 10), blocks.length);
}

/** The profile as aligned columns for a terminal. */
export function renderFixProfileTerminal(profile: FixProfile, options: { colour?: boolean } = {}): string {
  const blocks = layout(profile);
  if (blocks.length === 0) return '';
  const lines = [INTRO];
  for (const block of blocks) {
    lines.push('', `  ${paint(visibleText(block.title), 'bold', options.colour ?? false)}`);
    const rows = [HEADERS, ...block.rows.map((row) => row.map(visibleText))];
    const widths = HEADERS.map((_, i) => Math.max(...rows.map((row) => Array.from(row[i]!).length)));
    for (const row of rows) lines.push('    ' + row.map((text, i) => text + ' '.repeat(widths[i]! - Array.from(text).length)).join('  ').trimEnd());
    for (const note of notes(block, profile)) lines.push(`    (${note})`);
  }
  return lines.join('\n') + '\n';
}

/** The profile as an HTML fragment (tables with escaped cells), for `dgit show --format html`. */
export function renderFixProfileHtml(profile: FixProfile): string {
  const blocks = layout(profile);
  if (blocks.length === 0) return '';
  const escapeHtmlText = (text: string) => escapeHtml(visibleText(text));
  const parts = [`<p>${escapeHtmlText(INTRO)}</p>\n`];
  for (const block of blocks) {
    parts.push(`<h3>${escapeHtmlText(block.title)}</h3>\n<table class="profile">\n<thead><tr>${HEADERS.map((h) => `<th>${h}</th>`).join('')}</tr></thead>\n<tbody>\n`);
    for (const row of block.rows) parts.push(`<tr>${row.map((text) => `<td>${escapeHtmlText(text)}</td>`).join('')}</tr>\n`);
    parts.push('</tbody>\n</table>\n');
    for (const note of notes(block, profile)) parts.push(`<p class="muted">${escapeHtmlText(note)}</p>\n`);
  }
  return parts.join('');
}

/** The lead sentences of a heal commit, plain (escape for where they go): the fix and its kinds, the evidence, the review mark. */
export function fixLeadLines(fix: FixTrailers): string[] {
  const lines = [`Fix (${fix.resolution ?? 'unjudged'}): ${fixKindsText(fix.kinds, fix.evidence) || 'no value changes'}${fix.strategy ? ` by ${fix.strategy}` : ''}${fix.check ? ` for ${fix.check}` : ''}`];
  if (fix.evidence) lines.push(`Restored values come from ${fix.evidence}, the last revision where the check passed.`);
  if (fix.resolution === 'contained') lines.push('Some rows were only defaulted or moved to quarantine: the check passes, but those values are not the truth.');
  if (fix.reviewRequired) lines.push('Marked for review: the merge queue lands it only after a person approved it.');
  return lines;
}

/** The `fix` object of `dgit show --json` (snake_case, as the other JSON shapes of CLI.md). */
export function fixJson(fix: FixTrailers & { profile: FixProfile; incidentMemoryUpdated: boolean }): unknown {
  const stats = (s: ColumnStats | null) => (s === null ? null : { rows: s.rows, nulls: s.nulls, distinct: s.distinct, min: s.min, max: s.max });
  return {
    kinds: fix.kinds,
    resolution: fix.resolution ?? null,
    evidence: fix.evidence ?? null,
    review_required: fix.reviewRequired,
    incident: fix.incident ?? null,
    check: fix.check ?? null,
    strategy: fix.strategy ?? null,
    incident_memory_updated: fix.incidentMemoryUpdated,
    profile: {
      from: fix.profile.from,
      to: fix.profile.to,
      max_rows: fix.profile.maxRows,
      tables: fix.profile.tables.map((table) => ({
        table: table.table,
        rows: table.rows,
        capped: table.capped,
        columns: table.columns.map((column) => ({ column: column.column, key: column.key, changed: column.changed, before: stats(column.before), after: stats(column.after) })),
      })),
    },
  };
}
