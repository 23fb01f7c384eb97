import type { Command } from 'commander';
import { Option } from 'commander';
import type { CommandContext } from '../context.js';
import { formatTable, print, printJson, withProgress } from '../output.js';
import { csvField, runSql } from '../../engine/index.js';

function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export function registerSql(program: Command, context: CommandContext): void {
  program
    .command('sql')
    .description('SELECT over the tables at a revision; INSERT/UPDATE/DELETE and CREATE/ALTER/DROP TABLE change the working set')
    .argument('<query>', 'one SQL statement (DuckDB dialect); tables are named as in `dgit tables`')
    .option('--rev <rev>', 'revision to read (default: the working set)')
    .option('--json', 'print JSON')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json']).default('table'))
    .addHelpText('after', `\nExamples:\n  dgit sql "SELECT origin, avg(delay) FROM flights GROUP BY ALL" --rev main~1\n  dgit sql "UPDATE flights SET delay = 0 WHERE delay < 0"\n  dgit sql "ALTER TABLE flights RENAME COLUMN delay TO delay_minutes"\n  dgit sql "ALTER TABLE flights ADD PRIMARY KEY (flight_id)"   (changes the key)`)
    .action(async (query: string, options: { rev?: string; json?: boolean; format: string }) => {
      const repository = await context.repository();
      const result = await withProgress((progress) => runSql(repository, query, { rev: options.rev, progress }));
      const format = options.json ? 'json' : options.format;
      if (result.kind === 'edit') {
        if (format === 'json') return printJson(result);
        const c = result.counts;
        return print(`${result.statement} ${result.table}: ${c.inserted} inserted, ${c.updated} updated, ${c.deleted} deleted (in the working set)`);
      }
      if (result.kind === 'ddl') {
        if (format === 'json') return printJson(result);
        for (const change of result.changes) {
          const what = change.action === 'renamed' ? `renamed from ${change.from ?? '?'}` : change.action;
          const chunks = change.action === 'dropped' ? '' : change.rewritten ? ', chunks rewritten' : change.action === 'created' ? '' : ', schema only (no chunk rewritten)';
          print(`${change.table}: ${what} (${change.rows} row${change.rows === 1 ? '' : 's'}${chunks}; in the working set)`);
        }
        return;
      }
      if (format === 'json') return printJson({ columns: result.columns, rows: result.rows });
      const names = result.columns.map((c) => c.name);
      if (format === 'csv') {
        print(names.map((n) => csvField(n)).join(','));
        for (const row of result.rows) print(names.map((n) => csvField(row[n] === null || row[n] === undefined ? null : text(row[n]))).join(','));
        return;
      }
      // For people NULL reads NULL (as in `dgit diff`); CSV leaves it empty (and writes "" for the empty string).
      print(formatTable(names, result.rows.map((row) => names.map((n) => (row[n] === null || row[n] === undefined ? 'NULL' : text(row[n]))))));
      print(`(${result.rows.length} row${result.rows.length === 1 ? '' : 's'})`);
    });
}
