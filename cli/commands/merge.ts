import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { print, printJson, withProgress } from '../output.js';
import { abortMerge, continueMerge, merge, UsageError } from '../../engine/index.js';

export function registerMerge(program: Command, context: CommandContext): void {
  program
    .command('merge')
    .description('three-way merge of REV into the current branch, by key and cell')
    .argument('[rev]', 'branch or commit to merge')
    .option('-m, --message <msg>', 'merge commit message')
    .option('--no-commit', 'stop before the merge commit')
    .option('--no-verify', 'commit without running the error-level checks of dgit.yml on the result')
    .option('--continue', 'commit the merge once conflicts are resolved')
    .option('--abort', 'restore the state before the merge')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  dgit merge fix-delays\n  dgit merge --continue\n  dgit merge --continue --no-verify   # commit although a check fails\n  dgit merge --abort')
    .action(async (rev: string | undefined, options: { message?: string; commit: boolean; verify: boolean; continue?: boolean; abort?: boolean; json?: boolean }) => {
      const repository = await context.repository();
      if (options.abort) {
        if (rev || options.continue) throw new UsageError('--abort takes no revision', 'merge');
        await abortMerge(repository);
        return options.json ? printJson({ status: 'aborted' }) : print('Merge aborted; the working set is as it was.');
      }
      if (!options.continue && !rev) throw new UsageError('merge needs a revision', 'merge');
      const outcome = await withProgress((progress) =>
        options.continue
          ? continueMerge(repository, { message: options.message, noVerify: !options.verify, progress })
          : merge(repository, rev!, { message: options.message, noCommit: !options.commit, noVerify: !options.verify, progress }),
      );
      if (options.json) printJson(outcome);
      else if (outcome.status === 'up-to-date') print('Already up to date.');
      else if (outcome.status === 'fast-forward') print(`Fast-forward to ${outcome.commit.slice(0, 12)}`);
      else if (outcome.status === 'merged') print(`Merged: ${outcome.commit.slice(0, 12)}`);
      else if (outcome.status === 'staged') print('Merge result is in the working set; `dgit merge --continue` commits it.');
      else if (outcome.status === 'blocked' && outcome.fastForward) printFastForwardBlocked(outcome.reason, rev!, `dgit merge ${rev!} --no-verify`);
      else if (outcome.status === 'blocked') printBlocked(outcome.reason);
      else {
        print(`Conflicts in ${outcome.conflicts.map((c) => `${c.table} (${c.count})`).join(', ')}.`);
        print('See `dgit conflicts`, resolve with `dgit resolve TABLE --ours|--theirs|--file F`, then `dgit merge --continue` (or `--abort`).');
      }
      if (outcome.status === 'conflicts' || outcome.status === 'blocked') process.exitCode = 1;
    });
}

/** A fast-forward the checks refused: nothing changed. */
export function printFastForwardBlocked(reason: string, rev: string, anyway: string): void {
  print(`Fast-forward not done: ${reason.replace('on the merge result', `on ${rev}`)}`);
  print(`Nothing changed. Fix the data on ${rev} and merge again, or fast-forward anyway with \`${anyway}\`.`);
}

/** A merge the checks refused: what failed and the three ways on. */
export function printBlocked(reason: string): void {
  print(`Merge not committed: ${reason}`);
  print('The merge is in progress: fix the data and run `dgit merge --continue`, commit anyway with `dgit merge --continue --no-verify`, or `dgit merge --abort`.');
}
