import { parseTree, serializeTree, type TreeEntry } from '../store/git-objects.js';
import type { ObjectId, ObjectStore } from '../store/object-store.js';
import { EMPTY_TREE } from '../table/root-tree.js';
import { TABLES_DIR, type ObjectWriter } from '../table/table-tree.js';

/**
 * A root tree like `root` with several tables set at once. A proposal writes all
 * its trees into one pending transaction, which cannot be read back before it
 * commits; so the new root is assembled in one pass from the stored `root` and the
 * new table tree ids, never from a tree written moments ago.
 */
export async function withTableTrees(store: ObjectStore, writer: ObjectWriter, root: ObjectId, tables: ReadonlyMap<string, ObjectId>): Promise<ObjectId> {
  if (tables.size === 0) return root;
  const rootEntries = root === EMPTY_TREE ? [] : parseTree(await store.readTyped(root, 'tree'), '/');
  const tablesEntry = rootEntries.find((e) => e.name === TABLES_DIR && e.mode === '40000');
  const tableEntries = tablesEntry ? parseTree(await store.readTyped(tablesEntry.oid, 'tree'), TABLES_DIR) : [];
  const nextTables: TreeEntry[] = [...tableEntries.filter((e) => !tables.has(e.name)), ...[...tables].map(([name, oid]): TreeEntry => ({ mode: '40000', name, oid }))];
  const nextRoot: TreeEntry[] = [...rootEntries.filter((e) => e.name !== TABLES_DIR), { mode: '40000', name: TABLES_DIR, oid: writer.write('tree', serializeTree(nextTables)) }];
  return writer.write('tree', serializeTree(nextRoot));
}
