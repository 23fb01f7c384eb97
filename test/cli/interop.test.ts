import { beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { dgitOk, gitOut, tempDir } from '../support/cli.js';
import { duck } from '../support/duckdb.js';

/** A plain `git clone` plus DuckDB reads every table exactly as dgit stored it. */
describe('interoperability: git clone + DuckDB', () => {
  let work: string;
  let dir: string;
  let source: string;
  beforeAll(async () => {
    work = tempDir();
    dir = path.join(work, 'repo');
    source = path.join(work, 'typed.parquet');
    await duck(`
      COPY (
        SELECT i::BIGINT AS id,
               CASE WHEN i % 5 = 0 THEN NULL ELSE 9007199254740993 * (i % 3 - 1) + i END::BIGINT AS big,
               TIMESTAMP '2001-01-01 00:00:00.123456' + INTERVAL (i) MINUTE AS at,
               DATE '1999-12-31' + i::INTEGER AS day,
               CASE WHEN i % 7 = 0 THEN NULL ELSE ['Zürich', '東京', 'emoji 😀', 'plain', ''][1 + i % 5] || i END AS city,
               CASE WHEN i % 4 = 0 THEN NULL ELSE i / 3.0 END::DOUBLE AS ratio,
               i % 2 = 0 AS even
        FROM range(1, 20001) t(i)
      ) TO '${source}' (FORMAT parquet)`);
    dgitOk(work, 'init', 'repo');
    dgitOk(dir, 'import', source, '--table', 'typed', '--key', 'id');
    dgitOk(dir, 'commit', '-m', 'typed data');
  });

  it('DuckDB reads the chunks of a plain clone as exactly the imported rows', async () => {
    const clone = path.join(work, 'clone');
    execFileSync('git', ['clone', '-q', dir, clone]);
    const glob = path.join(clone, 'tables/typed/chunks/*/*.parquet');
    const [counts] = await duck(`
      SELECT (SELECT count(*) FROM read_parquet('${glob}', union_by_name=true)) AS stored,
             (SELECT count(*) FROM (SELECT * FROM read_parquet('${glob}', union_by_name=true) EXCEPT ALL SELECT * FROM read_parquet('${source}'))) AS extra,
             (SELECT count(*) FROM (SELECT * FROM read_parquet('${source}') EXCEPT ALL SELECT * FROM read_parquet('${glob}', union_by_name=true))) AS missing`);
    expect(counts).toEqual({ stored: '20000', extra: '0', missing: '0' });
    const [types] = await duck(`SELECT typeof(id) AS id, typeof(big) AS big, typeof("at") AS "at", typeof(day) AS day, typeof(city) AS city, typeof(even) AS even FROM read_parquet('${glob}') LIMIT 1`);
    expect(types).toEqual({ id: 'BIGINT', big: 'BIGINT', at: 'TIMESTAMP', day: 'DATE', city: 'VARCHAR', even: 'BOOLEAN' });
    // rows are stored sorted by key inside every chunk (the glob lists chunks by id, not by key)
    const [sorted] = await duck(
      `SELECT bool_and(id > prev) AS ordered FROM (SELECT id, lag(id, 1, -1) OVER (PARTITION BY filename ORDER BY file_row_number) AS prev FROM read_parquet('${glob}', filename = true, file_row_number = true))`,
    );
    expect(sorted).toEqual({ ordered: true });
  });

  it('a column added later reads as nulls in older chunks with union_by_name', async () => {
    const extra = path.join(work, 'extra.parquet');
    await duck(`COPY (SELECT 20001::BIGINT AS id, 'new' AS note) TO '${extra}' (FORMAT parquet)`);
    dgitOk(dir, 'import', extra, '--table', 'typed', '--mode', 'upsert');
    dgitOk(dir, 'commit', '-m', 'a row with a new column');
    const clone = path.join(work, 'clone2');
    execFileSync('git', ['clone', '-q', dir, clone]);
    const glob = path.join(clone, 'tables/typed/chunks/*/*.parquet');
    const [row] = await duck(`SELECT count(*) AS n, count(note) AS notes, max(note) AS note FROM read_parquet('${glob}', union_by_name=true)`);
    expect(row).toEqual({ n: '20001', notes: '1', note: 'new' });
    const schema = JSON.parse(gitOut(clone, 'show', 'HEAD:tables/typed/schema.json'));
    expect(schema.columns.at(-1)).toMatchObject({ name: 'note', type: 'Utf8', nullable: true });
    expect(new Set(schema.columns.map((c: { id: number }) => c.id)).size).toBe(schema.columns.length);
  });
});
