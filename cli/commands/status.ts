import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { paint, print, printJson, withProgress } from '../output.js';
import { status } from '../../engine/index.js';

export function registerStatus(program: Command, context: CommandContext): void {
  program
    .command('status')
    .description('the branch, and per table the rows added, deleted and modified in the working set')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  dgit status --json')
    .action(async (options: { json?: boolean }) => {
      const repository = await context.repository();
      const report = await withProgress((progress) => status(repository, { progress }));
      if (options.json) {
        // The JSON shape of a table's schema changes is the one of `dgit diff --json`.
        const { schemaChangesToJson } = await import('../../formats/diff/json.js');
        return printJson({ ...report, tables: report.tables.map((t) => ({ ...t, schema: schemaChangesToJson(t.schema) })) });
      }
      print(`On branch ${report.branch}${report.head ? '' : ' (no commits yet)'}`);
      if (report.merge) {
        print(paint(`Merging ${report.merge.theirs} (${report.merge.theirsCommit.slice(0, 12)}): ${report.merge.conflicts} conflict(s)${report.merge.tables.length ? ` in ${report.merge.tables.join(', ')}` : ''}`, 'yellow'));
        if (report.merge.blockedBy) print(paint(`  blocked: ${report.merge.blockedBy}`, 'red'));
        print(report.merge.conflicts ? '  (see `dgit conflicts`, fix with `dgit resolve`, then `dgit merge --continue`, or `dgit merge --abort`)' : '  (`dgit merge --continue` to commit)');
      }
      if (report.clean) return print('nothing to commit, working set clean');
      print('Changes in the working set:');
      if (report.config) print(`  ${paint(report.config.padEnd(9), report.config === 'added' ? 'green' : report.config === 'deleted' ? 'red' : 'yellow')} dgit.yml`);
      for (const t of report.tables) {
        const s = t.summary;
        print(`  ${paint(t.status.padEnd(9), t.status === 'added' ? 'green' : t.status === 'deleted' ? 'red' : 'yellow')} ${t.table}: ${paint(`+${s.added}`, 'green')} ${paint(`-${s.deleted}`, 'red')} ${paint(`~${s.modified}`, 'yellow')} rows`);
      }
    });
}
