import { describe, expect, it } from 'vitest';
import { writeDiffHtml } from '../../formats/diff/index.js';
import type { Row } from '../../engine/value/value.js';
import { schemaOf } from '../diff/in-memory-table.js';
import { CollectingStream, diffOf, exampleDiff, HOSTILE, report } from './report-fixtures.js';

async function html(r: Parameters<typeof writeDiffHtml>[0], options?: Parameters<typeof writeDiffHtml>[2]) {
  const out = new CollectingStream();
  await writeDiffHtml(r, out, options);
  return out.text;
}

describe('html diff page', () => {
  it('is a standalone page with no script and no external resource', async () => {
    const page = await html(report([['flights', await exampleDiff()]]));
    expect(page.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(page).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
    expect(page).not.toMatch(/<script|<link|src=|href=/i);
    expect(page).toContain('<span class="old">1</span> <span class="arrow">→</span> <span class="new">2</span>');
    expect(page).toContain('<tr class="added">');
    expect(page).toContain('<li class="added">column c Int64</li>');
    expect(page.trimEnd().endsWith('</html>')).toBe(true);
  });

  it('escapes every piece of user text', async () => {
    const evil = schemaOf(
      [
        ['id', 'Int32'],
        ['"><img src=x onerror=alert(1)> &lt;', 'Utf8'],
      ],
      ['id'],
    );
    const before: Row[] = HOSTILE.map((_, i) => [i, 'x']);
    const after: Row[] = HOSTILE.map((text, i) => [i, text]);
    const page = await html(report([['<b>t</b>', await diffOf(evil, before, after)]], '<i>', '"'));
    expect(page).not.toMatch(/<script|<img|<!-- hidden|<b>|<i>|\u001b|\u202e/i);
    expect(page).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt; &amp;lt;');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('&lt;b&gt;t&lt;/b&gt;');
  });

  it('cuts long cells but keeps the full text in the title, escaped', async () => {
    const notes = schemaOf(
      [
        ['id', 'Int32'],
        ['note', 'Utf8'],
      ],
      ['id'],
    );
    const long = '"' + 'z'.repeat(300);
    const page = await html(report([['n', await diffOf(notes, [], [[1, long]])]]), { maxCellLength: 50 });
    expect(page).toContain(`<span title="&quot;${'z'.repeat(300)}">&quot;${'z'.repeat(48)}…</span>`);
  });

  it('honours --limit and still counts every row', async () => {
    const notes = schemaOf(
      [
        ['id', 'Int32'],
        ['note', 'Utf8'],
      ],
      ['id'],
    );
    const before: Row[] = Array.from({ length: 20 }, (_, i) => [i, 'a']);
    const page = await html(report([['n', await diffOf(notes, before, before.map(([id]) => [id!, 'b']))]]), { limit: 5 });
    expect(page.match(/<tr class="modified">/g)?.length).toBe(5);
    expect(page).toContain('15 more changed rows not shown.');
    expect(page).toContain('0 added, 0 deleted, 20 modified');
  });
});
