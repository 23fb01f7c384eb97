import { describe, expect, it } from 'vitest';
import { codeSpan, escapeMarkdownText, GITHUB_COMMENT_LIMIT, renderCheckMarkdown } from '../../formats/checks/index.js';
import { checkReport, checkResult, HOSTILE } from './report-fixtures.js';

/** The cells of a Markdown table row, split on the pipes GitHub would split on (not on `\|`). */
function cells(row: string): string[] {
  return row
    .slice(1, -1)
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

describe('markdown check report', () => {
  it('user text cannot break the table, ping, reference an issue or run HTML', () => {
    const report = checkReport([
      checkResult({
        check: HOSTILE,
        message: HOSTILE,
        description: HOSTILE,
        sample: [{ key: { id: HOSTILE }, value: HOSTILE }],
      }),
    ]);
    const out = renderCheckMarkdown(report);
    const rows = out.split('\n').filter((l) => l.startsWith('| ❌'));
    expect(rows).toHaveLength(1);
    expect(cells(rows[0]!)).toHaveLength(5);
    const sampleRows = out.split('\n').filter((l) => l.startsWith('| `'));
    expect(sampleRows).toHaveLength(1);
    expect(cells(sampleRows[0]!)).toHaveLength(2);
    // Outside code spans (where nothing renders, links or pings) no markup survives.
    const prose = out.replace(/(`+)[\s\S]*?\1/g, '');
    expect(prose).not.toContain('<script');
    expect(prose).not.toMatch(/@everyone/);
    expect(prose).not.toMatch(/#123/);
    expect(prose).not.toContain('](javascript');
    expect(out).not.toContain('\u001b');
    expect(out).not.toContain('\u202e');
    // Every line is a line of ours: the newline in the text did not start a new one.
    expect(out.split('\n').some((l) => l.startsWith('::error'))).toBe(false);
  });

  it('escapes Markdown syntax and autolinks in text', () => {
    expect(escapeMarkdownText('a|b *c* _d_ `e` <f> @g #1 www.x.org http://y')).toBe(
      'a\\|b \\*c\\* \\_d\\_ \\`e\\` &lt;f&gt; @&#8203;g #&#8203;1 www&#8203;.x.org http&#8203;://y',
    );
  });

  it('shows values exactly in code spans longer than any backtick run inside', () => {
    expect(codeSpan('plain')).toBe('`plain`');
    expect(codeSpan('a`b')).toBe('``a`b``');
    expect(codeSpan('`edge`')).toBe('`` `edge` ``');
    expect(codeSpan('a|b')).toBe('`a\\|b`');
    expect(codeSpan('')).toBe('` `');
  });

  it('lists failed checks first, with their failing rows in a collapsed section', () => {
    const out = renderCheckMarkdown(
      checkReport([
        checkResult({ check: 'flights.id.unique', kind: 'unique', passed: true, failing_rows: 0, sample: [], message: 'no two rows share a id' }),
        checkResult({ check: 'flights.carrier.accepted_values', severity: 'warn', failing_rows: 1, sample: [{ key: { id: 2 }, value: 'aa' }], message: '1 row whose carrier is not one of the 2 accepted values' }),
        checkResult(),
      ]),
    );
    expect(out).toBe(
      [
        '### ❌ dgit check: 1 of 3 checks failed, 1 warning',
        '',
        'Checked `0123456789ab`.',
        '',
        '| | Check | Severity | Failing rows | Details |',
        '| --- | --- | --- | ---: | --- |',
        '| ❌ | flights.delay.not\\_null | error | 3 | 3 rows with no delay |',
        '| ⚠️ | flights.carrier.accepted\\_values | warn | 1 | 1 row whose carrier is not one of the 2 accepted values |',
        '| ✅ | flights.id.unique | error | 0 | no two rows share a id |',
        '',
        '<details><summary>Failing rows of flights.delay.not_null (dgit.yml line 5)</summary>',
        '',
        '| Key | Value |',
        '| --- | --- |',
        '| `{"id":4}` | `null` |',
        '| `{"id":9}` | `null` |',
        '',
        '_and 1 more._',
        '',
        '</details>',
        '',
        '<details><summary>Failing rows of flights.carrier.accepted_values (dgit.yml line 5)</summary>',
        '',
        '| Key | Value |',
        '| --- | --- |',
        '| `{"id":2}` | `"aa"` |',
        '',
        '</details>',
        '',
      ].join('\n'),
    );
  });

  it('stays under GitHub\'s 65,536 characters however large the report, and says what it left out', () => {
    const long = 'v'.repeat(500);
    const results = Array.from({ length: 2000 }, (_, i) =>
      checkResult({ check: `t${i}.c.not_null`, message: long, failing_rows: 1000, sample: Array.from({ length: 10 }, (_, j) => ({ key: { id: j, name: long }, value: long })) }),
    );
    const out = renderCheckMarkdown(checkReport(results));
    expect(out.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(out).toMatch(/_Only the first \d+ of 2000 failed checks are shown to stay within GitHub's size limit\._/);
    const small = renderCheckMarkdown(checkReport(results.slice(0, 20)), { budget: 4000 });
    expect(small.length).toBeLessThanOrEqual(4000);
    expect(small).toContain("to stay within GitHub's size limit");
  });

  it('a passing report, and a revision without dgit.yml', () => {
    expect(renderCheckMarkdown(checkReport([checkResult({ passed: true, failing_rows: 0, sample: [], message: 'every row has a delay' })]))).toMatch(
      /^### ✅ dgit check: all 1 check passed\n/,
    );
    expect(renderCheckMarkdown(checkReport([], { config: false, revision: 'WORKING' }))).toContain('No `dgit.yml` at this revision: nothing to check.');
  });
});
