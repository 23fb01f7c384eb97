import type { Command } from 'commander';
import path from 'node:path';
import type { CommandContext } from '../context.js';
import { print, printJson } from '../output.js';
import { listConflicts, resolveConflicts, UsageError } from '../../engine/index.js';

export function registerConflicts(program: Command, context: CommandContext): void {
  program
    .command('conflicts')
    .description('the conflicts of the merge in progress')
    .option('--table <name>', 'only this table')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  dgit conflicts --table flights --json')
    .action(async (options: { table?: string; json?: boolean }) => {
      const repository = await context.repository();
      const report = await listConflicts(repository, { table: options.table });
      if (options.json) return printJson(report);
      if (report.tables.length === 0) return print('no conflicts remain; `dgit merge --continue` commits the merge');
      for (const t of report.tables) {
        print(`${t.table}: ${t.conflicts.length} conflict(s)`);
        for (const c of t.conflicts as Array<Record<string, unknown>>) {
          if (c['kind'] === 'schema') print(`  schema: ${String(c['message'])}`);
          else if (c['kind'] === 'bag') {
            const n = c['counts'] as { base: number; ours: number; theirs: number };
            print(`  bag ${JSON.stringify(c['key'])}: copies in base ${n.base}, ours ${n.ours}, theirs ${n.theirs}`);
          }
          else for (const line of conflictLines(c)) print(line);
        }
      }
    });

  program
    .command('resolve')
    .description("resolve a table's conflicts with ours, theirs, or rows from a file")
    .argument('<table>', 'table (or dgit.yml)')
    .option('--ours', 'keep our rows')
    .option('--theirs', 'take their rows')
    .option('--file <file>', 'take the rows of this file for the conflicting keys it lists')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  dgit resolve flights --theirs\n  dgit resolve flights --file fixed.csv')
    .action(async (table: string, options: { ours?: boolean; theirs?: boolean; file?: string; json?: boolean }) => {
      const chosen = [options.ours, options.theirs, options.file !== undefined].filter(Boolean).length;
      if (chosen !== 1) throw new UsageError('choose exactly one of --ours, --theirs, --file', 'resolve');
      const repository = await context.repository();
      const result = await resolveConflicts(
        repository,
        table,
        options.file !== undefined ? { file: path.resolve(context.cwd, options.file) } : { side: options.ours ? 'ours' : 'theirs' },
      );
      if (options.json) printJson(result);
      else print(`Resolved ${result.resolved} conflict(s) in ${table}; ${result.remaining} remain.`);
      const dropped = result.discarded;
      if (dropped) {
        const kept = dropped.side === 'ours' ? 'theirs' : 'ours';
        process.stderr.write(
          `dgit: warning: ${table} is now ${kept}' whole table: ${dropped.side}' changes to it are not in the result ` +
            `(${dropped.schemaChanged ? 'its schema changes, ' : ''}${dropped.added} added, ${dropped.deleted} deleted, ${dropped.modified} modified rows; ` +
            (dropped.virtualBase
              ? 'counted from the merge bases of a criss-cross history merged, which no single commit holds). '
              : `\`dgit diff ${dropped.base.slice(0, 12)}..${dropped.commit.slice(0, 12)}\` shows them). `) +
            'Make them again before `dgit merge --continue`, or `dgit merge --abort`.\n',
        );
      }
    });
}

const ROW_CONFLICT_STORY: Record<string, string> = {
  cell: 'both sides changed the same cells',
  'delete-update': 'ours deleted the row, theirs changed it',
  'update-delete': 'ours changed the row, theirs deleted it',
  'add-add': 'both sides added this key with different rows',
};

/**
 * One row conflict for people: the key and what happened, then per conflicting
 * cell its base, ours and theirs, so the differing values need no search by eye.
 */
export function conflictLines(conflict: Record<string, unknown>): string[] {
  const key = Object.entries((conflict['key'] as Record<string, unknown> | null) ?? {})
    .map(([name, value]) => `${name}=${conflictValue(value)}`)
    .join(', ');
  const kind = String(conflict['kind']);
  const lines = [`  ${key} (${kind}): ${ROW_CONFLICT_STORY[kind] ?? kind}`];
  const side = (row: unknown, name: string, missing: string) =>
    row === null || row === undefined ? missing : conflictValue((row as Record<string, unknown>)[name]);
  for (const name of (conflict['columns'] as string[] | undefined) ?? []) {
    lines.push(
      `    ${name}: base ${side(conflict['base'], name, '(no row)')}, ours ${side(conflict['ours'], name, '(deleted)')}, theirs ${side(conflict['theirs'], name, '(deleted)')}`,
    );
  }
  return lines;
}

/** A JSON cell as text: NULL, strings bare unless their whitespace would vanish, the rest as JSON. */
function conflictValue(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'string') return value === '' || value === 'NULL' || /^\s|\s$/u.test(value) ? JSON.stringify(value) : value.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
  return JSON.stringify(value);
}
