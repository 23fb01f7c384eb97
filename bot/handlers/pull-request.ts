import type { EventHandler } from '../bot-module.js';
import { PullRequestEvent } from '../events/payloads.js';
import { checkPullRequest } from './checks.js';

/** The pull-request actions after which the bot checks: new head, reopened, or a new base branch. */
export const PULL_REQUEST_ACTIONS = ['opened', 'reopened', 'synchronize', 'edited'] as const;

/** `pull_request.*`: check run and data-diff comment for a pull request that changes the data. */
export const onPullRequest: EventHandler = async (context, services) => {
  const event = PullRequestEvent.parse(context.payload);
  if (event.pull_request.state !== 'open') return;
  // An edit of the title or body changes nothing the bot reports; a new base branch does.
  if (event.action === 'edited' && event.changes?.base === undefined) return;
  const outcome = await checkPullRequest(context, services, event.repository, event.pull_request, { fresh: event.action === 'edited' });
  context.log.info({ pull: event.pull_request.number, outcome }, 'pull request checked');
};
