import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  DgitError,
  DuplicateKeyError,
  InvalidInputError,
  NullKeyError,
  SchemaMismatchError,
} from '../../../engine/errors/index.js';
import { DuckDbSession } from '../../../engine/sql/duckdb-session.js';
import { formatFromPath, openSortedSource, type OpenSortedSourceOptions } from '../../../engine/import/source.js';
import { DATA, entries, fixture, makeDirs } from './fixtures.js';

let dirs: ReturnType<typeof makeDirs>;
beforeEach(() => {
  dirs = makeDirs();
});
afterEach(() => dirs.cleanup());

type ErrorClass = new (...args: never[]) => DgitError;

/** Opens `file`, expects it refused with `kind` and every fragment in the message, and nothing left in the temp dir. */
async function expectRefused(file: string, options: Partial<OpenSortedSourceOptions>, kind: ErrorClass, fragments: string[]): Promise<DgitError> {
  const error = await openSortedSource(file, { sortBy: 'all', uniqueKey: [], tempDir: dirs.tempDir, ...options }).then(
    () => {
      throw new Error(`${file} was accepted`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(kind);
  const message = (error as Error).message;
  for (const fragment of fragments) expect(message).toContain(fragment);
  expect(entries(dirs.tempDir)).toEqual([]);
  return error as DgitError;
}

const keyed = (key: string): Partial<OpenSortedSourceOptions> => ({ sortBy: [key], uniqueKey: [key] });

describe('files that cannot be read', () => {
  test('a missing file', async () => {
    const file = path.join(dirs.dir, 'nope.csv');
    await expectRefused(file, {}, InvalidInputError, [file, 'no such file']);
  });

  test('a 0-byte file', async () => {
    const file = fixture(dirs.dir, 'zero.csv', '');
    await expectRefused(file, {}, InvalidInputError, [file, 'empty']);
  });

  test('a CSV holding only blank lines has no header', async () => {
    const file = fixture(dirs.dir, 'blank.csv', '\n\n');
    await expectRefused(file, {}, InvalidInputError, [file, 'no header']);
  });

  test('a directory', async () => {
    await expectRefused(dirs.dir, { format: 'csv' }, InvalidInputError, [dirs.dir, 'is a directory']);
  });

  test('a pipe (it reports 0 bytes, and an import reads its file more than once)', async () => {
    const fifo = path.join(dirs.dir, 'rows.fifo');
    execFileSync('mkfifo', [fifo]);
    await expectRefused(fifo, { format: 'csv' }, InvalidInputError, [fifo, 'is not a regular file', 'write it to a file first']);
  });

  test('an extension dgit does not know', () => {
    expect(() => formatFromPath('data.xlsx')).toThrow(InvalidInputError);
    expect(() => formatFromPath('data.xlsx')).toThrow(/\.xlsx/);
    expect(formatFromPath('a/b.JSONL')).toBe('ndjson');
    expect(formatFromPath('b.feather')).toBe('arrow');
    expect(formatFromPath('b.tab')).toBe('tsv');
  });
});

describe('ragged and broken CSV', () => {
  test('a row with fewer fields than the header, named by line', async () => {
    const file = fixture(dirs.dir, 'short.csv', 'a,b,c\n1,2,3\n4,5,6\n7,8\n9,10,11\n');
    await expectRefused(file, {}, InvalidInputError, [`${file}:4`, 'has 2 fields', 'header has 3']);
  });

  test('a row with more fields than the header', async () => {
    const file = fixture(dirs.dir, 'long.csv', 'a,b\n1,2\n3,4,5\n');
    await expectRefused(file, {}, InvalidInputError, [`${file}:3`, 'has 3 fields']);
  });

  test('the line of a ragged row counts the lines inside quoted fields and blank lines', async () => {
    const file = fixture(dirs.dir, 'multiline.csv', 'a,b,c\n1,2,3\n"x\ny",5,6\n\n7,8\n');
    await expectRefused(file, {}, InvalidInputError, [`${file}:6`]);
  });

  test('a ragged row far past the first rows', async () => {
    let text = 'a,b,c\n';
    for (let i = 0; i < 50_000; i++) text += `${i},x${i},${i * 2}\n`;
    text += '1,2\n';
    const file = fixture(dirs.dir, 'late.csv', text);
    await expectRefused(file, {}, InvalidInputError, [`${file}:50002`]);
  });

  test('a quote never closed', async () => {
    const file = fixture(dirs.dir, 'quote.csv', 'a,b\n1,2\n3,"four\n5,6\n');
    await expectRefused(file, {}, InvalidInputError, [`${file}:3`, 'never closed']);
  });

  test('bytes that are not UTF-8', async () => {
    const file = fixture(dirs.dir, 'latin1.csv', Buffer.concat([Buffer.from('a,b\n1,'), Buffer.from([0xff, 0xfe]), Buffer.from('\n')]));
    await expectRefused(file, {}, InvalidInputError, [`${file}:2`, 'not utf-8']);
  });

  test('a ragged TSV row', async () => {
    const file = fixture(dirs.dir, 'short.tsv', 'a\tb\n1\t2\n3\n');
    await expectRefused(file, {}, InvalidInputError, [`${file}:3`, 'has 1 field,']);
  });
});

describe('broken Parquet, JSON and Arrow', () => {
  async function parquetBytes(): Promise<Uint8Array> {
    const file = path.join(dirs.dir, 'good.parquet');
    const session = await DuckDbSession.create({ tempDir: dirs.dir });
    await session.run(`COPY (SELECT range AS id, 'x' || range AS name FROM range(1000)) TO '${file}' (FORMAT parquet)`);
    await session.close();
    return readFileSync(file);
  }

  test('a truncated Parquet file', async () => {
    const bytes = await parquetBytes();
    const file = fixture(dirs.dir, 'truncated.parquet', bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expectRefused(file, {}, InvalidInputError, [file, 'cannot read Parquet']);
  });

  test('a Parquet file with corrupt bytes', async () => {
    const bytes = new Uint8Array(await parquetBytes());
    for (let i = 4; i < bytes.length - 8; i++) bytes[i] ^= 0x5a;
    const file = fixture(dirs.dir, 'corrupt.parquet', bytes);
    await expectRefused(file, {}, InvalidInputError, [file, 'cannot read Parquet']);
  });

  test('malformed JSON in an array', async () => {
    const file = fixture(dirs.dir, 'bad.json', '[{"a":1},\n{"a":2},\n{"a":\n');
    await expectRefused(file, {}, InvalidInputError, [file, 'malformed JSON']);
  });

  test('malformed NDJSON, named by line', async () => {
    const file = fixture(dirs.dir, 'bad.ndjson', '{"a":1}\n{"a":2}\n{"a":3\n{"a":4}\n');
    await expectRefused(file, {}, InvalidInputError, [`${file}:4`, 'malformed JSON']);
  });

  test('JSON values that are not objects', async () => {
    const file = fixture(dirs.dir, 'numbers.json', '[1, 2, 3]');
    await expectRefused(file, {}, InvalidInputError, [file, 'expected JSON objects']);
  });

  test('an empty JSON array with no table to import into has no columns', async () => {
    const file = fixture(dirs.dir, 'empty.json', '[]');
    await expectRefused(file, {}, InvalidInputError, [file, 'no columns']);
  });

  test('a file that is not Arrow IPC', async () => {
    const file = fixture(dirs.dir, 'junk.arrow', 'this is not arrow at all, just text');
    await expectRefused(file, {}, InvalidInputError, [file, 'cannot read Arrow IPC']);
  });

  test('a truncated Arrow IPC file', async () => {
    const bytes = readFileSync(path.join(DATA, 'flights-200k.arrow'));
    const file = fixture(dirs.dir, 'truncated.arrow', bytes.subarray(0, 100_000));
    await expectRefused(file, {}, InvalidInputError, [file, 'Arrow IPC']);
  });
});

describe('keys', () => {
  test('a duplicate primary key names the key and both lines', async () => {
    const file = fixture(dirs.dir, 'dup.csv', 'id,name\n1,a\n2,b\n"3",c\n2,d\n3,e\n');
    await expectRefused(file, keyed('id'), DuplicateKeyError, [`${file}:5`, 'duplicate primary key (id=2)', 'first at line 3', 'and 1 more repeated key']);
  });

  test('a duplicate composite key in NDJSON names lines', async () => {
    const file = fixture(dirs.dir, 'dup.ndjson', '{"a":"x","b":1}\n\n{"a":"x","b":2}\n{"a":"x","b":1}\n');
    await expectRefused(file, { sortBy: ['a', 'b'], uniqueKey: ['a', 'b'] }, DuplicateKeyError, [`${file}:4`, '(a="x", b=1)', 'first at line 1']);
  });

  test('a duplicate key in Parquet names rows', async () => {
    const file = path.join(dirs.dir, 'dup.parquet');
    const session = await DuckDbSession.create({ tempDir: dirs.dir });
    await session.run(`COPY (SELECT * FROM (VALUES (1), (2), (1)) t(k)) TO '${file}' (FORMAT parquet)`);
    await session.close();
    await expectRefused(file, keyed('k'), DuplicateKeyError, [`${file} row 3`, 'first at row 1']);
  });

  test('a null in a key column names the line and column', async () => {
    const file = fixture(dirs.dir, 'nullkey.csv', 'id,name\n1,a\n,b\n');
    await expectRefused(file, keyed('id'), NullKeyError, [`${file}:3`, 'key column "id"']);
  });

  test('a key column missing from the file', async () => {
    const file = fixture(dirs.dir, 'nokey.csv', 'name\na\n');
    await expectRefused(file, keyed('id'), SchemaMismatchError, [file, 'key column "id" is missing']);
  });
});

describe('values that do not fit an existing table', () => {
  const target = (type: 'Int32' | 'UInt8' | 'Date32' | 'Float64' | 'Timestamp<s>' | 'Timestamp<ms>' | 'Timestamp<us>' | 'Timestamp<us, UTC>' | 'Binary') => ({
    targetColumns: [
      { name: 'id', type: 'Int64' as const, nullable: false },
      { name: 'v', type, nullable: true },
    ],
    ...keyed('id'),
  });

  test('text in an integer column names the column, the value and the line', async () => {
    const file = fixture(dirs.dir, 'text.csv', 'id,v\n1,5\n2,abc\n');
    await expectRefused(file, target('Int32'), InvalidInputError, [`${file}:3`, 'value "abc"', 'column "v"', 'Int32']);
  });

  test('a fraction in an integer column is refused, not rounded', async () => {
    const file = fixture(dirs.dir, 'fraction.csv', 'id,v\n1,1.0\n2,1.5\n');
    await expectRefused(file, target('Int32'), InvalidInputError, [`${file}:3`, 'value "1.5"']);
  });

  test('a number out of range for the column type', async () => {
    const file = fixture(dirs.dir, 'range.ndjson', '{"id":1,"v":255}\n{"id":2,"v":256}\n');
    await expectRefused(file, target('UInt8'), InvalidInputError, [`${file}:2`, 'value "256"', 'UInt8']);
  });

  test('a date that is not a date', async () => {
    const file = fixture(dirs.dir, 'date.csv', 'id,v\n1,2020-01-01\n2,2020-13-45\n');
    await expectRefused(file, target('Date32'), InvalidInputError, [`${file}:3`, '"2020-13-45"', 'Date32']);
  });

  test('a fraction of a second in a Timestamp<s> column', async () => {
    const file = fixture(dirs.dir, 'seconds.csv', 'id,v\n1,2020-01-01 00:00:01\n2,2020-01-01 00:00:01.5\n');
    await expectRefused(file, target('Timestamp<s>'), InvalidInputError, [`${file}:3`, 'Timestamp<s>']);
  });

  // Line 2 holds as many digits as the unit keeps and is taken; line 3 holds one more and is refused,
  // also past the years DuckDB's nanosecond timestamps reach (1677 to 2262).
  test.each([
    ['Timestamp<s>', '2001-01-01 00:00:01', '2001-01-01 00:00:01.5'],
    ['Timestamp<s>', '2500-01-01 00:00:01', '2500-01-01 00:00:01.000000001'],
    ['Timestamp<s>', '1600-01-01 00:00:01', '1600-01-01T00:00:00.4'],
    ['Timestamp<ms>', '2001-01-01 00:00:00.123', '2001-01-01 00:00:00.1239'],
    ['Timestamp<ms>', '2500-01-01 00:00:00.123', '2500-01-01 00:00:00.0001'],
    ['Timestamp<ms>', '1600-01-01 00:00:00.123', '1600-01-01T00:00:00.0009'],
    ['Timestamp<us>', '2001-01-01 00:00:00.123456', '2001-01-01 00:00:00.0000001'],
    ['Timestamp<us>', '2500-01-01 00:00:00.123456', '2500-01-01 00:00:00.0000001'],
    ['Timestamp<us>', '1600-01-01 00:00:00.123456', '1600-01-01T23:59:59.9999999'],
    ['Timestamp<us>', '2001-01-01 (BC) 00:00:00.123456', '2001-01-01 (BC) 00:00:00.0000001'],
    ['Timestamp<us>', '2500-01-01 10:30:00Z', '2500-01-01 10:30:00+02'],
  ] as const)('a %s column takes %j but refuses %j rather than drop what its unit cannot hold', async (type, kept, lost) => {
    const file = fixture(dirs.dir, 'digits.csv', `id,v\n1,${kept}\n2,${lost}\n`);
    await expectRefused(file, target(type), InvalidInputError, [`${file}:3`, `value "${lost}"`, type, 'no UTC offset but Z or +00']);
  });

  test('a UTC microsecond column refuses a seventh digit of a second rather than drop it', async () => {
    const file = fixture(dirs.dir, 'utc-digits.csv', 'id,v\n1,2001-01-01 00:00:00.123456Z\n2,2001-01-01T00:00:00.1234560+02:00\n3,2500-01-01 00:00:00.0000001Z\n');
    await expectRefused(file, target('Timestamp<us, UTC>'), InvalidInputError, [`${file}:4`, 'value "2500-01-01 00:00:00.0000001Z"', 'Timestamp<us, UTC>']);
  });

  test('text that is not base64 in a Binary column', async () => {
    const file = fixture(dirs.dir, 'bytes.csv', 'id,v\n1,aGk=\n2,not base64!\n');
    await expectRefused(file, target('Binary'), InvalidInputError, [`${file}:3`, '"not base64!"']);
  });

  test('a JSON number too precise for the column (2^53 + 1 into Float64)', async () => {
    const file = fixture(dirs.dir, 'big.ndjson', '{"id":1,"v":9007199254740993}\n');
    await expectRefused(file, target('Float64'), InvalidInputError, [`${file}:1`, '9007199254740993']);
  });

  test('a null in a column the table declares not null', async () => {
    const file = fixture(dirs.dir, 'nulls.csv', 'id,v\n1,\n');
    const options = { ...keyed('id'), targetColumns: [{ name: 'id', type: 'Int64' as const, nullable: false }, { name: 'v', type: 'Utf8' as const, nullable: false }] };
    await expectRefused(file, options, InvalidInputError, [`${file}:2`, 'column "v"', 'does not allow nulls']);
  });

  test('a not-null column of the table missing from the file', async () => {
    const file = fixture(dirs.dir, 'partial.csv', 'id\n1\n');
    const options = { ...keyed('id'), targetColumns: [{ name: 'id', type: 'Int64' as const, nullable: false }, { name: 'v', type: 'Utf8' as const, nullable: false }] };
    await expectRefused(file, options, SchemaMismatchError, [file, 'column "v" is missing']);
  });

  test('a column that differs from the table\'s only in case', async () => {
    const file = fixture(dirs.dir, 'case.csv', 'ID\n1\n');
    const options = { targetColumns: [{ name: 'id', type: 'Int64' as const, nullable: true }] };
    await expectRefused(file, options, SchemaMismatchError, [file, '"ID"', 'only in case']);
  });
});

describe('column names', () => {
  test.each([
    ['an empty name', 'a,,c\n1,2,3\n', 'it is empty'],
    ['a slash', 'a,b/c\n1,2\n', 'slash'],
    ['".."', 'a,..b\n1,2\n', '".."'],
    ['a repeated name', 'a,b,a\n1,2,3\n', 'appears twice'],
    ['names equal but for case', 'Name,name\n1,2\n', 'differ only in case'],
    ['white space around a name', 'a, b\n1,2\n', 'white space'],
  ])('a CSV header with %s', async (_what, text, reason) => {
    const file = fixture(dirs.dir, 'names.csv', text);
    await expectRefused(file, {}, InvalidInputError, [`${file}:1`, reason]);
  });

  test.each([
    ['an empty key', '[{"": 1}]', 'it is empty'],
    ['a control character', '[{"a\\u0001": 1}]', 'control character'],
    ['keys equal but for case', '[{"a": 1, "A": 2}]', 'differ only in case'],
  ])('JSON with %s', async (_what, text, reason) => {
    const file = fixture(dirs.dir, 'names.json', text);
    await expectRefused(file, {}, InvalidInputError, [file, reason]);
  });
});
