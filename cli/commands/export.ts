import type { Command } from 'commander';
import { Option } from 'commander';
import path from 'node:path';
import { withProgress } from '../output.js';
import type { CommandContext } from '../context.js';
import { exportTable, type ExportFormat } from '../../engine/index.js';

export function registerExport(program: Command, context: CommandContext): void {
  program
    .command('export')
    .description('write a table at a revision')
    .argument('<table>', 'table')
    .option('--rev <rev>', 'revision (default: the working set)')
    .addOption(new Option('--format <format>', 'output format (default: from the file name, else csv)').choices(['parquet', 'csv', 'ndjson', 'arrow']))
    .option('-o, --output <file>', "output file, or '-' for stdout", '-')
    .addHelpText('after', '\nExamples:\n  dgit export flights --rev main~1 -o flights.parquet\n  dgit export flights --format ndjson | head')
    .action(async (table: string, options: { rev?: string; format?: ExportFormat; output: string }) => {
      const repository = await context.repository();
      const output = options.output === '-' ? '-' : path.resolve(context.cwd, options.output);
      await withProgress((progress) => exportTable(repository, table, { rev: options.rev, format: options.format, output, progress }));
    });
}
