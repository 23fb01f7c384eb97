import { beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import path from 'node:path';
import { runSql } from '../../engine/commands/sql.js';
import { Repository } from '../../engine/repository/repository.js';
import { formatDate, formatTimestamp } from '../../engine/value/value.js';
import { runReadOnlyQuery } from '../../mcp/read-only-query.js';
import { tempDir, writeFile } from '../support/cli.js';
import { dgitInOk } from '../cli/in-process.js';

beforeAll(() => {
  Object.assign(process.env, { GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.com' });
});

async function rowsOf(repository: Repository, sql: string): Promise<{ columns: string[]; rows: Array<Record<string, unknown>> }> {
  const result = await runSql(repository, sql);
  if (result.kind !== 'rows') throw new Error(`not rows: ${result.kind}`);
  return { columns: result.columns.map((c) => c.name), rows: result.rows };
}

/**
 * `dgit sql` and the MCP server's `query` give a SELECT's values exactly and by
 * column position. Found wrong by a sweep: a self-join's second `temp_max`
 * printed the first one's values, DECIMAL results went through a double (digits
 * past the 16th changed), TIME printed as microseconds, an infinite timestamp as
 * NULL, and MCP spelled dates as UTC instants cut to milliseconds.
 */
describe('SELECT results', () => {
  it('keep each column of one name apart, and spell DECIMAL, TIME, dates and infinity exactly, in sql and MCP alike', async () => {
    const dir = tempDir();
    await dgitInOk(dir, 'init');
    await dgitInOk(dir, 'import', writeFile(dir, 'w.csv', 'day,temp\n1,12.8\n2,10.6\n3,11.7\n'), '--table', 'w', '--key', 'day');
    await dgitInOk(dir, 'commit', '-m', 'load');
    const repository = await Repository.open(dir);
    const join = await rowsOf(repository, 'SELECT a.day, a.temp, b.temp FROM w a JOIN w b ON b.day = a.day + 1 ORDER BY a.day');
    expect(join).toEqual({ columns: ['day', 'temp', 'temp:2'], rows: [{ day: 1, temp: 12.8, 'temp:2': 10.6 }, { day: 2, temp: 10.6, 'temp:2': 11.7 }] });
    const values =
      "SELECT 9007199254740993::BIGINT + 0.5 AS x, 1.50::DECIMAL(18,2) AS d, 123456789012345678.123456789::DECIMAL(38,9) AS big, " +
      "TIME '12:34:56.789' AS t, '01:02:03.123456789'::TIME_NS AS tns, DATE '2012-01-01' AS day, TIMESTAMP '2012-01-01 01:00:00.123456' AS ts, " +
      "'infinity'::TIMESTAMP AS inf, '-infinity'::DATE AS neginf, DATE '-0044-03-15' AS ides, TIMESTAMP '12345-06-07 01:02:03' AS far";
    const expected = {
      x: '9007199254740993.5',
      d: 1.5,
      big: '123456789012345678.123456789',
      t: '12:34:56.789',
      tns: '01:02:03.123456789',
      day: '2012-01-01',
      ts: '2012-01-01T01:00:00.123456',
      inf: 'infinity',
      neginf: '-infinity',
      ides: '-0044-03-15',
      far: '12345-06-07T01:02:03.000000',
    };
    expect((await rowsOf(repository, values)).rows).toEqual([expected]);
    const tree = (await repository.readCommit(await repository.resolve('HEAD'))).tree;
    const options = { maxRows: 10, timeoutMs: 60_000, memoryLimit: '256MB', spillLimit: '64MB', maxChars: 10_000 };
    expect((await runReadOnlyQuery(repository, tree, values, options)).rows).toEqual([expected]);
    const mcpJoin = await runReadOnlyQuery(repository, tree, 'SELECT a.day, a.temp, b.temp FROM w a JOIN w b ON b.day = a.day + 1 ORDER BY a.day', { ...options, maxRows: 1 });
    expect(mcpJoin).toMatchObject({ rows: [{ day: 1, temp: 12.8, 'temp:2': 10.6 }], truncated: true });
    expect(mcpJoin.columns.map((c) => c.name)).toEqual(['day', 'temp', 'temp:2']);
  });

  it('stored dates and timestamps outside years 0-9999, and infinite ones, read back as DuckDB wrote them: sql, export, diff', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'far.parquet');
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run(
      `COPY (SELECT * FROM (VALUES (1, DATE '-0044-03-15', TIMESTAMP '-0044-03-15 10:11:12.123456'), (2, DATE '12345-06-07', TIMESTAMP '12345-06-07 01:02:03'), ` +
        `(3, 'infinity'::DATE, 'infinity'::TIMESTAMP), (4, '-infinity'::DATE, '-infinity'::TIMESTAMP)) t(id, d, ts)) TO '${file}'`,
    );
    connection.closeSync();
    instance.closeSync();
    await dgitInOk(dir, 'init');
    await dgitInOk(dir, 'import', file, '--table', 't', '--key', 'id');
    await dgitInOk(dir, 'commit', '-m', 'load');
    const expected = [
      { id: 1, d: '-0044-03-15', ts: '-0044-03-15T10:11:12.123456' },
      { id: 2, d: '12345-06-07', ts: '12345-06-07T01:02:03.000000' },
      { id: 3, d: 'infinity', ts: 'infinity' },
      { id: 4, d: '-infinity', ts: '-infinity' },
    ];
    const repository = await Repository.open(dir);
    expect((await rowsOf(repository, 'SELECT * FROM t ORDER BY id')).rows).toEqual(expected);
    const exported = await dgitInOk(dir, 'export', 't', '--format', 'ndjson');
    expect(exported.trim().split('\n').map((line) => JSON.parse(line) as unknown)).toEqual(expected);
    // A one-day and a one-second change, and infinity to NULL, each show their before and after.
    await dgitInOk(dir, 'sql', "UPDATE t SET d = d + 1, ts = ts + INTERVAL 1 SECOND WHERE id = 1");
    await dgitInOk(dir, 'sql', 'UPDATE t SET ts = NULL WHERE id = 3');
    const diff = JSON.parse(await dgitInOk(dir, 'diff', '--json')) as { tables: Array<{ rows: Array<{ key: unknown; before: unknown; after: unknown }> }> };
    expect(diff.tables[0]!.rows.map((r) => [r.key, r.before, r.after])).toEqual([
      [{ id: 1 }, expected[0], { id: 1, d: '-0044-03-16', ts: '-0044-03-15T10:11:13.123456' }],
      [{ id: 3 }, expected[2], { id: 3, d: 'infinity', ts: null }],
    ]);
    // The re-import of the export changes nothing.
    await dgitInOk(dir, 'reset', '--hard');
    const out = writeFile(dir, 'out.ndjson', exported);
    expect(await dgitInOk(dir, 'import', out, '--table', 't', '--mode', 'upsert')).toContain('0 inserted, 0 updated, 0 deleted');
  });

  it('format and read back dates across the proleptic Gregorian calendar', () => {
    // Checked against JavaScript's own calendar inside years 0-9999, a day in every 997.
    for (let days = -719_528; days <= 2_932_896; days += 997) expect(formatDate(days)).toBe(new Date(days * 86_400_000).toISOString().slice(0, 10));
    expect(formatDate(-737_653)).toBe('-0050-05-18');
    expect(formatTimestamp('Timestamp<us>', -1n)).toBe('1969-12-31T23:59:59.999999');
  });
});
