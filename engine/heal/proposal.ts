import crypto from 'node:crypto';
import { runChecks } from '../checks/run-checks.js';
import type { CheckReport } from '../checks/check-result.js';
import type { LoadedConfig } from '../config/config-file.js';
import { ConcurrentUpdateError } from '../errors/index.js';
import { incidentTableTree } from '../incidents/incident-table.js';
import { INCIDENTS_TABLE, type Incident } from '../incidents/incident.js';
import { HEAL_BRANCH_PREFIX } from '../incidents/incident-memory.js';
import { DGIT_IDENTITY } from '../repository/git-identity.js';
import type { Repository } from '../repository/repository.js';
import type { Signature } from '../store/git-objects.js';
import type { ObjectId, ObjectTransaction } from '../store/object-store.js';
import { checkBranchName } from '../store/ref-store.js';
import type { CommitId } from '../store/revision.js';
import { applyEdits } from '../table/apply-edits.js';
import { GitChunkStore } from '../table/git-chunk-store.js';
import { withTableTrees } from '../table/root-tree.js';
import { writeTableTree } from '../table/table-tree.js';
import type { TableVersion } from '../table/table-version.js';
import { UsageError } from '../errors/index.js';
import type { TableChange } from './patch-resolution.js';
import { quarantineTableName, quarantineTableTree } from './quarantine.js';
import { compareReports, type Recheck } from './recheck.js';

/** The revision a proposal starts from: a commit, its tree, and its dgit.yml. */
export interface FailingRevision {
  commit: CommitId;
  tree: ObjectId;
  config: LoadedConfig | undefined;
}

/** How a proposal changes its table: row edits of a patch, or (coerce-type) the table rewritten under a new schema. */
export type TableFix =
  | { kind: 'edits'; change: TableChange }
  | { kind: 'rewrite'; table: string; build: (io: { tx: ObjectTransaction; chunks: GitChunkStore }) => Promise<TableVersion> };

/** A fix ready to be committed on a heal branch. */
export interface FixProposal {
  fix: TableFix;
  /** The incident, in its `proposed` state, written in the same commit. */
  incident: Incident;
  /** Other incidents' latest states carried onto the branch (so the memory reaches the default branch with the fix). */
  carried: Incident[];
  message: string;
}

/**
 * Write a proposal's commit on top of the failing revision: the table fixed, its
 * rejected rows in `<t>__quarantine`, the incident in `_dgit_incidents`, all in one
 * commit. The objects become visible (the checks read them) but no ref names the
 * commit yet: the caller offers it or leaves it unreachable.
 */
export async function writeProposalCommit(
  repository: Repository,
  base: FailingRevision,
  proposal: FixProposal,
  people: { author: Signature; committer: Signature },
): Promise<{ commit: CommitId; tree: ObjectId }> {
  const tx = repository.store.transaction();
  try {
    const chunks = new GitChunkStore(repository.store, tx);
    const io = { writer: tx, chunks };
    const tables = new Map<string, ObjectId>();
    const fix = proposal.fix;
    if (fix.kind === 'edits') {
      const { change } = fix;
      const applied = await applyEdits(change.version.schema, change.version.manifest, { upserts: change.upserts, deletes: change.deletes }, { reader: chunks, writer: chunks });
      tables.set(change.table, writeTableTree({ schema: change.version.schema, manifest: applied.manifest }, tx));
      if (change.quarantined.length > 0)
        tables.set(quarantineTableName(change.table), await quarantineTableTree(repository, io, base.tree, change.table, change.version.schema, change.quarantined));
    } else {
      tables.set(fix.table, writeTableTree(await fix.build({ tx, chunks }), tx));
    }
    tables.set(INCIDENTS_TABLE, await incidentTableTree(repository, io, base.tree, [...proposal.carried, proposal.incident]));
    const tree = await withTableTrees(repository.store, tx, base.tree, tables);
    const commit = repository.writeCommit(tx, { tree, parents: [base.commit], author: people.author, committer: people.committer, message: proposal.message });
    tx.commit();
    return { commit, tree };
  } catch (error) {
    tx.discard();
    throw error;
  }
}

/** Run every check on a proposal's commit and judge it against the failing revision's report. */
export async function recheckProposal(repository: Repository, commit: CommitId, before: CheckReport | undefined, mustPass: readonly string[], now?: Date): Promise<{ recheck: Recheck; report: CheckReport }> {
  const report = await runChecks(repository, commit, { now });
  return { recheck: compareReports(before, report, mustPass), report };
}

/** Create the heal branch at the proposal; false when it already exists (another run offered it first). */
export async function offerProposal(repository: Repository, branch: string, commit: CommitId): Promise<boolean> {
  try {
    await repository.refs.compareAndSwap(`refs/heads/${branch}`, undefined, commit);
    return true;
  } catch (error) {
    if (error instanceof ConcurrentUpdateError) return false;
    throw error;
  }
}

/** A heal branch name given by a user: under heal/, and a valid branch name. */
export function checkHealBranchName(branch: string, where = '--branch'): string {
  const name = branch.startsWith('refs/heads/') ? branch.slice('refs/heads/'.length) : branch;
  if (!name.startsWith(HEAL_BRANCH_PREFIX) || name.length === HEAL_BRANCH_PREFIX.length)
    throw new UsageError(`a proposal's branch must be under ${HEAL_BRANCH_PREFIX} (e.g. ${HEAL_BRANCH_PREFIX}my-fix), not ${JSON.stringify(name)}`, where);
  checkBranchName(name);
  return name;
}

/**
 * An incident id: readable (from the check id) and deterministic (a hash of the
 * check and the failing commit), so healing one revision twice finds the same
 * incident and the same branch. Safe as a branch name component.
 */
export function incidentId(label: string, ...parts: string[]): string {
  const slug = label
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/-*\.[-.]*/g, '.')
    .replace(/^[.-]+/, '')
    .slice(0, 60)
    .replace(/[.-]+$/, '');
  const hash = crypto.createHash('sha1').update([label, ...parts].join('\u0000')).digest('hex').slice(0, 10);
  return `${slug || 'incident'}-${hash}`;
}

/** Signatures for a proposal's commit: the given author (default: the repository's user) and the committer. */
export async function proposalPeople(repository: Repository, author?: { name: string; email: string }): Promise<{ author: Signature; committer: Signature }> {
  return {
    author: await repository.signature(author, 'AUTHOR', DGIT_IDENTITY),
    committer: await repository.signature(undefined, 'COMMITTER', DGIT_IDENTITY),
  };
}

/** Text from data or an agent on one line of a commit message: no line breaks or control characters (no forged trailers). */
export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
}
