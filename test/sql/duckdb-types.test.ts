import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DuckDbSession } from '../../engine/sql/duckdb-session.js';
import { columnTypeFromDuckdb, duckdbTypeOf } from '../../engine/sql/duckdb-types.js';
import { quoteIdentifier } from '../../engine/sql/sql-text.js';
import { readStagedParquet, stageQuery } from '../../engine/sql/staged-parquet.js';
import { COLUMN_TYPES } from '../../engine/schema/types.js';
import { toArrowType } from '../../engine/store/parquet/arrow-types.js';
import { arrowToRows } from '../../engine/store/parquet/chunk-codec.js';

let dir: string;
let session: DuckDbSession;
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'dgit-sql-types-'));
  session = await DuckDbSession.create({ tempDir: dir });
});
afterAll(async () => {
  await session.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('duckdbTypeOf', () => {
  test('every column type has a DuckDB type that maps back to it (UTC timestamps come back in microseconds)', () => {
    for (const type of COLUMN_TYPES) {
      const back = columnTypeFromDuckdb(duckdbTypeOf(type)).type;
      if (type.endsWith(', UTC>')) expect(back).toBe('Timestamp<us, UTC>');
      else expect(back, type).toBe(type);
    }
  });
});

describe('DuckDB values leave DuckDB with the memory layout of their dgit type', () => {
  const cases: Array<[string, string, string, unknown]> = [
    ['BOOLEAN', 'true', 'Bool', true],
    ['TINYINT', '-8', 'Int8', -8],
    ['SMALLINT', '-16', 'Int16', -16],
    ['INTEGER', '-32', 'Int32', -32],
    ['BIGINT', '-9223372036854775808', 'Int64', -9223372036854775808n],
    ['UTINYINT', '255', 'UInt8', 255],
    ['USMALLINT', '65535', 'UInt16', 65535],
    ['UINTEGER', '4294967295', 'UInt32', 4294967295],
    ['UBIGINT', '18446744073709551615', 'UInt64', 18446744073709551615n],
    ['FLOAT', '1.5', 'Float32', 1.5],
    ['DOUBLE', '0.1', 'Float64', 0.1],
    ['DECIMAL(20,4)', '1234.5678', 'Float64', 1234.5678],
    ['HUGEINT', '170141183460469231731687303715884105727', 'Utf8', '170141183460469231731687303715884105727'],
    ['VARCHAR', "'héllo'", 'Utf8', 'héllo'],
    ['BLOB', "'\\x01\\x02'", 'Binary', new Uint8Array([1, 2])],
    ['DATE', "'1969-12-31'", 'Date32', -1],
    ['TIMESTAMP', "'1969-12-31 23:59:59.999999'", 'Timestamp<us>', -1n],
    ['TIMESTAMP_S', "'2020-01-01 00:00:01'", 'Timestamp<s>', 1577836801n],
    ['TIMESTAMP_MS', "'1969-12-31 23:59:59.999'", 'Timestamp<ms>', -1n],
    ['TIMESTAMP_NS', "'2020-01-01 00:00:00.000000001'", 'Timestamp<ns>', 1577836800000000001n],
    ['TIMESTAMPTZ', "'2020-01-01 02:00:00+02'", 'Timestamp<us, UTC>', 1577836800000000n],
    ['UUID', "'6ba7b810-9dad-11d1-80b4-00c04fd430c8'", 'Utf8', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'],
    ['TIME', "'12:30:00'", 'Utf8', '12:30:00'],
    ['INTERVAL', "'1 day'", 'Utf8', '1 day'],
    ["ENUM('x', 'y')", "'y'", 'Utf8', 'y'],
    ['INTEGER[]', '[1, 2]', 'Utf8', '[1,2]'],
    ['STRUCT(a INTEGER, b VARCHAR)', "{'a': 1, 'b': 'q'}", 'Utf8', '{"a":1,"b":"q"}'],
    ['MAP(VARCHAR, INTEGER)', "MAP {'k': 1}", 'Utf8', '{"k":1}'],
    ['JSON', `'"a string"'`, 'Utf8', 'a string'],
  ];

  test.each(cases)('%s', async (duckType, literal, dgitType, value) => {
    const table = `t_${Math.random().toString(36).slice(2)}`;
    await session.run(`CREATE TABLE ${table} AS SELECT CAST(${literal} AS ${duckType}) AS "odd ""name""", CAST(NULL AS ${duckType}) AS n`);
    const [described] = await session.describe(`SELECT "odd ""name""" FROM ${table}`);
    const mapping = columnTypeFromDuckdb(described!.type);
    expect(mapping.type).toBe(dgitType);
    const columns = [
      { name: 'odd "name"', type: mapping.type, nullable: true },
      { name: 'n', type: mapping.type, nullable: true },
    ];
    const file = path.join(dir, `${table}.parquet`);
    await stageQuery(session, { columns, values: [mapping.convert(quoteIdentifier('odd "name"')), mapping.convert('n')], fromSql: table, file });
    const tables = [];
    for await (const staged of readStagedParquet(file, columns)) tables.push(staged);
    expect(String(tables[0]!.schema.fields[0]!.type)).toBe(String(toArrowType(mapping.type)));
    expect(arrowToRows(tables[0]!, columns.map((c, i) => ({ id: i + 1, ...c })))).toEqual([[value, null]]);
  });
});
