import fs from 'node:fs';
import path from 'node:path';
import { run, type Server } from 'probot';
import { dgitBot } from './app.js';
import { settingsFromEnvironment } from './settings.js';

export interface StartOptions {
  port?: number;
  host?: string;
  /** The data folder; default DGIT_BOT_DATA. */
  dataDir?: string;
  /** Where `.env` is read from; default the current folder. */
  cwd?: string;
}

/**
 * Start the app's web server (probot's) for GitHub's webhooks, as `dgit bot`
 * does. Settings come from the environment or a `.env` file, as for `probot run`.
 * Unlike `probot run`, a missing APP_ID or private key is an error naming what is
 * missing, never probot's interactive setup, and the webhook secret must be set:
 * signatures are always verified.
 */
export async function startBot(options: StartOptions = {}): Promise<Server> {
  const envFile = path.join(options.cwd ?? process.cwd(), '.env');
  if (fs.existsSync(envFile)) process.loadEnvFile(envFile);
  const missing = missingSettings(process.env);
  if (missing.length > 0) throw new BotConfigurationError(missing);
  if (options.port !== undefined) process.env.PORT = String(options.port);
  if (options.host !== undefined) process.env.HOST = options.host;
  if (options.dataDir !== undefined) process.env.DGIT_BOT_DATA = path.resolve(options.dataDir);
  return run(dgitBot(settingsFromEnvironment(process.env)));
}

/** The settings the app cannot start without, by environment variable. */
export function missingSettings(env: NodeJS.ProcessEnv): string[] {
  const missing: string[] = [];
  if (!env.APP_ID || !/^[0-9]+$/.test(env.APP_ID)) missing.push('APP_ID (the App ID, a number)');
  if (!env.PRIVATE_KEY && !env.PRIVATE_KEY_PATH) missing.push('PRIVATE_KEY or PRIVATE_KEY_PATH (the app\'s private key, PEM)');
  if (!env.WEBHOOK_SECRET || env.WEBHOOK_SECRET === 'development') missing.push('WEBHOOK_SECRET (the secret GitHub signs webhooks with; not "development")');
  return missing;
}

/** The environment lacks what the app needs. */
export class BotConfigurationError extends Error {
  constructor(readonly missing: string[]) {
    super(`the GitHub App is not configured: set ${missing.join('; ')} (see bot/README.md)`);
    this.name = 'BotConfigurationError';
  }
}
