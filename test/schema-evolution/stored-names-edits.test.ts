import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBranch, switchBranch } from '../../engine/commands/branch.js';
import { commit } from '../../engine/commands/commit.js';
import { merge } from '../../engine/commands/merge.js';
import { importTable } from '../../engine/commands/import.js';
import { runSql } from '../../engine/commands/sql.js';
import { Repository } from '../../engine/repository/repository.js';
import { tempDir } from '../support/cli.js';

/** Enough rows for several chunks. */
const ROWS = 2000;

async function repositoryWith(lines: string[]): Promise<Repository> {
  const dir = tempDir('dgit-stored-');
  const { repository } = await Repository.init(dir);
  const file = path.join(dir, '..', `${path.basename(dir)}-t.csv`);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  await importTable(repository, file, { table: 't', key: ['id'] });
  fs.rmSync(file);
  await commit(repository, { message: 'base', author: { name: 'Test', email: 'test@example.com' } });
  return repository;
}

async function rows(repository: Repository, query: string): Promise<Array<Record<string, unknown>>> {
  const result = await runSql(repository, query);
  if (result.kind !== 'rows') throw new Error('not a query');
  return result.rows;
}

describe('edits on a table whose columns swapped names (each chunk holds them under the other name)', () => {
  it('an UPDATE after swapping two column names changes the right column and keeps the others', async () => {
    const lines = ['id,a,c'];
    for (let i = 1; i <= ROWS; i++) lines.push(`${i},${i},${-i}`);
    const repository = await repositoryWith(lines);
    await runSql(repository, 'ALTER TABLE t RENAME COLUMN a TO tmp');
    await runSql(repository, 'ALTER TABLE t RENAME COLUMN c TO a');
    await runSql(repository, 'ALTER TABLE t RENAME COLUMN tmp TO c');
    expect(await rows(repository, 'SELECT id, a, c FROM t WHERE id IN (4, 5) ORDER BY id')).toEqual([
      { id: 4, a: -4, c: 4 },
      { id: 5, a: -5, c: 5 },
    ]);
    await runSql(repository, 'UPDATE t SET c = 0 WHERE id = 5');
    expect(await rows(repository, 'SELECT id, a, c FROM t WHERE id IN (4, 5) ORDER BY id')).toEqual([
      { id: 4, a: -4, c: 4 },
      { id: 5, a: -5, c: 0 },
    ]);
    // Every other row of every chunk keeps its cells under the right names.
    expect(await rows(repository, 'SELECT count(*) AS n FROM t WHERE id <> 5 AND (a <> -id OR c <> id)')).toEqual([{ n: 0 }]);
  });

  for (const swapOn of ['main', 'feature'] as const) {
    it(`a merge of an edit into a table whose names were swapped (swap on ${swapOn}) keeps every other row as it was`, async () => {
      const lines = ['id,a,c'];
      for (let i = 1; i <= ROWS; i++) lines.push(`${i},${i},${-i}`);
      const repository = await repositoryWith(lines);
      await createBranch(repository, 'feature');
      const author = { name: 'Test', email: 'test@example.com' };
      const edit = swapOn === 'main' ? 'feature' : 'main';
      await switchBranch(repository, swapOn);
      for (const statement of ['ALTER TABLE t RENAME COLUMN a TO tmp', 'ALTER TABLE t RENAME COLUMN c TO a', 'ALTER TABLE t RENAME COLUMN tmp TO c'])
        await runSql(repository, statement);
      await commit(repository, { message: 'swap', author });
      await switchBranch(repository, edit);
      // The original column a (after the swap: c) of row 5.
      await runSql(repository, 'UPDATE t SET a = 0 WHERE id = 5');
      await commit(repository, { message: 'edit', author });
      await switchBranch(repository, 'main');
      expect((await merge(repository, 'feature')).status).not.toBe('conflicts');
      expect(await rows(repository, 'SELECT id, a, c FROM t WHERE id IN (4, 5) ORDER BY id')).toEqual([
        { id: 4, a: -4, c: 4 },
        { id: 5, a: -5, c: 0 },
      ]);
      expect(await rows(repository, 'SELECT count(*) AS n FROM t WHERE id <> 5 AND (a <> -id OR c <> id)')).toEqual([{ n: 0 }]);
    });
  }

  for (const mode of ['append', 'upsert', 'replace'] as const) {
    it(`an import (${mode}) whose file names a new column as a renamed one is still stored rewrites the table, and each column keeps its own cells`, async () => {
      const lines = ['id,score'];
      for (let i = 1; i <= ROWS; i++) lines.push(`${i},${i * 10}`);
      const repository = await repositoryWith(lines);
      // Chunks hold `points` under its old name, `score`: a new `score` cannot share it.
      await runSql(repository, 'ALTER TABLE t RENAME COLUMN score TO points');
      const file = path.join(repository.dir, '..', `${path.basename(repository.dir)}-new.csv`);
      const added = mode === 'append' ? `id,score\n${ROWS + 1},7\n` : `id,points,score\n${mode === 'replace' ? '1,10,5\n' : ''}2,21,200\n${ROWS + 1},30,7\n`;
      fs.writeFileSync(file, added);
      const result = await importTable(repository, file, { table: 't', mode });
      expect(result.addedColumns).toEqual(['score']);
      const expected = mode === 'replace' ? 3 : ROWS + 1;
      expect(await rows(repository, 'SELECT count(*) AS n FROM t')).toEqual([{ n: expected }]);
      expect(await rows(repository, `SELECT id, points, score FROM t WHERE id IN (1, 2, ${ROWS + 1}) ORDER BY id`)).toEqual(
        mode === 'append'
          ? [{ id: 1, points: 10, score: null }, { id: 2, points: 20, score: null }, { id: ROWS + 1, points: null, score: 7 }]
          : [{ id: 1, points: 10, score: mode === 'replace' ? 5 : null }, { id: 2, points: 21, score: 200 }, { id: ROWS + 1, points: 30, score: 7 }],
      );
      if (mode !== 'replace') expect(await rows(repository, `SELECT count(*) AS n FROM t WHERE id NOT IN (2, ${ROWS + 1}) AND (points <> id * 10 OR score IS NOT NULL)`)).toEqual([{ n: 0 }]);
      // Committed, the chunk files hold each column under its own name, as the schema says (no stored names left).
      await commit(repository, { message: 'import', author: { name: 'Test', email: 'test@example.com' } });
      const table = await repository.readTable((await repository.workingSet()).tree, 't');
      expect(table!.schema.columns.map((c) => [c.name, c.stored])).toEqual([['id', undefined], ['points', undefined], ['score', undefined]]);
    });
  }
});

