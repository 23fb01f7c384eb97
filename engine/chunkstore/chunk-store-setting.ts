import path from 'node:path';
import fs from 'node:fs';
import { parseDocument } from 'yaml';
import { DgitError } from '../errors/index.js';
import type { Repository } from '../repository/repository.js';
import { parseConfig } from '../config/config-file.js';
import { CONFIG_FILE } from '../config/config-schema.js';
import { readConfigText } from '../config/repository-config.js';
import { writeFileAtomic } from '../store/atomic-file.js';
import type { ObjectId, ObjectStore } from '../store/object-store.js';
import { parseTree, serializeTree } from '../store/git-objects.js';
import { EMPTY_TREE } from '../table/root-tree.js';
import { TABLES_DIR, readTableVersion, writeTableTree, type ObjectWriter } from '../table/table-tree.js';
import { parseChunkStoreUrl, type ChunkStoreLocation } from './chunk-store-url.js';
import { chunkStoreSettingPath } from './local-chunk-store.js';

/** The chunk store this clone uses, or undefined when its chunks live in git. */
export function chunkStoreOf(repository: Repository): ChunkStoreLocation | undefined {
  return repository.store.localChunks?.location;
}

/** What `useChunkStore` did. */
export interface ChunkStoreChange {
  location: ChunkStoreLocation;
  /** Whether dgit.yml in the working set changed (commit it so clones find the bucket). */
  configStaged: boolean;
  /** Table trees rewritten without their chunks (their chunks are uploaded by the next push). */
  tablesMoved: number;
}

/**
 * Keep this repository's chunks in a bucket from now on. Three things, in this order:
 * 1. the clone's setting (`.git/dgit/chunk-store.json`): every table tree written
 *    from now on leaves its chunks out and the chunk bytes go to the local chunk store;
 * 2. `storage.chunks` in the working set's dgit.yml, so that the next commit tells
 *    every clone where the chunks are (`dgit clone` reads it);
 * 3. the working set's table trees rewritten without `chunks/` (their chunks stay
 *    git blobs of older commits, and the next push uploads them to the bucket).
 * Moving to another bucket is refused: chunks would have to be copied first.
 */
export async function useChunkStore(repository: Repository, url: string): Promise<ChunkStoreChange> {
  const location = parseChunkStoreUrl(url, '--chunks');
  const current = chunkStoreOf(repository);
  if (current && current.url !== location.url) {
    throw new DgitError('UNSUPPORTED', `this repository keeps its chunks in ${current.url}; moving them to another bucket is not supported (copy the objects, then edit ${chunkStoreSettingPath(repository.gitdir)})`, location.url);
  }
  const settingFile = chunkStoreSettingPath(repository.gitdir);
  if (!current) writeChunkStoreSetting(repository.store, location);
  try {
    let staged: string | undefined;
    const change = await repository.changeWorkingSet(async ({ working, tx }) => {
      const text = await readConfigText(repository, working.tree);
      const next = withStorageSetting(text, location.url);
      if (next !== text) parseConfig(next); // the rest of the file was valid when it was staged; only the new key is new
      staged = next === text ? undefined : next;
      const moved = await rewriteRoot(repository, tx, working.tree, next === text ? undefined : Buffer.from(next, 'utf8'));
      return { tree: moved.tree, result: { location, configStaged: next !== text, tablesMoved: moved.count } };
    });
    // dgit.yml is staged from the working file at commit time (as git add would): the file must say the same.
    if (staged !== undefined && !repository.bare) writeFileAtomic(path.join(repository.dir, CONFIG_FILE), staged);
    return change;
  } catch (error) {
    if (!current) {
      fs.rmSync(settingFile, { force: true });
      repository.store.refreshChunkPlacement();
    }
    throw error;
  }
}

/**
 * After a clone: when the checked-out commit's dgit.yml names a chunk store, use
 * it (the setting only: the commit's trees already leave the chunks out).
 */
export async function adoptCommittedChunkStore(repository: Repository, tree: ObjectId): Promise<ChunkStoreLocation | undefined> {
  const location = await committedChunkStore(repository, tree);
  if (location && !chunkStoreOf(repository)) writeChunkStoreSetting(repository.store, location);
  return location;
}

/** The chunk store the dgit.yml of `tree` names, if any (a plain `git clone` has it without using it). */
export async function committedChunkStore(repository: Repository, tree: ObjectId): Promise<ChunkStoreLocation | undefined> {
  if (tree === EMPTY_TREE) return undefined;
  const text = await readConfigText(repository, tree);
  if (text === undefined || !text.includes('storage')) return undefined;
  const url = parseConfig(text).config.storage?.chunks;
  return url ? parseChunkStoreUrl(url, CONFIG_FILE) : undefined;
}

function writeChunkStoreSetting(store: ObjectStore, location: ChunkStoreLocation): void {
  writeFileAtomic(chunkStoreSettingPath(store.gitdir), `${JSON.stringify({ url: location.url })}\n`);
  store.refreshChunkPlacement();
}

/** dgit.yml text with `storage.chunks` set, comments and layout kept. */
function withStorageSetting(text: string | undefined, url: string): string {
  if (text === undefined || text.trim() === '') return `version: 1\nstorage:\n  chunks: ${url}\n`;
  const document = parseDocument(text);
  if (document.getIn(['storage', 'chunks']) === url) return text;
  document.setIn(['storage', 'chunks'], url);
  return String(document);
}

/**
 * The root tree with every table tree rewritten without `chunks/` and, when
 * given, dgit.yml replaced: built in one pass, since the transaction's new trees
 * cannot be read back before it commits.
 */
async function rewriteRoot(repository: Repository, writer: ObjectWriter, root: ObjectId, config: Uint8Array | undefined): Promise<{ tree: ObjectId; count: number }> {
  const outside: ObjectWriter = { write: (type, content) => writer.write(type, content), chunksOutsideGit: true };
  let entries = root === EMPTY_TREE ? [] : parseTree(await repository.store.readTyped(root, 'tree'), '/');
  let count = 0;
  const tablesEntry = entries.find((e) => e.name === TABLES_DIR && e.mode === '40000');
  if (tablesEntry) {
    const tables = [];
    for (const entry of parseTree(await repository.store.readTyped(tablesEntry.oid, 'tree'), TABLES_DIR)) {
      if (entry.mode !== '40000') {
        tables.push(entry);
        continue;
      }
      const oid = writeTableTree(await readTableVersion(repository.store, entry.oid, entry.name), outside);
      if (oid !== entry.oid) count++;
      tables.push({ ...entry, oid });
    }
    const tablesTree = writer.write('tree', serializeTree(tables));
    entries = entries.map((e) => (e === tablesEntry ? { ...e, oid: tablesTree } : e));
  }
  if (config) entries = [...entries.filter((e) => e.name !== CONFIG_FILE), { mode: '100644', name: CONFIG_FILE, oid: writer.write('blob', config) }];
  return { tree: writer.write('tree', serializeTree(entries)), count };
}
