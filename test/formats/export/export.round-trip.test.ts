import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import * as arrow from 'apache-arrow';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { Column } from '../../../engine/schema/schema.js';
import { toArrowType } from '../../../engine/store/parquet/arrow-types.js';
import { createTableView, DuckDbSession } from '../../../engine/sql/duckdb-session.js';
import type { Row } from '../../../engine/value/value.js';
import { exportFormatFromPath, exportTable, type ExportFormat } from '../../../engine/export/export-table.js';
import { openSortedSource } from '../../../engine/import/source.js';
import { arrowToRows, encodeChunk, rowsToArrow } from '../../../engine/store/parquet/chunk-codec.js';
import { entries, fixture, makeDirs, readRows } from '../import/fixtures.js';

let dirs: ReturnType<typeof makeDirs>;
let session: DuckDbSession;
beforeEach(async () => {
  dirs = makeDirs();
  session = await DuckDbSession.create({ tempDir: dirs.tempDir });
});
afterEach(async () => {
  await session.close();
  dirs.cleanup();
});

/** Writes `rows` as chunk files of `perChunk` rows and makes view `t` over them. */
async function tableView(columns: Column[], rows: Row[], perChunk = rows.length): Promise<void> {
  const files: string[] = [];
  for (let start = 0; start < rows.length; start += perChunk) {
    const file = path.join(dirs.dir, `chunk-${files.length}.parquet`);
    writeFileSync(file, encodeChunk(rowsToArrow(columns, rows.slice(start, start + perChunk)), columns));
    files.push(file);
  }
  await createTableView(session, 't', { columns, files });
}

/** Imports an exported file back into the table's columns, sorted by the first column. */
async function reimport(file: string, columns: Column[]): Promise<Row[]> {
  const source = await openSortedSource(file, {
    sortBy: [columns[0]!.name],
    uniqueKey: [columns[0]!.name],
    targetColumns: columns,
    tempDir: dirs.tempDir,
  });
  try {
    expect(source.columns.map((c) => c.type)).toEqual(columns.map((c) => c.type));
    return await readRows(source);
  } finally {
    await source.close();
  }
}

const FORMATS: ExportFormat[] = ['csv', 'ndjson', 'parquet', 'arrow'];
const EXTENSION = { csv: 'csv', ndjson: 'ndjson', parquet: 'parquet', arrow: 'arrow' } as const;

describe('import a CSV, export it, read it back equal', () => {
  const csv =
    'id,name,score,flag,day,at,big\n' +
    '3,"Smith, Jane",0.1,true,2020-01-03,2020-01-03 10:00:00,9007199254740993\n' +
    '1,"say ""hi""\nthere",-2.5e-10,false,1969-12-31,1969-12-31 23:59:59.999999,-9223372036854775808\n' +
    '2,,1e300,,2020-01-02,,\n' +
    '4,"",NaN,true,2020-01-04,2020-01-04 00:00:00,0\n' +
    '5," padded ü€😀 ",-0.5,false,2000-02-29,2000-02-29 12:00:00.5,1\n';

  let columns: Column[];
  let original: Row[];
  beforeEach(async () => {
    const source = await openSortedSource(fixture(dirs.dir, 'in.csv', csv), { sortBy: ['id'], uniqueKey: ['id'], tempDir: dirs.tempDir });
    columns = source.columns.map((column, index) => ({ id: index + 1, ...column }));
    original = await readRows(source);
    await source.close();
    await tableView(columns, original, 2);
  });

  test.each(FORMATS)('%s', async (format) => {
    const file = path.join(dirs.dir, `out.${EXTENSION[format]}`);
    const result = await exportTable({ session, view: 't', columns, format, output: file });
    expect(result.rows).toBe(5);
    expect(exportFormatFromPath(file)).toBe(format);
    if (format === 'arrow') {
      const table = arrow.tableFromIPC(readFileSync(file));
      table.schema.fields.forEach((field, i) => expect(String(field.type)).toBe(String(toArrowType(columns[i]!.type))));
      expect(arrowToRows(table, columns)).toEqual(original);
    } else {
      expect(await reimport(file, columns)).toEqual(original);
    }
  });

  test('the CSV has a header, RFC 4180 quoting, and rows in key order', async () => {
    const file = path.join(dirs.dir, 'out.csv');
    await exportTable({ session, view: 't', columns, format: 'csv', output: file });
    const lines = readFileSync(file, 'utf8');
    expect(lines.startsWith('id,name,score,flag,day,at,big\n1,"say ""hi""\nthere",-2.5e-10,false,1969-12-31,1969-12-31T23:59:59.999999,-9223372036854775808\n')).toBe(true);
    expect(lines).toContain('\n2,,1e+300,,2020-01-02,,\n');
    expect(lines).toContain('\n3,"Smith, Jane",0.1,true,');
    expect(lines).toContain('\n4,"",NaN,');
  });

  test('NDJSON writes one object per line with the JSON value rules', async () => {
    const file = path.join(dirs.dir, 'out.ndjson');
    await exportTable({ session, view: 't', columns, format: 'ndjson', output: file });
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line));
    expect(lines.map((line) => line.id)).toEqual([1, 2, 3, 4, 5]);
    expect(lines[2]).toEqual({ id: 3, name: 'Smith, Jane', score: 0.1, flag: true, day: '2020-01-03', at: '2020-01-03T10:00:00.000000', big: '9007199254740993' });
    expect(lines[1].name).toBeNull();
    expect(lines[3].score).toBe('NaN');
  });

  test('DuckDB reads the Parquet export in key order', async () => {
    const file = path.join(dirs.dir, 'out.parquet');
    await exportTable({ session, view: 't', columns, format: 'parquet', output: file });
    const rows = await session.rows(`SELECT id, name FROM read_parquet('${file}')`);
    expect(rows.map((row) => row['id'])).toEqual([1n, 2n, 3n, 4n, 5n]);
    expect(rows[4]!['name']).toBe(' padded ü€😀 ');
  });
});

describe('every column type survives export and re-import', () => {
  const types = [
    'Int64', 'Bool', 'Int8', 'Int16', 'Int32', 'UInt8', 'UInt16', 'UInt32', 'UInt64', 'Float32', 'Float64',
    'Utf8', 'Binary', 'Date32', 'Timestamp<s>', 'Timestamp<ms>', 'Timestamp<us>', 'Timestamp<ns>', 'Timestamp<ms, UTC>', 'Timestamp<us, UTC>',
  ] as const;
  const columns: Column[] = types.map((type, index) => ({ id: index + 1, name: `c ${type}`, type, nullable: index > 0 }));
  const rows: Row[] = [
    [1n, true, -128, -32768, -2147483648, 255, 65535, 4294967295, 18446744073709551615n, 1.5, 0.1,
      'a,"b"\nc', new Uint8Array([0, 1, 255]), -1, -1n, -1n, -1n, 1577836800123456789n, 1577836800123n, -1n],
    [2n, false, 127, 32767, 2147483647, 0, 0, 0, 0n, -0.25, -1e-300,
      '', new Uint8Array([]), 0, 1577836800n, 1577836800123n, 1577836800123456n, -1n, 0n, 1577836800123456n],
    [3n, ...new Array(types.length - 1).fill(null)],
  ];

  test.each(FORMATS)('%s', async (format) => {
    await tableView(columns, rows);
    const file = path.join(dirs.dir, `all.${EXTENSION[format]}`);
    await exportTable({ session, view: 't', columns, format, output: file });
    if (format === 'arrow') expect(arrowToRows(arrow.tableFromIPC(readFileSync(file)), columns)).toEqual(rows);
    else expect(await reimport(file, columns)).toEqual(rows);
  });
});

describe('output targets', () => {
  const columns: Column[] = [
    { id: 1, name: 'k', type: 'Int32', nullable: false },
    { id: 2, name: 'v', type: 'Utf8', nullable: true },
  ];
  const rows: Row[] = Array.from({ length: 300_000 }, (_, i) => [i, `value ${i}`]);

  async function collect(format: ExportFormat): Promise<{ bytes: Buffer; pieces: number }> {
    const stream = new PassThrough({ highWaterMark: 1 << 16 });
    const pieces: Buffer[] = [];
    stream.on('data', (piece: Buffer) => pieces.push(piece));
    await exportTable({ session, view: 't', columns, format, output: stream });
    stream.end();
    return { bytes: Buffer.concat(pieces), pieces: pieces.length };
  }

  test('a stream gets Arrow IPC stream format, in many pieces, all rows in order', async () => {
    await tableView(columns, rows, 100_000);
    const { bytes, pieces } = await collect('arrow');
    expect(pieces).toBeGreaterThan(3);
    const table = arrow.tableFromIPC(bytes);
    expect(table.numRows).toBe(300_000);
    expect(table.getChild('k')!.get(299_999)).toBe(299_999);
  });

  test('a stream gets NDJSON piece by piece, not as one string', async () => {
    await tableView(columns, rows, 100_000);
    const { bytes, pieces } = await collect('ndjson');
    expect(pieces).toBeGreaterThan(10);
    const text = bytes.toString('utf8');
    expect(text.split('\n').length).toBe(300_001);
    expect(text.endsWith('{"k":299999,"v":"value 299999"}\n')).toBe(true);
  });

  test('a failed export leaves no file behind', async () => {
    await tableView(columns, rows.slice(0, 10));
    const file = path.join(dirs.dir, 'never.csv');
    await expect(exportTable({ session, view: 'no such view', columns, format: 'csv', output: file })).rejects.toThrow();
    expect(entries(dirs.dir).filter((name) => name.includes('never'))).toEqual([]);
  });

  test('a file in a directory that does not exist is a clear error', async () => {
    await tableView(columns, rows.slice(0, 10));
    const file = path.join(dirs.dir, 'no', 'such', 'dir.csv');
    await expect(exportTable({ session, view: 't', columns, format: 'csv', output: file })).rejects.toThrow(/cannot write .*dir\.csv/);
  });

  test('an empty table exports a header only, or nothing', async () => {
    await createTableView(session, 't', { columns, files: [] });
    const csv = path.join(dirs.dir, 'empty.csv');
    await exportTable({ session, view: 't', columns, format: 'csv', output: csv });
    expect(readFileSync(csv, 'utf8')).toBe('k,v\n');
    const arrowFile = path.join(dirs.dir, 'empty.arrow');
    await exportTable({ session, view: 't', columns, format: 'arrow', output: arrowFile });
    expect(arrow.tableFromIPC(readFileSync(arrowFile)).numRows).toBe(0);
  });
});
