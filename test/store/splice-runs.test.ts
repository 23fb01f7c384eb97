import { describe, expect, it } from 'vitest';
import { createTableSchema } from '../../engine/schema/schema.js';
import { decodeChunk, encodeChunk, rowsToArrow, spliceRuns } from '../../engine/store/parquet/chunk-codec.js';
import type { Row } from '../../engine/value/value.js';

const schema = createTableSchema(
  [
    { name: 'id', type: 'Int64' },
    { name: 'name', type: 'Utf8' },
    { name: 'at', type: 'Timestamp<us, UTC>' },
    { name: 'score', type: 'Float64' },
    { name: 'day', type: 'Date32' },
    { name: 'ok', type: 'Bool' },
    { name: 'n', type: 'Int16' },
    { name: 'raw', type: 'Binary' },
  ],
  ['id'],
);

function row(i: number): Row {
  return [BigInt(i), i % 3 ? null : `név ${i}`, i % 4 ? BigInt(i) * 1000n : null, i % 5 ? i / 3 : null, 18000 + i, i % 7 ? i % 2 === 0 : null, i % 11 ? i : null, i % 6 ? new Uint8Array([i & 255, 1]) : null];
}

describe('spliceRuns', () => {
  it('copies runs of decoded chunks and of new rows into bytes equal to those rebuilt from rows', () => {
    const rows = Array.from({ length: 300 }, (_, i) => row(i));
    const decoded = decodeChunk(encodeChunk(rowsToArrow(schema.columns, rows), schema.columns), 'test');
    const replaced = [row(1000), row(1001)];
    const spliced = spliceRuns(
      [
        { table: decoded, start: 0, end: 97 },
        { table: rowsToArrow(schema.columns, replaced), start: 0, end: 2 },
        { table: decoded, start: 99, end: 300 },
      ],
      schema.columns,
    );
    expect(spliced).toBeDefined();
    const expected = [...rows.slice(0, 97), ...replaced, ...rows.slice(99)];
    expect(Buffer.from(encodeChunk(spliced!, schema.columns))).toEqual(Buffer.from(encodeChunk(rowsToArrow(schema.columns, expected), schema.columns)));
  });

  it('refuses a run whose layout differs (a missing column), so the caller goes through rows', () => {
    const narrow = createTableSchema([{ name: 'id', type: 'Int64' }], ['id']);
    const table = rowsToArrow(narrow.columns, [[1n]]);
    expect(spliceRuns([{ table, start: 0, end: 1 }], schema.columns)).toBeUndefined();
  });
});
