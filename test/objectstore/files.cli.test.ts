import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { commit } from '../../engine/commands/commit.js';
import { exportTable } from '../../engine/commands/export.js';
import { importTable } from '../../engine/commands/import.js';
import { runSql } from '../../engine/commands/sql.js';
import { Repository } from '../../engine/repository/repository.js';
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

  it('refuses an unknown table, gc without a chunk store and a bad --chunks URL, changing nothing', () => {
    const before = repositorySnapshot(repository.dir);
    const missing = dgit(repository.dir, 'files', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/table "nope" not found/);
    const gc = dgit(repository.dir, 'gc');
    expect(gc.code).toBe(1);
    expect(gc.stderr).toMatch(/keeps its chunks in git/);
    const bad = dgit(repository.dir, 'remote', 'add', 'origin', 'https://example.com/x.git', '--chunks', 'https://bucket/prefix');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/a chunk store is an S3 URL like s3:\/\/bucket\/prefix/);
    expect(repositorySnapshot(repository.dir)).toBe(before);
  });
});
