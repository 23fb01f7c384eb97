import type { LoadedConfig } from '../config/config-file.js';
import { commitsBetween } from '../repository/commit-walk.js';
import { readConfig } from '../config/repository-config.js';
import { NotFoundError } from '../errors/index.js';
import type { Repository } from '../repository/repository.js';
import type { CommitId } from '../store/revision.js';

/**
 * Proposals marked for review: a fix whose rightness no check can judge (putting
 * back the rows a partial load removed: were they meant to go?). The mark is a
 * trailer of the proposal's commit message, so it travels with the branch to any
 * queue, local or on GitHub, and any git reads it.
 */
export const REVIEW_TRAILER = 'dgit-review';

/** Whether a commit message marks its proposal for review (a `dgit-review: required` trailer). */
export function requiresReview(message: string): boolean {
  return new RegExp(`^${REVIEW_TRAILER}: required$`, 'm').test(message);
}

/**
 * Whether a merge queue may land a proposal whose head commit has `message`
 * without a person's approval: always for ordinary proposals; for one marked for
 * review only when the policy of dgit.yml (on the target branch) says
 * `land_unreviewed: true`. Default: it may not.
 */
export function mayLandUnreviewed(message: string, config: LoadedConfig | undefined): boolean {
  if (!requiresReview(message)) return true;
  return config?.config.policy?.land_unreviewed === true;
}

/** Where a person's approval of a proposal marked for review is kept: the approved head commit, per branch. */
export const REVIEW_REF_PREFIX = 'refs/dgit/reviewed/';

/** Record that a person reviewed the proposal on `branch` at its current head (a later push needs a new review). */
export async function approveProposal(repository: Repository, branch: string): Promise<CommitId> {
  const name = branch.startsWith('refs/heads/') ? branch.slice('refs/heads/'.length) : branch;
  const head = (await repository.branchHead(name)) as CommitId | undefined;
  if (!head) throw new NotFoundError(`branch ${JSON.stringify(name)}`, name);
  const ref = `${REVIEW_REF_PREFIX}${name}`;
  const previous = (await repository.refs.resolve(ref)) as CommitId | undefined;
  await repository.refs.compareAndSwap(ref, previous, head);
  return head;
}

/**
 * The merge queue's rule for proposals marked for review (its one question to
 * the healer): the reason a branch whose head is `head` may not land onto `onto`
 * yet, or undefined when it may. Every commit the branch would bring (those of
 * `head` not in `onto`) counts, not only its head: a commit on top of a marked
 * one, or the marked commit under another branch name, brings the same rows. It
 * may land when none is marked, when the policy of dgit.yml at `onto` says
 * `land_unreviewed: true`, or when a person approved exactly this head (`dgit
 * incidents --approve BRANCH`): an approval of an earlier head does not cover
 * commits added after it.
 */
export async function reviewBlocks(repository: Repository, branch: string, head: CommitId, onto: CommitId | undefined): Promise<string | undefined> {
  const marked: CommitId[] = [];
  let message: string | undefined;
  for (const id of await commitsBetween(repository, [head], onto ? [onto] : [])) {
    const text = (await repository.readCommit(id)).message;
    if (!requiresReview(text)) continue;
    marked.push(id);
    message ??= text;
  }
  if (message === undefined) return undefined;
  const config = onto ? await readConfig(repository, (await repository.readCommit(onto)).tree) : undefined;
  if (mayLandUnreviewed(message, config)) return undefined;
  const approved = (await repository.refs.resolve(`${REVIEW_REF_PREFIX}${branch}`)) as CommitId | undefined;
  if (approved === head) return undefined;
  const which = marked.includes(head) ? `${branch} is marked for review` : `${branch} holds ${marked.length === 1 ? 'a commit' : `${marked.length} commits`} marked for review (${marked.map((id) => id.slice(0, 12)).join(', ')})`;
  const since = approved === undefined ? undefined : (await commitsBetween(repository, [head], [approved])).length;
  const approval =
    approved !== undefined && since !== undefined && since > 0 && (await commitsBetween(repository, [approved], [head])).length === 0
      ? `a person approved it at ${approved.slice(0, 12)}, and ${since} commit${since === 1 ? ' was' : 's were'} added since, which nobody approved`
      : 'no person approved it';
  return `${which} (${REVIEW_TRAILER}: required) and ${approval}; review it, then \`dgit incidents --approve ${branch}\` and queue it again (or set policy.land_unreviewed in dgit.yml)`;
}
