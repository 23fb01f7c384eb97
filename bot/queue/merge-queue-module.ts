import crypto from 'node:crypto';
import type { Context } from 'probot';
import { z } from 'zod';
import type { BotModule, EventHandler } from '../bot-module.js';
import { coordinates, type BotServices } from '../bot-services.js';
import { parseCommand, permissionOf, permits, type CommandInvocation, type CommentCommand } from '../commands/command-router.js';
import { PullRequestDetails, PullRequestLabelEvent, RepositoryPayload } from '../events/payloads.js';
import { writtenBy } from '../github/github-client.js';
import { findMarkedComment, postCommentOnce } from '../publish/marked-comment.js';
import { commandKey, QUEUE_LABEL, replyMarker } from '../render/markers.js';
import {
  alreadyMergedReply,
  alreadyQueuedReply,
  closedReply,
  labelRefusal,
  notQueuedReply,
  queuedReply,
  removedReply,
  wrongBaseReply,
} from '../render/queue-messages.js';
import { GitHubMergeQueue, type EnqueueResult, type MergeQueueOptions } from './github-merge-queue.js';
import { isBatchSize } from '../../engine/index.js';

/** The events after which the queue carries on (every event the app subscribes to: any may be the first after a restart). */
const RESUMING_EVENTS = ['push', 'issue_comment', 'check_run', 'merge_group', 'repository_dispatch'] as const;

/**
 * The merge queue as a module of the app:
 * - `/dgit queue`, `/dgit retry` (queue again after a dequeue) and `/dgit dequeue`,
 *   for people with write access (checked with GitHub at every command);
 * - the label `dgit:queue` does what `/dgit queue` does, for the same people; put on
 *   by anyone else, it is taken off with a polite comment; taken off by a
 *   maintainer, the pull request leaves the queue;
 * - a push to a queued pull request, or closing it, takes it out;
 * - every event the app receives carries the queue on (a restarted bot resumes).
 */
export function mergeQueueModule(options: MergeQueueOptions = {}): BotModule {
  if (options.batch !== undefined && !isBatchSize(options.batch)) throw new RangeError(`the merge queue's batch is a whole number of at least 1, not ${options.batch}`);
  const queues = new WeakMap<BotServices, GitHubMergeQueue>();
  const queueOf = (services: BotServices) => {
    let queue = queues.get(services);
    if (!queue) queues.set(services, (queue = new GitHubMergeQueue(services, options)));
    return queue;
  };

  const queueCommand = (again: boolean) => async (invocation: CommandInvocation) => {
    const queue = queueOf(invocation.services);
    const result = await queue.enqueue(invocation.context, invocation.repository, { pull: invocation.pullRequest, by: invocation.commenter, command: invocation.key });
    await invocation.reply(enqueueReply(result, invocation.repository.default_branch, again));
    if (result.kind === 'queued' || result.kind === 'already-queued') await queue.advance(invocation.context, invocation.repository);
  };

  const commands: CommentCommand[] = [
    {
      verb: 'queue',
      summary: 'merge this pull request onto the default branch as the commit the checks passed on',
      permission: 'write',
      run: queueCommand(false),
    },
    {
      verb: 'retry',
      summary: 'queue it again after it left the queue (a conflict, failing checks, a new push)',
      permission: 'write',
      run: queueCommand(true),
    },
    {
      verb: 'dequeue',
      summary: 'take it out of the merge queue',
      permission: 'write',
      run: async (invocation) => {
        const queue = queueOf(invocation.services);
        const outcome = await queue.dequeue(invocation.context, invocation.repository, { pull: invocation.pullRequest, by: invocation.commenter, command: invocation.key }, { announced: true });
        await invocation.reply(outcome === 'removed' ? removedReply() : notQueuedReply());
        await queue.advance(invocation.context, invocation.repository);
      },
    },
  ];

  const onPullRequest: EventHandler = async (context, services) => {
    const queue = queueOf(services);
    const event = PullRequestActionEvent.parse(context.payload);
    if (event.action === 'labeled' || event.action === 'unlabeled') await onLabel(context, services, queue);
    else if (event.action === 'synchronize') await queue.headMoved(context, event.repository, event.pull_request.number);
    else if (event.action === 'closed') await queue.closed(context, event.repository, event.pull_request.number);
    await queue.resume(context, event.repository);
  };

  const onOtherEvent: EventHandler = async (context, services) => {
    const payload = context.payload as { repository?: unknown; comment?: { body?: unknown } };
    const repository = RepositoryPayload.safeParse(payload.repository);
    if (!repository.success) return;
    // A `/dgit` command carries the queue on itself, after it is done: resuming beside it could land what it dequeues.
    if (context.name === 'issue_comment' && typeof payload.comment?.body === 'string' && parseCommand(payload.comment.body)) return;
    await queueOf(services).resume(context, repository.data);
  };

  return {
    name: 'merge-queue',
    commands,
    install(app, services) {
      app.on('pull_request' as never, services.handler('merge-queue-pull-request', onPullRequest) as (context: Context) => Promise<void>);
      app.on([...RESUMING_EVENTS] as never, services.handler('merge-queue-resume', onOtherEvent) as (context: Context) => Promise<void>);
    },
  };
}

/** Any `pull_request` event, as far as the queue reads it. */
const PullRequestActionEvent = z.object({ action: z.string(), pull_request: PullRequestDetails, repository: RepositoryPayload });

/**
 * `dgit:queue` put on or taken off. Put on by someone with write access, it queues
 * the pull request (answered once per delivery, like a command); by anyone else it
 * is taken off again with a comment. Taken off by a maintainer, the pull request
 * leaves the queue (the bot taking it off itself, after a dequeue, is not one).
 */
async function onLabel(context: Context, services: BotServices, queue: GitHubMergeQueue): Promise<void> {
  const event = PullRequestLabelEvent.parse(context.payload);
  if (event.label?.name !== QUEUE_LABEL) return;
  const identity = await services.identity();
  if (writtenBy(event.sender, identity)) return;
  const where = coordinates(event.repository);
  const number = event.pull_request.number;
  const key = commandKey('delivery', crypto.createHash('sha256').update(context.id).digest('hex').slice(0, 32));
  const marker = replyMarker(key);
  if (await findMarkedComment(context.octokit, where, number, marker, identity)) return;
  const held = await permissionOf(context, where, event.sender.login);
  const request = { pull: number, by: event.sender.login, command: key };
  if (event.action === 'unlabeled') {
    if (permits(held, 'write')) await queue.labelRemoved(context, event.repository, number, event.sender.login);
    return;
  }
  const reply = (text: string) => postCommentOnce(context.octokit, where, number, marker, `${marker}\n${text}`, identity);
  if (!permits(held, 'write')) {
    try {
      await context.octokit.rest.issues.removeLabel({ ...where, issue_number: number, name: QUEUE_LABEL });
    } catch (error) {
      if ((error as { status?: number }).status !== 404) throw error;
    }
    await reply(labelRefusal(event.sender.login, held));
    return;
  }
  const result = await queue.enqueue(context, event.repository, request, event.pull_request);
  await reply(enqueueReply(result, event.repository.default_branch, false));
}

function enqueueReply(result: EnqueueResult, defaultBranch: string, again: boolean): string {
  switch (result.kind) {
    case 'queued':
      return queuedReply(result.entry, result.position, defaultBranch, again);
    case 'already-queued':
      return result.byThisCommand ? queuedReply(result.entry, result.position, defaultBranch, again) : alreadyQueuedReply(result.position, defaultBranch);
    case 'already-merged':
      return alreadyMergedReply(defaultBranch);
    case 'closed':
      return closedReply();
    case 'wrong-base':
      return wrongBaseReply(result.base, defaultBranch);
  }
}
