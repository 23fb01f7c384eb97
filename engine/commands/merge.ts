import fs from 'node:fs';
import { createRequire } from 'node:module';
import { DgitError, UncommittedChangesError } from '../errors/index.js';
import { chunksMergeReads, conflictToJson, mergeTables, schemaConflictToJson, theirsRuns, type TheirsRun } from '../merge/index.js';
import type { Repository } from '../repository/repository.js';
import { storedName, type TableSchema } from '../schema/schema.js';
import { parseTree, serializeTree, type TreeEntry } from '../store/git-objects.js';
import type { ObjectId, ObjectTransaction } from '../store/object-store.js';
import type { CommitId } from '../store/revision.js';
import { applyEdits } from '../table/apply-edits.js';
import { GitChunkStore } from '../table/git-chunk-store.js';
import { underWrittenColumns } from '../diff/column-alignment.js';
import { schemasEqual } from '../diff/schema-diff.js';
import { EMPTY_TREE, listTableTrees } from '../table/root-tree.js';
import { TABLES_DIR, previousTableTree, readTableVersion, writeTableTree, type ObjectWriter } from '../table/table-tree.js';
import type { ChunkReader, TableVersion } from '../table/table-version.js';
import type { Row } from '../value/value.js';
import { conflictCount, type MergeState, type TableConflicts } from '../workingset/merge-state.js';
import { commit } from './commit.js';
import type { Progress } from '../progress.js';
import { syncBranchFiles } from './sync-branch-files.js';
import { checksGate } from './merge-gate.js';
import { withBranchLock } from '../repository/branch-lock.js';

/**
 * A gate run on a conflict-free merge result before the merge commit is written
 * (the data-quality checks plug in here): a clean merge can still break a rule,
 * e.g. two branches each setting a different row to the same unique value.
 */
export type MergeGate = (result: { repository: Repository; tree: ObjectId; ours: CommitId; theirs: CommitId }) => Promise<{ ok: true } | { ok: false; reason: string; failing?: string[] }>;

export interface MergeOptions {
  message?: string;
  /** Stop before committing, leaving the result in the working set (git's --no-commit). */
  noCommit?: boolean;
  /** The gate a clean result must pass before it is committed (default: the error-level checks of dgit.yml, see merge-gate.ts). */
  gate?: MergeGate;
  /** Commit without running the gate (git's --no-verify). */
  noVerify?: boolean;
  /** Told as tables are merged and files written. */
  progress?: Progress;
}

export type MergeOutcome =
  | { status: 'up-to-date'; commit: CommitId }
  | { status: 'fast-forward'; commit: CommitId }
  | { status: 'merged'; commit: CommitId }
  | { status: 'conflicts'; conflicts: Array<{ table: string; count: number }> }
  /** The checks refused the result. A refused fast-forward (`fastForward`) changed nothing and leaves no merge in progress. */
  | { status: 'blocked'; reason: string; failing: string[]; fastForward?: true }
  | { status: 'staged' };

/** Merge `rev` into the current branch: fast-forward when possible, else three-way by key and cell. */
export async function merge(repository: Repository, rev: string, options: MergeOptions = {}): Promise<MergeOutcome> {
  return withBranchLock(repository.gitdir, () => mergeLocked(repository, rev, options));
}

async function mergeLocked(repository: Repository, rev: string, options: MergeOptions): Promise<MergeOutcome> {
  const working = await repository.workingSet();
  if (await repository.mergeInProgress(working.branch)) throw new DgitError('MERGE_IN_PROGRESS', 'a merge is in progress; finish it with `dgit merge --continue` or `--abort`', working.branch);
  if (working.tree !== working.headTree) throw new UncommittedChangesError('merging', working.branch, 'commit them (`dgit commit -m ...`) or drop them (`dgit reset --hard`)');
  const theirs = await repository.resolve(rev);
  const ours = working.head;
  if (ours === theirs) return { status: 'up-to-date', commit: theirs };
  const bases = ours ? await mergeBases(repository, ours, theirs) : [];
  const base = bases[0];
  if (base === theirs) return { status: 'up-to-date', commit: ours! };
  if (!ours || base === ours) {
    const theirsTree = (await repository.readCommit(theirs)).tree;
    // A fast-forward moves the branch to data no check may have seen (commits are not gated): the gate a merge
    // commit passes, on theirs. Refused, nothing changes.
    if (!options.noVerify && ours) {
      const verdict = await (options.gate ?? checksGate)({ repository, tree: theirsTree, ours, theirs });
      if (!verdict.ok) return { status: 'blocked', reason: verdict.reason, failing: verdict.failing ?? [], fastForward: true };
    }
    await repository.refs.compareAndSwap(`refs/heads/${working.branch}`, ours, theirs, `merge ${rev}: Fast-forward`);
    await syncBranchFiles(repository, working.headTree, theirsTree, options.progress);
    return { status: 'fast-forward', commit: theirs };
  }

  const message = options.message ?? `Merge ${rev} into ${working.branch}`;
  const tx = repository.store.transaction();
  let merged: CommitMerge;
  try {
    merged = await mergeCommits(repository, ours, theirs, { tx, base: { commit: base, others: bases.slice(1) }, progress: options.progress });
    tx.commit();
  } catch (error) {
    tx.discard();
    throw error;
  }
  const { tree, conflicts } = merged;
  const state: MergeState = { ours, theirs, theirsName: rev, base, virtualBase: merged.virtualBase, message, before: working.stored, tables: conflicts, blockedBy: undefined };
  // The merge is recorded before the working set moves to its result, so a kill in between leaves a merge in
  // progress whose result the next command puts in place (Repository.mergeInProgress), never a result with no merge.
  await repository.merges.write(working.branch, { ...state, pending: tree });
  await repository.workingSets.update(working.branch, working.stored, tree === working.headTree ? undefined : { base: ours, tree });
  await repository.merges.write(working.branch, state);
  if (conflictCount(state) > 0) {
    return { status: 'conflicts', conflicts: state.tables.map((t) => ({ table: t.table, count: t.conflicts.length + t.schemaConflicts.length })) };
  }
  return finish(repository, working.branch, state, tree, options);
}

/** After conflicts are resolved: run the gate and write the merge commit. */
export async function continueMerge(repository: Repository, options: { gate?: MergeGate; noVerify?: boolean; message?: string; progress?: Progress } = {}): Promise<MergeOutcome> {
  return withBranchLock(repository.gitdir, () => continueLocked(repository, options));
}

async function continueLocked(repository: Repository, options: { gate?: MergeGate; noVerify?: boolean; message?: string; progress?: Progress }): Promise<MergeOutcome> {
  const branch = repository.currentBranch();
  const state = await repository.mergeInProgress(branch);
  if (!state) throw new DgitError('NO_MERGE_IN_PROGRESS', 'no merge is in progress', branch);
  const remaining = conflictCount(state);
  if (remaining > 0)
    throw new DgitError(
      'CONFLICTS_REMAIN',
      `${remaining} conflict(s) remain in ${state.tables.map((t) => t.table).join(', ')}; see \`dgit conflicts\` and resolve them with \`dgit resolve\``,
      branch,
    );
  const working = await repository.workingSet();
  return finish(repository, branch, { ...state, message: options.message ?? state.message }, working.tree, { gate: options.gate, noVerify: options.noVerify, progress: options.progress });
}

/** Put the branch and working set back exactly as they were before the merge. */
export async function abortMerge(repository: Repository): Promise<void> {
  await withBranchLock(repository.gitdir, async () => {
    const branch = repository.currentBranch();
    const state = await repository.mergeInProgress(branch);
    if (!state) throw new DgitError('NO_MERGE_IN_PROGRESS', 'no merge is in progress', branch);
    const stored = await repository.workingSets.read(branch);
    await repository.workingSets.update(branch, stored, state.before);
    await repository.merges.clear(branch);
  });
}

async function finish(repository: Repository, branch: string, state: MergeState, tree: ObjectId, options: MergeOptions): Promise<MergeOutcome> {
  if (options.noCommit) {
    await repository.merges.write(branch, state);
    return { status: 'staged' };
  }
  if (!options.noVerify) {
    const gate = options.gate ?? checksGate;
    const verdict = await gate({ repository, tree, ours: state.ours, theirs: state.theirs });
    if (!verdict.ok) {
      await repository.merges.write(branch, { ...state, blockedBy: verdict.reason });
      return { status: 'blocked', reason: verdict.reason, failing: verdict.failing ?? [] };
    }
  }
  // The state is written first: once the branch moves past `state.ours` it reads as finished (see mergeInProgress).
  await repository.merges.write(branch, { ...state, blockedBy: undefined });
  const result = await commit(repository, { message: state.message, extraParents: [state.theirs], allowEmpty: true, mergeInProgress: true, progress: options.progress });
  await repository.merges.clear(branch);
  return { status: 'merged', commit: result.commit };
}

/** Two commits merged: the root tree, and every table (or root file) left in conflict; none for a clean merge. */
export interface CommitMerge {
  /** The common ancestor merged from (undefined: the histories share none); the first of a criss-cross history's. */
  base: CommitId | undefined;
  /** The tree merged from when it is no commit's: the merge bases of a criss-cross history merged (see mergeCommits). */
  virtualBase?: ObjectId;
  tree: ObjectId;
  conflicts: TableConflicts[];
}

/**
 * Three-way merge of commit `theirs` into commit `ours`, by key and cell, touching
 * no branch, working set or merge state (the merge queue merges this way). The
 * objects go into `options.tx` when given; otherwise into a transaction of its own
 * that is made visible only when the merge is clean (with conflicts, `tree` names
 * objects that were not kept). `options.base` skips the merge-base search when the
 * caller knows the bases already (`others`: the rest of them, as `mergeBases` gives).
 *
 * A criss-cross history has several best common ancestors. As git's recursive
 * merge does, two of them are first merged into a virtual base (recursively, from
 * their own merge bases), and the merge runs from that: each side's own changes
 * since both bases then count once. When the bases themselves conflict (the two
 * sides settled an earlier change differently) there is no virtual base; dgit then
 * merges from each base, and when all give the same result (the same tree, whose
 * ids are content addresses, and the same conflicts) that is the merge; when they
 * differ, it refuses (UNSUPPORTED, naming the tables the bases differ in) rather
 * than keep one side's value silently. `base` in the result is the first base.
 */
export async function mergeCommits(
  repository: Repository,
  ours: CommitId,
  theirs: CommitId,
  options: { tx?: ObjectTransaction; base?: { commit: CommitId | undefined; others?: CommitId[] }; progress?: Progress } = {},
): Promise<CommitMerge> {
  const bases = options.base ? [options.base.commit, ...(options.base.others ?? [])] : await mergeBases(repository, ours, theirs);
  const base = bases[0];
  const treeOf = async (id: CommitId | undefined) => (id ? (await repository.readCommit(id)).tree : EMPTY_TREE);
  const mergeFrom = async (baseTree: ObjectId, tx: ObjectTransaction, progress?: Progress) => {
    const trees = { base: baseTree, ours: await treeOf(ours), theirs: await treeOf(theirs) };
    const tables: TableConflicts[] = [];
    const tree = await mergeRootTrees(repository, trees, tx, new GitChunkStore(repository.store, tx), tables, progress);
    return { tree, conflicts: tables.filter((t) => t.conflicts.length + t.schemaConflicts.length > 0) };
  };
  const virtual = bases.length === 2 ? await virtualBase(repository, bases[0]!, bases[1]!) : undefined;
  const tx = options.tx ?? repository.store.transaction();
  try {
    const { tree, conflicts } = await mergeFrom(virtual ?? (await treeOf(base)), tx, options.progress);
    for (const other of virtual === undefined ? bases.slice(1) : []) {
      const scratch = repository.store.transaction();
      try {
        const again = await mergeFrom(await treeOf(other), scratch);
        if (again.tree !== tree || JSON.stringify(again.conflicts) !== JSON.stringify(conflicts)) throw await ambiguousMerge(repository, bases as CommitId[], ours, theirs);
      } finally {
        scratch.discard();
      }
    }
    if (!options.tx) {
      if (conflicts.length === 0) tx.commit();
      else tx.discard();
    }
    return { base, tree, conflicts, ...(virtual !== undefined ? { virtualBase: virtual } : {}) };
  } catch (error) {
    if (!options.tx) tx.discard();
    throw error;
  }
}

/**
 * The tree of two merge bases merged (git's virtual base), or undefined when they
 * conflict. Its objects are written (a clean merge's chunks, as a queue candidate's
 * are): the merge reads them as its base.
 */
async function virtualBase(repository: Repository, a: CommitId, b: CommitId): Promise<ObjectId | undefined> {
  const merged = await mergeCommits(repository, a, b).catch((error: unknown) => {
    if (error instanceof AmbiguousMergeError) return undefined;
    throw error;
  });
  return merged && merged.conflicts.length === 0 ? merged.tree : undefined;
}

/** A criss-cross merge whose result depends on the merge base taken: refused (see mergeCommits). */
export class AmbiguousMergeError extends DgitError {
  constructor(message: string) {
    super('UNSUPPORTED', message);
    this.name = 'AmbiguousMergeError';
  }
}

/** The refusal of a criss-cross merge whose result depends on the base taken, naming where the bases differ. */
async function ambiguousMerge(repository: Repository, bases: CommitId[], ours: CommitId, theirs: CommitId): Promise<AmbiguousMergeError> {
  const tablesOf = async (id: CommitId) => repository.tableTrees((await repository.readCommit(id)).tree);
  const all = await Promise.all(bases.map(tablesOf));
  const names = [...new Set(all.flatMap((tables) => [...tables.keys()]))].sort();
  const differing = names.filter((name) => new Set(all.map((tables) => tables.get(name) ?? '')).size > 1);
  const short = (id: string) => id.slice(0, 12);
  const where = differing.length > 0 ? ` in ${differing.map((name) => `table ${name}`).join(', ')}` : '';
  return new AmbiguousMergeError(
    `${short(ours)} and ${short(theirs)} have ${bases.length} merge bases (a criss-cross history: ${bases.map(short).join(', ')}), ` +
      `and merging from each gives a different result${where}: the two sides settled an earlier change differently, so the bases conflict ` +
      `and no virtual base can be made of them. Make both sides agree on those rows (\`dgit diff ${short(bases[0]!)} ${short(bases[1]!)}\` shows how the bases differ), commit, and merge again`,
  );
}

/**
 * isomorphic-git, loaded on first use through `require`: its CommonJS build loads
 * in about a third of the time its ES module build takes (a tenth of a second saved
 * on every merge, whose own work can be a few chunks).
 */
let isomorphicGit: typeof import('isomorphic-git').default | undefined;
function gitLibrary(): typeof import('isomorphic-git').default {
  return (isomorphicGit ??= createRequire(import.meta.url)('isomorphic-git') as typeof import('isomorphic-git').default);
}

/** A best common ancestor of two commits (git merge-base); `mergeBases` gives every one of a criss-cross history. */
export async function mergeBase(repository: Repository, a: CommitId, b: CommitId): Promise<CommitId | undefined> {
  return (await mergeBases(repository, a, b))[0];
}

/** Every best common ancestor of two commits (git merge-base --all), sorted; none when the histories share none. */
export async function mergeBases(repository: Repository, a: CommitId, b: CommitId): Promise<CommitId[]> {
  const bases = (await gitLibrary().findMergeBase({ fs, gitdir: repository.gitdir, oids: [a, b] })) as CommitId[];
  return [...bases].sort();
}

/** Merge root trees: tables three-way by key and cell, other files (dgit.yml) whole. */
async function mergeRootTrees(
  repository: Repository,
  trees: { base: ObjectId; ours: ObjectId; theirs: ObjectId },
  writer: ObjectWriter,
  chunks: ChunkReader & { writeChunk(bytes: Uint8Array): import('../chunking/manifest.js').ChunkId },
  conflicts: TableConflicts[],
  progress?: Progress,
): Promise<ObjectId> {
  const store = repository.store;
  const entries = async (tree: ObjectId) => (tree === EMPTY_TREE ? [] : parseTree(await store.readTyped(tree, 'tree'), '/'));
  const [baseRoot, oursRoot, theirsRoot] = await Promise.all([entries(trees.base), entries(trees.ours), entries(trees.theirs)]);
  const out: TreeEntry[] = [];
  const names = [...new Set([...oursRoot, ...theirsRoot, ...baseRoot].map((e) => e.name))].sort();
  for (const name of names) {
    if (name === TABLES_DIR) continue;
    const b = baseRoot.find((e) => e.name === name);
    const o = oursRoot.find((e) => e.name === name);
    const t = theirsRoot.find((e) => e.name === name);
    const pick = pickWhole(b?.oid, o?.oid, t?.oid);
    if (pick === 'conflict') {
      conflicts.push({
        table: name,
        conflicts: [],
        schemaConflicts: [{ kind: 'schema', key: null, reason: 'file', message: `${name} was changed differently on both sides`, columns: [] }],
        oursTree: o?.oid ?? null,
        theirsTree: t?.oid ?? null,
      });
      if (o) out.push(o);
    } else {
      const chosen = pick === 'ours' ? o : t;
      if (chosen) out.push(chosen);
    }
  }
  const [baseTables, oursTables, theirsTables] = await Promise.all([listTableTrees(store, trees.base), listTableTrees(store, trees.ours), listTableTrees(store, trees.theirs)]);
  const tableEntries: TreeEntry[] = [];
  const tableNames = [...new Set([...oursTables.keys(), ...theirsTables.keys(), ...baseTables.keys()])].sort();
  for (const [done, table] of tableNames.entries()) {
    progress?.({ phase: 'Merging tables', done, total: tableNames.length, unit: 'tables' });
    const b = baseTables.get(table);
    const o = oursTables.get(table);
    const t = theirsTables.get(table);
    const pick = pickWhole(b, o, t);
    if (pick !== 'conflict') {
      const chosen = pick === 'ours' ? o : t;
      if (chosen) tableEntries.push({ mode: '40000', name: table, oid: chosen });
      continue;
    }
    const read = (tree: ObjectId | undefined) => (tree ? readTableVersion(store, tree, table) : Promise.resolve(undefined));
    const [baseVersion, oursVersion, theirsVersion] = await Promise.all([read(b), read(o), read(t)]);
    // Ours' changed chunks are read by the diffs and again to apply the edits: keep them decoded in between.
    const retains = chunks instanceof GitChunkStore && oursVersion !== undefined;
    if (retains) chunks.retain(oursVersion.manifest.chunks.map((c) => c.id));
    // The chunks that differ are decoded ahead in workers while this thread compares rows; the same workers then encode the merged chunks.
    if (chunks instanceof GitChunkStore) chunks.prefetch(chunksMergeReads(baseVersion, oursVersion, theirsVersion));
    try {
      const result = await mergeTables(baseVersion, oursVersion, theirsVersion, chunks);
      if (chunks instanceof GitChunkStore) await chunks.stopPrefetch();
      const record: TableConflicts = {
        table,
        conflicts: result.schema ? result.conflicts.map((c) => conflictToJson(result.schema!, c)) : [],
        schemaConflicts: result.schemaConflicts.map((c) => schemaConflictToJson(c)),
        oursTree: o ?? null,
        theirsTree: t ?? null,
      };
      conflicts.push(record);
      if (result.schemaConflicts.length > 0) {
        if (o) tableEntries.push({ mode: '40000', name: table, oid: o });
        continue;
      }
      if (!result.schema) continue;
      // Where only theirs changed, the merged chunks are theirs' own: taken as they are, not rebuilt.
      const replace = schemasEqual(result.schema, oursVersion?.schema ?? result.schema) ? theirsRuns(baseVersion, oursVersion, theirsVersion) : undefined;
      let merged;
      try {
        merged = await applyMerged(oursVersion, result.schema, result.edits, chunks, replace);
      } catch (error) {
        // A NOT NULL column one side added (with a default for its own rows) and rows the other side added
        // without it: a conflict to resolve, not an encoder's internal error.
        const column = /Column '(.*)' is declared as non-nullable but contains null values/.exec(error instanceof Error ? error.message : '')?.[1];
        if (column === undefined) throw error;
        record.schemaConflicts.push(
          schemaConflictToJson({
            kind: 'schema',
            reason: 'column-not-null',
            columns: [column],
            message: `column ${JSON.stringify(column)} does not allow nulls, and the merge leaves rows without a value in it (rows the side without the column added or changed); resolve with --ours, --theirs or --file, or make the column nullable on that side and merge again`,
          }),
        );
        if (o) tableEntries.push({ mode: '40000', name: table, oid: o });
        continue;
      }
      // The merge applies edits to ours: its tree's unchanged folders and pages are reused.
      const previous = o && oursVersion ? await previousTableTree(store, o, table, oursVersion) : undefined;
      tableEntries.push({ mode: '40000', name: table, oid: writeTableTree(merged, writer, previous) });
    } finally {
      if (retains) chunks.release();
      if (chunks instanceof GitChunkStore) await chunks.closeWorkers();
    }
  }
  if (tableEntries.length > 0) out.push({ mode: '40000', name: TABLES_DIR, oid: writer.write('tree', serializeTree(tableEntries)) });
  return out.length === 0 ? EMPTY_TREE : writer.write('tree', serializeTree(out));
}

/** Whole-object three-way choice: one side's change wins; both changing differently is a conflict. */
function pickWhole(base: string | undefined, ours: string | undefined, theirs: string | undefined): 'ours' | 'theirs' | 'conflict' {
  if (ours === theirs || base === theirs) return 'ours';
  if (base === ours) return 'theirs';
  return 'conflict';
}

/**
 * Apply merge edits to ours. Chunks hold each column under its stored name, so
 * when the merged schema drops or retypes one of ours' columns, or changes a stored
 * name, every chunk is rewritten (read under ours' names, columns matched by id); a
 * rename (the stored name stays) or an added column needs no rewrite, since older
 * chunks read a column they lack as null.
 */
export async function applyMerged(
  ours: TableVersion | undefined,
  schema: TableSchema,
  edits: { upserts: Row[]; deletes: Row[] },
  chunks: ChunkReader & { writeChunk(bytes: Uint8Array): import('../chunking/manifest.js').ChunkId },
  replace?: ReadonlyMap<number, TheirsRun>,
): Promise<TableVersion> {
  const manifest = ours?.manifest ?? { chunks: [] };
  const keepsChunks =
    !!ours &&
    ours.schema.columns.every((c) => schema.columns.some((m) => m.id === c.id && storedName(m) === storedName(c) && m.type === c.type)) &&
    ours.schema.primaryKey.join(',') === schema.primaryKey.join(',');
  const reader: ChunkReader = keepsChunks || !ours ? chunks : underWrittenColumns(chunks, ours.schema);
  const { manifest: next } = await applyEdits(schema, manifest, edits, { reader, writer: chunks }, { rewriteAll: !keepsChunks, replace });
  return { schema, manifest: next };
}

