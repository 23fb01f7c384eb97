import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { formatTable, print, printJson } from '../output.js';
import { listTables } from '../../engine/index.js';

export function registerTables(program: Command, context: CommandContext): void {
  program
    .command('tables')
    .description('list tables with row counts and keys')
    .option('--rev <rev>', 'revision (default: the working set)')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  dgit tables --rev main~1')
    .action(async (options: { rev?: string; json?: boolean }) => {
      const repository = await context.repository();
      const tables = await listTables(repository, options.rev);
      if (options.json) return printJson({ tables });
      if (tables.length === 0) return print('no tables');
      print(formatTable(['table', 'rows', 'key', 'columns', 'chunks', 'manifest'], tables.map((t) => [t.table, String(t.rows), t.key.join(',') || '(keyless)', String(t.columns.length), String(t.chunks), t.manifest])));
    });
}
