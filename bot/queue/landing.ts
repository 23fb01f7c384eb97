import { z } from 'zod';
import type { Departure } from './queue-state.js';
import { checkCandidate, mergeBase, mergeCommits, type CommitId, type Repository, type TableConflicts } from '../../engine/index.js';

/** What merging a pull request's head onto the default branch gives. */
export type LandingCandidate =
  | { kind: 'contained' } // the default branch holds the head already
  | { kind: 'conflict'; reason: string }
  | { kind: 'candidate'; commit: CommitId; fastForward: boolean };

/** Who the queue's merge commits are by. */
export const MERGE_AUTHOR = { name: 'dgit merge queue', email: 'dgit-merge-queue@users.noreply.github.com' };

/**
 * Merge `head` onto `onto` (the default branch's latest commit) as the default
 * branch would receive it, touching no branch: a head the default branch holds adds
 * nothing, one that holds `onto` is a fast-forward (the head itself is the
 * candidate), anything else is the data three-way merge (`mergeCommits`), a merge
 * commit whose first parent is `onto` and second the head, so the default branch
 * then contains the pull request's head and GitHub marks it merged.
 */
export async function buildCandidate(repository: Repository, onto: CommitId | undefined, head: CommitId, message: string, into: string): Promise<LandingCandidate> {
  if (onto === undefined) return { kind: 'candidate', commit: head, fastForward: true };
  if (onto === head) return { kind: 'contained' };
  const base = await mergeBase(repository, onto, head);
  if (base === head) return { kind: 'contained' };
  if (base === onto) return { kind: 'candidate', commit: head, fastForward: true };
  const tx = repository.store.transaction();
  try {
    const merged = await mergeCommits(repository, onto, head, { tx, base: { commit: base } });
    if (merged.conflicts.length > 0) {
      tx.discard();
      return { kind: 'conflict', reason: `the data merge with ${into} conflicts in ${merged.conflicts.map(describeConflicts).join('; ')}` };
    }
    const signature = await repository.signature(MERGE_AUTHOR);
    const commit = repository.writeCommit(tx, { tree: merged.tree, parents: [onto, head], author: signature, committer: signature, message });
    tx.commit();
    return { kind: 'candidate', commit, fastForward: false };
  } catch (error) {
    tx.discard();
    throw error;
  }
}

/** `flights: 2 conflicts, at id=8 (origin), id=9 (delay)`: the first few rows in conflict, by key. */
function describeConflicts(table: TableConflicts): string {
  const count = table.conflicts.length + table.schemaConflicts.length;
  const rows = table.conflicts.slice(0, 3).map((conflict) => {
    const parsed = ConflictShape.safeParse(conflict);
    if (!parsed.success) return 'a row';
    const key = Object.entries(parsed.data.key ?? {}).map(([column, value]) => `${column}=${JSON.stringify(value)}`).join(', ');
    const columns = parsed.data.columns ?? [];
    return `${key || 'a row'}${columns.length > 0 ? ` (${columns.join(', ')})` : ''}`;
  });
  const schema = table.schemaConflicts.slice(0, 2).map((conflict) => String(conflict['message'] ?? 'the schema'));
  const more = count > rows.length + schema.length ? ', …' : '';
  return `${table.table}: ${count} conflict${count === 1 ? '' : 's'}, at ${[...rows, ...schema].join(', ')}${more}`;
}

/** The fields of a row conflict (`dgit conflicts --json`) a reason names. */
const ConflictShape = z.object({ key: z.record(z.string(), z.unknown()).nullable().optional(), columns: z.array(z.string()).optional() });

/** The checks' verdict on a candidate, as a reason to leave the queue when it fails. */
export type CandidateJudgement = { passed: true } | { passed: false; departure: Extract<Departure, 'checks-failed' | 'invalid-config'>; reason: string };

/**
 * Run the checks of the candidate's dgit.yml on it, with the local queue's rule
 * (engine/queue `checkCandidate`): on a green default branch every check must pass;
 * on a red one nothing may get worse, so fixes land one by one.
 */
export async function judgeCandidate(repository: Repository, candidate: CommitId, onto: CommitId | undefined): Promise<CandidateJudgement> {
  const verdict = await checkCandidate(repository, candidate, onto);
  if (verdict.passed) return { passed: true };
  return { passed: false, departure: verdict.outcome === 'failed' ? 'invalid-config' : 'checks-failed', reason: verdict.reason };
}
