import type { Command } from 'commander';
import { visibleText } from '../../formats/text/safe-text.js';
import type { CommandContext } from '../context.js';
import { paint, print, printJson } from '../output.js';
import { log, UsageError } from '../../engine/index.js';

export function registerLog(program: Command, context: CommandContext): void {
  program
    .command('log')
    .description('show the history')
    .argument('[rev]', 'where to start (default HEAD)')
    .option('-n, --max-count <n>', 'show at most n commits')
    .option('--table <name>', 'only commits that changed this table')
    .option('--oneline', 'one line per commit: short id and subject')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  dgit log -n 5 --table flights\n  dgit log --oneline')
    .action(async (rev: string | undefined, options: { maxCount?: string; table?: string; oneline?: boolean; json?: boolean }) => {
      const limit = options.maxCount === undefined ? undefined : Number(options.maxCount);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new UsageError('-n needs a whole number', '-n');
      const repository = await context.repository();
      const entries = await log(repository, { rev, limit, table: options.table });
      const boundary = entries.find((e) => repository.shallowCommits().has(e.commit));
      if (boundary) process.stderr.write(`dgit: note: this is a shallow clone; history stops at ${boundary.commit.slice(0, 12)} (\`git fetch --unshallow\` fetches the rest)\n`);
      if (options.json) return printJson({ commits: entries });
      if (options.oneline) {
        for (const entry of entries) print(`${paint(entry.commit.slice(0, 7), 'yellow')} ${entry.message.split('\n')[0]}`);
        return;
      }
      for (const entry of entries) {
        print(paint(`commit ${entry.commit}`, 'yellow'));
        if (entry.parents.length > 1) print(`Merge: ${entry.parents.map((p) => p.slice(0, 12)).join(' ')}`);
        print(`Author: ${visibleText(entry.author.name)} <${visibleText(entry.author.email)}>`);
        print(`Date:   ${entry.author.date}`);
        print();
        for (const line of entry.message.split('\n')) print(`    ${visibleText(line)}`);
        print();
      }
    });
}
