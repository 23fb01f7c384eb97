import os from 'node:os';
import path from 'node:path';
import type { BotModule } from './bot-module.js';
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

/** The modules the app runs with unless told otherwise: the merge queue. */
export function defaultModules(): BotModule[] {
  return [mergeQueueModule()];
}

export function settingsFromEnvironment(env: NodeJS.ProcessEnv = process.env, modules: readonly BotModule[] = defaultModules()): BotSettings {
  return { dataDir: dataDirFromEnvironment(env), modules };
}
