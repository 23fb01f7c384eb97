import type { Command } from 'commander';
import { visibleText } from '../../formats/text/safe-text.js';
import type { CommandContext } from '../context.js';
import { paint, print, ProgressLine } from '../output.js';
import { diffFormatOption, printDiff, type DiffOutputOptions } from './diff.js';
import { show } from '../../engine/index.js';

export function registerShow(program: Command, context: CommandContext): void {
  program
    .command('show')
    .description('one commit and its data diff against its first parent')
    .argument('[rev]', 'commit (default HEAD)', 'HEAD')
    .option('--table <name>', 'only this table')
    .option('--stat', 'counts and schema changes only')
    .option('--json', 'print JSON')
    .addOption(diffFormatOption())
    .option('--limit <n>', 'most rows shown per table')
    .addHelpText('after', '\nExample:\n  dgit show HEAD~1 --stat')
    .action(async (rev: string, options: DiffOutputOptions & { table?: string }) => {
      const repository = await context.repository();
      // The diff is read, and its progress shown, while printDiff prints it.
      const progress = new ProgressLine();
      const { commit, diff } = await show(repository, rev, { table: options.table, progress: progress.callback() });
      if (options.json || options.format === 'json') {
        process.stdout.write(`{"commit":${JSON.stringify(commit)},"diff":`);
        await printDiff(diff, { ...options, json: true }, progress);
        process.stdout.write('}\n');
        return;
      }
      print(paint(`commit ${commit.commit}`, 'yellow'));
      if (commit.parents.length > 1) print(`Merge: ${commit.parents.map((p) => p.slice(0, 12)).join(' ')}`);
      print(`Author: ${visibleText(commit.author.name)} <${visibleText(commit.author.email)}>`);
      print(`Date:   ${commit.author.date}`);
      print();
      for (const line of commit.message.split('\n')) print(`    ${visibleText(line)}`);
      print();
      await printDiff(diff, options, progress);
    });
}
