/**
 * The dgit GitHub App, for `probot run ./dist/bot/index.js`: probot reads its own
 * settings (APP_ID, PRIVATE_KEY, WEBHOOK_SECRET, PORT, ...) from the environment,
 * dgit's from `DGIT_BOT_DATA`. `dgit bot` runs the same app.
 */
import { dgitBot } from './app.js';
import { settingsFromEnvironment } from './settings.js';

export { dgitBot } from './app.js';
export type { BotModule } from './bot-module.js';
export type { CommentCommand, CommandInvocation, Permission } from './commands/command-router.js';
export { BotServices } from './bot-services.js';
export { mergeQueueModule } from './queue/merge-queue-module.js';
export type { MergeQueueOptions } from './queue/github-merge-queue.js';
export type { BotSettings } from './settings.js';

export default dgitBot(settingsFromEnvironment());
