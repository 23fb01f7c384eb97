import { z } from 'zod';
import { loadSyncApi, type ObjectId, type Repository } from '../../engine/index.js';

const { WORKING } = await loadSyncApi();

/** A revision argument: a branch, tag, commit id (or prefix), `HEAD~2`-style expression, or WORKING. */
export const RevisionArgument = z
  .string()
  .min(1)
  .max(200)
  .describe('a branch, tag or commit id (git revision syntax such as main~1 works), or WORKING for the uncommitted working set; default: the default branch');

export const TableArgument = z.string().min(1).max(255).describe('a table name, as list_tables gives it');

/** A revision as results name it: what was asked, and the commit it is (null for the working set). */
export const RevisionOutput = z.object({ rev: z.string(), commit: z.string().nullable() });

export interface ResolvedRevision {
  rev: string;
  commit: string | null;
  tree: ObjectId;
}

/** The revision an agent named, or the head of the default branch. */
export async function resolveRevision(repository: Repository, rev: string | undefined): Promise<ResolvedRevision> {
  const label = rev ?? (await repository.defaultBranch());
  const revision = await repository.revision(label === WORKING ? undefined : label);
  return { rev: label, commit: revision.kind === 'commit' ? revision.commit : null, tree: revision.tree };
}
