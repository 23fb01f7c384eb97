import { buildCandidate, checkCandidate, type CandidateVerdict, type CommitId, type Repository } from '../../engine/index.js';

/** What merging a pull request's head onto the default branch gives. */
export type LandingCandidate =
  | { kind: 'contained' } // the default branch holds the head already
  | { kind: 'conflict'; reason: string }
  | { kind: 'candidate'; commit: CommitId };

/** Who the queue's merge commits are by. */
export const MERGE_AUTHOR = { name: 'dgit merge queue', email: 'dgit-merge-queue@users.noreply.github.com' };

/**
 * Merge `head` onto `onto` (the default branch's latest commit) with the queue
 * core's candidate builder (engine/queue `buildCandidate`, the local queue's
 * too), as a group of one: a head the default branch holds adds nothing, one that
 * holds `onto` is a fast-forward, anything else a merge commit whose second parent
 * is the head, so GitHub marks the pull request merged.
 */
export async function landingCandidate(repository: Repository, onto: CommitId | undefined, part: { id: number; pull: number; head: CommitId }, message: string, into: string): Promise<LandingCandidate> {
  const built = await buildCandidate(repository, onto, [{ id: part.id, branch: `pull request ${part.pull}`, head: part.head }], into, { message: () => message, author: MERGE_AUTHOR });
  if (built.kind === 'conflict') return { kind: 'conflict', reason: built.reason };
  if (built.commit === onto) return { kind: 'contained' };
  return { kind: 'candidate', commit: built.commit };
}

/**
 * The core's judge (engine/queue `checkCandidate`): on a green default branch every
 * check must pass; on a red one nothing may get worse, so fixes land one by one.
 */
export function judgeCandidate(repository: Repository, candidate: CommitId, onto: CommitId | undefined): Promise<CandidateVerdict> {
  return checkCandidate(repository, candidate, onto);
}
