import type { EventHandler } from '../bot-module.js';
import { coordinates, repositoryTarget } from '../bot-services.js';
import { ProposalDispatchEvent } from '../events/payloads.js';
import { openOrUpdateProposal } from '../publish/proposal-pull-request.js';
import { buildProposal } from '../review/healing-proposal.js';
import { DgitError, propose, push, type CommitId } from '../../engine/index.js';

/** The action of a `repository_dispatch` that proposes a fix. */
export const PROPOSAL_DISPATCH_ACTION = 'dgit-propose';

/** Refusals of a patch that are the patch's fault (malformed, against the policy, fixing nothing): logged, not retried. */
const REFUSALS = new Set(['USAGE', 'INVALID_INPUT', 'INVALID_NAME', 'NOT_FOUND', 'SCHEMA_MISMATCH', 'DUPLICATE_KEY', 'NULL_KEY', 'ALREADY_EXISTS']);

/**
 * `repository_dispatch` `dgit-propose`: an outside agent's fix patch goes the
 * healer's way (`propose` of engine/heal: validated, within the policy of
 * dgit.yml, re-checked) onto a `heal/` branch of the bot's clone, which is pushed
 * (with a token that may write contents of this repository only) and proposed as
 * a pull request like any pushed heal branch. The same patch again changes nothing.
 */
export const onProposalDispatch: EventHandler = async (context, services) => {
  if ((context.payload as { action?: unknown }).action !== PROPOSAL_DISPATCH_ACTION) return;
  const parsed = ProposalDispatchEvent.safeParse(context.payload);
  if (!parsed.success) {
    context.log.warn({ issues: parsed.error.issues.slice(0, 10) }, 'dgit-propose: the client payload is not a fix patch; ignored');
    return;
  }
  const { repository, client_payload: request } = parsed.data;
  const token = await services.gitToken(context, repository.id, 'write');
  const outcome = await services.clones.withClone(repositoryTarget(repository), token, async (clone) => {
    const baseTip = await clone.originBranch(repository.default_branch);
    if (!baseTip) return 'no-default-branch';
    let proposed;
    try {
      proposed = await propose(clone.repository, request.patch, { rev: baseTip, branch: request.branch, source: 'client_payload.patch' });
    } catch (error) {
      if (error instanceof DgitError && REFUSALS.has(error.code)) {
        context.log.warn({ reason: error.message, where: error.where }, 'dgit-propose: patch refused');
        return 'refused';
      }
      throw error;
    }
    await push(clone.repository, { remote: 'origin', branch: proposed.branch, token });
    const built = await buildProposal(clone.repository, { branch: proposed.branch, baseBranch: repository.default_branch, baseTip, head: proposed.commit as CommitId });
    return (await openOrUpdateProposal(context.octokit, coordinates(repository), built.request)).action;
  });
  context.log.info({ outcome }, 'dgit-propose');
};
