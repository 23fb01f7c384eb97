import type { ChunkEntry, ChunkId, Manifest } from '../chunking/manifest.js';
import { parseManifest } from '../chunking/manifest.js';
import { LeafPageCache, readManifestPages, writeManifestPages } from '../chunking/manifest-pages.js';
import { CorruptError } from '../errors/index.js';
import { keyColumnIndexes, parseTableSchema, serializeTableSchema, type TableSchema } from '../schema/schema.js';
import { parseTree, serializeTree, type TreeEntry } from '../store/git-objects.js';
import type { ObjectId, ObjectStore, ObjectType } from '../store/object-store.js';
import type { PreparedBlob } from '../store/object-encoding.js';
import type { TableVersion } from './table-version.js';

/** The folder of a commit's tree that holds the tables. */
export const TABLES_DIR = 'tables';

/** Anything that stores git objects: the store itself or a pending transaction. */
export interface ObjectWriter {
  write(type: ObjectType, content: Uint8Array): ObjectId;
  /** Store a chunk (default: as a blob); a repository with a chunk store keeps them outside git. */
  writeChunk?(bytes: Uint8Array): ObjectId;
  /** `writeChunk` for a chunk whose id and packfile body are computed already (by a worker thread). */
  writePreparedChunk?(blob: PreparedBlob): ObjectId;
  /** True when chunks live in a chunk store: table trees then hold no `chunks/` (see engine/chunkstore). */
  readonly chunksOutsideGit?: boolean;
}

/** Path of a chunk inside a table's tree: `chunks/<xx>/<id>.parquet`. */
export function chunkPath(id: ChunkId): string {
  return `chunks/${id.slice(0, 2)}/${id}.parquet`;
}

/** The folder of a table's tree that holds its paged manifest: `root.json` and `pages/<xx>/<id>.json`. */
export const MANIFEST_DIR = 'manifest';
/** The one-file manifest of tables written before pages; read, never written. */
export const FLAT_MANIFEST_FILE = 'manifest.json';

/**
 * What an edit's table tree can take from the tree it started from: the version
 * read from it (its chunk list and page structure) and the ids of its fan-out
 * folders, by two-hex-digit prefix. See `previousTableTree`.
 */
export interface PreviousTableTree {
  version: TableVersion;
  chunkFolders: ReadonlyMap<string, ObjectId>;
  pageFolders: ReadonlyMap<string, ObjectId>;
}

/**
 * The git tree of one table: schema.json, the paged manifest (manifest/root.json and
 * manifest/pages/<xx>/<id>.json) and chunks/<xx>/<id>.parquet. Everything is derived
 * from the schema and the chunk list alone, so equal tables give equal tree ids; the
 * 256-way fan-outs keep each tree small. With `previous` (the tree an edit started
 * from) the leaf pages and the fan-out folders whose entries did not change are
 * taken by id instead of being built and hashed again: the same ids, for work in
 * proportion to the change.
 */
export function writeTableTree(version: TableVersion, writer: ObjectWriter, previous?: PreviousTableTree): ObjectId {
  const before = previous?.version;
  const entries: TreeEntry[] = [
    { mode: '40000', name: MANIFEST_DIR, oid: writeManifestFolder(version, writer, previous) },
    { mode: '100644', name: 'schema.json', oid: writer.write('blob', Buffer.from(serializeTableSchema(version.schema))) },
  ];
  // With a chunk store the tree leaves the chunks out: git must never name a blob it does not hold.
  if (version.manifest.chunks.length > 0 && !writer.chunksOutsideGit) {
    const ids: string[] = version.manifest.chunks.map((chunk) => chunk.id);
    const reuse = before && previous ? { folders: previous.chunkFolders, changed: changedPrefixes(before.manifest.chunks.map((c) => c.id), ids) } : undefined;
    entries.push({ mode: '40000', name: 'chunks', oid: writeFanOut(ids, (id) => `${id}.parquet`, writer, reuse) });
  }
  return writer.write('tree', serializeTree(entries));
}

/**
 * The `manifest/` folder of a table tree: root.json and pages/<xx>/<id>.json. With
 * `previous`, unchanged leaf pages and page folders are taken by id (see writeTableTree).
 */
export function writeManifestFolder(version: TableVersion, writer: ObjectWriter, previous?: PreviousTableTree): ObjectId {
  const before = previous?.version;
  // Pages spell keys by their columns' types: a page is reused only under the same key columns.
  const samePages = before !== undefined && keyTypes(before.schema) === keyTypes(version.schema);
  const paged = writeManifestPages(version.schema, version.manifest, (text) => writer.write('blob', Buffer.from(text)), samePages ? before : undefined);
  const pageIds = [...paged.leaves.map((leaf) => leaf.id), ...paged.inner];
  const manifestEntries: TreeEntry[] = [{ mode: '100644', name: 'root.json', oid: paged.root as ObjectId }];
  if (pageIds.length > 0) {
    const beforePages = before?.storage?.form === 'paged' ? [...before.storage.leaves.map((leaf) => leaf.id), ...before.storage.inner] : undefined;
    const reuse = beforePages && previous && samePages ? { folders: previous.pageFolders, changed: changedPrefixes(beforePages, pageIds) } : undefined;
    manifestEntries.push({ mode: '40000', name: 'pages', oid: writeFanOut(pageIds, (id) => `${id}.json`, writer, reuse) });
  }
  return writer.write('tree', serializeTree(manifestEntries));
}

/** The key columns' names and types, as one string to compare. */
function keyTypes(schema: TableSchema): string {
  return JSON.stringify(keyColumnIndexes(schema).map((i) => [schema.columns[i]!.name, schema.columns[i]!.type]));
}

/** The prefixes (first two hex digits) of the ids in one list and not the other: the fan-out folders whose entries differ. */
function changedPrefixes(before: readonly string[], after: readonly string[]): Set<string> {
  const old = new Set(before);
  const next = new Set(after);
  const changed = new Set<string>();
  for (const id of old) if (!next.has(id)) changed.add(id.slice(0, 2));
  for (const id of next) if (!old.has(id)) changed.add(id.slice(0, 2));
  return changed;
}

/**
 * A tree of files fanned out by the first two hex digits of their ids
 * (`<xx>/<name>`); an id listed twice is kept once. A folder whose prefix is not in
 * `reuse.changed` holds the same names as the previous tree's folder of that
 * prefix, so that folder's id is taken rather than the folder built again.
 */
function writeFanOut(
  ids: readonly string[],
  nameOf: (id: string) => string,
  writer: ObjectWriter,
  reuse?: { folders: ReadonlyMap<string, ObjectId>; changed: ReadonlySet<string> },
): ObjectId {
  const buckets = new Map<string, Set<string>>();
  for (const id of ids) {
    const prefix = id.slice(0, 2);
    let bucket = buckets.get(prefix);
    if (!bucket) buckets.set(prefix, (bucket = new Set<string>()));
    // A keyless table can hold the same chunk twice (identical runs of rows): one file serves both.
    bucket.add(id);
  }
  const fanOut: TreeEntry[] = [];
  for (const [prefix, bucket] of buckets) {
    const kept = reuse && !reuse.changed.has(prefix) ? reuse.folders.get(prefix) : undefined;
    const oid = kept ?? writer.write('tree', serializeTree([...bucket].map((id) => ({ mode: '100644' as const, name: nameOf(id), oid: id as ObjectId }))));
    fanOut.push({ mode: '40000', name: prefix, oid });
  }
  return writer.write('tree', serializeTree(fanOut));
}

/**
 * What `writeTableTree` may reuse from a stored table tree: its version (as read
 * by `readTableVersion`) and its two fan-out folders listed (two tree reads; the
 * folders under them are not read).
 */
export async function previousTableTree(store: ObjectStore, tree: ObjectId, table: string, version?: TableVersion): Promise<PreviousTableTree> {
  const where = `${TABLES_DIR}/${table}`;
  const read = version ?? (await readTableVersion(store, tree, table));
  const entries = parseTree(await store.readTyped(tree, 'tree'), where);
  const folders = async (oid: ObjectId | undefined, at: string) => {
    const out = new Map<string, ObjectId>();
    if (oid) for (const e of parseTree(await store.readTyped(oid, 'tree'), at)) if (e.mode === '40000') out.set(e.name, e.oid);
    return out;
  };
  const chunksDir = entries.find((e) => e.name === 'chunks' && e.mode === '40000')?.oid;
  const manifestDir = entries.find((e) => e.name === MANIFEST_DIR && e.mode === '40000')?.oid;
  const pagesDir = manifestDir ? parseTree(await store.readTyped(manifestDir, 'tree'), `${where}/${MANIFEST_DIR}`).find((e) => e.name === 'pages' && e.mode === '40000')?.oid : undefined;
  return { version: read, chunkFolders: await folders(chunksDir, `${where}/chunks`), pageFolders: await folders(pagesDir, `${where}/${MANIFEST_DIR}/pages`) };
}

/** Decoded leaf pages, per object store: pages read through one store are its blobs, so a cached page is the page. */
const leafPageCaches = new WeakMap<ObjectStore, LeafPageCache>();
function leafPageCacheOf(store: ObjectStore): LeafPageCache {
  let cache = leafPageCaches.get(store);
  if (!cache) leafPageCaches.set(store, (cache = new LeafPageCache()));
  return cache;
}

/** A table's schema and manifest from its tree (chunks are not read). */
export async function readTableVersion(store: ObjectStore, tree: ObjectId, table: string): Promise<TableVersion> {
  const entries = parseTree(await store.readTyped(tree, 'tree'), `${TABLES_DIR}/${table}`);
  const find = (name: string) => {
    const entry = entries.find((e) => e.name === name);
    if (!entry) throw new CorruptError(`table ${table} has no ${name}`, `${TABLES_DIR}/${table}/${name}`);
    return entry.oid;
  };
  const schemaText = Buffer.from(await store.readTyped(find('schema.json'), 'blob')).toString('utf8');
  const schema = parseTableSchema(schemaText, `${TABLES_DIR}/${table}/schema.json`);
  const manifestDir = entries.find((e) => e.name === MANIFEST_DIR && e.mode === '40000');
  if (manifestDir) {
    const where = `${TABLES_DIR}/${table}/${MANIFEST_DIR}`;
    const root = parseTree(await store.readTyped(manifestDir.oid, 'tree'), where).find((e) => e.name === 'root.json');
    if (!root) throw new CorruptError(`table ${table} has no manifest root`, `${where}/root.json`);
    const text = async (id: string) => Buffer.from(await store.readTyped(id as ObjectId, 'blob')).toString('utf8');
    const { manifest, storage } = await readManifestPages(schema, root.oid, text, `${where}/root.json`, leafPageCacheOf(store));
    return { schema, manifest, storage };
  }
  const manifestText = Buffer.from(await store.readTyped(find(FLAT_MANIFEST_FILE), 'blob')).toString('utf8');
  const manifest = parseManifest(schema, manifestText, `${TABLES_DIR}/${table}/${FLAT_MANIFEST_FILE}`);
  return { schema, manifest, storage: { form: 'flat' } };
}

/** Every chunk id a manifest names, once each. */
export function chunkIds(manifest: Manifest): Set<ChunkId> {
  return new Set(manifest.chunks.map((c: ChunkEntry) => c.id));
}
