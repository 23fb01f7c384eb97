import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commit } from '../../engine/commands/commit.js';
import { importTable } from '../../engine/commands/import.js';
import { Repository } from '../../engine/repository/repository.js';
import { tempDir } from '../support/cli.js';

describe('import --mode replace counts', () => {
  it('reports the rows that really changed, not every row as deleted and inserted again', async () => {
    const dir = tempDir('dgit-replace-');
    const { repository } = await Repository.init(dir);
    const file = path.join(dir, '..', `${path.basename(dir)}-t.csv`);
    const csv = (rows: Array<[number, string]>) => 'id,name\n' + rows.map(([id, name]) => `${id},${name}`).join('\n') + '\n';
    const ten = Array.from({ length: 10 }, (_, i) => [i + 1, `n${i + 1}`] as [number, string]);
    fs.writeFileSync(file, csv(ten));
    expect(await importTable(repository, file, { table: 't', key: ['id'] })).toMatchObject({ inserted: 10, updated: 0, deleted: 0 });
    await commit(repository, { message: 'base', author: { name: 'Test', email: 'test@example.com' } });
    // 4 rows change: 3 modified, 9 and 10 deleted, 11 added.
    const next = ten.filter(([id]) => id <= 8).map(([id, name]) => [id, id === 3 ? 'three' : name] as [number, string]);
    next.push([11, 'n11']);
    fs.writeFileSync(file, csv(next));
    const result = await importTable(repository, file, { table: 't', mode: 'replace' });
    expect(result).toMatchObject({ inserted: 1, updated: 1, deleted: 2, unchanged: 7, rows: 9 });
    fs.rmSync(file);
  });
});
