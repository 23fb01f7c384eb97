import { describe, expect, it } from 'vitest';
import { writeDiffTerminal } from '../../formats/diff/index.js';
import type { Row } from '../../engine/value/value.js';
import { schemaOf } from '../diff/in-memory-table.js';
import { CollectingStream, diffOf, exampleDiff, report } from './report-fixtures.js';

async function terminal(r: Parameters<typeof writeDiffTerminal>[0], options?: Parameters<typeof writeDiffTerminal>[2]) {
  const out = new CollectingStream();
  await writeDiffTerminal(r, out, options);
  return out.text;
}

const notes = schemaOf(
  [
    ['id', 'Int32'],
    ['note', 'Utf8'],
  ],
  ['id'],
);

describe('terminal diff', () => {
  it('prints an aligned table with old → new in changed cells', async () => {
    const text = await terminal(report([['flights', await exampleDiff()]]));
    expect(text).toBe(
      [
        '',
        'table flights: modified',
        '  + column c Int64',
        '     id  x      c',
        '  -  3   0      NULL',
        '  ~  7   1 → 2  NULL',
        '  +  9   5      NULL',
        '  1 added, 1 deleted, 1 modified; cells changed: x 1',
        '',
        '1 table changed: 1 added, 1 deleted, 1 modified',
        '',
      ].join('\n'),
    );
  });

  it('marks an inferred key change and counts it as a delete and an add', async () => {
    const text = await terminal(report([['notes', await diffOf(notes, [[3, 'c']], [[30, 'c']])]]));
    expect(text).toContain('  ~k  3 → 30  c');
    expect(text).toContain('~k: key changed (inferred from equal other cells; counted as a delete and an add)');
    expect(text).toContain('1 added, 1 deleted, 0 modified');
    expect(text).not.toContain('not shown');
  });

  it('uses ANSI colours only when asked', async () => {
    const plain = await terminal(report([['flights', await exampleDiff()]]));
    expect(plain).not.toContain('\x1b[');
    const coloured = await terminal(report([['flights', await exampleDiff()]]), { colour: true });
    expect(coloured).toContain('\x1b[32m');
    expect(coloured).toContain('\x1b[31m');
    expect(coloured.replace(/\x1b\[\d+m/g, '')).toBe(plain);
  });

  it('cuts long values, and shows control characters from data instead of sending them to the terminal', async () => {
    const diff = await diffOf(notes, [[1, 'short']], [[1, `${'y'.repeat(100)}\x1b]0;pwned\x07\n`]]);
    const text = await terminal(report([['notes', diff]]), { maxCellWidth: 20 });
    expect(text).not.toContain('\x1b');
    expect(text).not.toContain('\x07');
    // The value ends in a line break, so it is shown quoted: its trailing whitespace stays visible.
    expect(text).toContain('"' + 'y'.repeat(18) + '…');
    const hostile = await diffOf(notes, [[1, 'a']], [[1, 'x\x1b[2Jy\nz']]);
    expect(await terminal(report([['notes', hostile]]), { maxCellWidth: 80 })).toContain('x\\u001b[2Jy\\nz');
  });

  it('--limit shows the first rows and says how many are hidden', async () => {
    const before: Row[] = Array.from({ length: 10 }, (_, i) => [i, 'a']);
    const diff = await diffOf(notes, before, before.map(([id]) => [id!, 'b']));
    const text = await terminal(report([['notes', diff]]), { limit: 3 });
    expect(text.split('\n').filter((l) => l.startsWith('  ~')).length).toBe(3);
    expect(text).toContain('… 7 more rows not shown (--limit)');
    expect(text).toContain('0 added, 0 deleted, 10 modified');
  });

  it('--stat prints only counts', async () => {
    const text = await terminal(report([['flights', await exampleDiff()]]), { stat: true });
    expect(text).toBe(
      [
        'table flights: modified',
        '  + column c Int64',
        '  1 added, 1 deleted, 1 modified; cells changed: x 1',
        '1 table changed: 1 added, 1 deleted, 1 modified',
        '',
      ].join('\n'),
    );
  });

  it('long diffs are aligned block by block and streamed', async () => {
    const before: Row[] = Array.from({ length: 250 }, (_, i) => [i, 'a']);
    const diff = await diffOf(notes, before, before.map(([id]) => [id!, 'b']));
    const text = await terminal(report([['notes', diff]]), { blockRows: 100 });
    expect(text.split('\n').filter((l) => l.trim().startsWith('id')).length).toBe(3);
  });

  it('says when there is no difference', async () => {
    const same = await diffOf(notes, [[1, 'a']], [[1, 'a']]);
    expect(await terminal(report([['t', same]]))).toBe('no differences\n');
  });
});
