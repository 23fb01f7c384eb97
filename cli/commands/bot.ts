import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { DgitError, UsageError } from '../../engine/index.js';

interface BotOptions {
  port?: string;
  host?: string;
  dataDir?: string;
}

interface PrOpenOptions {
  remote?: string;
  json?: boolean;
}

/**
 * `dgit bot` (the GitHub App's server) and `dgit pr open` (the same pull request
 * without the App). Both load the bot and Octokit only when run, so other
 * commands start as fast as before.
 */
export function registerBot(program: Command, context: CommandContext): void {
  program
    .command('bot')
    .description('run the dgit GitHub App: heal branches become pull requests, pull requests get checks and a data diff')
    .option('--port <port>', 'port of the webhook server (default PORT, else 3000)')
    .option('--host <host>', 'address to listen on (default HOST, else localhost)')
    .option('--data-dir <dir>', 'where the local clones and the delivery log live (default DGIT_BOT_DATA)')
    .addHelpText(
      'after',
      [
        '',
        'Environment: APP_ID, PRIVATE_KEY or PRIVATE_KEY_PATH, WEBHOOK_SECRET (required; a .env file in the',
        'current folder is read too), DGIT_BOT_DATA, DGIT_BOT_QUEUE_BATCH (pull requests the merge queue tests together,',
        'default 1), PORT, HOST, WEBHOOK_PATH, LOG_LEVEL, GHE_HOST.',
        '',
        'Example:',
        '  APP_ID=123 PRIVATE_KEY_PATH=app.pem WEBHOOK_SECRET=... dgit bot --port 3000 --data-dir /var/lib/dgit-bot',
        '',
        'The webhook URL is http://HOST:PORT/api/github/webhooks. See bot/README.md.',
      ].join('\n'),
    )
    .action(async (options: BotOptions) => {
      const port = options.port === undefined ? undefined : Number(options.port);
      if (port !== undefined && (!Number.isInteger(port) || port <= 0 || port > 65_535)) throw new UsageError(`--port must be a port number, got ${JSON.stringify(options.port)}`, '--port');
      const { startBot, BotConfigurationError } = await import('../../bot/server.js');
      let server;
      try {
        server = await startBot({ port, host: options.host, dataDir: options.dataDir, cwd: context.cwd });
      } catch (error) {
        if (error instanceof BotConfigurationError) throw new DgitError('INVALID_INPUT', error.message, 'environment');
        throw error;
      }
      // Serve until told to stop, then close the server and let the process end.
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', () => resolve());
        process.once('SIGINT', () => resolve());
      });
      await server.stop();
    });

  const pr = program
    .command('pr')
    .description('pull requests on GitHub without the App')
    .addHelpText('after', '\nExample:\n  GITHUB_TOKEN=... dgit pr open heal/flights.delay.not_null-305690509b');
  pr.command('open')
    .argument('<branch>', 'the branch to propose (already pushed to the remote)')
    .description('open or update the pull request of a branch, with the data diff, check results and labels the App would give it')
    .option('--remote <name>', 'the remote on GitHub', 'origin')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      [
        '',
        'Needs a token in GITHUB_TOKEN (or GH_TOKEN) that may write pull requests and issues; the API root',
        'is GITHUB_API_URL (set inside GitHub Actions), else https://api.github.com.',
        '',
        'Example (a scheduled workflow):',
        '  dgit heal && dgit push origin heal/incident-42 && dgit pr open heal/incident-42',
      ].join('\n'),
    )
    .action(async (branch: string, options: PrOpenOptions) => {
      const token = process.env.GITHUB_TOKEN || process.env.GH_TOKEN;
      if (!token) throw new UsageError('set GITHUB_TOKEN (or GH_TOKEN) to a token that may write pull requests and issues', 'GITHUB_TOKEN');
      const repository = await context.repository();
      const { openPullRequest } = await import('../../bot/pull-request-open.js');
      const result = await openPullRequest(repository, { branch, token, apiUrl: process.env.GITHUB_API_URL, remote: options.remote });
      if (options.json) {
        process.stdout.write(JSON.stringify(result) + '\n');
        return;
      }
      const pull = `pull request #${result.number} of ${result.repository}`;
      const said = {
        created: `opened ${pull}`,
        updated: `updated ${pull}`,
        unchanged: `${pull} is up to date`,
        declined: `${pull} was closed without merging; not reopened`,
        merged: `${pull} was merged already`,
      }[result.pullRequest];
      const comment = result.comment === 'skipped' ? '' : ` (data-diff comment ${result.comment})`;
      process.stdout.write(`${said}: ${result.url}${comment}\n`);
    });
}
