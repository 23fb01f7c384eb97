import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { Repository } from '../../engine/repository/repository.js';
import { commit } from '../../engine/commands/commit.js';
import { createTableSchema, serializeTableSchema, type TableSchema } from '../../engine/schema/schema.js';
import { serializeManifest, type Manifest } from '../../engine/chunking/manifest.js';
import { applyEdits } from '../../engine/table/apply-edits.js';
import { withTableTree } from '../../engine/table/root-tree.js';
import { chunkPath, writeTableTree, type ObjectWriter } from '../../engine/table/table-tree.js';
import { serializeTree, type TreeEntry } from '../../engine/store/git-objects.js';
import type { ObjectId } from '../../engine/store/object-store.js';
import type { Row } from '../../engine/value/value.js';
import { tempDir } from '../support/cli.js';

const small = { hash: 'fnv1a32-fmix-v1' as const, targetRows: 64, minRows: 16, maxRows: 256 };
const schema: TableSchema = createTableSchema([{ name: 'id', type: 'Int64' }, { name: 'v', type: 'Utf8' }], ['id'], small);
const rowsOf = (n: number): Row[] => Array.from({ length: n }, (_, i) => [BigInt(i), `value ${i}`]);

/** The table tree as dgit wrote it before pages: schema.json, one manifest.json, chunks/<xx>/<id>.parquet. */
function writeFlatTableTree(manifest: Manifest, writer: ObjectWriter): ObjectId {
  const buckets = new Map<string, TreeEntry[]>();
  for (const chunk of manifest.chunks) {
    const [, prefix, name] = chunkPath(chunk.id).split('/');
    if (!buckets.has(prefix!)) buckets.set(prefix!, []);
    buckets.get(prefix!)!.push({ mode: '100644', name: name!, oid: chunk.id as unknown as ObjectId });
  }
  const fanOut = [...buckets].map(([name, entries]) => ({ mode: '40000' as const, name, oid: writer.write('tree', serializeTree(entries)) }));
  return writer.write(
    'tree',
    serializeTree([
      { mode: '100644', name: 'schema.json', oid: writer.write('blob', Buffer.from(serializeTableSchema(schema))) },
      { mode: '100644', name: 'manifest.json', oid: writer.write('blob', Buffer.from(serializeManifest(schema, manifest))) },
      { mode: '40000', name: 'chunks', oid: writer.write('tree', serializeTree(fanOut)) },
    ]),
  );
}

function looseObjects(dir: string): Set<string> {
  const objects = path.join(dir, '.git', 'objects');
  const out = new Set<string>();
  for (const prefix of fs.readdirSync(objects)) {
    if (!/^[0-9a-f]{2}$/.test(prefix)) continue;
    for (const rest of fs.readdirSync(path.join(objects, prefix))) out.add(prefix + rest);
  }
  return out;
}

async function upsert(repository: Repository, rows: Row[], flat = false): Promise<void> {
  await repository.changeWorkingSet(async ({ working, tx, chunks }) => {
    const current = await repository.readTable(working.tree, 't');
    const applied = await applyEdits(schema, current?.manifest ?? { chunks: [] }, { upserts: rows, deletes: [] }, { reader: chunks, writer: chunks });
    const tree = flat ? writeFlatTableTree(applied.manifest, tx) : writeTableTree({ schema, manifest: applied.manifest }, tx);
    return { tree: await withTableTree(repository.store, tx, working.tree, 't', tree), result: undefined };
  });
}

describe('table trees with a paged manifest', () => {
  it('reads a table stored with the old flat manifest.json, and writes the paged form on the next change', async () => {
    const dir = tempDir();
    const { repository } = await Repository.init(dir);
    await upsert(repository, rowsOf(3000), true);
    await commit(repository, { message: 'flat' });
    const head = await repository.revision('HEAD');
    const old = await repository.readTable(head.tree, 't');
    expect(old?.storage).toEqual({ form: 'flat' });
    expect(old!.manifest.chunks.reduce((n, c) => n + c.rows, 0)).toBe(3000);
    await upsert(repository, [[5n, 'changed']]);
    const working = await repository.workingSet();
    const next = await repository.readTable(working.tree, 't');
    expect(next?.storage?.form).toBe('paged');
    // Only the chunk holding key 5 differs from the flat version.
    const changed = next!.manifest.chunks.filter((c, i) => c.id !== old!.manifest.chunks[i]?.id);
    expect(changed).toHaveLength(1);
    expect(next!.manifest.chunks.length).toBe(old!.manifest.chunks.length);
  });

  it('a change of one chunk adds a bounded number of objects, the same for a small and a 15x larger table', async () => {
    const added: number[] = [];
    for (const size of [2000, 30000]) {
      const dir = tempDir();
      const { repository } = await Repository.init(dir);
      await upsert(repository, rowsOf(size));
      await commit(repository, { message: 'load' });
      const before = looseObjects(dir);
      await upsert(repository, [[BigInt(Math.floor(size / 2)), 'changed']]);
      await commit(repository, { message: 'one row' });
      const fresh = [...looseObjects(dir)].filter((id) => !before.has(id));
      const height = (await repository.readTable((await repository.revision('HEAD')).tree, 't'))!.storage;
      expect(height?.form).toBe('paged');
      const levels = height?.form === 'paged' ? height.height : 0;
      // chunk (+ a neighbour), their fan-out trees, chunks/, one page per level and its fan-out tree, pages/,
      // manifest/ and root.json, the table tree, tables/, the root tree, the commit.
      expect(fresh.length).toBeLessThanOrEqual(2 * 2 + 1 + 2 * 2 * levels + 1 + 2 + 4);
      added.push(fresh.length);
    }
    expect(added[1]! - added[0]!).toBeLessThanOrEqual(4);
  });
});
