import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commit } from '../../engine/commands/commit.js';
import { importTable } from '../../engine/commands/import.js';
import { runSql } from '../../engine/commands/sql.js';
import { Repository } from '../../engine/repository/repository.js';
import { tempDir } from '../support/cli.js';

/** A statement that reads its own table through a qualified name must see the whole table, not only the rows it updates. */
describe('an UPDATE reading its own table by a qualified name', () => {
  for (const statement of ['UPDATE t SET a = (SELECT max(a) FROM main.t) WHERE id = 1', 'UPDATE t SET a = (SELECT max(a) FROM temp.t) WHERE id = 1', "UPDATE t SET a = (SELECT max(a) FROM query_table('t')) WHERE id = 1"]) {
    it(statement, async () => {
      const dir = tempDir('dgit-narrow-');
      const { repository } = await Repository.init(dir);
      const file = path.join(dir, '..', `${path.basename(dir)}-t.csv`);
      fs.writeFileSync(file, 'id,a\n1,1\n2,2\n3,30\n');
      await importTable(repository, file, { table: 't', key: ['id'] });
      fs.rmSync(file);
      await commit(repository, { message: 'base', author: { name: 'Test', email: 'test@example.com' } });
      await runSql(repository, statement);
      const result = await runSql(repository, 'SELECT id, a FROM t ORDER BY id');
      expect(result.kind === 'rows' ? result.rows : result).toEqual([
        { id: 1, a: 30 },
        { id: 2, a: 2 },
        { id: 3, a: 30 },
      ]);
    });
  }
});
