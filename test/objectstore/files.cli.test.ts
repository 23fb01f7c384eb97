import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { commit } from '../../engine/commands/commit.js';
import { exportTable } from '../../engine/commands/export.js';
import { importTable } from '../../engine/commands/import.js';
import { runSql } from '../../engine/commands/sql.js';
import { Repository } from '../../engine/repository/repository.js';
import { dgitInOk } from '../cli/in-process.js';
import { dgit, repositorySnapshot, tempDir } from '../support/cli.js';
import { duck } from '../support/duckdb.js';

const AUTHOR = { name: 'Test', email: 'test@example.com' };
let work: string;
let repository: Repository;

beforeAll(async () => {
  work = tempDir('dgit-files-');
  const source = path.join(work, 'rows.parquet');
  await duck(`COPY (SELECT i AS id, i * 3 AS x, 'r' || i AS label FROM range(1, 20001) t(i)) TO '${source}' (FORMAT parquet)`);
  repository = (await Repository.init(path.join(work, 'repo'))).repository;
  await importTable(repository, source, { table: 't', key: ['id'] });
  await commit(repository, { message: 'rows', author: AUTHOR });
  await runSql(repository, 'UPDATE t SET x = -1 WHERE id BETWEEN 100 AND 110');
  await runSql(repository, 'DELETE FROM t WHERE id > 19990');
  await commit(repository, { message: 'edit', author: AUTHOR });
});

describe('dgit files (chunks in git)', () => {
  it('prints a DuckDB query over the chunk files that returns exactly the table at that revision', async () => {
    const result = dgit(repository.dir, 'files', 't', '--rev', 'HEAD~1', '--format', 'duckdb');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^SELECT "id", "x", "label"\nFROM read_parquet\(\[\n {2}'.*\.parquet'/);
    const exported = path.join(work, 'head-1.parquet');
    await exportTable(repository, 't', { rev: 'HEAD~1', format: 'parquet', output: exported });
    const query = result.stdout.trim().replace(/;$/, '');
    const [counts] = await duck(`CREATE TABLE a AS ${query};
      CREATE TABLE b AS SELECT * FROM read_parquet('${exported}');
      SELECT (SELECT count(*) FROM a)::INTEGER AS a,
        (SELECT count(*) FROM (SELECT * FROM a EXCEPT ALL SELECT * FROM b))::INTEGER AS only_a,
        (SELECT count(*) FROM (SELECT * FROM b EXCEPT ALL SELECT * FROM a))::INTEGER AS only_b`);
    expect(counts).toEqual({ a: 20000, only_a: 0, only_b: 0 });
  });

  it('after a column rename and an added column, the DuckDB query gives what export gives (names, types, rows), whether no chunk or some chunks hold the new column', async () => {
    const source = path.join(work, 'scores.parquet');
    await duck(`COPY (SELECT i AS id, i * 10 AS score FROM range(1, 5001) t(i)) TO '${source}' (FORMAT parquet)`);
    const scores = (await Repository.init(path.join(work, 'scores'))).repository;
    await importTable(scores, source, { table: 't', key: ['id'] });
    await commit(scores, { message: 'scores', author: AUTHOR });
    await runSql(scores, 'ALTER TABLE t RENAME COLUMN score TO points');
    await runSql(scores, 'ALTER TABLE t ADD COLUMN extra INTEGER');
    await commit(scores, { message: 'rename and add', author: AUTHOR });
    // Only the chunk of row 3 is rewritten (holding extra); the others still lack it and hold points as score.
    await runSql(scores, 'UPDATE t SET extra = 7 WHERE id = 3');
    await commit(scores, { message: 'one extra', author: AUTHOR });
    expect((await scores.readTable((await scores.workingSet()).tree, 't'))!.manifest.chunks.length).toBeGreaterThan(1);

    const query = await dgitInOk(scores.dir, 'files', 't', '--rev', 'HEAD~1', '--format', 'duckdb');
    expect(query).toMatch(/^SELECT "id", "score" AS "points", CAST\(NULL AS INTEGER\) AS "extra"\n/);
    expect(await dgitInOk(scores.dir, 'files', 't', '--rev', 'HEAD~1', '--format', 'spark')).toMatch(/\)\.selectExpr\("`id`", "`score` AS `points`", "CAST\(NULL AS INT\) AS `extra`"\)\n$/);
    expect(await dgitInOk(scores.dir, 'files', 't', '--format', 'duckdb')).toMatch(/^SELECT "id", "score" AS "points", "extra"\n/);
    for (const rev of ['HEAD~1', 'HEAD']) {
      const printed = await dgitInOk(scores.dir, 'files', 't', '--rev', rev, '--format', 'duckdb');
      const exported = path.join(work, `scores-${rev}.parquet`);
      await exportTable(scores, 't', { rev, format: 'parquet', output: exported });
      const [compared] = await duck(`CREATE TABLE a AS ${printed.trim().replace(/;$/, '')};
        CREATE TABLE b AS SELECT * FROM read_parquet('${exported}');
        SELECT (SELECT string_agg(column_name || ' ' || column_type, ', ') FROM (DESCRIBE a)) AS a_columns,
          (SELECT string_agg(column_name || ' ' || column_type, ', ') FROM (DESCRIBE b)) AS b_columns,
          (SELECT count(*) FROM a)::INTEGER AS a, (SELECT count(extra) FROM a)::INTEGER AS extras,
          (SELECT count(*) FROM (SELECT * FROM a EXCEPT ALL SELECT * FROM b))::INTEGER AS only_a,
          (SELECT count(*) FROM (SELECT * FROM b EXCEPT ALL SELECT * FROM a))::INTEGER AS only_b`);
      expect(compared).toEqual({
        a_columns: 'id BIGINT, points BIGINT, extra INTEGER',
        b_columns: 'id BIGINT, points BIGINT, extra INTEGER',
        a: 5000,
        extras: rev === 'HEAD' ? 1 : 0,
        only_a: 0,
        only_b: 0,
      });
    }
  });

  it('refuses an unknown table, gc without a chunk store and a bad --chunks URL, changing nothing', () => {
    const before = repositorySnapshot(repository.dir);
    const missing = dgit(repository.dir, 'files', 'nope');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/table "nope" not found; tables: t \(working set\)/);
    const gc = dgit(repository.dir, 'gc');
    expect(gc.code).toBe(1);
    expect(gc.stderr).toMatch(/keeps its chunks in git/);
    const bad = dgit(repository.dir, 'remote', 'add', 'origin', 'https://example.com/x.git', '--chunks', 'https://bucket/prefix');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/a chunk store is an S3 URL like s3:\/\/bucket\/prefix/);
    expect(repositorySnapshot(repository.dir)).toBe(before);
  });
});
