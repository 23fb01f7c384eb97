import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { print, printJson } from '../output.js';
import fs from 'node:fs';
import path from 'node:path';
import { initRepository } from '../../engine/index.js';

export function registerInit(program: Command, context: CommandContext): void {
  program
    .command('init')
    .description('make or adopt a git repository as a dgit repository')
    .argument('[dir]', 'directory (default: the current one)')
    .option('--initial-branch <name>', 'name of the default branch', 'main')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  dgit init flights-data && cd flights-data')
    .action(async (dir: string | undefined, options: { initialBranch: string; json?: boolean }) => {
      const target = path.resolve(context.cwd, dir ?? '.');
      const wasDgit = fs.existsSync(path.join(target, '.git', 'dgit'));
      const { repository, created } = await initRepository(target, { initialBranch: options.initialBranch });
      if (options.json) printJson({ path: repository.dir, created, adopted: !created && !wasDgit, branch: repository.currentBranch() });
      else if (created) print(`Initialized empty dgit repository in ${repository.dir}`);
      else if (wasDgit) print(`Reinitialized existing dgit repository in ${repository.dir}`);
      else print(`Made the existing git repository in ${repository.dir} a dgit repository (its history and files are unchanged)`);
    });
}
