import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { colourEnabled, withProgress } from '../output.js';
import { ConfigError, runChecks, UsageError } from '../../engine/index.js';

const FORMATS = ['table', 'json', 'markdown', 'github'] as const;
type CheckFormat = (typeof FORMATS)[number];

interface CheckOptions {
  json?: boolean;
  format?: string;
  full?: boolean;
  sample?: string;
}

export function registerCheck(program: Command, context: CommandContext): void {
  program
    .command('check')
    .argument('[rev]', 'the commit to check (default: the working set)')
    .description('run the checks of dgit.yml; exit 1 when a check of severity error fails')
    .option('--json', 'print the report as JSON (same as --format json)')
    .option('--format <format>', `output: ${FORMATS.join(', ')}`, 'table')
    .option('--full', 'read every chunk, even where only changed chunks need checking')
    .option('--sample <n>', 'failing rows kept per check', '10')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  dgit check                      # the working set',
        '  dgit check main --json          # a commit, as JSON',
        '  dgit check HEAD --format github # annotations for GitHub Actions',
        '',
        'Exit status: 0 when every check of severity error passes (warnings do not fail), 1 otherwise.',
      ].join('\n'),
    )
    .action(async (rev: string | undefined, options: CheckOptions) => {
      const format = outputFormat(options);
      const sampleSize = Number(options.sample ?? '10');
      if (!Number.isInteger(sampleSize) || sampleSize < 0 || sampleSize > 1000) throw new UsageError(`--sample must be a whole number from 0 to 1000, got ${JSON.stringify(options.sample)}`, '--sample');
      const { renderCheckGithub, renderCheckJson, renderCheckMarkdown, renderCheckTerminal, renderConfigIssuesGithub } = await import('../../formats/checks/index.js');
      const repository = await context.repository();
      let report;
      try {
        report = await withProgress((progress) => runChecks(repository, rev, { incremental: !options.full, sampleSize, progress }));
      } catch (error) {
        // In CI the problems of dgit.yml are annotations on its lines too; the error itself still goes to stderr.
        if (format === 'github' && error instanceof ConfigError) process.stdout.write(renderConfigIssuesGithub(error.issues));
        throw error;
      }
      switch (format) {
        case 'json':
          process.stdout.write(renderCheckJson(report));
          break;
        case 'markdown':
          process.stdout.write(renderCheckMarkdown(report));
          break;
        case 'github':
          process.stdout.write(renderCheckGithub(report));
          break;
        case 'table':
          process.stdout.write(renderCheckTerminal(report, { colour: colourEnabled() }));
          break;
      }
      if (!report.passed) process.exitCode = 1;
    });
}

function outputFormat(options: CheckOptions): CheckFormat {
  const format = options.format ?? 'table';
  if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`unknown format ${JSON.stringify(format)}; use one of ${FORMATS.join(', ')}`, '--format');
  if (options.json && format !== 'table' && format !== 'json') throw new UsageError('--json and --format cannot be used together', '--json');
  return options.json ? 'json' : (format as CheckFormat);
}
