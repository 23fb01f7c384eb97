import { buildCandidate, checkCandidate, type CandidateVerdict, type CommitId, type Repository } from '../../engine/index.js';

/** What merging pull requests' heads onto the default branch gives. */
export type LandingCandidate =
  | { kind: 'contained' } // the default branch holds every head already
  | { kind: 'conflict'; index: number; reason: string } // `index`: the part whose merge conflicts (0: with the default branch itself)
  | { kind: 'candidate'; commit: CommitId };

/** One pull request's head in a candidate, with the message of its merge commit. */
export interface LandingPart {
  id: number;
  pull: number;
  head: CommitId;
  message: string;
}

/** Who the queue's merge commits are by. */
export const MERGE_AUTHOR = { name: 'dgit merge queue', email: 'dgit-merge-queue@users.noreply.github.com' };

/**
 * Merge the heads, in order, onto `onto` (the default branch's latest commit) with
 * the queue core's candidate builder (engine/queue `buildCandidate`, the local
 * queue's too): a head the default branch holds adds nothing, one that holds the
 * tip so far is a fast-forward, anything else a merge commit whose second parent
 * is the head, so GitHub marks each pull request merged once the candidate lands.
 */
export async function landingCandidate(repository: Repository, onto: CommitId | undefined, parts: readonly LandingPart[], into: string): Promise<LandingCandidate> {
  const messages = new Map(parts.map((part) => [part.id, part.message]));
  const built = await buildCandidate(
    repository,
    onto,
    parts.map((part) => ({ id: part.id, branch: `pull request ${part.pull}`, head: part.head })),
    into,
    { message: (part) => messages.get(part.id)!, author: MERGE_AUTHOR },
  );
  if (built.kind === 'conflict') return { kind: 'conflict', index: built.index, reason: built.reason };
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
