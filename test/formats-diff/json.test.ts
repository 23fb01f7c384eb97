import { describe, expect, it } from 'vitest';
import { writeDiffJson } from '../../formats/diff/index.js';
import type { Row } from '../../engine/value/value.js';
import { schemaOf } from '../diff/in-memory-table.js';
import { CollectingStream, diffOf, exampleDiff, flights, report } from './report-fixtures.js';

async function json(r: Parameters<typeof writeDiffJson>[0], options?: Parameters<typeof writeDiffJson>[2]) {
  const out = new CollectingStream();
  await writeDiffJson(r, out, options);
  return { parsed: JSON.parse(out.text) as Record<string, unknown>, out };
}

describe('diff --json', () => {
  it('has exactly the CLI.md shape', async () => {
    const { parsed } = await json(report([['flights', await exampleDiff()]], 'c1', 'WORKING'));
    expect(parsed).toEqual({
      from: 'c1',
      to: 'WORKING',
      tables: [
        {
          table: 'flights',
          status: 'modified',
          schema: { added: [{ name: 'c', type: 'Int64' }], dropped: [], changed: [] },
          summary: { added: 1, deleted: 1, modified: 1 },
          rows: [
            { status: 'deleted', key: { id: 3 }, before: { id: 3, x: 0 } },
            { status: 'modified', key: { id: 7 }, before: { id: 7, x: 1 }, after: { id: 7, x: 2, c: null }, changed: ['x'] },
            { status: 'added', key: { id: 9 }, after: { id: 9, x: 5, c: null } },
          ],
          truncated: false,
        },
      ],
    });
  });

  it('--stat keeps only summary and schema', async () => {
    const { parsed } = await json(report([['flights', await exampleDiff()]]), { stat: true });
    expect(parsed.tables).toEqual([
      {
        table: 'flights',
        status: 'modified',
        schema: { added: [{ name: 'c', type: 'Int64' }], dropped: [], changed: [] },
        summary: { added: 1, deleted: 1, modified: 1 },
      },
    ]);
  });

  it('--limit writes the first rows, counts them all and sets truncated', async () => {
    const { parsed } = await json(report([['flights', await exampleDiff()]]), { limit: 1 });
    const table = (parsed.tables as Array<Record<string, unknown>>)[0]!;
    expect((table.rows as unknown[]).length).toBe(1);
    expect(table.truncated).toBe(true);
    expect(table.summary).toEqual({ added: 1, deleted: 1, modified: 1 });
  });

  it('leaves unchanged tables out', async () => {
    const same = await diffOf(flights, [[1, 1]], [[1, 1]]);
    const { parsed } = await json(report([['same', same]]));
    expect(parsed).toEqual({ from: 'a1', to: 'b2', tables: [] });
  });

  it('a changed key is a modified row with the new key, previous_key and inferred: true', async () => {
    const t = schemaOf(
      [
        ['id', 'Int32'],
        ['name', 'Utf8'],
      ],
      ['id'],
    );
    const diff = await diffOf(t, [[3, 'c']], [[30, 'c']]);
    const { parsed } = await json(report([['t', diff]]));
    expect((parsed.tables as Array<Record<string, unknown>>)[0]!.rows).toEqual([
      { status: 'modified', key: { id: 30 }, previous_key: { id: 3 }, inferred: true, before: { id: 3, name: 'c' }, after: { id: 30, name: 'c' }, changed: ['id'] },
    ]);
    // Counted literally: one delete and one add.
    expect((parsed.tables as Array<Record<string, unknown>>)[0]!.summary).toEqual({ added: 1, deleted: 1, modified: 0 });
    // Listed whole, though counted as two: nothing is left out.
    expect((parsed.tables as Array<Record<string, unknown>>)[0]!.truncated).toBe(false);
  });

  it('a keyless row keys by the whole row; Int64 beyond a double is a string', async () => {
    const bag = schemaOf(
      [
        ['n', 'Int64'],
        ['s', 'Utf8'],
      ],
      [],
    );
    const diff = await diffOf(bag, [], [[2n ** 60n, 'x']]);
    const { parsed } = await json(report([['bag', diff]]));
    expect((parsed.tables as Array<Record<string, unknown>>)[0]!.rows).toEqual([
      { status: 'added', key: { n: '1152921504606846976', s: 'x' }, after: { n: '1152921504606846976', s: 'x' } },
    ]);
  });

  it('schema changes by id: renames, type and key changes', async () => {
    const { diffTables } = await import('../../engine/diff/index.js');
    const { makeTable, MemoryChunkStore, renameColumn, retypeColumn, withKey } = await import('../diff/in-memory-table.js');
    const store = new MemoryChunkStore();
    const after = withKey(retypeColumn(renameColumn(flights, 'x', 'y'), 'y', 'Int64'), ['id', 'y']);
    const diff = await diffTables(makeTable(store, flights, []), makeTable(store, after, []), store);
    const { parsed } = await json(report([['t', diff]]), { stat: true });
    expect((parsed.tables as Array<Record<string, unknown>>)[0]!.schema).toEqual({
      added: [],
      dropped: [],
      changed: [{ name: 'y', renamed_from: 'x', type: { from: 'Int32', to: 'Int64' } }],
      primary_key: { from: ['id'], to: ['id', 'y'] },
    });
  });

  it('streams a 100,000-row diff in bounded pieces, honouring backpressure', async () => {
    const before: Row[] = Array.from({ length: 100_000 }, (_, i) => [i, i]);
    const after: Row[] = before.map(([id, x]) => [id!, (x as number) + 1]);
    const diff = await diffOf(flights, before, after, 4096);
    const { parsed, out } = await json(report([['big', diff]]));
    const table = (parsed.tables as Array<Record<string, unknown>>)[0]!;
    expect(table.summary).toEqual({ added: 0, deleted: 0, modified: 100_000 });
    expect(out.chunks.length).toBeGreaterThan(50);
    expect(Math.max(...out.chunks.map((c) => c.length))).toBeLessThan(128 * 1024);
  });
});
