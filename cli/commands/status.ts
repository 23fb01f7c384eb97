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
      // The JSON shape of a table's schema changes is the one of `dgit diff --json`; the text lines read it too.
      const { schemaChangesToJson } = await import('../../formats/diff/json.js');
      if (options.json) {
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
        if (t.status === 'modified') for (const line of schemaChangeLines(schemaChangesToJson(t.schema))) print(`            ${line}`);
      }
    });
}

type SchemaColumnJson = { name: string; type?: unknown; renamed_from?: string; nullable?: { to: boolean } };

/** The schema changes of a table in the status JSON, one short line each (column names made printable). */
function schemaChangeLines(schema: Record<string, unknown>): string[] {
  const name = (text: string) => JSON.stringify(text).slice(1, -1);
  const list = (key: string) => (Array.isArray(schema[key]) ? (schema[key] as SchemaColumnJson[]) : []);
  const lines: string[] = [];
  for (const c of list('added')) lines.push(`+ column ${name(c.name)} ${String(c.type)}`);
  for (const c of list('dropped')) lines.push(`- column ${name(c.name)} ${String(c.type)}`);
  for (const c of list('changed')) {
    const parts: string[] = [];
    if (c.renamed_from !== undefined) parts.push(`renamed from ${name(c.renamed_from)}`);
    const type = c.type as { from: string; to: string } | undefined;
    if (type) parts.push(`type ${type.from} -> ${type.to}`);
    if (c.nullable) parts.push(c.nullable.to ? 'now nullable' : 'now not null');
    lines.push(`~ column ${name(c.name)}: ${parts.join(', ')}`);
  }
  const key = schema['primary_key'] as { from: string[]; to: string[] } | undefined;
  if (key) lines.push(`~ primary key (${key.from.map(name).join(', ')}) -> (${key.to.map(name).join(', ')})`);
  return lines;
}
