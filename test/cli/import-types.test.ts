import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { duck } from '../support/duckdb.js';
import { repositorySnapshot, tempDir, writeFile } from '../support/cli.js';
import { dgitIn, dgitInOk } from './in-process.js';

beforeAll(() => {
  Object.assign(process.env, { GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.com' });
});

async function columnTypes(dir: string, table: string): Promise<Record<string, string>> {
  const listed = JSON.parse(await dgitInOk(dir, 'tables', '--json')) as { tables: Array<{ table: string; columns: Array<{ name: string; type: string }> }> };
  return Object.fromEntries(listed.tables.find((t) => t.table === table)!.columns.map((c) => [c.name, c.type]));
}

describe('import keeps the types the data has', () => {
  it('JSON integers that DuckDB reads as HUGEINT are Int64, so the README UPDATE and a re-import as CSV work', async () => {
    const dir = tempDir();
    await dgitInOk(dir, 'init');
    // DuckDB infers HUGEINT for this JSON column (negative numbers); it used to become text.
    await dgitInOk(dir, 'import', writeFile(dir, 'f.json', '[{"id":1,"delay":-59},{"id":2,"delay":522},{"id":3,"delay":0}]'), '--table', 'flights', '--key', 'id');
    expect(await columnTypes(dir, 'flights')).toEqual({ id: 'Int64', delay: 'Int64' });
    await dgitInOk(dir, 'sql', 'UPDATE flights SET delay = 0 WHERE delay < 0');
    expect(await dgitInOk(dir, 'sql', 'SELECT sum(delay) AS s FROM flights', '--format', 'csv')).toBe('s\n522\n');

    // The same column read from CSV as BIGINT converts losslessly into the table's Int64.
    await dgitInOk(dir, 'import', writeFile(dir, 'f.csv', 'id,delay\n1,-59\n2,522\n3,0\n'), '--table', 'flights');
    expect(await columnTypes(dir, 'flights')).toEqual({ id: 'Int64', delay: 'Int64' });

    // A value the table's type cannot hold is refused, naming the column, the value and the line.
    const before = repositorySnapshot(dir);
    const misfit = await dgitIn(dir, 'import', writeFile(dir, 'g.csv', 'id,delay\n1,-59\n2,1.5\n'), '--table', 'flights');
    expect(misfit.code).toBe(1);
    expect(misfit.stderr).toMatch(/g\.csv:3: value "1\.5" in column "delay" does not fit type Int64/);
    expect(repositorySnapshot(dir)).toBe(before);
  });

  it('integers past Int64 are refused with the line, never rounded into a Float64, from CSV and from JSON', async () => {
    const dir = tempDir();
    await dgitInOk(dir, 'init');
    const before = repositorySnapshot(dir);
    // Both read by DuckDB as DOUBLE, which cannot tell the two account numbers apart.
    const csv = await dgitIn(dir, 'import', writeFile(dir, 'a.csv', 'id,account\n1,5\n2,123456789012345678901\n3,123456789012345678902\n'), '--table', 'a', '--key', 'id');
    expect(csv.code).toBe(1);
    expect(csv.stderr).toMatch(/a\.csv:3: value 123456789012345678901 in column "account" is an integer that a Float64 cannot hold exactly/);
    const json = await dgitIn(dir, 'import', writeFile(dir, 'a.ndjson', '{"id":1,"account":5}\n{"id":2,"account":99999999999999999999}\n'), '--table', 'a', '--key', 'id');
    expect(json.code).toBe(1);
    expect(json.stderr).toMatch(/a\.ndjson:2: value 99999999999999999999 in column "account"/);
    // A key past Int64 is refused too, rather than collapsing two ids into one.
    const key = await dgitIn(dir, 'import', writeFile(dir, 'k.csv', 'account\n123456789012345678901\n123456789012345678902\n'), '--table', 'k', '--key', 'account');
    expect(key.code).toBe(1);
    expect(key.stderr).toMatch(/k\.csv:2: value 123456789012345678901/);
    expect(repositorySnapshot(dir)).toBe(before);
  });

  it('a number past 2^53 with a fraction or exponent into an existing integer column is refused: it could name another key', async () => {
    const dir = tempDir();
    await dgitInOk(dir, 'init');
    await dgitInOk(dir, 'import', writeFile(dir, 'b.csv', 'id,v\n9007199254740993,a\n9007199254740992,b\n'), '--table', 'b', '--key', 'id');
    await dgitInOk(dir, 'commit', '-m', 'b');
    const before = repositorySnapshot(dir);
    // Read as a double, 9007199254740993.0 is ...992: the upsert changed the other row.
    for (const text of ['9007199254740993.0', '9.007199254740993e15']) {
      const upsert = await dgitIn(dir, 'import', writeFile(dir, 'up.ndjson', `{"id":${text},"v":"A"}\n`), '--table', 'b', '--mode', 'upsert');
      expect(upsert.code).toBe(1);
      expect(upsert.stderr).toMatch(/up\.ndjson:1: column "id" has a number past 2\^53 written with a fraction or an exponent/);
      expect(repositorySnapshot(dir)).toBe(before);
    }
    // Small ones with a fraction of zero still convert, and a new Float64 column keeps its large doubles.
    await dgitInOk(dir, 'import', writeFile(dir, 'ok.ndjson', '{"id":7.0,"v":"c"}\n'), '--table', 'b', '--mode', 'upsert');
    await dgitInOk(dir, 'import', writeFile(dir, 'f.ndjson', '{"id":1,"x":6.02e23}\n'), '--table', 'f', '--key', 'id');
    expect(await dgitInOk(dir, 'sql', 'SELECT x FROM f', '--format', 'csv')).toBe('x\n6.02e+23\n');
  });

  it('integer text a double cannot hold is refused into an existing Float64 column, as from a BIGINT column', async () => {
    const dir = tempDir();
    await dgitInOk(dir, 'init');
    await dgitInOk(dir, 'sql', 'CREATE TABLE f (id INTEGER PRIMARY KEY, d DOUBLE)');
    await dgitInOk(dir, 'commit', '-m', 'f');
    const before = repositorySnapshot(dir);
    const refused = await dgitIn(dir, 'import', writeFile(dir, 'p.csv', 'id,d\n3,9007199254740993\n'), '--table', 'f', '--mode', 'upsert');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/p\.csv:2: value "9007199254740993" in column "d" does not fit type Float64/);
    expect(repositorySnapshot(dir)).toBe(before);
    await dgitInOk(dir, 'import', writeFile(dir, 'ok.csv', 'id,d\n5,1e3\n6,-12\n7,2.5\n8,1.5\n9,9007199254740992\n'), '--table', 'f', '--mode', 'upsert');
    expect(await dgitInOk(dir, 'sql', 'SELECT d FROM f ORDER BY id', '--format', 'csv')).toBe('d\n1000\n-12\n2.5\n1.5\n9007199254740992\n');
  });

  it('past Int64 into an existing text column, the digits are kept exactly', async () => {
    const dir = tempDir();
    await dgitInOk(dir, 'init');
    await dgitInOk(dir, 'import', writeFile(dir, 'a.json', '[{"id":1,"account":"00042"}]'), '--table', 'a', '--key', 'id');
    expect(await columnTypes(dir, 'a')).toEqual({ id: 'Int64', account: 'Utf8' });
    await dgitInOk(dir, 'import', writeFile(dir, 'b.csv', 'id,account\n1,123456789012345678901\n2,123456789012345678902\n'), '--table', 'a');
    expect(await dgitInOk(dir, 'sql', 'SELECT account FROM a ORDER BY id', '--format', 'csv')).toBe('account\n123456789012345678901\n123456789012345678902\n');
  });

  it('an integer past Int64 in JSON into an existing Int64 column is refused, not rounded', async () => {
    const dir = tempDir();
    await dgitInOk(dir, 'init');
    await dgitInOk(dir, 'import', writeFile(dir, 'a.csv', 'id,n\n1,2\n'), '--table', 'a', '--key', 'id');
    const result = await dgitIn(dir, 'import', writeFile(dir, 'b.json', '[{"id":1,"n":-1},{"id":2,"n":170141183460469231731687303715884105727}]'), '--table', 'a');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/value 170141183460469231731687303715884105727 in column "n"/);
  });

  it('a Parquet DECIMAL is a Float64 only where the double holds it exactly; longer ones are refused, or kept as text', async () => {
    const dir = tempDir();
    await dgitInOk(dir, 'init');
    const parquet = async (name: string, values: string[]) => {
      const file = path.join(dir, name);
      const rows = values.map((v, i) => `(${i + 1}, ${v === 'NULL' ? 'NULL' : `'${v}'`}::DECIMAL(38,19))`).join(', ');
      await duck(`COPY (SELECT * FROM (VALUES ${rows}) v(id, amount)) TO '${file}' (FORMAT parquet)`);
      return file;
    };
    const exact = await parquet('exact.parquet', ['12.5', '12.34', '-0.001', '0.1', '123456789012.123', 'NULL']);
    await dgitInOk(dir, 'import', exact, '--table', 'e', '--key', 'id');
    expect(await columnTypes(dir, 'e')).toEqual({ id: 'Int32', amount: 'Float64' });
    expect(await dgitInOk(dir, 'export', 'e', '--format', 'csv')).toBe('id,amount\n1,12.5\n2,12.34\n3,-0.001\n4,0.1\n5,123456789012.123\n6,\n');

    // Nineteen significant digits: a double would round them, so the file is refused at its row, and nothing changes.
    const long = await parquet('long.parquet', ['1.5', '0.1234567890123456789']);
    const before = repositorySnapshot(dir);
    for (const args of [['--table', 'l', '--key', 'id'], ['--table', 'e', '--mode', 'upsert']]) {
      const refused = await dgitIn(dir, 'import', long, ...args);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/long\.parquet row 2: value "0\.1234567890123456789" in column "amount" does not fit type Float64: a decimal is stored as a double only when/);
      expect(repositorySnapshot(dir)).toBe(before);
    }

    // Into a text column the decimal keeps its own digits; into an integer column a fraction is refused.
    await dgitInOk(dir, 'sql', 'CREATE TABLE t (id BIGINT PRIMARY KEY, amount VARCHAR)');
    await dgitInOk(dir, 'import', long, '--table', 't', '--mode', 'upsert');
    expect(await dgitInOk(dir, 'export', 't', '--format', 'csv')).toBe('id,amount\n1,1.5000000000000000000\n2,0.1234567890123456789\n');
    await dgitInOk(dir, 'sql', 'CREATE TABLE n (id BIGINT PRIMARY KEY, amount BIGINT)');
    const fraction = await dgitIn(dir, 'import', exact, '--table', 'n', '--mode', 'upsert');
    expect(fraction.code).toBe(1);
    expect(fraction.stderr).toMatch(/value "12\.5000000000000000000" in column "amount" does not fit type Int64/);
  });

  it('a naive timestamp column takes back its own CSV and NDJSON export of dates past 2262 and before 1677', async () => {
    const dir = tempDir();
    await dgitInOk(dir, 'init');
    const columns = '(id BIGINT PRIMARY KEY, s TIMESTAMP_S, ms TIMESTAMP_MS, us TIMESTAMP)';
    await dgitInOk(dir, 'sql', `CREATE TABLE t ${columns}`);
    await dgitInOk(dir, 'sql', "INSERT INTO t VALUES (1, '2500-01-01 00:00:01', '2500-01-01 00:00:00.001', '2500-01-01 00:00:00.000001'), (2, '1600-01-01', '1600-01-01', '1600-01-01')");
    const exported = 'id,s,ms,us\n1,2500-01-01T00:00:01,2500-01-01T00:00:00.001,2500-01-01T00:00:00.000001\n' +
      '2,1600-01-01T00:00:00,1600-01-01T00:00:00.000,1600-01-01T00:00:00.000000\n';
    expect(await dgitInOk(dir, 'export', 't', '--format', 'csv')).toBe(exported);
    for (const format of ['csv', 'ndjson']) {
      const file = path.join(dir, `t.${format}`);
      await dgitInOk(dir, 'export', 't', '--format', format, '-o', file);
      for (const mode of ['replace', 'upsert']) {
        expect(await dgitInOk(dir, 'import', file, '--table', 't', '--mode', mode)).toContain('0 inserted, 0 updated, 0 deleted');
        expect(await dgitInOk(dir, 'export', 't', '--format', 'csv')).toBe(exported);
      }
      await dgitInOk(dir, 'sql', `CREATE TABLE ${format}_copy ${columns}`);
      await dgitInOk(dir, 'import', file, '--table', `${format}_copy`, '--mode', 'append');
      expect(await dgitInOk(dir, 'export', `${format}_copy`, '--format', 'csv')).toBe(exported);
    }
  });

  it('a digit past a timestamp column\'s unit is refused at any date, and the repository is unchanged', async () => {
    const dir = tempDir();
    await dgitInOk(dir, 'init');
    await dgitInOk(dir, 'sql', 'CREATE TABLE t (id BIGINT PRIMARY KEY, us TIMESTAMP)');
    await dgitInOk(dir, 'commit', '-m', 'table');
    const before = repositorySnapshot(dir);
    for (const value of ['2001-01-01 00:00:00.0000001', '2500-01-01 00:00:00.0000001', '1600-01-01 00:00:00.0000001']) {
      const refused = await dgitIn(dir, 'import', writeFile(dir, 'more.csv', `id,us\n1,2500-01-01 00:00:00\n2,${value}\n`), '--table', 't', '--mode', 'append');
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`more.csv:3: value "${value}" in column "us" does not fit type Timestamp<us>: it takes a date and time with at most 6 digits after the second`);
      expect(repositorySnapshot(dir)).toBe(before);
    }
  });

  it('a new table from CSV does not take DuckDB\'s cut of times past the microsecond; a TIMESTAMP_NS table takes them whole', async () => {
    const dir = tempDir();
    await dgitInOk(dir, 'init');
    await dgitInOk(dir, 'sql', 'CREATE TABLE keep (id BIGINT PRIMARY KEY)');
    await dgitInOk(dir, 'commit', '-m', 'a table');
    const before = repositorySnapshot(dir);
    const cases = [
      { text: '2024-01-01 10:00:00.1234567', read: 'TIMESTAMP' },
      { text: '2024-01-01 10:00:00.123456789+02', read: 'TIMESTAMP WITH TIME ZONE' },
    ];
    for (const { text, read } of cases) {
      // DuckDB reads the column as a microsecond type: what a new table would have held is six digits.
      const file = writeFile(dir, 'times.csv', `id,seen\n1,${text.replace(/\.\d+/, '.5')}\n2,${text}\n`);
      expect((await duck(`SELECT typeof(seen) AS t FROM read_csv('${file}') LIMIT 1`))[0]!['t']).toBe(read);
      const refused = await dgitIn(dir, 'import', file, '--table', 'times', '--key', 'id');
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`times.csv:3: value "${text}" in column "seen" has digits past the microsecond, which DuckDB, reading the column as ${read}, drops`);
      expect(repositorySnapshot(dir)).toBe(before);
    }
    // A seventh digit that is zero loses nothing: the table is made, with the six.
    await dgitInOk(dir, 'import', writeFile(dir, 'zero.csv', 'id,seen\n1,2024-01-01 10:00:00.1234560\n'), '--table', 'zero', '--key', 'id');
    expect(await dgitInOk(dir, 'sql', 'SELECT CAST(seen AS VARCHAR) AS seen FROM zero', '--format', 'csv')).toBe('seen\n2024-01-01 10:00:00.123456\n');
    // The way the message gives: a nanosecond column, into which the same file imports whole.
    await dgitInOk(dir, 'sql', 'CREATE TABLE times (id BIGINT PRIMARY KEY, seen TIMESTAMP_NS)');
    await dgitInOk(dir, 'import', writeFile(dir, 'ns.csv', 'id,seen\n1,2024-01-01 10:00:00.1234567\n2,2024-01-01 10:00:00.123456789\n'), '--table', 'times', '--mode', 'append');
    expect(await dgitInOk(dir, 'sql', 'SELECT CAST(seen AS VARCHAR) AS seen FROM times ORDER BY id', '--format', 'csv')).toBe(
      'seen\n2024-01-01 10:00:00.1234567\n2024-01-01 10:00:00.123456789\n',
    );
  });

  it('a CSV time of day is kept as the file wrote it, so the same file imports again without a change', async () => {
    const dir = tempDir();
    await dgitInOk(dir, 'init');
    const file = writeFile(dir, 't.csv', 'id,t\n1,12:00\n2,1:2:3\n3,10:00:00.1234567\n');
    // DuckDB reads the column as TIME, and spells it its own way: 12:00:00, 01:02:03, and six digits.
    expect((await duck(`SELECT typeof(t) AS t FROM read_csv('${file}') LIMIT 1`))[0]!['t']).toBe('TIME');
    await dgitInOk(dir, 'import', file, '--table', 't', '--key', 'id');
    expect(await columnTypes(dir, 't')).toEqual({ id: 'Int64', t: 'Utf8' });
    expect(await dgitInOk(dir, 'sql', 'SELECT t FROM t ORDER BY id', '--format', 'csv')).toBe('t\n12:00\n1:2:3\n10:00:00.1234567\n');
    await dgitInOk(dir, 'commit', '-m', 'times');
    expect(await dgitInOk(dir, 'import', file, '--table', 't', '--mode', 'upsert')).toContain('0 inserted, 0 updated, 0 deleted');
  });

  it('CSV dates that read day-first and month-first alike are refused, not guessed; one value past 12 settles it', async () => {
    const dir = tempDir();
    await dgitInOk(dir, 'init');
    const before = repositorySnapshot(dir);
    for (const [name, text] of [['a.csv', 'id,d\n1,01/02/2020\n2,03/04/2020\n'], ['e.csv', 'id,d\n1,01/02/2020 10:00:00\n2,03/04/2020 11:00:00\n']] as const) {
      const refused = await dgitIn(dir, 'import', writeFile(dir, name, text), '--table', 'a', '--key', 'id');
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`${name}:2: value "01/02/2020`);
      expect(refused.stderr).toContain('in column "d" reads day-first and month-first alike, as does every date of the column, and no value says which');
      expect(repositorySnapshot(dir)).toBe(before);
    }
    await dgitInOk(dir, 'import', writeFile(dir, 'b.csv', 'id,d\n1,01/02/2020\n2,12/31/2020\n3,05/05/2020\n'), '--table', 'b', '--key', 'id');
    expect(await dgitInOk(dir, 'sql', 'SELECT d FROM b ORDER BY id', '--format', 'csv')).toBe('d\n2020-01-02\n2020-12-31\n2020-05-05\n');
    // Every date with its day equal to its month reads the same either way.
    await dgitInOk(dir, 'import', writeFile(dir, 's.csv', 'id,d\n1,05/05/2020\n'), '--table', 's', '--key', 'id');
  });

  it('JSON times with UTC offsets are instants: a UTC column for a new table, refused by a naive column, as CSV does', async () => {
    const dir = tempDir();
    await dgitInOk(dir, 'init');
    const offsets = writeFile(dir, 'offsets.ndjson', '{"id":1,"ts":"2024-01-01T10:00:00+02:00"}\n{"id":2,"ts":"2024-01-01T11:00:00+02:00"}\n');
    // DuckDB reads them as a naive TIMESTAMP of the UTC wall time: 08:00, the +02:00 gone.
    expect(await duck(`SELECT typeof(ts) AS t, CAST(ts AS VARCHAR) AS v FROM read_json('${offsets}') ORDER BY id`)).toEqual([
      { t: 'TIMESTAMP', v: '2024-01-01 08:00:00' },
      { t: 'TIMESTAMP', v: '2024-01-01 09:00:00' },
    ]);
    await dgitInOk(dir, 'import', offsets, '--table', 'events', '--key', 'id');
    expect(await columnTypes(dir, 'events')).toEqual({ id: 'Int64', ts: 'Timestamp<us, UTC>' });
    expect(await dgitInOk(dir, 'sql', 'SELECT epoch(ts) AS s FROM events ORDER BY id', '--format', 'csv')).toBe(
      `s\n${Date.parse('2024-01-01T10:00:00+02:00') / 1000}\n${Date.parse('2024-01-01T11:00:00+02:00') / 1000}\n`,
    );

    await dgitInOk(dir, 'sql', 'CREATE TABLE local (id BIGINT PRIMARY KEY, ts TIMESTAMP)');
    await dgitInOk(dir, 'commit', '-m', 'tables');
    const before = repositorySnapshot(dir);
    const refused = await dgitIn(dir, 'import', offsets, '--table', 'local', '--mode', 'append');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('offsets.ndjson:1: value "2024-01-01T10:00:00+02:00" in column "ts" does not fit type Timestamp<us>: it takes a date and time with no UTC offset but Z or +00');
    expect(repositorySnapshot(dir)).toBe(before);
    // Z and +00:00 say UTC, which a naive column takes as its wall time, as from CSV.
    await dgitInOk(dir, 'import', writeFile(dir, 'utc.ndjson', '{"id":1,"ts":"2024-01-01T10:00:00Z"}\n{"id":2,"ts":"2024-01-01T11:00:00+00:00"}\n'), '--table', 'local', '--mode', 'append');
    expect(await dgitInOk(dir, 'sql', 'SELECT CAST(ts AS VARCHAR) AS ts FROM local ORDER BY id', '--format', 'csv')).toBe('ts\n2024-01-01 10:00:00\n2024-01-01 11:00:00\n');
  });
});
