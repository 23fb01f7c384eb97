import type { ChunkEntry, ChunkId, Manifest } from '../chunking/manifest.js';
import { parseManifest, serializeManifest } from '../chunking/manifest.js';
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

/**
 * The git tree of one table: schema.json, manifest.json and chunks/<xx>/<id>.parquet.
 * The chunks tree is derived from the manifest alone, so equal tables give equal
 * tree ids; the 256-way fan-out keeps each tree small, and only the fan-out trees
 * that changed are new objects (the others hash to ids already stored).
 */
export function writeTableTree(version: TableVersion, writer: ObjectWriter): ObjectId {
  const buckets = new Map<string, TreeEntry[]>();
  for (const chunk of version.manifest.chunks) {
    const prefix = chunk.id.slice(0, 2);
    let bucket = buckets.get(prefix);
    if (!bucket) buckets.set(prefix, (bucket = []));
    const name = `${chunk.id}.parquet`;
    // A keyless table can hold the same chunk twice (identical runs of rows): one file serves both.
    if (!bucket.some((e) => e.name === name)) bucket.push({ mode: '100644', name, oid: chunk.id as unknown as ObjectId });
  }
  const entries: TreeEntry[] = [
    { mode: '100644', name: 'schema.json', oid: writer.write('blob', Buffer.from(serializeTableSchema(version.schema))) },
    { mode: '100644', name: 'manifest.json', oid: writer.write('blob', Buffer.from(serializeManifest(version.schema, version.manifest))) },
  ];
  // With a chunk store the tree leaves the chunks out: git must never name a blob it does not hold.
  if (buckets.size > 0 && !writer.chunksOutsideGit) {
    const fanOut: TreeEntry[] = [];
    for (const [prefix, bucket] of buckets) fanOut.push({ mode: '40000', name: prefix, oid: writer.write('tree', serializeTree(bucket)) });
    entries.push({ mode: '40000', name: 'chunks', oid: writer.write('tree', serializeTree(fanOut)) });
  }
  return writer.write('tree', serializeTree(entries));
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
  const manifestText = Buffer.from(await store.readTyped(find('manifest.json'), 'blob')).toString('utf8');
  const manifest = parseManifest(schema, manifestText, `${TABLES_DIR}/${table}/manifest.json`);
  return { schema, manifest };
}

/** Every chunk id a manifest names, once each. */
export function chunkIds(manifest: Manifest): Set<ChunkId> {
  return new Set(manifest.chunks.map((c: ChunkEntry) => c.id));
}
