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
});
