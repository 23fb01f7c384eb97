import type { ChunkEntry, ChunkId, Manifest } from '../chunking/manifest.js';
import { parseManifest } from '../chunking/manifest.js';
import { readManifestPages, writeManifestPages } from '../chunking/manifest-pages.js';
import { CorruptError } from '../errors/index.js';
import { parseTableSchema, serializeTableSchema } from '../schema/schema.js';
import { parseTree, serializeTree, type TreeEntry } from '../store/git-objects.js';
import type { ObjectId, ObjectStore, ObjectType } from '../store/object-store.js';
import type { TableVersion } from './table-version.js';

/** The folder of a commit's tree that holds the tables. */
export const TABLES_DIR = 'tables';

/** Anything that stores git objects: the store itself or a pending transaction. */
export interface ObjectWriter {
  write(type: ObjectType, content: Uint8Array): ObjectId;
  /** Store a chunk (default: as a blob); a repository with a chunk store keeps them outside git. */
  writeChunk?(bytes: Uint8Array): ObjectId;
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
 * The git tree of one table: schema.json, the paged manifest (manifest/root.json and
 * manifest/pages/<xx>/<id>.json) and chunks/<xx>/<id>.parquet. Everything is derived
 * from the schema and the chunk list alone, so equal tables give equal tree ids; the
 * 256-way fan-outs keep each tree small, and only the pages and fan-out trees that
 * changed are new objects (the others hash to ids already stored).
 */
export function writeTableTree(version: TableVersion, writer: ObjectWriter): ObjectId {
  const chunkFiles = version.manifest.chunks.map((chunk) => ({ name: `${chunk.id}.parquet`, oid: chunk.id as unknown as ObjectId }));
  const pageFiles: Array<{ name: string; oid: ObjectId }> = [];
  const paged = writeManifestPages(version.schema, version.manifest, (text) => {
    const oid = writer.write('blob', Buffer.from(text));
    pageFiles.push({ name: `${oid}.json`, oid });
    return oid;
  });
  pageFiles.pop(); // the root, written last, has a name of its own
  const manifestEntries: TreeEntry[] = [{ mode: '100644', name: 'root.json', oid: paged.root as ObjectId }];
  if (pageFiles.length > 0) manifestEntries.push({ mode: '40000', name: 'pages', oid: writeFanOut(pageFiles, writer) });
  const entries: TreeEntry[] = [
    { mode: '40000', name: MANIFEST_DIR, oid: writer.write('tree', serializeTree(manifestEntries)) },
    { mode: '100644', name: 'schema.json', oid: writer.write('blob', Buffer.from(serializeTableSchema(version.schema))) },
  ];
  // With a chunk store the tree leaves the chunks out: git must never name a blob it does not hold.
  if (chunkFiles.length > 0 && !writer.chunksOutsideGit) entries.push({ mode: '40000', name: 'chunks', oid: writeFanOut(chunkFiles, writer) });
  return writer.write('tree', serializeTree(entries));
}

/** A tree of files fanned out by the first two hex digits of their ids (`<xx>/<name>`); a name listed twice is kept once. */
function writeFanOut(files: ReadonlyArray<{ name: string; oid: ObjectId }>, writer: ObjectWriter): ObjectId {
  const buckets = new Map<string, Map<string, TreeEntry>>();
  for (const file of files) {
    const prefix = file.oid.slice(0, 2);
    let bucket = buckets.get(prefix);
    if (!bucket) buckets.set(prefix, (bucket = new Map<string, TreeEntry>()));
    // A keyless table can hold the same chunk twice (identical runs of rows): one file serves both.
    if (!bucket.has(file.name)) bucket.set(file.name, { mode: '100644', name: file.name, oid: file.oid });
  }
  const fanOut: TreeEntry[] = [];
  for (const [prefix, bucket] of buckets) fanOut.push({ mode: '40000', name: prefix, oid: writer.write('tree', serializeTree([...bucket.values()])) });
  return writer.write('tree', serializeTree(fanOut));
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
    const { manifest, storage } = await readManifestPages(schema, root.oid, text, `${where}/root.json`);
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
