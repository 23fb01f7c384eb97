import { describe, expect, it } from 'vitest';
import type { Column } from '../../engine/schema/schema.js';
import type { Row } from '../../engine/value/value.js';
import { LazyChunkRows, decodeChunk, encodeChunk, rowsToArrow } from '../../engine/store/parquet/chunk-codec.js';

const columns: Column[] = [
  { id: 1, name: 'id', type: 'Int64', nullable: false },
  { id: 2, name: 'name', type: 'Utf8', nullable: false },
  { id: 3, name: 'score', type: 'Float64', nullable: false },
  { id: 4, name: 'note', type: 'Utf8', nullable: true },
];

/** Rows as a decoded chunk (real Parquet bytes), read lazily as a diff reads them. */
function chunk(rows: Row[]): LazyChunkRows {
  return new LazyChunkRows(decodeChunk(encodeChunk(rowsToArrow(columns, rows), columns), 'test'), columns, [0]);
}

const base: Row[] = Array.from({ length: 1000 }, (_, i) => [BigInt(i), `name ${i % 37}`, i / 8, i % 5 === 0 ? null : `n${i}`]);
const edited = (at: number, column: number, value: Row[number]): Row[] => base.map((row, i) => (i === at ? row.map((v, c) => (c === column ? value : v)) : row));

describe('LazyChunkRows.sameRun: runs of equal rows judged a column at a time', () => {
  it('finds the whole run equal, and stops at the first changed cell of any column', () => {
    const a = chunk(base);
    expect(a.sameRun(0, chunk(base), 0, 4, 1000)).toBe(1000);
    expect(a.sameRun(0, chunk(edited(617, 2, 99.5)), 0, 4, 1000)).toBe(617);
    expect(a.sameRun(0, chunk(edited(3, 1, 'name 3 renamed')), 0, 4, 1000)).toBe(3);
    // A column with nulls is compared cell by cell: a null where a value was ends the run too.
    expect(a.sameRun(0, chunk(edited(801, 3, null)), 0, 4, 1000)).toBe(801);
    // Only the first `count` columns count, and never more than `max` rows.
    expect(a.sameRun(0, chunk(edited(801, 3, null)), 0, 3, 1000)).toBe(1000);
    expect(a.sameRun(10, chunk(base), 10, 4, 25)).toBe(25);
  });

  it('pairs rows at different positions (a row inserted before them) and keys must agree too', () => {
    const shifted = [[-1n, 'new', 0, null] as Row, ...base];
    expect(chunk(base).sameRun(0, chunk(shifted), 1, 4, 999)).toBe(999);
    // Rows equal but for the key do not pair: the run ends there.
    expect(chunk(base).sameRun(0, chunk(shifted), 0, 4, 1000)).toBe(0);
  });

  it('ends a run at -0 against 0 (bytes differ); the row itself is then compared by value', () => {
    const zero = base.map((row, i) => (i === 0 ? [row[0]!, row[1]!, -0, row[3]!] : row));
    const a = chunk(base);
    const b = chunk(zero);
    expect(a.sameRun(0, b, 0, 4, 1000)).toBe(0);
    expect(a.sameCells(0, b, 0, 4)).toBe(true);
    expect(a.sameRun(1, b, 1, 4, 999)).toBe(999);
  });
});
