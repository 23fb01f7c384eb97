import type { ApplicationFunction, Context, Probot } from 'probot';
import { BotServices } from './bot-services.js';
import { DeliveryInbox } from './intake/delivery-inbox.js';
import { DeliveryWorker } from './intake/delivery-worker.js';
import { refusePublicSecret } from './intake/webhook-secret.js';
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
  return async (app) => {
    const queued = (settings.deliveries ?? 'queued') === 'queued';
    // Every webhook entry (`dgit bot`, `probot run`, a middleware) goes through here: none runs on a public secret.
    if (queued) await refusePublicSecret((payload) => app.webhooks.sign(payload));
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
    if (queued) startDeliveryWorker(app, services, settings);
  };
}

const workers = new WeakMap<Probot, DeliveryWorker>();

/** The worker handling an app's deliveries (undefined: handlers run inline). */
export function deliveryWorkerOf(app: Probot): DeliveryWorker | undefined {
  return workers.get(app);
}

/**
 * Every delivery, however it reached probot (our webhook endpoint, probot's own
 * middleware under `probot run`, `receive`), is kept in the durable inbox and
 * returns at once; the worker then hands it to the handlers. What a stopped
 * process left in the inbox is handled first.
 */
function startDeliveryWorker(app: Probot, services: BotServices, settings: BotSettings): void {
  const inbox = new DeliveryInbox(settings.dataDir);
  const worker = new DeliveryWorker(inbox, (delivery) => app.receive({ id: delivery.id, name: delivery.name, payload: delivery.payload } as never), app.log);
  services.dispatchGate = worker;
  workers.set(app, worker);
  app.onAny((context) => {
    if (worker.isDispatched(context.payload)) return;
    if (inbox.put({ id: context.id, name: context.name, payload: context.payload as Record<string, unknown> })) worker.wake();
  });
  // After the app function returns, once every handler is registered.
  setImmediate(() => worker.start());
}
