import { describe, expect, it } from 'vitest';
import { escapeMarkdown, GITHUB_COMMENT_LIMIT, renderDiffMarkdown } from '../../formats/diff/index.js';
import type { Row } from '../../engine/value/value.js';
import { schemaOf } from '../diff/in-memory-table.js';
import { diffOf, exampleDiff, HOSTILE, report } from './report-fixtures.js';

const notes = schemaOf(
  [
    ['id', 'Int32'],
    ['note', 'Utf8'],
  ],
  ['id'],
);

/** Pipes that GitHub would read as cell separators: not preceded by a backslash. */
const separators = (line: string) => (line.match(/(?<!\\)\|/g) ?? []).length;

/**
 * The code spans of `markdown` (CommonMark: a run of n backticks up to the next run
 * of exactly n, one padding space each side removed) and the text outside them.
 */
function splitCodeSpans(markdown: string): { outside: string; spans: string[] } {
  const spans: string[] = [];
  let outside = '';
  let at = 0;
  for (;;) {
    const open = /(?<!\\)`+/g;
    open.lastIndex = at;
    const start = open.exec(markdown);
    if (!start) break;
    const fence = start[0];
    const close = new RegExp(`(?<!\`)${fence}(?!\`)`, 'g');
    close.lastIndex = start.index + fence.length;
    const end = close.exec(markdown);
    if (!end) break;
    outside += markdown.slice(at, start.index);
    const content = markdown.slice(start.index + fence.length, end.index);
    spans.push(/^ .* $/s.test(content) && content.trim() !== '' ? content.slice(1, -1) : content);
    at = end.index + fence.length;
  }
  return { outside: outside + markdown.slice(at), spans };
}

/**
 * Text a GitHub comment must never contain unescaped, whatever the data says. Our
 * code spans (changed cells) show their text as it is: GitHub links, pings and
 * renders nothing in code, so a span need only stay one line of one table cell.
 */
function expectInert(markdown: string): void {
  const { outside, spans } = splitCodeSpans(markdown);
  for (const span of spans) expect(span).not.toMatch(/[\u0000-\u001f\u202e]|(?<!\\)\|/);
  expectInertText(outside);
}

function expectInertText(markdown: string): void {
  expect(markdown).not.toMatch(/<(?!br>)[a-z!/]/i); // no HTML tag or comment from data
  expect(markdown).not.toMatch(/@[A-Za-z0-9]/); // no @mention
  expect(markdown).not.toMatch(/(?<!&)#\d/); // no #123 reference (our own &#8203; entity aside)
  expect(markdown).not.toMatch(/GH-\d/i);
  expect(markdown).not.toMatch(/https?:\/\//); // no autolink
  expect(markdown).not.toMatch(/www\./);
  expect(markdown).not.toMatch(/(?<!\\)\[[^\]]*(?<!\\)\]\(/); // no [text](link)
  expect(markdown).not.toMatch(/(?<!\\)`/); // no code span from data
  expect(markdown).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u202e]/); // no control or bidi character
  expect(markdown).not.toMatch(/&#64;/); // entities from data are shown, not decoded
  expect(markdown).not.toMatch(/deadbeef1234567/); // no commit autolink
}

describe('markdown for GitHub', () => {
  it('renders the summary table, schema changes, per-column counts and marked changed cells', async () => {
    const markdown = await renderDiffMarkdown(report([['flights', await exampleDiff()]], 'c1', 'c2'));
    expect(markdown).toContain('| table | status | added | deleted | modified | schema changes |');
    expect(markdown).toContain('| flights | modified | 1 | 1 | 1 | columns: 1 added |');
    expect(markdown).toContain('- added column **c** (Int64)');
    expect(markdown).toContain('| column | cells changed |\n| --- | ---: |\n| x | 1 |');
    expect(markdown).toContain('| modified | 7 | `1` → `2` | *NULL* |');
    expect(markdown).toContain('| added | 9 | 5 | *NULL* |');
    expect(markdown).toContain('| deleted | ~~3~~ | ~~0~~ | ~~*NULL*~~ |');
  });

  it('escapes hostile cell text so it cannot break the table, ping, reference, link or run HTML', async () => {
    const before: Row[] = HOSTILE.map((_, i) => [i, `old ${i}`]);
    const after: Row[] = HOSTILE.map((text, i) => [i, text]);
    const markdown = await renderDiffMarkdown(report([['notes', await diffOf(notes, before, after)]]), { sampleRows: 100, maxCellLength: 200 });
    expectInert(markdown);
    const { spans } = splitCodeSpans(markdown);
    const rows = markdown.split('\n').filter((line) => line.startsWith('| modified |'));
    expect(rows.length).toBe(HOSTILE.length);
    for (const line of rows) expect(separators(line)).toBe(4); // | change | id | note |
    expect(spans).toContain('a \\| b');
    expect(spans).toContain('<script>alert(1)</script>');
    expect(spans).toContain('@everyone and @octo-org/team');
    expect(spans).toContain('line1\\nline2\\r\\n\\| --- \\|');
    expect(spans).toContain('`code` ``` fence');
    expect(markdown).toContain('| modified | 1 | `old 1` → ```` `code` ``` fence ```` |');
  });

  it('shows a changed cell as `old` → `new` in code, with signs, spaces, tabs and line breaks visible', async () => {
    const before: Row[] = [
      [1, '-5'],
      [2, 'Los Angeles '],
      [3, 'a b'],
      [4, 'tab\there'],
      [5, null],
      [6, 'NULL'],
      [7, ''],
    ];
    const after: Row[] = [
      [1, '5'],
      [2, 'Los Angeles'],
      [3, 'a  b'],
      [4, 'tab here'],
      [5, 'NULL'],
      [6, null],
      [7, ' '],
    ];
    const markdown = await renderDiffMarkdown(report([['notes', await diffOf(notes, before, after)]]));
    expect(markdown).not.toContain('~~');
    expect(markdown).toContain('| modified | 1 | `-5` → `5` |');
    expect(markdown).toContain('| modified | 2 | `"Los Angeles "` → `Los Angeles` |');
    expect(markdown).toContain('| modified | 3 | `a b` → `a  b` |');
    expect(markdown).toContain('| modified | 4 | `tab\\there` → `tab here` |');
    expect(markdown).toContain('| modified | 5 | *NULL* → `"NULL"` |');
    expect(markdown).toContain('| modified | 6 | `"NULL"` → *NULL* |');
    expect(markdown).toContain('| modified | 7 | `""` → `" "` |');
  });

  it('escapes hostile table and column names too', async () => {
    const evil = schemaOf(
      [
        ['id', 'Int32'],
        ['<img src=x onerror=alert(1)> @admin', 'Utf8'],
      ],
      ['id'],
    );
    const diff = await diffOf(evil, [[1, 'a']], [[1, 'b']]);
    const markdown = await renderDiffMarkdown(report([['t|<!--', diff]], '#1', '@me'));
    expectInert(markdown);
    expect(markdown).toContain('| t\\|&lt;\\!-- | modified |');
  });

  it('escapeMarkdown leaves plain text readable', () => {
    expect(escapeMarkdown('Paris 2024-07-01 42.5')).toBe('Paris 2024-07-01 42.5');
    expect(escapeMarkdown('a_b*c')).toBe('a\\_b\\*c');
  });

  it('stays within GitHub\u2019s comment limit on a huge diff by dropping samples first', async () => {
    const long = 'x'.repeat(500);
    const before: Row[] = Array.from({ length: 3000 }, (_, i) => [i, `${long} ${i}`]);
    const after: Row[] = before.map(([id, note]) => [id!, `${String(note)} changed`]);
    const tables: Array<[string, Awaited<ReturnType<typeof diffOf>>]> = [];
    for (let t = 0; t < 40; t++) tables.push([`table_${t}`, await diffOf(notes, before.slice(0, 200), after.slice(0, 200))]);
    const markdown = await renderDiffMarkdown(report(tables), { sampleRows: 50, maxCellLength: 500 });
    expect(markdown.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(markdown).toContain('| table\\_39 | modified | 0 | 0 | 200 |');
    expect(markdown).toContain('_Showing 1 of 200 changed rows._');
    expect(markdown).toMatch(/GitHub's comment size limit/);
    expect(markdown).toContain('| column | cells changed |');
  });

  it('degrades from samples to per-column counts, to schema changes, to the summary, to part of it', async () => {
    const tables: Array<[string, Awaited<ReturnType<typeof exampleDiff>>]> = [];
    for (let t = 0; t < 30; t++) tables.push([`t${t}`, await exampleDiff()]);
    const full = await renderDiffMarkdown(report(tables));
    expect(full).toContain('`1` → `2`');

    const fewer = await renderDiffMarkdown(report(tables), { budget: full.length - 1 });
    expect(fewer.length).toBeLessThan(full.length);
    expect(fewer).toMatch(/Showing at most \d changed rows? per table/);

    const counts = await renderDiffMarkdown(report(tables), { sampleRows: 0 });
    const countsOnly = await renderDiffMarkdown(report(tables), { budget: counts.length + 100 });
    expect(countsOnly).not.toContain('`1` → `2`');
    expect(countsOnly).toContain('| column | cells changed |');
    expect(countsOnly).toContain('Changed rows are not shown');

    const schemaOnly = await renderDiffMarkdown(report(tables), { budget: countsOnly.length - 200 });
    expect(schemaOnly).not.toContain('| column | cells changed |');
    expect(schemaOnly).toContain('- added column **c** (Int64)');
    expect(schemaOnly).toContain('Only schema changes and counts are shown');

    const summaryOnly = await renderDiffMarkdown(report(tables), { budget: schemaOnly.length - 200 });
    expect(summaryOnly.length).toBeLessThanOrEqual(schemaOnly.length - 200);
    expect(summaryOnly).toContain('| t29 | modified | 1 | 1 | 1 | columns: 1 added |');
    expect(summaryOnly).not.toContain('- added column');
    expect(summaryOnly).toContain('Only the summary is shown');

    const partial = await renderDiffMarkdown(report(tables), { budget: 900 });
    expect(partial.length).toBeLessThanOrEqual(900);
    expect(partial).toMatch(/Only the first \d+ of 30 changed tables are shown/);
    expect(partial).toMatch(/… and \d+ more changed tables\./);
  });

  it('never exceeds even an absurdly small budget', async () => {
    const markdown = await renderDiffMarkdown(report([['flights', await exampleDiff()]]), { budget: 40 });
    expect(markdown.length).toBeLessThanOrEqual(40);
  });

  it('says when there is no difference', async () => {
    const same = await diffOf(notes, [[1, 'a']], [[1, 'a']]);
    expect(await renderDiffMarkdown(report([['t', same]]))).toContain('No differences.');
  });
});
