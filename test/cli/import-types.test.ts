import { beforeAll, describe, expect, it } from 'vitest';
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
});
