import type { ChunkEntry } from '../chunking/manifest.js';
import { compareKeysLoose } from '../diff/key-order.js';
import { DgitError } from '../errors/index.js';
import { keyColumnIndexes, storedColumns, type TableSchema } from '../schema/schema.js';
import { parseTree, type TreeEntry } from '../store/git-objects.js';
import { hashObject, type ObjectId, type ObjectStore } from '../store/object-store.js';
import { readChunkBytes } from '../chunkstore/chunk-source.js';
import { EMPTY_TREE } from '../table/root-tree.js';
import { FLAT_MANIFEST_FILE, MANIFEST_DIR, TABLES_DIR, previousTableTree, readTableVersion, writeManifestFolder, type PreviousTableTree } from '../table/table-tree.js';
import type { TableVersion } from '../table/table-version.js';
import type { Value } from '../value/value.js';

/** One thing in a revision's `tables/` that dgit did not write that way: where, and what is wrong. */
export interface IntegrityProblem {
  /** The table ('' for the `tables/` folder itself). */
  table: string;
  /** The path inside the revision, e.g. `tables/t/chunks/ab/<id>.parquet`. */
  path: string;
  problem: string;
}

/** How much to verify: `full` decodes every chunk; otherwise only the chunks and trees new since `parent`. */
export interface IntegrityScope {
  /** The root tree the revision is compared with (its first parent, or HEAD for the working set). */
  parent?: ObjectId;
  full?: boolean;
  /** Check that every object the tables name is stored (fsck; a commit's check assumes its objects are there). */
  objectsPresent?: boolean;
}

let codecModule: Promise<typeof import('../store/parquet/chunk-codec.js')> | undefined;
function codec() {
  return (codecModule ??= import('../store/parquet/chunk-codec.js'));
}

/**
 * Verify the `tables/` folder of a root tree against its manifests: every file is
 * a table's schema.json, manifest.json or a chunk the manifest lists at its own
 * blob id; manifests list chunks in key order (each key once for a keyed table);
 * and each chunk is valid Parquet of the table's schema whose row count and
 * first and last keys are the manifest's. The cost follows the change: tables
 * whose tree equals the parent's are skipped, only changed fan-out folders are
 * listed, and only chunks the parent's manifest lacks are decoded (all with `full`).
 */
export async function verifyTables(store: ObjectStore, root: ObjectId, scope: IntegrityScope = {}): Promise<IntegrityProblem[]> {
  const problems: IntegrityProblem[] = [];
  const tables = await tablesFolder(store, root, problems);
  const parentTables = scope.parent && !scope.full ? await tablesFolder(store, scope.parent, []) : new Map<string, TreeEntry>();
  for (const [name, entry] of tables) {
    const parent = parentTables.get(name);
    if (parent && parent.oid === entry.oid && parent.mode === entry.mode) continue;
    const path = `${TABLES_DIR}/${name}`;
    if (entry.mode !== '40000') {
      problems.push({ table: '', path, problem: 'a file directly under tables/ (every entry there must be a table folder)' });
      continue;
    }
    await verifyTable(store, name, entry.oid, parent?.mode === '40000' ? parent.oid : undefined, scope, problems);
  }
  return problems;
}

async function tablesFolder(store: ObjectStore, root: ObjectId, problems: IntegrityProblem[]): Promise<Map<string, TreeEntry>> {
  const out = new Map<string, TreeEntry>();
  if (root === EMPTY_TREE) return out;
  const entry = parseTree(await store.readTyped(root, 'tree'), '/').find((e) => e.name === TABLES_DIR);
  if (!entry) return out;
  if (entry.mode !== '40000') {
    problems.push({ table: '', path: TABLES_DIR, problem: 'tables is a file, not a folder' });
    return out;
  }
  for (const table of parseTree(await store.readTyped(entry.oid, 'tree'), TABLES_DIR)) out.set(table.name, table);
  return out;
}

async function verifyTable(store: ObjectStore, table: string, tree: ObjectId, parentTree: ObjectId | undefined, scope: IntegrityScope, problems: IntegrityProblem[]): Promise<void> {
  const base = `${TABLES_DIR}/${table}`;
  const report = (path: string, problem: string) => problems.push({ table, path, problem });
  let version: TableVersion;
  try {
    version = await readTableVersion(store, tree, table);
  } catch (error) {
    if (!(error instanceof DgitError)) throw error;
    report(error.where ?? base, `the table cannot be read: ${error.message}`);
    return;
  }
  let parent: TableVersion | undefined;
  if (parentTree) parent = await readTableVersion(store, parentTree, table).catch(() => undefined);
  const previous = parent && parentTree ? await previousTableTree(store, parentTree, table, parent).catch(() => undefined) : undefined;
  const entries = parseTree(await store.readTyped(tree, 'tree'), base);
  const paged = version.storage?.form === 'paged';
  const manifestPath = paged ? `${base}/${MANIFEST_DIR}` : `${base}/${FLAT_MANIFEST_FILE}`;
  for (const entry of entries) {
    if (entry.name === 'schema.json' || (!paged && entry.name === FLAT_MANIFEST_FILE)) {
      if (entry.mode !== '100644') report(`${base}/${entry.name}`, `${entry.name} is not a regular file`);
    } else if (paged && entry.name === MANIFEST_DIR) {
      // The pages are derived from the chunk list alone: the folder dgit writes for this manifest, and nothing else.
      if (entry.oid !== expectedManifestFolder(version, previous)) report(manifestPath, 'the manifest pages are not the ones dgit writes for this chunk list (a page added, removed or edited by hand)');
    } else if (entry.name !== 'chunks') report(`${base}/${entry.name}`, 'a file the manifest does not reference (dgit did not write it)');
  }
  verifyManifestOrder(version, (problem) => report(manifestPath, problem));

  // Files under chunks/: each must be a chunk of the manifest, at its blob id.
  const listed = new Set<string>(version.manifest.chunks.map((c) => c.id));
  const present = new Set<string>();
  const chunksEntry = entries.find((e) => e.name === 'chunks');
  const parentEntries = parentTree ? parseTree(await store.readTyped(parentTree, 'tree'), base) : [];
  const parentChunks = parentEntries.find((e) => e.name === 'chunks' && e.mode === '40000');
  const parentBuckets = new Map<string, ObjectId>();
  if (parentChunks && !scope.full) for (const b of parseTree(await store.readTyped(parentChunks.oid, 'tree'), `${base}/chunks`)) parentBuckets.set(b.name, b.oid);
  const unchangedBuckets = new Set<string>();
  if (chunksEntry) {
    if (chunksEntry.mode !== '40000') report(`${base}/chunks`, 'chunks is a file, not a folder');
    else {
      for (const bucket of parseTree(await store.readTyped(chunksEntry.oid, 'tree'), `${base}/chunks`)) {
        const bucketPath = `${base}/chunks/${bucket.name}`;
        if (bucket.mode !== '40000') {
          report(bucketPath, 'a file the manifest does not reference (dgit did not write it)');
          continue;
        }
        if (parentBuckets.get(bucket.name) === bucket.oid) {
          // The parent's folder, verified with the parent: its chunks are the parent's.
          unchangedBuckets.add(bucket.name);
          continue;
        }
        for (const file of parseTree(await store.readTyped(bucket.oid, 'tree'), bucketPath)) {
          const id = /^([0-9a-f]{40})\.parquet$/.exec(file.name)?.[1];
          const filePath = `${bucketPath}/${file.name}`;
          if (!id || file.mode !== '100644' || !listed.has(id)) report(filePath, 'a file the manifest does not reference (dgit did not write it)');
          else if (file.oid !== id) report(filePath, `the file's content (blob ${file.oid}) is not the chunk its name promises`);
          else if (bucket.name !== id.slice(0, 2)) report(filePath, `the chunk is in folder ${bucket.name}, not ${id.slice(0, 2)}`);
          else present.add(id);
        }
      }
    }
  }
  // With a chunk store (engine/chunkstore) the tree holds no chunks: they live in the bucket, keyed by id.
  if (!store.chunksOutsideGit) for (const id of listed) {
    if (!present.has(id) && !unchangedBuckets.has(id.slice(0, 2))) report(`${base}/chunks/${id.slice(0, 2)}/${id}.parquet`, 'the manifest lists a chunk that is not in the tree');
  }

  // Chunk contents: the ones new since the parent (all with `full`).
  // An entry equal to one of the parent's (id, rows and keys) was verified with the parent; a hand-edited count or key is not.
  const entryText = entryIdentity;
  const known = new Set<string>(scope.full ? [] : (parent?.manifest.chunks.map(entryText) ?? []));
  const decoded = new Set<string>();
  for (const entry of version.manifest.chunks) {
    const path = `${base}/chunks/${entry.id.slice(0, 2)}/${entry.id}.parquet`;
    if (scope.objectsPresent && !store.chunksOutsideGit && !store.hasStored(entry.id as unknown as ObjectId) && !(await store.has(entry.id as unknown as ObjectId))) {
      report(path, 'the chunk object is missing from the object store');
      continue;
    }
    if (known.has(entryText(entry)) || decoded.has(entryText(entry))) continue;
    decoded.add(entryText(entry));
    const problem = await verifyChunk(store, version.schema, entry);
    if (problem) report(path, problem);
  }
}

/**
 * The id of the `manifest/` folder dgit writes for a table version (hashed, nothing
 * stored). With the parent's tree (verified with the parent) its unchanged leaf
 * pages and page folders are taken by id: the same id, for work in proportion to the change.
 */
function expectedManifestFolder(version: TableVersion, previous: PreviousTableTree | undefined): ObjectId {
  return writeManifestFolder(version, { write: (type, content) => hashObject(type, content) }, previous);
}

/** Key order across the manifest: first <= last in a chunk, and chunks in order (strictly, for a keyed table). */
function verifyManifestOrder(version: TableVersion, report: (problem: string) => void): void {
  const keyed = version.schema.primaryKey.length > 0;
  const seen = new Set<string>();
  let previous: ChunkEntry | undefined;
  for (const [index, chunk] of version.manifest.chunks.entries()) {
    if (keyed && seen.has(chunk.id)) report(`chunk ${chunk.id} is listed twice (entry ${index + 1})`);
    seen.add(chunk.id);
    if (compareKeysLoose(chunk.first, chunk.last) > 0) report(`chunk ${chunk.id} has its first key after its last key`);
    if (previous) {
      const order = compareKeysLoose(previous.last, chunk.first);
      if (order > 0 || (keyed && order === 0)) report(`chunks are out of key order at entry ${index + 1} (${chunk.id} starts at ${keyText(chunk.first)}, before the end of the previous chunk, ${keyText(previous.last)})`);
    }
    previous = chunk;
  }
}

/** Why a chunk's bytes do not hold what its manifest entry says, or undefined when they do. */
export async function verifyChunk(store: ObjectStore, schema: TableSchema, entry: ChunkEntry): Promise<string | undefined> {
  const { decodeChunk, arrowToRows } = await codec();
  let table;
  try {
    table = decodeChunk(await readChunkBytes(store, entry.id as unknown as ObjectId), `chunk ${entry.id}`);
  } catch (error) {
    return `not valid Parquet: ${error instanceof Error ? error.message : String(error)}`;
  }
  // Chunks hold each column under its stored name (a rename does not rewrite them).
  const columns = storedColumns(schema.columns);
  const names = new Set(columns.map((c) => c.name));
  const extra = table.schema.fields.filter((f) => !names.has(f.name)).map((f) => f.name);
  if (extra.length > 0) return `the chunk has columns the table's schema does not: ${extra.join(', ')}`;
  const missing = columns.filter((c) => !c.nullable && !table.schema.fields.some((f) => f.name === c.name)).map((c) => c.name);
  if (missing.length > 0) return `the chunk lacks non-nullable columns of the table's schema: ${missing.join(', ')}`;
  let rows;
  try {
    rows = arrowToRows(table, columns);
  } catch (error) {
    return `the chunk does not fit the table's schema: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (rows.length !== entry.rows) return `the chunk holds ${rows.length} rows, the manifest says ${entry.rows}`;
  if (rows.length === 0) return undefined;
  const keyIndexes = keyColumnIndexes(schema);
  const keyOf = (row: readonly Value[]) => keyIndexes.map((i) => row[i] ?? null);
  const keyed = schema.primaryKey.length > 0;
  for (let i = 1; i < rows.length; i++) {
    const order = compareKeysLoose(keyOf(rows[i - 1]!), keyOf(rows[i]!));
    if (order > 0 || (keyed && order === 0)) return `the chunk's rows are not in key order (row ${i + 1} of ${rows.length})`;
  }
  const first = keyOf(rows[0]!);
  const last = keyOf(rows[rows.length - 1]!);
  if (compareKeysLoose(first, entry.first) !== 0 || compareKeysLoose(last, entry.last) !== 0)
    return `the chunk's keys run from ${keyText(first)} to ${keyText(last)}, the manifest says ${keyText(entry.first)} to ${keyText(entry.last)}`;
  return undefined;
}

/** A key as people read it: `(1, "a")`. */
function keyText(key: readonly Value[]): string {
  return `(${key.map((v) => (typeof v === 'string' ? JSON.stringify(v) : v instanceof Uint8Array ? `<${v.length} bytes>` : String(v))).join(', ')})`;
}

/** A manifest entry as an exact identity (id, count and keys). */
function entryIdentity(entry: ChunkEntry): string {
  return JSON.stringify([entry.id, entry.rows, entry.first, entry.last], (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}
