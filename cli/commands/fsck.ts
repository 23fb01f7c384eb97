import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { paint, print, printJson } from '../output.js';

export function registerFsck(program: Command, context: CommandContext): void {
  program
    .command('fsck')
    .description('verify everything dgit relies on (refs, working sets, merges, manifests against chunks) and say how to recover')
    .option('--full', 'decode every chunk of every branch and working set and match it against its manifest entry')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  dgit fsck\n  dgit fsck --full --json\n\nExit status: 0 when nothing is wrong, 1 otherwise.')
    .action(async (options: { full?: boolean; json?: boolean }) => {
      const { fsck } = await import('../../engine/index.js');
      const repository = await context.repository();
      const report = await fsck(repository, { full: options.full === true });
      if (!report.ok) process.exitCode = 1;
      if (options.json) return printJson(report);
      const c = report.checked;
      print(`Checked ${c.branches} branch(es), ${c.workingSets} working set(s), ${c.merges} merge(s) in progress, ${c.cacheFiles} cached chunk file(s)${c.chunksDecoded ? ', every chunk decoded' : ''}.`);
      for (const p of report.problems) {
        print(`${paint('problem', 'red')}: ${p.where}: ${p.problem}`);
        print(`  recover: ${p.recovery}`);
      }
      if (report.ok) print('No problems found.');
    });
}
