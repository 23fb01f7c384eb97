/**
 * The dgit GitHub App inside a GitHub Actions job, for repositories that cannot
 * host a server: `@probot/adapter-github-actions` hands the job's event
 * (GITHUB_EVENT_NAME, GITHUB_EVENT_PATH) to the app, authenticated with
 * GITHUB_TOKEN. Its delivery id is the run id; the data folder is under
 * RUNNER_TEMP unless DGIT_BOT_DATA says otherwise.
 *
 *   node dist/bot/action.js
 */
import { run } from '@probot/adapter-github-actions';
import type { ApplicationFunction } from 'probot';
import { dgitBot } from './app.js';
import { settingsFromEnvironment } from './settings.js';

// One event per job, no webhook (so no webhook secret): handled inline, before the job ends.
const bot = dgitBot({ ...settingsFromEnvironment(), deliveries: 'inline' });

// The adapter logs a failed handler and carries on; the job must fail instead.
const failingJob: ApplicationFunction = (app, options) => {
  app.onError(() => {
    process.exitCode = 1;
  });
  return bot(app, options);
};

await run(failingJob);
