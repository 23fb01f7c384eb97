import type { Command } from 'commander';
import { Option } from 'commander';
import type { CommandContext } from '../context.js';
import { print, printJson, ProgressLine } from '../output.js';
import path from 'node:path';
import { importTable, type ImportMode, type SourceFormat } from '../../engine/index.js';

export function registerImport(program: Command, context: CommandContext): void {
  program
    .command('import')
    .description('load rows from a file into the working set')
    .argument('<file>', 'CSV, TSV, JSON, NDJSON, Parquet or Arrow IPC file')
    .requiredOption('--table <name>', 'table to load into')
    .option('--key <columns>', 'primary key columns, comma-separated (only when the table is new)')
    .addOption(new Option('--mode <mode>', 'replace the table, append rows, upsert by key, or delete the keys listed').choices(['replace', 'append', 'upsert', 'delete']).default('replace'))
    .addOption(new Option('--format <format>', 'file format (default: from the extension)').choices(['csv', 'tsv', 'json', 'ndjson', 'parquet', 'arrow']))
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  dgit import flights.csv --table flights --key id\n  dgit import fixes.ndjson --table flights --mode upsert')
    .action(async (file: string, options: { table: string; key?: string; mode: ImportMode; format?: SourceFormat; json?: boolean }) => {
      const repository = await context.repository();
      const progress = new ProgressLine();
      const result = await importTable(repository, path.resolve(context.cwd, file), {
        table: options.table,
        key: options.key?.split(',').map((k) => k.trim()),
        mode: options.mode,
        format: options.format,
        onProgress: progress.enabled ? (done, total) => progress.update({ phase: `importing ${options.table}`, done, total, unit: 'rows' }) : undefined,
      }).finally(() => progress.done());
      if (options.json) return printJson(result);
      const parts = [`${result.inserted} inserted`, `${result.updated} updated`, `${result.deleted} deleted`];
      if (result.missing) parts.push(`${result.missing} not found`);
      print(`${result.created ? 'Created' : 'Changed'} table ${result.table} (${options.mode}): ${parts.join(', ')}; ${result.rows} rows, ${result.chunksWritten} chunks written`);
      if (result.addedColumns.length) print(`New columns: ${result.addedColumns.join(', ')}`);
    });
}
