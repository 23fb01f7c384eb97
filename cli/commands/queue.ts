import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { formatTable, paint, print, printJson, withProgress } from '../output.js';
import { addToQueue, listQueue, recordIncidentOutcome, runQueue, UsageError } from '../../engine/index.js';

export function registerQueue(program: Command, context: CommandContext): void {
  const queue = program
    .command('queue')
    .description('the local merge queue: land branches on the default branch only as commits that passed every check')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  dgit queue add heal/3f2a',
        '  dgit queue list --json',
        '  dgit queue run --batch 4',
      ].join('\n'),
    );

  queue
    .command('add')
    .description('put a branch at the end of the queue')
    .argument('<branch>', 'the branch to merge into the default branch')
    .option('--json', 'print the entry as JSON')
    .addHelpText('after', '\nExample:\n  dgit queue add fix-delays')
    .action(async (branch: string, options: { json?: boolean }) => {
      const repository = await context.repository();
      const entry = await addToQueue(repository, branch);
      if (options.json) return printJson(entry);
      const listing = await listQueue(repository);
      const position = listing.entries.filter((e) => e.state === 'queued').findIndex((e) => e.id === entry.id) + 1;
      print(`Queued ${branch} as #${entry.id} (position ${position}) for ${listing.default_branch}; \`dgit queue run\` lands it.`);
    });

  queue
    .command('list')
    .description('the queue: queued, merged and dequeued branches, with reasons')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  dgit queue list --json')
    .action(async (options: { json?: boolean }) => {
      const listing = await listQueue(await context.repository());
      if (options.json) return printJson(listing);
      if (listing.entries.length === 0) return print(`The queue onto ${listing.default_branch} is empty; add a branch with \`dgit queue add BRANCH\`.`);
      const rows = listing.entries.map((e) => [String(e.id), e.branch, e.state, e.commit?.slice(0, 12) ?? '', e.reason ?? '']);
      print(formatTable(['#', 'branch', 'state', 'commit', 'reason'], rows, { maxWidth: 100 }));
    });

  queue
    .command('run')
    .description('land the queued branches: merge each onto the latest default branch, check, and move the branch only if every check passes')
    .option('--batch <n>', 'test up to N branches merged together; a failing batch is split to find the culprits', '1')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  dgit queue run',
        '  dgit queue run --batch 4 --json',
        '',
        'Exit status: 0 when every branch it finished was merged, 1 when one was dequeued (the reason is in `dgit queue list`).',
      ].join('\n'),
    )
    .action(async (options: { batch: string; json?: boolean }) => {
      const batch = Number(options.batch);
      if (!/^\d+$/.test(options.batch) || !Number.isInteger(batch) || batch < 1) throw new UsageError(`--batch takes a whole number of at least 1, got ${JSON.stringify(options.batch)}`, '--batch');
      const repository = await context.repository();
      // A heal branch that lands or is dropped updates the incident memory (a no-op for other branches).
      const report = await withProgress((progress) =>
        runQueue(repository, { batch, progress, onOutcome: async (entry, outcome, reason) => void (await recordIncidentOutcome(repository, entry.branch, outcome, reason)) }),
      );
      const dropped = report.outcomes.some((o) => o.outcome !== 'merged');
      if (dropped) process.exitCode = 1;
      if (options.json) return printJson(report);
      if (report.recovered.length > 0) print(`Finished the landing of ${report.recovered.map((id) => `#${id}`).join(', ')} left by an interrupted run.`);
      for (const outcome of report.outcomes) {
        if (outcome.outcome === 'merged') print(`#${outcome.id} ${outcome.branch}: ${paint('merged', 'green')}, ${outcome.reason}`);
        else print(`#${outcome.id} ${outcome.branch}: ${paint(`dequeued (${outcome.departure ?? outcome.outcome})`, 'red')}: ${outcome.reason}`);
      }
      for (const warning of report.warnings) process.stderr.write(`dgit: warning: ${warning}\n`);
      if (report.outcomes.length === 0) print('Nothing queued.');
      const moved = report.before !== report.after;
      print(`${report.default_branch} ${moved ? `moved to ${report.after?.slice(0, 12)}` : `stays at ${report.after?.slice(0, 12) ?? 'no commit'}`} (${report.tested.length} candidate${report.tested.length === 1 ? '' : 's'} tested).`);
    });
}
