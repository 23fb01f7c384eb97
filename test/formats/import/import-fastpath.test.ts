import path from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import * as arrow from 'apache-arrow';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { importTable } from '../../../engine/commands/import.js';
import { importReadCounts } from '../../../engine/import/source.js';
import { FAST_PATH_MAX_CELLS, openFastSortedSource } from '../../../engine/import/fast-source.js';
import { Repository } from '../../../engine/repository/repository.js';
import { rowsToArrow } from '../../../engine/store/parquet/chunk-codec.js';
import { duck } from '../../support/duckdb.js';
import { DATA, importOutcome, makeDirs, type ImportOutcome, type ImportStep as Step } from './fixtures.js';

/**
 * The import fast path (small Parquet / Arrow IPC read without DuckDB) must give
 * exactly what the DuckDB path gives: every input here is imported both ways, in
 * fresh repositories, and the table tree ids (hence chunk ids and schema), the
 * import results and the errors must be equal.
 */

let dirs: ReturnType<typeof makeDirs>;
beforeEach(() => {
  dirs = makeDirs();
});
afterEach(() => {
  delete process.env['DGIT_IMPORT_FASTPATH'];
  dirs.cleanup();
});

type Outcome = ImportOutcome & { via: 'fast' | 'duckdb' };

let repoCount = 0;

/** Runs `setup` with the DuckDB path, then `step` with the path chosen, in a fresh repository. */
async function importOneWay(setup: readonly Step[], step: Step, fastPath: boolean): Promise<Outcome> {
  const { repository } = await Repository.init(path.join(dirs.dir, `repo-${repoCount++}`));
  process.env['DGIT_IMPORT_FASTPATH'] = '0';
  for (const { file, options } of setup) await importTable(repository, file, options);
  if (fastPath) delete process.env['DGIT_IMPORT_FASTPATH'];
  const before = importReadCounts.fast;
  const outcome = await importOutcome(repository, step);
  return { ...outcome, via: importReadCounts.fast > before ? 'fast' : 'duckdb' };
}

/** Imports both ways; expects equal outcomes and returns the path the fast way took. */
async function expectSameBothWays(step: Step, setup: readonly Step[] = []): Promise<{ via: Outcome['via']; outcome: Outcome }> {
  const slow = await importOneWay(setup, step, false);
  const fast = await importOneWay(setup, step, true);
  expect(slow.via).toBe('duckdb');
  const { via, ...fastOutcome } = fast;
  const { via: _slowVia, ...slowOutcome } = slow;
  expect(fastOutcome).toEqual(slowOutcome);
  return { via, outcome: fast };
}

/** Writes a Parquet file with DuckDB from a SELECT. */
async function parquetOf(name: string, select: string): Promise<string> {
  const file = path.join(dirs.dir, name);
  await duck(`COPY (${select}) TO '${file}' (FORMAT parquet)`);
  return file;
}

/** Every type the fast path takes, with NULLs and unicode. */
const ALL_TYPES = `SELECT * FROM (VALUES
  (3::BIGINT, 7::INTEGER, -2::SMALLINT, 1::TINYINT, 200::UTINYINT, 1.5::DOUBLE, 2.25::FLOAT, true, 'Zürich ✓ 😀', DATE '2024-02-29',
   TIMESTAMP '2024-01-02 03:04:05.123456', TIMESTAMPTZ '2024-01-02 03:04:05.5+00', '2024-01-02 03:04:05.123456789'::TIMESTAMP_NS),
  (1, NULL, 5, NULL, NULL, -0.0, NULL, false, '', DATE '1969-12-31', TIMESTAMP '1900-01-01 00:00:00', NULL, NULL),
  (2, -2147483648, NULL, -128, 0, 'NaN'::DOUBLE, 'inf'::FLOAT, NULL, NULL, NULL, NULL, TIMESTAMPTZ '1970-01-01 00:00:00+00', '1960-05-05 00:00:00.000000001'::TIMESTAMP_NS),
  (9223372036854775807, 2147483647, 32767, 127, 255, 1e308, -3.4e38, true, 'ﬀ 𝄞 a', DATE '9999-12-31', TIMESTAMP '2262-04-11 00:00:00', TIMESTAMPTZ '2000-06-30 12:00:00+00', '2262-04-11 00:00:00'::TIMESTAMP_NS)
) AS t(id, i, s, ti, ut, d, f, b, v, dt, ts, tz, tns)`;

describe('import fast path: same result as DuckDB', () => {
  test('every plain type, new keyed table, Parquet', async () => {
    const file = await parquetOf('types.parquet', ALL_TYPES);
    const { via, outcome } = await expectSameBothWays({ file, options: { table: 't', key: ['id'] } });
    expect(via).toBe('fast');
    expect(outcome.result).toMatchObject({ inserted: 4, created: true });
  });

  test('every plain type, keyless table (rows sorted by the whole row), Parquet, nulls and no NaN in floats', async () => {
    const file = await parquetOf('types-bag.parquet', `SELECT * EXCLUDE (d), coalesce(CASE WHEN isnan(d) THEN 0.5 ELSE d END, 1) + 0.0 AS d FROM (${ALL_TYPES}) WHERE id <> 1 UNION ALL SELECT * EXCLUDE (d), 7.0 FROM (${ALL_TYPES}) WHERE id = 3`);
    const { via } = await expectSameBothWays({ file, options: { table: 't' } });
    expect(via).toBe('fast');
  });

  test('a text key sorts as DuckDB sorts it (code points, not UTF-16 units)', async () => {
    const file = await parquetOf(
      'text-key.parquet',
      `SELECT * FROM (VALUES ('b', 1), ('B', 2), ('é', 3), ('😀', 4), ('ﬀ', 5), ('', 6), ('a b', 7), ('a', 8), ('\uFF61', 9)) AS t(k, n)`,
    );
    expect((await expectSameBothWays({ file, options: { table: 't', key: ['k'] } })).via).toBe('fast');
  });

  test('flights-3m.parquet sliced to 4000 rows: new keyless table, then replace with an overlapping slice', async () => {
    const first = await parquetOf('f1.parquet', `SELECT * FROM read_parquet('${DATA}/flights-3m.parquet') LIMIT 4000`);
    const second = await parquetOf('f2.parquet', `SELECT * FROM read_parquet('${DATA}/flights-3m.parquet') LIMIT 4000 OFFSET 1000`);
    expect((await expectSameBothWays({ file: first, options: { table: 'flights' } })).via).toBe('fast');
    const replace = { file: second, options: { table: 'flights', mode: 'replace' as const } };
    expect((await expectSameBothWays(replace, [{ file: first, options: { table: 'flights' } }])).via).toBe('fast');
  });

  test('flights-3m sliced with a key: upsert of 10 rows (5 changed, 5 new) and append of new keys', async () => {
    const base = `SELECT row_number() OVER () AS id, * FROM (SELECT * FROM read_parquet('${DATA}/flights-3m.parquet') LIMIT 3000)`;
    const baseFile = await parquetOf('base.parquet', base);
    const setup = [{ file: baseFile, options: { table: 'flights', key: ['id'] } }];
    const upsert = await parquetOf('upsert.parquet', `SELECT id + 2995 AS id, date, delay + 1 AS delay, distance, origin, destination FROM (${base}) WHERE id <= 10`);
    const up = await expectSameBothWays({ file: upsert, options: { table: 'flights', mode: 'upsert' } }, setup);
    expect(up.via).toBe('fast');
    expect(up.outcome.result).toMatchObject({ inserted: 5, updated: 5 });
    const append = await parquetOf('append.parquet', `SELECT id + 5000 AS id, * EXCLUDE (id) FROM (${base}) WHERE id <= 10`);
    expect((await expectSameBothWays({ file: append, options: { table: 'flights', mode: 'append' } }, setup)).via).toBe('fast');
    const clash = await expectSameBothWays({ file: upsert, options: { table: 'flights', mode: 'append' } }, setup);
    expect(clash.outcome.error?.code).toBe('DUPLICATE_KEY');
  });

  test('flights-200k.arrow sliced to 3000 rows (Int16, Float32): new keyless table and append', async () => {
    const table = arrow.tableFromIPC(readFileSync(path.join(DATA, 'flights-200k.arrow')));
    const first = path.join(dirs.dir, 'f1.arrow');
    const second = path.join(dirs.dir, 'f2.arrow');
    writeFileSync(first, arrow.tableToIPC(table.slice(0, 3000), 'file'));
    writeFileSync(second, arrow.tableToIPC(table.slice(3000, 3100), 'stream'));
    expect((await expectSameBothWays({ file: first, options: { table: 'f' } })).via).toBe('fast');
    const setup = [{ file: first, options: { table: 'f' } }];
    expect((await expectSameBothWays({ file: second, options: { table: 'f', mode: 'append' } }, setup)).via).toBe('fast');
  });

  test('upsert into an existing table whose types are wider, with a new column and a missing one', async () => {
    const base = await parquetOf('wide.parquet', `SELECT * FROM (VALUES (1::BIGINT, 10::BIGINT, 1.5::DOUBLE, 100::INTEGER, 'a'), (2, 20, 2.5, 200, 'b')) AS t(id, n, x, u, keep)`);
    const narrow = await parquetOf(
      'narrow.parquet',
      `SELECT * FROM (VALUES (2::INTEGER, 21::SMALLINT, 0.1::FLOAT, 7::UTINYINT, 'new'), (3, NULL, NULL, 255, 'ü')) AS t(id, n, x, u, extra)`,
    );
    const setup = [{ file: base, options: { table: 't', key: ['id'] } }];
    const up = await expectSameBothWays({ file: narrow, options: { table: 't', mode: 'upsert' } }, setup);
    expect(up.via).toBe('fast');
    expect(up.outcome.result).toMatchObject({ inserted: 1, updated: 1, addedColumns: ['extra'] });
  });

  test('Arrow IPC with nanosecond and UTC timestamps', async () => {
    const file = path.join(dirs.dir, 'ts.arrow');
    const table = rowsToArrow(
      [
        { id: 1, name: 'id', type: 'Int32', nullable: false },
        { id: 2, name: 'ns', type: 'Timestamp<ns>', nullable: true },
        { id: 3, name: 'utc', type: 'Timestamp<us, UTC>', nullable: true },
      ],
      [
        [4, 1n, 5n],
        [3, -5n, null],
        [2, null, -1n],
        [1, 1_700_000_000_123_456_789n, 1_700_000_000_000_001n],
      ],
    );
    writeFileSync(file, arrow.tableToIPC(table, 'file'));
    expect((await expectSameBothWays({ file, options: { table: 't', key: ['id'] } })).via).toBe('fast');
  });
});

describe('import fast path: bad input and other types fall back to DuckDB, with the same result', () => {
  test('duplicate keys, null keys, a null in a non-null column: the same errors, read by DuckDB', async () => {
    const duplicate = await parquetOf('dup.parquet', `SELECT * FROM (VALUES (1, 'a'), (2, 'b'), (1, 'c')) AS t(id, v)`);
    const nullKey = await parquetOf('nullkey.parquet', `SELECT * FROM (VALUES (1, 'a'), (NULL, 'b')) AS t(id, v)`);
    for (const file of [duplicate, nullKey]) {
      const { via, outcome } = await expectSameBothWays({ file, options: { table: 't', key: ['id'] } });
      expect(via).toBe('duckdb');
      expect(outcome.error).toBeDefined();
    }
  });

  test('a value that does not fit the existing column: the same error', async () => {
    const base = await parquetOf('base.parquet', `SELECT * FROM (VALUES (1::INTEGER, 1::SMALLINT)) AS t(id, n)`);
    const setup = [{ file: base, options: { table: 't', key: ['id'] } }];
    const tooBig = await parquetOf('big.parquet', `SELECT * FROM (VALUES (2::INTEGER, 70000::INTEGER)) AS t(id, n)`);
    const text = await parquetOf('text.parquet', `SELECT * FROM (VALUES (2::INTEGER, 'x')) AS t(id, n)`);
    for (const file of [tooBig, text]) {
      const { via, outcome } = await expectSameBothWays({ file, options: { table: 't', mode: 'upsert' } }, setup);
      expect(via).toBe('duckdb');
      expect(outcome.error?.message).toMatch(/does not fit type Int16/);
    }
  });

  test('types outside the fast path (decimal, millisecond timestamp, list, JSON, blob) import the same, through DuckDB', async () => {
    const selects = [
      `SELECT 1 AS id, 1.25::DECIMAL(10,2) AS x`,
      `SELECT 1 AS id, '2024-01-02 03:04:05.123'::TIMESTAMP_MS AS x`,
      `SELECT 1 AS id, [1, 2] AS x`,
      `SELECT 1 AS id, '"quoted"'::JSON AS x`,
      `SELECT 1 AS id, 'ab'::BLOB AS x`,
    ];
    for (const [i, select] of selects.entries()) {
      const file = await parquetOf(`other-${i}.parquet`, select);
      const { via, outcome } = await expectSameBothWays({ file, options: { table: 't', key: ['id'] } });
      expect(via, select).toBe('duckdb');
      expect(outcome.result, select).toBeDefined();
    }
  });

  test('Arrow IPC: an extension type and text with U+FFFD take the DuckDB path, with the same result', async () => {
    const field = new arrow.Field('v', new arrow.Utf8(), true, new Map([['ARROW:extension:name', 'arrow.json']]));
    const schema = new arrow.Schema([field]);
    const text = arrow.vectorFromArray(['{"a":1}', '"q"'], new arrow.Utf8()).data[0]!;
    const struct = arrow.makeData({ type: new arrow.Struct(schema.fields), length: 2, nullCount: 0, children: [text] });
    const ext = path.join(dirs.dir, 'ext.arrow');
    writeFileSync(ext, arrow.tableToIPC(new arrow.Table(schema, [new arrow.RecordBatch(schema, struct)]), 'file'));
    expect((await expectSameBothWays({ file: ext, options: { table: 't' } })).via).toBe('duckdb');
    const replacement = await parquetOf('fffd.parquet', `SELECT 'a\uFFFDb' AS v`);
    expect((await expectSameBothWays({ file: replacement, options: { table: 't' } })).via).toBe('duckdb');
  });

  test('NaN or -0 in a sort column, and CSV input, take the DuckDB path', async () => {
    const nan = await parquetOf('nan.parquet', `SELECT * FROM (VALUES (1.0::DOUBLE), ('NaN'::DOUBLE), (-0.0::DOUBLE), (0.0::DOUBLE)) AS t(x)`);
    expect((await expectSameBothWays({ file: nan, options: { table: 't' } })).via).toBe('duckdb');
    const csv = path.join(dirs.dir, 'a.csv');
    writeFileSync(csv, 'id,v\n1,a\n');
    expect((await expectSameBothWays({ file: csv, options: { table: 't', key: ['id'] } })).via).toBe('duckdb');
  });

  test('a file over 8 MB, or with more cells than the limit, is left to DuckDB', async () => {
    const options = { sortBy: 'all' as const, uniqueKey: [], tempDir: dirs.tempDir };
    expect(await openFastSortedSource(path.join(DATA, 'flights-3m.parquet'), 'parquet', options)).toBeUndefined();
    const rows = Math.floor(FAST_PATH_MAX_CELLS / 2) + 1;
    const many = await parquetOf('many.parquet', `SELECT range AS a, range % 7 AS b FROM range(${rows})`);
    expect(await openFastSortedSource(many, 'parquet', options)).toBeUndefined();
    const fewer = await parquetOf('fewer.parquet', `SELECT range AS a, range % 7 AS b FROM range(${rows - 1})`);
    const source = await openFastSortedSource(fewer, 'parquet', options);
    expect(source?.rowCount).toBe(rows - 1);
  });
});
