import type { Context } from 'probot';
import { coordinates, repositoryTarget, type BotServices } from '../bot-services.js';
import type { PullRequestPayload, RepositoryPayload } from '../events/payloads.js';
import type { LocalClone } from '../git/repository-clones.js';
import type { GitHubClient } from '../github/github-client.js';
import { CheckRunPublisher } from '../publish/check-run.js';
import { upsertMarkedComment } from '../publish/marked-comment.js';
import { checkRunOutput, noDataChangeOutput, unexpectedErrorOutput } from '../render/check-run-output.js';
import { diffCommentBody } from '../render/diff-comment.js';
import { DIFF_COMMENT_MARKER, type CheckTarget } from '../render/markers.js';
import { diffBase, reviewData, touchesData, type DataReview } from '../review/data-review.js';
import type { CommitId } from '../../engine/index.js';

/** What became of a request to check something, for logs and tests. */
export type CheckOutcomeKind = 'reported' | 'already-reported' | 'no-data-change' | 'head-missing' | 'base-missing';

/**
 * Check a pull request's head and publish the `dgit/checks` check run and the one
 * data-diff comment. A pull request that changes neither `tables/` nor `dgit.yml`
 * gets a passing run saying so and no comment (a branch rule requiring
 * `dgit/checks` must not wait forever). A fork's head is fetched from the fork, read only: everything
 * the bot writes goes to the base repository. `fresh` makes a new check run (a
 * re-run) instead of reusing the one of this commit.
 */
export async function checkPullRequest(
  context: Context,
  services: BotServices,
  repository: RepositoryPayload,
  pull: PullRequestPayload,
  options: { fresh: boolean },
): Promise<CheckOutcomeKind> {
  const token = await services.gitToken(context, repository.id);
  const fork = pull.head.repo && pull.head.repo.id !== repository.id ? { id: pull.head.repo.id, cloneUrl: pull.head.repo.clone_url } : undefined;
  return services.clones.withClone(repositoryTarget(repository), token, async (clone) => {
    if (fork) await clone.fetchFork(fork);
    const head = pull.head.sha as CommitId;
    if (!(await clone.has(head))) return 'head-missing';
    const baseTip = (await clone.has(pull.base.sha)) ? (pull.base.sha as CommitId) : await clone.originBranch(pull.base.ref);
    if (!baseTip) return 'base-missing';
    const base = await diffBase(clone.repository, baseTip, head);
    if (!(await touchesData(clone.repository, base, head))) {
      const publisher = new CheckRunPublisher(context.octokit, coordinates(repository));
      const run = await publisher.start(head, { kind: 'pull', number: pull.number }, options);
      if (!run.completed) await publisher.finish(run.id, noDataChangeOutput());
      return 'no-data-change';
    }
    const { review, alreadyReported } = await publishChecks(context.octokit, coordinates(repository), clone, { kind: 'pull', number: pull.number }, base, head, options);
    // An older event handled after a newer push must not put back an older diff.
    const latest = fork ? await clone.forkBranch(fork, pull.head.ref) : await clone.originBranch(pull.head.ref);
    if (latest === undefined || latest === head) {
      const body = await diffCommentBody(review.diffMarkdown, review.checks, head);
      await upsertMarkedComment(context.octokit, coordinates(repository), pull.number, DIFF_COMMENT_MARKER, body, await services.identity());
    }
    return alreadyReported ? 'already-reported' : 'reported';
  });
}

/** Check a merge group's head (GitHub's merge queue) against its base and publish the check run. */
export async function checkMergeGroup(
  context: Context,
  services: BotServices,
  repository: RepositoryPayload,
  group: { headSha: string; baseSha: string },
  options: { fresh: boolean },
): Promise<CheckOutcomeKind> {
  const token = await services.gitToken(context, repository.id);
  return services.clones.withClone(repositoryTarget(repository), token, async (clone) => {
    const head = group.headSha as CommitId;
    if (!(await clone.has(head))) return 'head-missing';
    if (!(await clone.has(group.baseSha))) return 'base-missing';
    const target: CheckTarget = { kind: 'merge-group', baseSha: group.baseSha };
    const { alreadyReported } = await publishChecks(context.octokit, coordinates(repository), clone, target, group.baseSha as CommitId, head, options);
    return alreadyReported ? 'already-reported' : 'reported';
  });
}

/**
 * Start (or find) the check run, review the data, finish the run. A review that
 * throws still completes the run, as a failure saying why, before the error goes
 * on to the logs. A run already complete (a repeated event) is left as it is.
 */
async function publishChecks(
  client: GitHubClient,
  where: { owner: string; repo: string },
  clone: LocalClone,
  target: CheckTarget,
  base: CommitId,
  head: CommitId,
  options: { fresh: boolean },
): Promise<{ review: DataReview; alreadyReported: boolean }> {
  const publisher = new CheckRunPublisher(client, where);
  const run = await publisher.start(head, target, options);
  let review: DataReview;
  try {
    review = await reviewData(clone.repository, base, head);
  } catch (error) {
    if (!run.completed) await publisher.finish(run.id, unexpectedErrorOutput(error));
    throw error;
  }
  if (!run.completed) await publisher.finish(run.id, checkRunOutput(review));
  return { review, alreadyReported: run.completed };
}
