import { CorruptError } from '../errors/index.js';
import { parseTree, serializeTree, type TreeEntry } from '../store/git-objects.js';
import { EMPTY_TREE, type ObjectId, type ObjectStore } from '../store/object-store.js';
import { TABLES_DIR, type ObjectWriter } from './table-tree.js';

export { EMPTY_TREE };

/** The table trees of a commit's root tree, by table name. */
export async function listTableTrees(store: ObjectStore, root: ObjectId): Promise<Map<string, ObjectId>> {
  const tables = new Map<string, ObjectId>();
  if (root === EMPTY_TREE) return tables;
  const entry = parseTree(await store.readTyped(root, 'tree'), '/').find((e) => e.name === TABLES_DIR);
  if (!entry) return tables;
  if (entry.mode !== '40000') throw new CorruptError(`${TABLES_DIR} is not a folder`, TABLES_DIR);
  for (const table of parseTree(await store.readTyped(entry.oid, 'tree'), TABLES_DIR)) {
    if (table.mode === '40000') tables.set(table.name, table.oid);
  }
  return tables;
}

/** A root tree like `root` with table `name` set to `tableTree` (or removed). Other files of the root are kept. */
export async function withTableTree(
  store: ObjectStore,
  writer: ObjectWriter,
  root: ObjectId,
  name: string,
  tableTree: ObjectId | undefined,
): Promise<ObjectId> {
  return withTableTrees(store, writer, root, new Map([[name, tableTree]]));
}

/**
 * A root tree like `root` with several tables set (or removed, for `undefined`) at
 * once. The trees a change writes sit in a pending transaction that cannot be read
 * back before it commits, so a change of several tables (a rename drops one and adds
 * another) must assemble its root in one pass from the stored `root`, never from a
 * root written moments ago.
 */
export async function withTableTrees(
  store: ObjectStore,
  writer: ObjectWriter,
  root: ObjectId,
  tables: ReadonlyMap<string, ObjectId | undefined>,
): Promise<ObjectId> {
  if (tables.size === 0) return root;
  const rootEntries = root === EMPTY_TREE ? [] : parseTree(await store.readTyped(root, 'tree'), '/');
  const tablesEntry = rootEntries.find((e) => e.name === TABLES_DIR && e.mode === '40000');
  const tableEntries = tablesEntry ? parseTree(await store.readTyped(tablesEntry.oid, 'tree'), TABLES_DIR) : [];
  const nextTables: TreeEntry[] = tableEntries.filter((e) => !tables.has(e.name));
  for (const [name, oid] of tables) if (oid) nextTables.push({ mode: '40000', name, oid });
  const nextRoot: TreeEntry[] = rootEntries.filter((e) => e.name !== TABLES_DIR);
  if (nextTables.length > 0) nextRoot.push({ mode: '40000', name: TABLES_DIR, oid: writer.write('tree', serializeTree(nextTables)) });
  if (nextRoot.length === 0) return EMPTY_TREE;
  return writer.write('tree', serializeTree(nextRoot));
}

/** A root tree like `root` with a top-level file set (e.g. dgit.yml). */
export async function withRootFile(
  store: ObjectStore,
  writer: ObjectWriter,
  root: ObjectId,
  name: string,
  content: Uint8Array | undefined,
): Promise<ObjectId> {
  const rootEntries = root === EMPTY_TREE ? [] : parseTree(await store.readTyped(root, 'tree'), '/');
  const next = rootEntries.filter((e) => e.name !== name);
  if (content) next.push({ mode: '100644', name, oid: writer.write('blob', content) });
  if (next.length === 0) return EMPTY_TREE;
  return writer.write('tree', serializeTree(next));
}
