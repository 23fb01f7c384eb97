import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { CorruptError } from '../errors/index.js';
import { readFileIfExists, writeFileAtomic } from '../store/atomic-file.js';
import type { ObjectId } from '../store/object-store.js';
import type { CommitId } from '../store/revision.js';
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
  message: z.string(),
  /** The working set before the merge began, restored by `merge --abort` (null: it was clean). */
  before: z.object({ base: Id.nullable(), tree: Id }).nullable(),
  tables: z.array(TableConflictsSchema),
  /** Why a conflict-free merge was not committed (a check failed on the result), if so. */
  blockedBy: z.string().nullable(),
});

export type TableConflicts = z.infer<typeof TableConflictsSchema>;

/** A merge in progress on one branch: stored as data until `merge --continue` or `--abort`. */
export interface MergeState {
  ours: CommitId;
  theirs: CommitId;
  theirsName: string;
  base: CommitId | undefined;
  message: string;
  before: WorkingSetState | undefined;
  tables: TableConflicts[];
  blockedBy: string | undefined;
}

export function conflictCount(state: MergeState): number {
  return state.tables.reduce((n, t) => n + t.conflicts.length + t.schemaConflicts.length, 0);
}

/** `.git/dgit/merge/<branch>.json`, replaced atomically. */
export class MergeStateStore {
  private readonly dir: string;

  constructor(gitdir: string) {
    this.dir = path.join(gitdir, 'dgit', 'merge');
  }

  private file(branch: string): string {
    return path.join(this.dir, `${branch}.json`);
  }

  read(branch: string): MergeState | undefined {
    const text = readFileIfExists(this.file(branch));
    if (text === undefined) return undefined;
    let parsed;
    try {
      parsed = MergeStateSchema.parse(JSON.parse(text));
    } catch (error) {
      throw new CorruptError('merge state is unreadable', this.file(branch), error);
    }
    return {
      ...parsed,
      ours: parsed.ours as CommitId,
      theirs: parsed.theirs as CommitId,
      base: (parsed.base ?? undefined) as CommitId | undefined,
      before: parsed.before ? { base: (parsed.before.base ?? undefined) as CommitId | undefined, tree: parsed.before.tree as ObjectId } : undefined,
      blockedBy: parsed.blockedBy ?? undefined,
    };
  }

  write(branch: string, state: MergeState): void {
    const json = {
      ...state,
      base: state.base ?? null,
      before: state.before ? { base: state.before.base ?? null, tree: state.before.tree } : null,
      blockedBy: state.blockedBy ?? null,
    };
    writeFileAtomic(this.file(branch), JSON.stringify(json, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) + '\n');
  }

  clear(branch: string): void {
    fs.rmSync(this.file(branch), { force: true });
  }
}
