import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { Repository } from '../../engine/repository/repository.js';
import { importTable } from '../../engine/commands/import.js';
import { narrowEditPlan, runSql } from '../../engine/commands/sql.js';
import { createTableSchema } from '../../engine/schema/schema.js';
import { repositorySnapshot, tempDir, writeFile } from '../support/cli.js';

/** A repository with table t(id key, name, score) of `n` rows, ids 1..n. */
async function setup(n = 50): Promise<{ dir: string; repository: Repository }> {
  const dir = tempDir();
  const { repository } = await Repository.init(dir);
  const lines = ['id,name,score', ...Array.from({ length: n }, (_, i) => `${i + 1},name ${i + 1},${(i + 1) * 10}`)];
  const csv = writeFile(tempDir(), 'people.csv', lines.join('\n') + '\n');
  await importTable(repository, csv, { table: 't', key: ['id'] });
  return { dir, repository };
}

async function rows(repository: Repository): Promise<unknown[]> {
  const result = await runSql(repository, 'SELECT id, name, score FROM t ORDER BY id');
  if (result.kind !== 'rows') throw new Error('expected rows');
  return result.rows.map((r) => [r.id, r.name, r.score]);
}

/** The same statement, once as written and once with a mention of t that forces the general path (a copy of the table). */
async function bothWays(statement: string, general: string) {
  const a = await setup();
  const b = await setup();
  const narrow = await runSql(a.repository, statement);
  const wide = await runSql(b.repository, general);
  return { narrow, wide, narrowRows: await rows(a.repository), wideRows: await rows(b.repository) };
}

describe('sql edits stage only the rows they touch', () => {
  const cases: Array<[string, string, string]> = [
    ['an UPDATE by key', "UPDATE t SET name = 'x' WHERE id IN (3, 17)", "UPDATE t SET name = 'x' WHERE id IN (SELECT id FROM t WHERE id IN (3, 17))"],
    ['an UPDATE with an alias and a no-op row', 'UPDATE t AS p SET score = p.score * 1 + (CASE WHEN p.id = 4 THEN 1 ELSE 0 END) WHERE p.id BETWEEN 3 AND 5', 'UPDATE t AS p SET score = p.score * 1 + (CASE WHEN p.id = 4 THEN 1 ELSE 0 END) WHERE p.id IN (SELECT id FROM t WHERE id BETWEEN 3 AND 5)'],
    ['an UPDATE that moves a key', 'UPDATE t SET id = id + 1000 WHERE id <= 2', 'UPDATE t SET id = id + 1000 WHERE id IN (SELECT id FROM t WHERE id <= 2)'],
    ['a DELETE', 'DELETE FROM t WHERE score > 450', 'DELETE FROM t WHERE id IN (SELECT id FROM t WHERE score > 450)'],
    ['an INSERT', "INSERT INTO t VALUES (100, 'new', 1.5), (101, NULL, NULL)", "INSERT INTO t SELECT * FROM (VALUES (100, 'new', 1.5), (101, NULL, NULL)) WHERE (SELECT count(*) FROM t) > 0"],
  ];
  it('takes the narrow path for those statements, and the general one when the table is read again', () => {
    const schema = createTableSchema([{ name: 'id', type: 'Int64' }, { name: 'name', type: 'Utf8' }, { name: 'score', type: 'Float64' }], ['id']);
    for (const [, statement, general] of cases) {
      const verb = statement.split(' ')[0] as 'UPDATE' | 'DELETE' | 'INSERT';
      expect(narrowEditPlan(statement, verb, 't', schema)).toBeDefined();
      expect(narrowEditPlan(general, verb, 't', schema)).toBeUndefined();
    }
    expect(narrowEditPlan("UPDATE t SET name = 'x' WHERE id = 3", 'UPDATE', 't', schema)).toMatchObject({ where: ' id = 3', setsKey: false, alias: 't' });
    expect(narrowEditPlan('UPDATE t SET id = 4 WHERE id = 3', 'UPDATE', 't', schema)?.setsKey).toBe(true);
    expect(narrowEditPlan("UPDATE t SET name = 'id x' WHERE id = 3", 'UPDATE', 't', schema)?.setsKey).toBe(false);
    // A string naming the table may be a table function reading it (query_table('t')): the general path.
    expect(narrowEditPlan("UPDATE t SET name = 'id t' WHERE id = 3", 'UPDATE', 't', schema)).toBeUndefined();
    expect(narrowEditPlan('UPDATE t SET name = 1 FROM other WHERE other.id = t.id', 'UPDATE', 't', schema)).toBeUndefined();
    expect(narrowEditPlan('DELETE FROM t WHERE id = 1 RETURNING *', 'DELETE', 't', schema)).toBeUndefined();
    const keyless = createTableSchema([{ name: 'a', type: 'Int64' }], []);
    expect(narrowEditPlan('DELETE FROM t WHERE a = 1', 'DELETE', 't', keyless)).toBeUndefined();
  });

  for (const [what, statement, general] of cases) {
    it(`${what} gives what the general path gives`, async () => {
      const { narrow, wide, narrowRows, wideRows } = await bothWays(statement, general);
      expect(narrowRows).toEqual(wideRows);
      expect(narrow).toEqual(wide);
    });
  }

  it('an UPDATE or INSERT that would repeat a key, or an edit after a WITH, is refused and changes nothing', async () => {
    const { dir, repository } = await setup();
    const before = repositorySnapshot(dir);
    await expect(runSql(repository, 'UPDATE t SET id = 7 WHERE id = 3')).rejects.toThrow(/key \("7"|key \(7/);
    await expect(runSql(repository, 'UPDATE t SET id = 1 WHERE id IN (2, 3)')).rejects.toThrow(/appear twice/);
    await expect(runSql(repository, "INSERT INTO t VALUES (5, 'again', 0)")).rejects.toThrow(/appear twice/);
    // A CTE before an edit is refused with what to do, not DuckDB's "Can only delete from base table".
    await expect(runSql(repository, 'WITH x AS (SELECT 3 AS id) DELETE FROM t WHERE id IN (SELECT id FROM x)')).rejects.toThrow(/move the WITH into a subquery/);
    expect(repositorySnapshot(dir)).toBe(before);
    expect(path.isAbsolute(dir)).toBe(true);
  });

  it('INSERT OR REPLACE, INSERT OR IGNORE and ON CONFLICT upsert by the table key', async () => {
    const { repository } = await setup(3);
    expect(await runSql(repository, "INSERT OR REPLACE INTO t VALUES (2, 'two', 2), (4, 'four', 4)")).toMatchObject({ counts: { inserted: 1, updated: 1 } });
    expect(await runSql(repository, "INSERT INTO t VALUES (3, 'three', 3), (5, 'five', 5) ON CONFLICT (id) DO UPDATE SET name = excluded.name || '!'")).toMatchObject({ counts: { inserted: 1, updated: 1 } });
    expect(await runSql(repository, "INSERT OR IGNORE INTO t VALUES (1, 'ignored', 0), (6, 'six', 6)")).toMatchObject({ counts: { inserted: 1, updated: 0 } });
    expect(await rows(repository)).toEqual([
      [1, 'name 1', 10],
      [2, 'two', 2],
      [3, 'three!', 30],
      [4, 'four', 4],
      [5, 'five', 5],
      [6, 'six', 6],
    ]);
  });
});

