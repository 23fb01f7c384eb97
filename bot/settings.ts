import os from 'node:os';
import path from 'node:path';
import type { BotModule } from './bot-module.js';
import type { MergeQueueOptions } from './queue/github-merge-queue.js';
import { mergeQueueModule } from './queue/merge-queue-module.js';

/** What the bot needs besides probot's own settings (APP_ID, PRIVATE_KEY, WEBHOOK_SECRET, ...). */
export interface BotSettings {
  /** Local clones, the delivery log: `DGIT_BOT_DATA`. */
  dataDir: string;
  /** Features on top of the core handlers, with their commands and handlers (the merge queue by default). */
  modules: readonly BotModule[];
  /**
   * `queued` (the default, for a webhook server): a delivery is kept in the durable
   * inbox and answered at once, then handled by the worker loop. `inline` (the
   * Actions adapter, where one event is the whole job and there is no webhook):
   * handlers run inside the delivery.
   */
  deliveries?: 'queued' | 'inline';
}

/**
 * The data folder: `DGIT_BOT_DATA`; inside GitHub Actions the runner's temporary
 * folder (a job starts empty anyway); else `~/.dgit-bot`.
 */
export function dataDirFromEnvironment(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DGIT_BOT_DATA) return path.resolve(env.DGIT_BOT_DATA);
  if (env.GITHUB_ACTIONS === 'true' && env.RUNNER_TEMP) return path.join(env.RUNNER_TEMP, 'dgit-bot');
  return path.join(os.homedir(), '.dgit-bot');
}

/**
 * The merge queue's settings from the environment: `DGIT_BOT_QUEUE_BATCH`, how many
 * queued pull requests are tested and landed together (default 1; a failing batch
 * is bisected). A value that is not a whole number of at least 1 stops the start.
 */
export function queueOptionsFromEnvironment(env: NodeJS.ProcessEnv = process.env): MergeQueueOptions {
  const text = env.DGIT_BOT_QUEUE_BATCH?.trim();
  if (text === undefined || text === '') return {};
  if (!/^[1-9][0-9]*$/.test(text)) throw new Error(`DGIT_BOT_QUEUE_BATCH must be a whole number of at least 1 (pull requests tested together), not ${JSON.stringify(text)}`);
  return { batch: Number(text) };
}

/** The modules the app runs with unless told otherwise: the merge queue, with its settings from the environment. */
export function defaultModules(env: NodeJS.ProcessEnv = process.env): BotModule[] {
  return [mergeQueueModule(queueOptionsFromEnvironment(env))];
}

export function settingsFromEnvironment(env: NodeJS.ProcessEnv = process.env, modules: readonly BotModule[] = defaultModules(env)): BotSettings {
  return { dataDir: dataDirFromEnvironment(env), modules };
}
