import type { Command } from 'commander';
import { Option } from 'commander';
import type { CommandContext } from '../context.js';
import { colourEnabled } from '../output.js';
import { diffEnds, diffRevisions, UsageError, type DiffReport } from '../../engine/index.js';

export interface DiffOutputOptions {
  json?: boolean;
  format?: 'table' | 'markdown' | 'html' | 'json';
  stat?: boolean;
  limit?: string;
  /** HTML: every column, not only the key and the changed ones. */
  allColumns?: boolean;
  /** The revisions as the user typed them, for titles (`v0 → main`). */
  labels?: { from: string; to: string };
  /** HTML: a fragment (already escaped) shown under the title. */
  htmlPreface?: string;
}

export function parseLimit(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 0) throw new UsageError('--limit needs a whole number', '--limit');
  return limit;
}

/** Print a diff report in the chosen format; returns whether any table changed. */
export async function printDiff(report: DiffReport, options: DiffOutputOptions): Promise<boolean> {
  const renderers = await import('../../formats/diff/index.js');
  let changed = false;
  const tables = report.tables;
  const counting: DiffReport = {
    ...report,
    tables: {
      async *[Symbol.asyncIterator]() {
        for await (const table of tables) {
          changed = true;
          yield table;
        }
      },
    },
  };
  const format = options.json ? 'json' : options.format ?? 'table';
  const limit = parseLimit(options.limit);
  if (format === 'json') await renderers.writeDiffJson(counting, process.stdout, { stat: options.stat, limit });
  else if (format === 'markdown') process.stdout.write((await renderers.renderDiffMarkdown(counting, { stat: options.stat, ...(limit === undefined ? {} : { sampleRows: limit }) })) + '\n');
  else if (format === 'html')
    await renderers.writeDiffHtml(counting, process.stdout, { limit, stat: options.stat, allColumns: options.allColumns, preface: options.htmlPreface, fromLabel: options.labels?.from, toLabel: options.labels?.to });
  else await renderers.writeDiffTerminal(counting, process.stdout, { colour: colourEnabled(), stat: options.stat, limit: limit ?? 50 });
  return changed;
}

export function diffFormatOption(): Option {
  return new Option('--format <format>', 'output format').choices(['table', 'json', 'markdown', 'html']);
}

export function registerDiff(program: Command, context: CommandContext): void {
  program
    .command('diff')
    .description('data diff: no REV: working set vs HEAD; one REV: working set vs REV; A B or A..B: from A to B')
    .argument('[revs...]', 'revisions')
    .option('--table <name>', 'only this table')
    .option('--stat', 'counts and schema changes only')
    .option('--json', 'print JSON (streamed)')
    .addOption(diffFormatOption())
    .option('--limit <n>', 'most rows shown per table')
    .option('--all-columns', 'HTML: show every column, not only the key and the changed ones')
    .option('--exit-code', 'exit 1 when there are differences, as git does')
    .addHelpText('after', '\nExamples:\n  dgit diff\n  dgit diff main~1..main --table flights --stat\n  dgit diff main fix --format markdown > diff.md')
    .action(async (revs: string[], options: DiffOutputOptions & { table?: string; exitCode?: boolean }) => {
      if (revs.length > 2) throw new UsageError('diff takes at most two revisions', 'diff');
      const repository = await context.repository();
      const ends = await diffEnds(revs);
      const report = await diffRevisions(repository, ends.from, ends.to, { table: options.table });
      const label = (rev: string) => (rev === 'WORKING' ? 'working set' : rev);
      const changed = await printDiff(report, { ...options, labels: { from: label(ends.from), to: label(ends.to) } });
      if (options.exitCode && changed) process.exitCode = 1;
    });
}
