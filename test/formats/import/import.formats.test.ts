import path from 'node:path';
import * as arrow from 'apache-arrow';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { DuckDbSession } from '../../../engine/sql/duckdb-session.js';
import { toArrowType } from '../../../engine/store/parquet/arrow-types.js';
import { compareKeys, type Row } from '../../../engine/value/value.js';
import { openSortedSource, type SortedSource } from '../../../engine/import/source.js';
import { arrowToRows } from '../../../engine/store/parquet/chunk-codec.js';
import { DATA, entries, fixture, makeDirs, readRows } from './fixtures.js';

let dirs: ReturnType<typeof makeDirs>;
beforeEach(() => {
  dirs = makeDirs();
});
afterEach(() => dirs.cleanup());

const typesOf = (source: SortedSource) => Object.fromEntries(source.columns.map((column) => [column.name, column.type]));

function expectSorted(rows: Row[], indexes: number[]): void {
  for (let i = 1; i < rows.length; i++) {
    const a = indexes.map((c) => rows[i - 1]![c]!);
    const b = indexes.map((c) => rows[i]![c]!);
    expect(compareKeys(a, b), `rows ${i - 1} and ${i} out of order`).toBeLessThanOrEqual(0);
  }
}

async function importAll(file: string, options: Partial<Parameters<typeof openSortedSource>[1]> = {}) {
  const source = await openSortedSource(file, { sortBy: 'all', uniqueKey: [], tempDir: dirs.tempDir, ...options });
  try {
    return { source, rows: await readRows(source) };
  } finally {
    await source.close();
  }
}

describe('each format imports with its types, sorted', () => {
  test('CSV: types are detected over the whole file and rows sort by the key', async () => {
    const file = fixture(
      dirs.dir,
      'people.csv',
      'id,name,score,flag,day,at\n' +
        '3,"Smith, Jane",1.5,true,2020-01-03,2020-01-03 10:00:00\n' +
        '1,"say ""hi""\nthere",-2,false,2020-01-01,2020-01-01 00:00:00.5\n' +
        '2,,1e3,,2020-01-02,\n',
    );
    const { source, rows } = await importAll(file, { sortBy: ['id'], uniqueKey: ['id'] });
    expect(typesOf(source)).toEqual({ id: 'Int64', name: 'Utf8', score: 'Float64', flag: 'Bool', day: 'Date32', at: 'Timestamp<us>' });
    expect(source.columns.find((c) => c.name === 'id')!.nullable).toBe(false);
    expect(source.rowCount).toBe(3);
    expect(rows.map((row) => row[0])).toEqual([1n, 2n, 3n]);
    expect(rows[0]).toEqual([1n, 'say "hi"\nthere', -2, false, 18262, 1577836800500000n]);
    expect(rows[1]).toEqual([2n, null, 1000, null, 18263, null]);
    expect(rows[2]![1]).toBe('Smith, Jane');
  });

  test('CSV: an empty unquoted field is null, a quoted "" is the empty string, "00501" stays text', async () => {
    const file = fixture(dirs.dir, 'empties.csv', 'zip,note\n00501,""\n02134,\n');
    const { source, rows } = await importAll(file, { sortBy: ['zip'], uniqueKey: ['zip'] });
    expect(typesOf(source)).toEqual({ zip: 'Utf8', note: 'Utf8' });
    expect(rows).toEqual([
      ['00501', ''],
      ['02134', null],
    ]);
  });

  test('CSV: a header with no rows is an empty table', async () => {
    const file = fixture(dirs.dir, 'header-only.csv', 'a,b\n');
    const { source, rows } = await importAll(file);
    expect(source.rowCount).toBe(0);
    expect(rows).toEqual([]);
    expect(typesOf(source)).toEqual({ a: 'Utf8', b: 'Utf8' });
  });

  test('CSV: airports.csv sorts by its key, iata', async () => {
    const { source, rows } = await importAll(path.join(DATA, 'airports.csv'), { sortBy: ['iata'], uniqueKey: ['iata'] });
    expect(source.rowCount).toBe(3376);
    expect(typesOf(source)).toMatchObject({ iata: 'Utf8', latitude: 'Float64', longitude: 'Float64' });
    expectSorted(rows, [0]);
  });

  test('TSV: unemployment.tsv reads tab-separated', async () => {
    const { source, rows } = await importAll(path.join(DATA, 'unemployment.tsv'), { sortBy: ['id'], uniqueKey: ['id'] });
    expect(typesOf(source)).toEqual({ id: 'Int64', rate: 'Float64' });
    expect(source.rowCount).toBe(3218);
    expect(rows[0]).toEqual([1001n, 0.097]);
    expectSorted(rows, [0]);
  });

  test('JSON array: penguins.json, keyless, sorted by the whole row with nulls first', async () => {
    const { source, rows } = await importAll(path.join(DATA, 'penguins.json'));
    expect(typesOf(source)).toEqual({
      Species: 'Utf8',
      Island: 'Utf8',
      'Beak Length (mm)': 'Float64',
      'Beak Depth (mm)': 'Float64',
      'Flipper Length (mm)': 'Int64',
      'Body Mass (g)': 'Int64',
      Sex: 'Utf8',
    });
    expect(rows.length).toBe(344);
    expectSorted(rows, [0, 1, 2, 3, 4, 5, 6]);
  });

  test('NDJSON: blank lines are skipped and nested values become JSON text', async () => {
    const file = fixture(dirs.dir, 'events.ndjson', '{"id":2,"tags":["a","b"],"meta":{"k":1}}\n\n{"id":1,"tags":[],"meta":null}\n');
    const { source, rows } = await importAll(file, { sortBy: ['id'], uniqueKey: ['id'] });
    expect(typesOf(source)).toEqual({ id: 'Int64', tags: 'Utf8', meta: 'Utf8' });
    expect(rows).toEqual([
      [1n, '[]', null],
      [2n, '["a","b"]', '{"k":1}'],
    ]);
  });

  test('JSON: movies.json, with titles that are sometimes numbers, imports every row', async () => {
    const { source, rows } = await importAll(path.join(DATA, 'movies.json'));
    expect(source.rowCount).toBe(3201);
    expect(typesOf(source)).toMatchObject({ Title: 'Utf8', 'US Gross': 'Int64', 'IMDB Rating': 'Float64', 'Release Date': 'Utf8' });
    const titles = rows.map((row) => row[0]);
    expect(titles).toContain('1776');
    expect(titles).toContain('Avatar');
    expect(titles[0]).toBeNull();
  });

  test('Parquet: a 20k-row slice of flights sorts by date, origin, destination with ties in file order', async () => {
    const file = path.join(dirs.dir, 'flights-20k.parquet');
    const session = await DuckDbSession.create({ tempDir: dirs.tempDir });
    await session.run(`COPY (SELECT * FROM read_parquet('${path.join(DATA, 'flights-3m.parquet')}') LIMIT 20000) TO '${file}' (FORMAT parquet)`);
    await session.close();
    const { source, rows } = await importAll(file, { sortBy: ['date', 'origin', 'destination'] });
    expect(typesOf(source)).toEqual({ date: 'Timestamp<us>', delay: 'Int64', distance: 'Int64', origin: 'Utf8', destination: 'Utf8' });
    expect(rows.length).toBe(20000);
    expectSorted(rows, [0, 3, 4]);
  });

  test('Arrow IPC file: flights-200k.arrow keeps its Int16 and Float32 types and every duplicate row', async () => {
    const source = await openSortedSource(path.join(DATA, 'flights-200k.arrow'), { sortBy: 'all', uniqueKey: [], tempDir: dirs.tempDir });
    expect(typesOf(source)).toEqual({ delay: 'Int16', distance: 'Int16', time: 'Float32' });
    let count = 0;
    let previous: Row | undefined;
    let duplicates = 0;
    for await (const table of source.batches()) {
      table.schema.fields.forEach((field, i) => expect(String(field.type)).toBe(String(toArrowType(source.columns[i]!.type))));
      const rows = rowsOf(table, source);
      for (const row of rows) {
        if (previous) {
          const order = compareKeys(previous, row);
          expect(order).toBeLessThanOrEqual(0);
          if (order === 0) duplicates++;
        }
        previous = row;
      }
      count += table.numRows;
    }
    await source.close();
    expect(count).toBe(200000);
    expect(duplicates).toBeGreaterThan(0);
  });

  test('Arrow IPC stream format reads as well as the file format', async () => {
    const table = arrow.tableFromArrays({ k: Int32Array.from([3, 1, 2]), v: ['c', 'a', 'b'] });
    const file = fixture(dirs.dir, 'small.ipc', arrow.tableToIPC(table, 'stream'));
    const { source, rows } = await importAll(file, { sortBy: ['k'], uniqueKey: ['k'] });
    expect(typesOf(source)).toEqual({ k: 'Int32', v: 'Utf8' });
    expect(rows).toEqual([
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
    ]);
  });

  test('Arrow types Parquet cannot hold as is keep their meaning: seconds, Date64, dictionaries, large strings', async () => {
    const table = new arrow.Table({
      seconds: arrow.vectorFromArray([new Date(1_600_000_000_000), new Date(-1000)], new arrow.TimestampSecond()),
      day: arrow.vectorFromArray([new Date(86_400_000), new Date(0)], new arrow.DateMillisecond()),
      tag: arrow.vectorFromArray(['b', 'a'], new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32())),
      text: arrow.vectorFromArray(['y', 'x'], new arrow.LargeUtf8()),
    });
    const file = fixture(dirs.dir, 'odd.arrow', arrow.tableToIPC(table, 'file'));
    const { source, rows } = await importAll(file, { sortBy: ['seconds'] });
    expect(typesOf(source)).toEqual({ seconds: 'Timestamp<s>', day: 'Date32', tag: 'Utf8', text: 'Utf8' });
    expect(rows).toEqual([
      [-1n, 0, 'a', 'x'],
      [1_600_000_000n, 1, 'b', 'y'],
    ]);
  });
});

function rowsOf(table: arrow.Table, source: SortedSource): Row[] {
  return arrowToRows(table, source.columns.map((column, index) => ({ id: index + 1, ...column })));
}

describe('sorting', () => {
  test('a keyless table is a bag: duplicate rows are kept, side by side', async () => {
    const file = fixture(dirs.dir, 'bag.csv', 'a,b\n2,x\n1,y\n2,x\n1,y\n2,x\n');
    const { source, rows } = await importAll(file);
    expect(source.rowCount).toBe(5);
    expect(rows).toEqual([
      [1n, 'y'],
      [1n, 'y'],
      [2n, 'x'],
      [2n, 'x'],
      [2n, 'x'],
    ]);
  });

  test('nulls sort first, and rows with equal sort values keep file order', async () => {
    const file = fixture(dirs.dir, 'ties.csv', 'name,n\nb,1\n,2\na,3\nb,4\n,5\n');
    const { rows } = await importAll(file, { sortBy: ['name'] });
    expect(rows).toEqual([
      [null, 2n],
      [null, 5n],
      ['a', 3n],
      ['b', 1n],
      ['b', 4n],
    ]);
  });

  test('progress is reported after each batch, ending at the row count', async () => {
    const calls: Array<[number, number]> = [];
    await importAll(path.join(DATA, 'zipcodes.csv'), { sortBy: ['zip_code'], uniqueKey: ['zip_code'], onProgress: (done, total) => calls.push([done, total]) });
    expect(calls.at(-1)).toEqual([42049, 42049]);
  });

  test('close removes every temp file', async () => {
    const source = await openSortedSource(path.join(DATA, 'airports.csv'), { sortBy: 'all', uniqueKey: [], tempDir: dirs.tempDir });
    expect(entries(dirs.tempDir).length).toBe(1);
    await source.close();
    expect(entries(dirs.tempDir)).toEqual([]);
  });
});

describe('DuckDB types map onto dgit types', () => {
  // Parquet cannot carry every DuckDB type as is (HUGEINT arrives as DOUBLE, TIMESTAMP_S and _MS as
  // microseconds); test/sql/duckdb-types.test.ts covers the mapping of each DuckDB type directly.
  test('a Parquet file of every kind of column imports: decimals as Float64, exotic scalars as text, nested values as JSON text', async () => {
    const file = path.join(dirs.dir, 'types.parquet');
    const session = await DuckDbSession.create({ tempDir: dirs.tempDir });
    await session.run(`COPY (SELECT
        true AS b, -1::TINYINT AS i8, -2::SMALLINT AS i16, -3::INTEGER AS i32, -4::BIGINT AS i64,
        1::UTINYINT AS u8, 2::USMALLINT AS u16, 3::UINTEGER AS u32, 18446744073709551615::UBIGINT AS u64,
        1.5::FLOAT AS f32, 2.25::DOUBLE AS f64, 12.34::DECIMAL(10,2) AS dec, 170141183460469231731687303715884105727::HUGEINT AS huge,
        'x' AS s, '\\x00\\xFF'::BLOB AS bl, DATE '2020-01-02' AS d,
        TIMESTAMP '2020-01-02 03:04:05.123456' AS ts, '2020-01-02 03:04:05'::TIMESTAMP_S AS ts_s,
        '2020-01-02 03:04:05.123'::TIMESTAMP_MS AS ts_ms, '2020-01-02 03:04:05.123456789'::TIMESTAMP_NS AS ts_ns,
        TIMESTAMPTZ '2020-01-02 03:04:05.5+00' AS tstz, '6ba7b810-9dad-11d1-80b4-00c04fd430c8'::UUID AS id,
        TIME '12:30:00' AS t, {'a': 1, 'b': [1, 2]} AS st, [1, 2, 3] AS li, MAP {'k': 'v'} AS m
      ) TO '${file}' (FORMAT parquet)`);
    await session.close();
    const { source, rows } = await importAll(file);
    expect(typesOf(source)).toEqual({
      b: 'Bool', i8: 'Int8', i16: 'Int16', i32: 'Int32', i64: 'Int64',
      u8: 'UInt8', u16: 'UInt16', u32: 'UInt32', u64: 'UInt64',
      f32: 'Float32', f64: 'Float64', dec: 'Float64', huge: 'Float64',
      s: 'Utf8', bl: 'Binary', d: 'Date32',
      ts: 'Timestamp<us>', ts_s: 'Timestamp<us>', ts_ms: 'Timestamp<us>', ts_ns: 'Timestamp<ns>',
      tstz: 'Timestamp<us, UTC>', id: 'Utf8', t: 'Utf8', st: 'Utf8', li: 'Utf8', m: 'Utf8',
    });
    expect(rows[0]).toEqual([
      true, -1, -2, -3, -4n, 1, 2, 3, 18446744073709551615n, 1.5, 2.25, 12.34, 1.7014118346046923e38,
      'x', new Uint8Array([0, 255]), 18263,
      1577934245123456n, 1577934245000000n, 1577934245123000n, 1577934245123456789n, 1577934245500000n,
      '6ba7b810-9dad-11d1-80b4-00c04fd430c8', '12:30:00', '{"a":1,"b":[1,2]}', '[1,2,3]', '{"k":"v"}',
    ]);
  });
});

describe('importing into an existing table', () => {
  const target = [
    { name: 'id', type: 'Int32' as const, nullable: false },
    { name: 'zip', type: 'Utf8' as const, nullable: true },
    { name: 'amount', type: 'Float64' as const, nullable: true },
    { name: 'seen', type: 'Timestamp<s, UTC>' as const, nullable: true },
    { name: 'missing', type: 'Int64' as const, nullable: true },
    { name: 'blob', type: 'Binary' as const, nullable: true },
  ];

  test('source columns take the target types, new columns follow, absent columns are null', async () => {
    const file = fixture(
      dirs.dir,
      'update.csv',
      'extra,amount,zip,id,seen,blob\nhello,10,00501,2,2020-01-01T00:00:01Z,aGk=\nworld,2.5,02134,1,,\n',
    );
    const { source, rows } = await importAll(file, { sortBy: ['id'], uniqueKey: ['id'], targetColumns: target });
    expect(source.columns).toEqual([
      { name: 'id', type: 'Int32', nullable: false, inSource: true },
      { name: 'zip', type: 'Utf8', nullable: true, inSource: true },
      { name: 'amount', type: 'Float64', nullable: true, inSource: true },
      { name: 'seen', type: 'Timestamp<s, UTC>', nullable: true, inSource: true },
      { name: 'missing', type: 'Int64', nullable: true, inSource: false },
      { name: 'blob', type: 'Binary', nullable: true, inSource: true },
      { name: 'extra', type: 'Utf8', nullable: true, inSource: true },
    ]);
    expect(rows).toEqual([
      [1, '02134', 2.5, null, null, null, 'world'],
      [2, '00501', 10, 1577836801n, null, new TextEncoder().encode('hi'), 'hello'],
    ]);
  });

  test('an empty JSON array imports as no rows of the target columns', async () => {
    const file = fixture(dirs.dir, 'none.json', '[ ]\n');
    const { source, rows } = await importAll(file, { sortBy: ['id'], uniqueKey: ['id'], targetColumns: target });
    expect(rows).toEqual([]);
    expect(source.columns.map((c) => c.name)).toEqual(target.map((c) => c.name));
  });
});
