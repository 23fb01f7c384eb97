import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { Option } from 'commander';
import type { CommandContext } from '../context.js';
import { colourEnabled, finish, ProgressLine } from '../output.js';
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

/**
 * Print a diff report in the chosen format; returns whether any table changed. The
 * report is lazy: it is read, and reports its progress to `progress` (the line its
 * callback was given to), while it prints. So the output goes through the line,
 * which is erased before each write, and cleared at the end.
 */
export async function printDiff(report: DiffReport, options: DiffOutputOptions, progress?: ProgressLine): Promise<boolean> {
  const out = progress ? progress.outputStream() : process.stdout;
  try {
    return await renderDiff(report, options, out);
  } finally {
    await finish(out);
    progress?.done();
  }
}

async function renderDiff(report: DiffReport, options: DiffOutputOptions, out: Writable): Promise<boolean> {
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
  if (format === 'json') await renderers.writeDiffJson(counting, out, { stat: options.stat, limit });
  else if (format === 'markdown') out.write((await renderers.renderDiffMarkdown(counting, { stat: options.stat, ...(limit === undefined ? {} : { sampleRows: limit }) })) + '\n');
  else if (format === 'html')
    await renderers.writeDiffHtml(counting, out, { limit, stat: options.stat, allColumns: options.allColumns, preface: options.htmlPreface, fromLabel: options.labels?.from, toLabel: options.labels?.to });
  else await renderers.writeDiffTerminal(counting, out, { colour: colourEnabled(), stat: options.stat, limit: limit ?? 50 });
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
      const label = (rev: string) => (rev === 'WORKING' ? 'working set' : rev);
      const progress = new ProgressLine();
      const report = await diffRevisions(repository, ends.from, ends.to, { table: options.table, progress: progress.callback() });
      const changed = await printDiff(report, { ...options, labels: { from: label(ends.from), to: label(ends.to) } }, progress);
      if (options.exitCode && changed) process.exitCode = 1;
    });
}
