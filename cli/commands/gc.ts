import type { Command } from 'commander';
import { UsageError } from '../../engine/index.js';
import type { CommandContext } from '../context.js';
import { print, printJson } from '../output.js';

/** `dgit gc`: delete unreferenced chunks from the chunk store after a grace period. */
export function registerGc(program: Command, context: CommandContext): void {
  program
    .command('gc')
    .description('delete chunks no ref references from the chunk store (S3), after a grace period seen by two runs; run `dgit fetch` first')
    .option('--grace <duration>', 'how long a chunk stays unreferenced before it goes, e.g. 36h, 7d (default 7d)')
    .option('--dry-run', 'report what would be deleted; change nothing')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  dgit fetch && dgit gc\n  dgit gc --grace 2d --dry-run')
    .action(async (options: { grace?: string; dryRun?: boolean; json?: boolean }) => {
      const { collectGarbage, loadSyncApi } = await import('../../engine/index.js');
      const { parseDuration } = await loadSyncApi();
      let graceMs: number | undefined;
      if (options.grace !== undefined) {
        const seconds = parseDuration(options.grace);
        if (seconds === undefined) throw new UsageError(`--grace takes a duration like 36h or 7d, not ${JSON.stringify(options.grace)}`, '--grace');
        graceMs = seconds * 1000;
      }
      const outcome = await collectGarbage(await context.repository(), { graceMs, dryRun: options.dryRun });
      if (options.json) return printJson(outcome);
      const verb = options.dryRun ? 'would delete' : 'deleted';
      print(`${outcome.store}: ${outcome.chunks} chunks, ${outcome.referenced} referenced; ${verb} ${outcome.deleted.length} (${outcome.bytesFreed} bytes), ${outcome.marked} unreferenced kept until their grace period ends`);
    });
}
