import type { EventHandler } from '../bot-module.js';
import { coordinates, repositoryTarget } from '../bot-services.js';
import { PushEvent } from '../events/payloads.js';
import { openOrUpdateProposal } from '../publish/proposal-pull-request.js';
import { HEAL_BRANCH_PREFIX } from '../render/markers.js';
import { buildProposal } from '../review/healing-proposal.js';
import type { CommitId } from '../../engine/index.js';

const DELETED = '0'.repeat(40);

/**
 * `push` of a `heal/*` branch: the healing proposal becomes a pull request to the
 * default branch (or the open one is brought up to date), labelled `dgit` and
 * `healing`, its body saying which incident and checks it fixes, with the data diff.
 */
export const onHealBranchPush: EventHandler = async (context, services) => {
  const event = PushEvent.parse(context.payload);
  const branch = event.ref.replace(/^refs\/heads\//, '');
  if (!event.ref.startsWith(`refs/heads/${HEAL_BRANCH_PREFIX}`) || event.deleted || event.after === DELETED) return;
  const repository = event.repository;
  const token = await services.gitToken(context, repository.id);
  const outcome = await services.clones.withClone(repositoryTarget(repository), token, async (clone) => {
    const head = event.after as CommitId;
    // A later push moved the branch: its own event proposes the newer commit.
    if ((await clone.originBranch(branch)) !== head) return 'superseded';
    const baseTip = await clone.originBranch(repository.default_branch);
    if (!baseTip) return 'no-default-branch';
    const built = await buildProposal(clone.repository, { branch, baseBranch: repository.default_branch, baseTip, head });
    return (await openOrUpdateProposal(context.octokit, coordinates(repository), built.request)).action;
  });
  context.log.info({ branch, outcome }, 'healing proposal');
};
