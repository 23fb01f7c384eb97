import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { paint, print, printJson } from '../output.js';
import { createBranch, createTag, deleteBranch, listBranches, resetHard, switchBranch, UsageError } from '../../engine/index.js';

export function registerBranch(program: Command, context: CommandContext): void {
  program
    .command('branch')
    .description('list, create (O(1): one ref) or delete branches')
    .argument('[name]', 'branch to create')
    .argument('[start]', 'where the new branch starts (default HEAD)')
    .option('-d, --delete', 'delete the named branch (only when it is merged into the current one and has no uncommitted changes)')
    .option('-D, --force-delete', 'delete the named branch even when that loses commits or changes')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  dgit branch fix-nulls\n  dgit branch -d fix-nulls\n  dgit branch -D abandoned-idea\n  dgit branch --json')
    .action(async (name: string | undefined, start: string | undefined, options: { delete?: boolean; forceDelete?: boolean; json?: boolean }) => {
      const repository = await context.repository();
      if (options.delete || options.forceDelete) {
        if (!name) throw new UsageError(`branch ${options.forceDelete ? '-D' : '-d'} needs a branch name`, 'branch');
        const { commit } = await deleteBranch(repository, name, { force: options.forceDelete });
        if (options.json) printJson({ deleted: name, commit });
        else print(`Deleted branch ${name} (was ${commit.slice(0, 12)})`);
        return;
      }
      if (name) {
        const created = await createBranch(repository, name, start);
        if (options.json) printJson(created);
        else print(`Created branch ${name} at ${created.commit?.slice(0, 12)}`);
        return;
      }
      const branches = await listBranches(repository);
      if (options.json) return printJson({ branches });
      for (const b of branches) print(b.current ? `* ${paint(b.name, 'green')}` : `  ${b.name}`);
    });

  program
    .command('switch')
    .description('change the current branch')
    .argument('<name>', 'branch')
    .argument('[start]', 'with -c: where the new branch starts')
    .option('-c, --create', 'create the branch first')
    .option('--discard', 'drop uncommitted changes of the current branch')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  dgit switch main\n  dgit switch -c experiment HEAD~1')
    .action(async (name: string, start: string | undefined, options: { create?: boolean; discard?: boolean; json?: boolean }) => {
      if (start && !options.create) throw new UsageError('a start point needs -c', 'switch');
      const repository = await context.repository();
      const already = !options.create && repository.currentBranch() === name;
      const result = await switchBranch(repository, name, { create: options.create, start, discard: options.discard });
      if (options.json) printJson(result);
      else print(already ? `Already on ${name}` : `Switched to ${options.create ? 'a new ' : ''}branch ${name}`);
    });

  program
    .command('tag')
    .description('name a commit')
    .argument('<name>', 'tag name')
    .argument('[rev]', 'commit (default HEAD)')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  dgit tag v2024-03 main')
    .action(async (name: string, rev: string | undefined, options: { json?: boolean }) => {
      const repository = await context.repository();
      const result = await createTag(repository, name, rev);
      if (options.json) printJson(result);
      else print(`Tagged ${result.commit.slice(0, 12)} as ${name}`);
    });

  program
    .command('reset')
    .description('move the current branch and drop working changes')
    .argument('[rev]', 'commit (default HEAD)')
    .option('--hard', 'required: drop the working set')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  dgit reset --hard HEAD~1')
    .action(async (rev: string | undefined, options: { hard?: boolean; json?: boolean }) => {
      if (!options.hard) throw new UsageError('only `reset --hard` is supported', 'reset');
      const repository = await context.repository();
      const result = await resetHard(repository, rev);
      if (options.json) printJson(result);
      else print(`HEAD is now at ${result.commit.slice(0, 12)}`);
    });
}
