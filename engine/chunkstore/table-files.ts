import fs from 'node:fs';
import git from 'isomorphic-git';
import { manifestRowCount } from '../chunking/manifest.js';
import { DgitError, NotFoundError } from '../errors/index.js';
import type { Repository } from '../repository/repository.js';
import type { Column } from '../schema/schema.js';
import { parseTree } from '../store/git-objects.js';
import { ChunkFileCache } from '../table/chunk-files.js';
import { readTableVersion } from '../table/table-tree.js';
import { prefetchChunks, remoteChunkStore } from './chunk-source.js';

/** The chunk files of a table at a revision, for engines that read them in place. */
export interface TableFiles {
  table: string;
  /** The commit id, or WORKING. */
  revision: string;
  rows: number;
  columns: Array<Pick<Column, 'name' | 'type'>>;
  /** `local`: paths on this machine; `s3`: URLs in the chunk store. */
  location: 'local' | 's3';
  /**
   * One entry per manifest entry, in key order (a keyless table may list a
   * chunk twice: it holds that run of rows twice).
   */
  files: string[];
}

/**
 * The files an engine reads to get table `table` at `rev` (default: the working
 * set) exactly. A table whose chunks are git blobs gives local files of the
 * chunk file cache (written on first use); one kept in a chunk store gives its
 * `s3://` URLs, after checking they are in the bucket (a revision not yet
 * pushed is refused: `local: true` gives local paths instead, fetching what is missing).
 */
export async function tableFiles(repository: Repository, table: string, options: { rev?: string; local?: boolean } = {}): Promise<TableFiles> {
  const revision = await repository.revision(options.rev);
  const tableTree = (await repository.tableTrees(revision.tree)).get(table);
  if (!tableTree) throw new NotFoundError(`table ${JSON.stringify(table)}`, options.rev ?? 'WORKING');
  const version = await readTableVersion(repository.store, tableTree, table);
  const ids = version.manifest.chunks.map((c) => c.id as string);
  const inGit = parseTree(await repository.store.readTyped(tableTree, 'tree'), `tables/${table}`).some((e) => e.name === 'chunks' && e.mode === '40000');
  const local = repository.store.localChunks;
  const base = {
    table,
    revision: revision.kind === 'commit' ? revision.commit : 'WORKING',
    rows: manifestRowCount(version.manifest),
    columns: version.schema.columns.map((c) => ({ name: c.name, type: c.type })),
  };
  if (inGit || !local || options.local) {
    await prefetchChunks(repository.store, ids);
    const cache = new ChunkFileCache(repository.store);
    return { ...base, location: 'local', files: await cache.files(version.manifest) };
  }
  const remote = await remoteChunkStore(local.location);
  const pushed = revision.kind === 'commit' && (await reachableFromRemote(repository, revision.commit));
  if (!pushed) {
    for (const id of new Set(ids)) {
      if (!(await remote.head(id))) {
        throw new DgitError('NOT_FOUND', `chunk ${id} of ${table} is not in ${local.location.url} yet: push the revision first, or ask for local files (--local)`, options.rev ?? 'WORKING');
      }
    }
  }
  return { ...base, location: 's3', files: ids.map((id) => remote.url(id)) };
}

/** Whether a commit is on a remote-tracking branch: pushed, so its chunks are in the bucket. */
async function reachableFromRemote(repository: Repository, commit: string): Promise<boolean> {
  const tips = await git.listRefs({ fs, gitdir: repository.gitdir, filepath: 'refs/remotes' }).catch(() => []);
  // One cache for the walks: each would otherwise read every pack index again.
  const cache = {};
  for (const ref of tips) {
    const tip = await repository.refs.resolve(`refs/remotes/${ref}`);
    if (!tip) continue;
    if (tip === commit) return true;
    if (await git.isDescendent({ fs, cache, gitdir: repository.gitdir, oid: tip, ancestor: commit, depth: -1 }).catch(() => false)) return true;
  }
  return false;
}

/** The files as one DuckDB query: the table's columns, in schema order, over every file. */
export function duckdbQuery(files: TableFiles): string {
  if (files.files.length === 0) return `-- ${files.table} has no rows at this revision (no files)\n`;
  const columns = files.columns.map((c) => `"${c.name.replace(/"/g, '""')}"`).join(', ');
  const list = files.files.map((f) => `  '${f.replace(/'/g, "''")}'`).join(',\n');
  return `SELECT ${columns}\nFROM read_parquet([\n${list}\n], union_by_name = true);\n`;
}

/** The files as a PySpark expression (mergeSchema fills columns older chunks lack). */
export function sparkExpression(files: TableFiles): string {
  if (files.files.length === 0) return `# ${files.table} has no rows at this revision (no files)\n`;
  const list = files.files.map((f) => `    ${JSON.stringify(f.startsWith('s3://') ? `s3a://${f.slice(5)}` : f)}`).join(',\n');
  const columns = files.columns.map((c) => JSON.stringify(c.name)).join(', ');
  return `spark.read.option("mergeSchema", "true").parquet(\n${list}\n).select(${columns})\n`;
}
