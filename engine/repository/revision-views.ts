import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { DuckDbSession, createTableView } from '../sql/duckdb-session.js';
import { ChunkFileCache } from '../table/chunk-files.js';
import { readTableVersion } from '../table/table-tree.js';
import type { ChunkEntry } from '../chunking/manifest.js';
import type { TableVersion } from '../table/table-version.js';
import type { ObjectId } from '../store/object-store.js';
import type { Repository } from './repository.js';

/** A DuckDB session with one view per table of a revision, named as the table. */
export interface RevisionSession {
  session: DuckDbSession;
  tables: Map<string, TableVersion>;
  /** Close DuckDB and remove the session's temporary folder. */
  close: () => Promise<void>;
}

/**
 * Open DuckDB over the tables of a root tree: each table's chunks are made files in
 * the chunk cache (once per blob id) and read by a view in key order. With
 * `allowExternalAccess: false`, SQL can read those chunk files and nothing else.
 */
export async function openRevisionSession(
  repository: Repository,
  tree: ObjectId,
  options: {
    allowExternalAccess?: boolean;
    only?: string[];
    memoryLimit?: string;
    spillLimit?: string;
    /** The chunks a table's view reads (default: all); the session's `tables` keep the whole manifest. */
    viewChunks?: (name: string, version: TableVersion) => ChunkEntry[];
  } = {},
): Promise<RevisionSession> {
  const tempDir = path.join(repository.gitdir, 'dgit', 'tmp', `sql-${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
  fs.mkdirSync(tempDir, { recursive: true });
  const session = await DuckDbSession.create({ tempDir, allowExternalAccess: options.allowExternalAccess ?? false, memoryLimit: options.memoryLimit, spillLimit: options.spillLimit });
  const close = async () => {
    await session.close();
    fs.rmSync(tempDir, { recursive: true, force: true });
  };
  try {
    const cache = new ChunkFileCache(repository.store);
    const tables = new Map<string, TableVersion>();
    for (const [name, tableTree] of await repository.tableTrees(tree)) {
      if (options.only && !options.only.includes(name)) continue;
      const version = await readTableVersion(repository.store, tableTree, name);
      tables.set(name, version);
      const chunks = options.viewChunks ? options.viewChunks(name, version) : version.manifest.chunks;
      await createTableView(session, name, { columns: version.schema.columns, files: await cache.files({ chunks }, version.schema) });
    }
    return { session, tables, close };
  } catch (error) {
    await close();
    throw error;
  }
}
