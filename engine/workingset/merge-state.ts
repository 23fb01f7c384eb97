import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { CorruptError } from '../errors/index.js';
import { readFileIfExists } from '../store/atomic-file.js';
import { parseCommit, parseTree, serializeCommit, serializeTree, type TreeEntry } from '../store/git-objects.js';
import type { ObjectId, ObjectStore } from '../store/object-store.js';
import type { RefStore } from '../store/ref-store.js';
import type { CommitId } from '../store/revision.js';
import { STATE_SIGNATURE, mergeStateRef } from './state-commit.js';
import type { WorkingSetState } from './working-set.js';

const Id = z.string().regex(/^[0-9a-f]{40}$/);

const TableConflictsSchema = z.object({
  table: z.string(),
  /** Row conflicts in the CLI.md JSON shape (base/ours/theirs rows by column name). */
  conflicts: z.array(z.record(z.string(), z.unknown())),
  /** Schema or table-level conflicts (kind "schema"). */
  schemaConflicts: z.array(z.record(z.string(), z.unknown())),
  /** The table's tree on each side, for `resolve --ours/--theirs` of a schema conflict. */
  oursTree: Id.nullable(),
  theirsTree: Id.nullable(),
});

const MergeStateSchema = z.object({
  ours: Id,
  theirs: Id,
  theirsName: z.string(),
  base: Id.nullable(),
  /** The tree merged from when it is no commit's (a criss-cross history's merge bases merged); pinned under pins/base. */
  virtualBase: Id.nullable().optional(),
  message: z.string(),
  /** The working set before the merge began, restored by `merge --abort` (null: it was clean). */
  before: z.object({ base: Id.nullable(), tree: Id }).nullable(),
  tables: z.array(TableConflictsSchema),
  /** Why a conflict-free merge was not committed (a check failed on the result), if so. */
  blockedBy: z.string().nullable(),
  /** The merge result while the working set has not been moved to it yet (a crash in between is finished on the next read). */
  pending: Id.nullable().optional(),
});

export type TableConflicts = z.infer<typeof TableConflictsSchema>;

/** A merge in progress on one branch: stored as data until `merge --continue` or `--abort`. */
export interface MergeState {
  ours: CommitId;
  theirs: CommitId;
  theirsName: string;
  base: CommitId | undefined;
  /** The root tree merged from when it is no commit's (the merge bases of a criss-cross history merged). */
  virtualBase?: ObjectId | undefined;
  message: string;
  before: WorkingSetState | undefined;
  tables: TableConflicts[];
  blockedBy: string | undefined;
  /** Set between recording a merge and moving the working set to its result (see Repository.mergeInProgress). */
  pending?: ObjectId | undefined;
}

export function conflictCount(state: MergeState): number {
  return state.tables.reduce((n, t) => n + t.conflicts.length + t.schemaConflicts.length, 0);
}

/**
 * Merges in progress, one ref per branch: `refs/dgit/merge/<branch>` names a state
 * commit whose tree holds `merge.json` (and, under `pins/`, the working tree from
 * before the merge) and whose parents are the merged commits, so `git gc` keeps
 * everything `merge --continue` and `--abort` need. Repositories made before the
 * ref kept `.git/dgit/merge/<branch>.json`: read while no ref exists, moved to the
 * ref by the next write.
 */
export class MergeStateStore {
  private readonly legacyDir: string;

  constructor(
    private readonly store: ObjectStore,
    private readonly refs: RefStore,
  ) {
    this.legacyDir = path.join(store.gitdir, 'dgit', 'merge');
  }

  private legacyFile(branch: string): string {
    return path.join(this.legacyDir, `${branch}.json`);
  }

  async read(branch: string): Promise<MergeState | undefined> {
    const commit = await this.refs.resolve(mergeStateRef(branch));
    if (commit) {
      const tree = parseTree(await this.store.readTyped(parseCommit(await this.store.readTyped(commit, 'commit'), commit).tree, 'tree'), commit);
      const entry = tree.find((e) => e.name === STATE_FILE);
      if (!entry) throw new CorruptError(`merge state commit lacks ${STATE_FILE}`, mergeStateRef(branch));
      return parseState(Buffer.from(await this.store.readTyped(entry.oid, 'blob')).toString('utf8'), mergeStateRef(branch));
    }
    const text = readFileIfExists(this.legacyFile(branch));
    return text === undefined ? undefined : parseState(text, this.legacyFile(branch));
  }

  /** Record the merge state (the commits and trees it names must be stored already). */
  async write(branch: string, state: MergeState): Promise<void> {
    const json = {
      ...state,
      base: state.base ?? null,
      virtualBase: state.virtualBase ?? null,
      before: state.before ? { base: state.before.base ?? null, tree: state.before.tree } : null,
      blockedBy: state.blockedBy ?? null,
      pending: state.pending ?? null,
    };
    const text = JSON.stringify(json, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) + '\n';
    const entries: TreeEntry[] = [{ mode: '100644', name: STATE_FILE, oid: this.store.write('blob', Buffer.from(text, 'utf8')) }];
    const pins: TreeEntry[] = [];
    if (state.before) pins.push({ mode: '40000', name: 'before', oid: state.before.tree });
    if (state.pending) pins.push({ mode: '40000', name: 'result', oid: state.pending });
    // The virtual base is no commit's tree: pinned, so git gc keeps what resolve counts discarded changes against.
    if (state.virtualBase) pins.push({ mode: '40000', name: 'base', oid: state.virtualBase });
    if (pins.length > 0) entries.push({ mode: '40000', name: 'pins', oid: this.store.write('tree', serializeTree(pins)) });
    const parents = [...new Set([state.ours, state.theirs, state.base, state.before?.base].filter((id): id is CommitId => id !== undefined))];
    const commit = this.store.write(
      'commit',
      serializeCommit({ tree: this.store.write('tree', serializeTree(entries)), parents, author: STATE_SIGNATURE, committer: STATE_SIGNATURE, message: `dgit merge of ${state.theirsName} into ${branch}\n` }),
    );
    const ref = mergeStateRef(branch);
    const current = await this.refs.resolve(ref);
    if (current !== commit) await this.refs.compareAndSwap(ref, current, commit);
    fs.rmSync(this.legacyFile(branch), { force: true });
  }

  async clear(branch: string): Promise<void> {
    fs.rmSync(this.legacyFile(branch), { force: true });
    const ref = mergeStateRef(branch);
    const current = await this.refs.resolve(ref);
    if (current) await this.refs.delete(ref, current);
  }
}

const STATE_FILE = 'merge.json';

function parseState(text: string, where: string): MergeState {
  let parsed;
  try {
    parsed = MergeStateSchema.parse(JSON.parse(text));
  } catch (error) {
    throw new CorruptError('merge state is unreadable', where, error);
  }
  return {
    ...parsed,
    ours: parsed.ours as CommitId,
    theirs: parsed.theirs as CommitId,
    base: (parsed.base ?? undefined) as CommitId | undefined,
    virtualBase: (parsed.virtualBase ?? undefined) as ObjectId | undefined,
    before: parsed.before ? { base: (parsed.before.base ?? undefined) as CommitId | undefined, tree: parsed.before.tree as ObjectId } : undefined,
    blockedBy: parsed.blockedBy ?? undefined,
    pending: (parsed.pending ?? undefined) as ObjectId | undefined,
  };
}
