import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importTable, initRepository } from '../../engine/index.js';
import type { Repository } from '../../engine/repository/repository.js';
import { DEFAULT_CHUNKING, createTableSchema, parseTableSchema, serializeTableSchema } from '../../engine/schema/schema.js';
import { repositorySnapshot, tempDir, writeFile } from '../support/cli.js';

/** A keyed CSV of `rows` rows. */
function csv(dir: string, name: string, rows: number, from = 0): string {
  const lines = Array.from({ length: rows }, (_, i) => `${from + i},v${(from + i) % 13}`);
  return writeFile(dir, name, `id,v\n${lines.join('\n')}\n`);
}

async function tableOf(repository: Repository, table: string) {
  const working = await repository.workingSet();
  return (await repository.readTable(working.tree, table))!;
}

const small = { hash: 'fnv1a32-fmix-v1' as const, targetRows: 64, minRows: 16, maxRows: 256 };

describe('a table chunked as its creator asked', () => {
  it('keeps the chunking it was created with: in schema.json, in its chunk sizes, through later imports', async () => {
    const dir = tempDir();
    const { repository } = await initRepository(dir);
    await importTable(repository, csv(dir, 'a.csv', 5000), { table: 't', key: ['id'], chunking: small });
    const table = await tableOf(repository, 't');
    expect(table.schema.chunking).toEqual(small);
    const sizes = table.manifest.chunks.map((c) => c.rows);
    expect(sizes.length).toBeGreaterThan(40);
    expect(sizes.slice(0, -1).every((n) => n >= small.minRows && n <= small.maxRows)).toBe(true);
    // Later imports follow the table's own chunking, asked again or not.
    await importTable(repository, csv(dir, 'b.csv', 500, 5000), { table: 't', mode: 'append' });
    await importTable(repository, csv(dir, 'c.csv', 10, 6000), { table: 't', mode: 'append', chunking: small });
    const later = await tableOf(repository, 't');
    expect(later.schema.chunking).toEqual(small);
    expect(later.manifest.chunks.every((c) => c.rows <= small.maxRows)).toBe(true);
    // Without a setting, a new table gets the default.
    await importTable(repository, csv(dir, 'd.csv', 100), { table: 'u', key: ['id'] });
    expect((await tableOf(repository, 'u')).schema.chunking).toEqual(DEFAULT_CHUNKING);
  });

  it('refuses a chunking that cannot cut a table, or that would change an existing one, and leaves the repository as it was', async () => {
    const dir = tempDir();
    const { repository } = await initRepository(dir);
    const file = csv(dir, 'a.csv', 300);
    await importTable(repository, file, { table: 't', key: ['id'], chunking: small });
    const before = repositorySnapshot(dir);
    const bad = [
      { ...small, minRows: 64 },
      { ...small, maxRows: 32 },
      { ...small, targetRows: 1.5 },
      { ...small, minRows: 0 },
      { ...small, hash: 'sha1' },
    ];
    for (const chunking of bad)
      await expect(importTable(repository, file, { table: 'n', key: ['id'], chunking: chunking as typeof small }), JSON.stringify(chunking)).rejects.toThrow(/chunking .* is refused: /);
    await expect(importTable(repository, file, { table: 't', mode: 'replace', chunking: { ...small, targetRows: 128 } })).rejects.toThrow(/chunking of t was fixed when it was created/);
    expect(repositorySnapshot(dir)).toEqual(before);
    expect(fs.existsSync(path.join(dir, 'tables', 'n'))).toBe(false);
  });

  it('reads the same rule from schema.json: a stored chunking that cannot cut a table is refused as corrupt', () => {
    const stored = (chunking: typeof small) => serializeTableSchema({ ...createTableSchema([{ name: 'id', type: 'Int64' }], ['id']), chunking });
    expect(parseTableSchema(stored(small), 'schema.json').chunking).toEqual(small);
    expect(() => parseTableSchema(stored({ ...small, minRows: 64 }), 'schema.json')).toThrow(/schema is invalid: chunking needs minRows < targetRows <= maxRows/);
  });
});
