import { afterEach, describe, expect, it, vi } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { Repository } from '../../engine/repository/repository.js';
import { commit } from '../../engine/commands/commit.js';
import { importTable } from '../../engine/commands/import.js';
import { runSql } from '../../engine/commands/sql.js';
import { createTableSchema, type TableSchema } from '../../engine/schema/schema.js';
import { buildTable } from '../../engine/table/build-table.js';
import { withTableTree } from '../../engine/table/root-tree.js';
import { writeTableTree } from '../../engine/table/table-tree.js';
import { ObjectTransaction, type ObjectId } from '../../engine/store/object-store.js';
import { rowsToArrow } from '../../engine/store/parquet/chunk-codec.js';
import type { Row } from '../../engine/value/value.js';
import { tempDir } from '../support/cli.js';
import { verifyTables } from '../../engine/integrity/table-integrity.js';
import { parseTree, serializeTree, type TreeEntry } from '../../engine/store/git-objects.js';

// Small chunks (64 rows on average): 30,000 rows make ~470 chunks, enough to fill every one of the 256 fan-out folders.
const small = { hash: 'fnv1a32-fmix-v1' as const, targetRows: 64, minRows: 16, maxRows: 256 };
const schema: TableSchema = createTableSchema([{ name: 'id', type: 'Int64' }, { name: 'v', type: 'Utf8' }], ['id'], small);

async function* batchesOf(rows: Row[]) {
  for (let i = 0; i < rows.length; i += 5000) yield rowsToArrow(schema.columns, rows.slice(i, i + 5000));
}

/** A repository whose working set holds table `t` of `rows`, written from scratch (a bulk import). */
async function bulkRepository(rows: Row[]): Promise<{ dir: string; repository: Repository }> {
  const dir = tempDir();
  const { repository } = await Repository.init(dir);
  await repository.changeWorkingSet(async ({ working, tx, chunks }) => {
    const manifest = await buildTable(schema, batchesOf(rows), chunks, 't');
    return { tree: await withTableTree(repository.store, tx, working.tree, 't', writeTableTree({ schema, manifest }, tx)), result: undefined };
  });
  return { dir, repository };
}

async function tableTreeOf(repository: Repository): Promise<ObjectId> {
  return (await repository.tableTrees((await repository.workingSet()).tree)).get('t')!;
}

/** The objects `run` asks the store to write (stored or found again), by type: the work a write of trees and pages does. */
async function objectsWritten(run: () => Promise<unknown>): Promise<Record<string, number>> {
  const spy = vi.spyOn(ObjectTransaction.prototype, 'write'); // still writes: the spy only records the calls
  const counts: Record<string, number> = {};
  try {
    await run();
    for (const [type] of spy.mock.calls) counts[type] = (counts[type] ?? 0) + 1;
  } finally {
    spy.mockRestore();
  }
  return counts;
}

function csvOf(dir: string, name: string, rows: Row[]): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `id,v\n${rows.map((r) => `${String(r[0])},${String(r[1])}`).join('\n')}\n`);
  return file;
}

const rowsOf = (n: number): Row[] => Array.from({ length: n }, (_, i) => [BigInt(i), `value ${i}`]);
/** `k` rows spread over the key range of a table of `n` rows, with new values. */
const spread = (n: number, k: number, tag: string): Row[] =>
  Array.from({ length: k }, (_, i) => {
    const id = Math.floor(((i + 0.5) * n) / k);
    return [BigInt(id), `${tag} ${id}`];
  });

afterEach(() => vi.restoreAllMocks());

describe('an edit of k chunks writes trees and pages in proportion to k', () => {
  it('a k-row upsert asks for a bounded number of objects, the same for a table of ~94 and of ~470 chunks', async () => {
    const k = 4;
    const written: Array<Record<string, number>> = [];
    for (const size of [6000, 30000]) {
      const { dir, repository } = await bulkRepository(rowsOf(size));
      await commit(repository, { message: 'load' });
      const file = csvOf(dir, 'edit.csv', spread(size, k, 'changed'));
      written.push(await objectsWritten(() => importTable(repository, file, { table: 't', mode: 'upsert' })));
      // The same rows, bulk-imported: the same table tree (history independence).
      const final = rowsOf(size);
      for (const row of spread(size, k, 'changed')) final[Number(row[0])] = row;
      const edited = await tableTreeOf(repository);
      expect(edited).toBe(await tableTreeOf((await bulkRepository(final)).repository));
    }
    for (const counts of written) {
      // Per changed chunk (up to two, with a moved boundary): the chunk, its fan-out folder, its leaf page and that page's folder;
      // then the pages above, root.json, schema.json, the folders manifest/, pages/, chunks/, the table tree, tables/ and the root.
      expect(counts.tree ?? 0).toBeGreaterThan(0);
      expect(counts.tree ?? 0).toBeLessThanOrEqual(4 * k + 8);
      expect(counts.blob ?? 0).toBeLessThanOrEqual(4 * k + 8);
    }
    // Five times the chunks: a few objects more (a level of pages, edits that shared a page or folder in the small table no longer do), not five times as many.
    const total = (counts: Record<string, number>) => (counts.tree ?? 0) + (counts.blob ?? 0);
    expect(total(written[1]!)).toBeLessThanOrEqual(total(written[0]!) + 8);
  });

  it('a one-row SQL UPDATE on a table of ~470 chunks writes a handful of trees, not its 256 fan-out folders', async () => {
    const { repository } = await bulkRepository(rowsOf(30000));
    await commit(repository, { message: 'load' });
    const counts = await objectsWritten(() => runSql(repository, `UPDATE t SET v = 'sql' WHERE id = 12345`));
    expect(counts.tree ?? 0).toBeGreaterThan(0);
    expect(counts.tree ?? 0).toBeLessThanOrEqual(12);
    const final = rowsOf(30000);
    final[12345] = [12345n, 'sql'];
    expect(await tableTreeOf(repository)).toBe(await tableTreeOf((await bulkRepository(final)).repository));
  });

  it('a run of upserts, deletes and inserts ends on the tree a bulk import of the final rows gives', async () => {
    const size = 20000;
    const { dir, repository } = await bulkRepository(rowsOf(size));
    await commit(repository, { message: 'load' });
    const model = new Map<bigint, Row>(rowsOf(size).map((r) => [r[0] as bigint, r]));
    const upsert = async (rows: Row[], name: string) => {
      await importTable(repository, csvOf(dir, name, rows), { table: 't', mode: 'upsert' });
      for (const row of rows) model.set(row[0] as bigint, row);
    };
    const remove = async (ids: number[], name: string) => {
      await importTable(repository, csvOf(dir, name, ids.map((id) => [BigInt(id), ''])), { table: 't', mode: 'delete' });
      for (const id of ids) model.delete(BigInt(id));
    };
    await upsert(spread(size, 7, 'a'), 'a.csv');
    // Delete a long run (whole chunks and pages go), then put part of it back and add keys past the end.
    await remove(Array.from({ length: 3000 }, (_, i) => 5000 + i), 'd1.csv');
    await upsert(Array.from({ length: 1000 }, (_, i) => [BigInt(5500 + i), `back ${i}`] as Row), 'b.csv');
    await upsert(Array.from({ length: 500 }, (_, i) => [BigInt(size + i), `tail ${i}`] as Row), 'c.csv');
    await remove([0, 1, 2, 19999], 'd2.csv');
    await runSql(repository, `UPDATE t SET v = 'sql' WHERE id = 15000`);
    model.set(15000n, [15000n, 'sql']);
    const final = [...model.values()].sort((x, y) => (x[0] as bigint) < (y[0] as bigint) ? -1 : 1);
    expect(await tableTreeOf(repository)).toBe(await tableTreeOf((await bulkRepository(final)).repository));
  });
  it('the commit check, reusing the parent\'s pages, still refuses a page folder edited by hand where the edit left it alone', async () => {
    const { repository } = await bulkRepository(rowsOf(20000));
    await commit(repository, { message: 'load' });
    const parent = (await repository.revision('HEAD')).tree;
    await runSql(repository, `UPDATE t SET v = 'sql' WHERE id = 10`);
    const root = (await repository.workingSet()).tree;
    expect(await verifyTables(repository.store, root, { parent })).toEqual([]);
    // Add a file to the page folder of a page far from the edit (the parent's folder, unchanged by the edit).
    const store = repository.store;
    const table = await tableTreeOf(repository);
    const entries = parseTree(await store.readTyped(table, 'tree'), 't');
    const manifestEntry = entries.find((e) => e.name === 'manifest')!;
    const manifestEntries = parseTree(await store.readTyped(manifestEntry.oid, 'tree'), 'm');
    const pagesEntry = manifestEntries.find((e) => e.name === 'pages')!;
    const folders = parseTree(await store.readTyped(pagesEntry.oid, 'tree'), 'p');
    const folder = folders[folders.length - 1]!;
    const files = parseTree(await store.readTyped(folder.oid, 'tree'), 'f');
    const extra = store.write('blob', Buffer.from('{}'));
    const swap = (list: TreeEntry[], name: string, oid: ObjectId) => serializeTree(list.map((e) => (e.name === name ? { ...e, oid } : e)));
    const folderOid = store.write('tree', serializeTree([...files, { mode: '100644', name: 'notes.json', oid: extra }]));
    const pagesOid = store.write('tree', swap(folders, folder.name, folderOid));
    const manifestOid = store.write('tree', swap(manifestEntries, 'pages', pagesOid));
    const tableOid = store.write('tree', swap(entries, 'manifest', manifestOid));
    const tampered = await withTableTree(store, store, root, 't', tableOid);
    const problems = await verifyTables(store, tampered, { parent });
    expect(problems.map((p) => p.problem).join('\n')).toMatch(/manifest pages are not the ones dgit writes/);
  });
});
