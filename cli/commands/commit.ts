import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { print, printJson, withProgress } from '../output.js';
import { commit, UsageError } from '../../engine/index.js';

export function parseAuthor(text: string): { name: string; email: string } {
  const match = /^(.+?)\s*<([^<>]*)>$/.exec(text.trim());
  if (!match) throw new UsageError(`author must look like "Name <email>", got ${JSON.stringify(text)}`, '--author');
  return { name: match[1]!, email: match[2]! };
}

export function registerCommit(program: Command, context: CommandContext): void {
  program
    .command('commit')
    .description('commit the working set of the current branch')
    .requiredOption('-m, --message <msg>', 'commit message')
    .option('--author <author>', 'author as "Name <email>"')
    .option('--allow-empty', 'commit even with no change')
    .option('--json', 'print {"commit": ID}')
    .addHelpText('after', '\nExample:\n  dgit commit -m "load March flights"')
    .action(async (options: { message: string; author?: string; allowEmpty?: boolean; json?: boolean }) => {
      const repository = await context.repository();
      const author = options.author ? parseAuthor(options.author) : undefined;
      const result = await withProgress((progress) => commit(repository, { message: options.message, author, allowEmpty: options.allowEmpty, progress }));
      if (options.json) printJson({ commit: result.commit, branch: result.branch, parents: result.parents });
      else print(`[${result.branch} ${result.commit.slice(0, 12)}] ${options.message.split('\n')[0]}`);
    });
}
