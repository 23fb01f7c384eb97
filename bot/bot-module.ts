import type { Context, Probot } from 'probot';
import type { CommentCommand } from './commands/command-router.js';
import type { BotServices } from './bot-services.js';

/**
 * A feature built on the bot's services: the merge queue plugs in here. Phase 1
 * has none; the queue module will bring its `/dgit queue|dequeue|retry` commands
 * (the router checks the commenter's permission and replies) and its own
 * handlers (the `dgit:queue` label, pushes that dequeue).
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
