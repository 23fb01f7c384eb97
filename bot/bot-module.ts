import type { Context, Probot } from 'probot';
import type { CommentCommand } from './commands/command-router.js';
import type { BotServices } from './bot-services.js';

/**
 * A feature built on the bot's services. The merge queue (queue/merge-queue-module.ts)
 * is one: its `/dgit queue|dequeue|retry` commands (the router checks the
 * commenter's permission and answers once) and its own handlers (the `dgit:queue`
 * label, pushes and closes that dequeue, every event resuming the queue).
 */
export interface BotModule {
  readonly name: string;
  /** `/dgit <verb>` commands in pull-request comments. */
  readonly commands?: readonly CommentCommand[];
  /** Subscribe to more events; wrap handlers in `services.handler` for redelivery safety. */
  install?(app: Probot, services: BotServices): void;
}

/** A handler of one kind of event, given the services. */
export type EventHandler = (context: Context, services: BotServices) => Promise<void>;
