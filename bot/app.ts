import type { ApplicationFunction, Context } from 'probot';
import { BotServices } from './bot-services.js';
import { CommandRouter } from './commands/command-router.js';
import { onCheckRunRerequested } from './handlers/check-run-rerequested.js';
import { onHealBranchPush } from './handlers/heal-branch-push.js';
import { onMergeGroup } from './handlers/merge-group.js';
import { onPullRequest, PULL_REQUEST_ACTIONS } from './handlers/pull-request.js';
import { onProposalDispatch } from './handlers/proposal-dispatch.js';
import type { BotSettings } from './settings.js';

/**
 * The dgit GitHub App as a probot application function. Each handler is thin: it
 * validates the payload, brings the local clone up to date, asks the engine, and
 * writes back through the event's Octokit; each runs once per delivery.
 *
 * - `push` of `heal/*` → the healing pull request (labels `dgit`, `healing`);
 * - `pull_request` opened, reopened, synchronize, base edited → check run
 *   `dgit/checks` and the one data-diff comment, when the data changed;
 * - `check_run.rerequested` → the same, in a new run;
 * - `merge_group.checks_requested` → a check run on the group's head;
 * - `repository_dispatch` `dgit-propose` → an agent's fix patch, proposed as
 *   a heal branch and its pull request;
 * - `issue_comment.created` → `/dgit` commands, once a module brings some.
 */
export function dgitBot(settings: BotSettings): ApplicationFunction {
  return (app) => {
    const services = new BotServices(settings, app);
    // probot types each listener's context by event; the handlers validate their payloads themselves.
    const on = (events: string | string[], name: string, handler: Parameters<BotServices['handler']>[1]) =>
      app.on(events as never, services.handler(name, handler) as (context: Context) => Promise<void>);

    on('push', 'heal-branch-push', onHealBranchPush);
    on(PULL_REQUEST_ACTIONS.map((action) => `pull_request.${action}`), 'pull-request', onPullRequest);
    on('check_run.rerequested', 'check-run-rerequested', onCheckRunRerequested);
    on('merge_group.checks_requested', 'merge-group', onMergeGroup);
    on('repository_dispatch', 'proposal-dispatch', onProposalDispatch);

    const router = new CommandRouter();
    for (const module of settings.modules) for (const command of module.commands ?? []) router.register(command);
    if (router.size > 0) on('issue_comment.created', 'comment-command', (context) => router.dispatch(context, services));
    for (const module of settings.modules) module.install?.(app, services);
  };
}
