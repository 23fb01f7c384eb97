import type { Command } from 'commander';
import { Option } from 'commander';
import type { CommandContext } from '../context.js';
import { print, printJson } from '../output.js';

/** `dgit files T`: the chunk files or URLs of a table at a revision, for DuckDB, Spark or Trino. */
export function registerFiles(program: Command, context: CommandContext): void {
  program
    .command('files')
    .description('print the chunk files (local paths, or s3:// URLs with a chunk store) of a table at a revision, for engines that read it in place')
    .argument('<table>', 'table')
    .option('--rev <rev>', 'revision (default: the working set)')
    .addOption(new Option('--format <format>', 'list: one file a line; duckdb: a query; spark: a PySpark expression').choices(['list', 'duckdb', 'spark']).default('list'))
    .option('--local', 'local paths even when the chunks live in a bucket (fetching what is missing)')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  dgit files flights --rev main~3 --format duckdb | duckdb\n  duckdb -c "SELECT count(*) FROM read_parquet([$(dgit files flights | sed "s/.*/\'&\'/" | paste -sd,)], union_by_name=true)"',
    )
    .action(async (table: string, options: { rev?: string; format: 'list' | 'duckdb' | 'spark'; local?: boolean; json?: boolean }) => {
      const { tableFiles, loadSyncApi } = await import('../../engine/index.js');
      const { duckdbQuery, sparkExpression } = await loadSyncApi();
      const files = await tableFiles(await context.repository(), table, { rev: options.rev, local: options.local });
      if (options.json) printJson(files);
      else if (options.format === 'duckdb') process.stdout.write(duckdbQuery(files));
      else if (options.format === 'spark') process.stdout.write(sparkExpression(files));
      else for (const file of files.files) print(file);
    });
}
