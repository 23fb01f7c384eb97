import type { Command } from 'commander';
import { visibleText } from '../../formats/text/safe-text.js';
import { escapeMarkdown } from '../../formats/diff/index.js';
import { escapeHtml } from '../../formats/diff/html.js';
import { fixJson, fixLeadLines, renderFixProfileHtml, renderFixProfileMarkdown, renderFixProfileTerminal } from '../../formats/heal/fix-profile.js';
import type { CommandContext } from '../context.js';
import { colourEnabled, paint, print, ProgressLine } from '../output.js';
import { diffFormatOption, printDiff, type DiffOutputOptions } from './diff.js';
import { INCIDENTS_TABLE, show, type ShownFix } from '../../engine/index.js';

export function registerShow(program: Command, context: CommandContext): void {
  program
    .command('show')
    .description('one commit and its data diff against its first parent (a heal commit leads with its fix)')
    .argument('[rev]', 'commit (default HEAD)', 'HEAD')
    .option('--table <name>', `only this table (\`--table ${INCIDENTS_TABLE}\` shows a heal commit's update of the incident memory)`)
    .option('--stat', 'counts and schema changes only')
    .option('--json', 'print JSON')
    .addOption(diffFormatOption())
    .option('--limit <n>', 'most rows shown per table')
    .addHelpText('after', '\nExample:\n  dgit show HEAD~1 --stat')
    .action(async (rev: string, options: DiffOutputOptions & { table?: string }) => {
      const repository = await context.repository();
      const json = options.json || options.format === 'json';
      // The diff is read, and its progress shown, while printDiff prints it.
      const progress = new ProgressLine();
      // JSON keeps the whole diff (the incident memory too); people get it folded.
      const { commit, diff, fix } = await show(repository, rev, { table: options.table, foldIncidentMemory: !json, progress: progress.callback() });
      if (json) {
        const fixPart = fix ? `"fix":${JSON.stringify(fixJson(fix))},` : '';
        process.stdout.write(`{"commit":${JSON.stringify(commit)},${fixPart}"diff":`);
        await printDiff(diff, { ...options, json: true }, progress);
        process.stdout.write('}\n');
        return;
      }
      print(paint(`commit ${commit.commit}`, 'yellow'));
      if (commit.parents.length > 1) print(`Merge: ${commit.parents.map((p) => p.slice(0, 12)).join(' ')}`);
      print(`Author: ${visibleText(commit.author.name)} <${visibleText(commit.author.email)}>`);
      print(`Date:   ${commit.author.date}`);
      print();
      if (fix) printFix(fix, rev, options.format);
      for (const line of commit.message.split('\n')) print(`    ${visibleText(line)}`);
      print();
      await printDiff(diff, { ...options, htmlPreface: fix ? fixHtml(fix, rev) : undefined }, progress);
    });
}

/** Where to find what `show` folded away. */
function incidentMemoryLine(rev: string): string {
  return `The incident memory (${INCIDENTS_TABLE}) is updated in this commit and left out of the diff below; see it with: dgit show ${rev} --table ${INCIDENTS_TABLE}`;
}

/** A heal commit's lead: the fix, the evidence, the review mark, the incident memory, and the profile of the affected rows. */
function printFix(fix: ShownFix, rev: string, format: DiffOutputOptions['format']): void {
  const lines = [...fixLeadLines(fix), ...(fix.incidentMemoryFolded ? [incidentMemoryLine(rev)] : [])];
  if (format === 'markdown') {
    for (const line of lines) print(escapeMarkdown(line) + '  ');
    print();
    const profile = renderFixProfileMarkdown(fix.profile);
    if (profile) print(profile);
    return;
  }
  if (format === 'html') return; // in the page, under its title
  const [first, ...rest] = lines;
  print(paint(visibleText(first!), 'bold', colourEnabled()));
  for (const line of rest) print(visibleText(line));
  print();
  const profile = renderFixProfileTerminal(fix.profile, { colour: colourEnabled() });
  if (profile) print(profile);
}

function fixHtml(fix: ShownFix, rev: string): string {
  const lines = [...fixLeadLines(fix), ...(fix.incidentMemoryFolded ? [incidentMemoryLine(rev)] : [])];
  return lines.map((line) => `<p>${escapeHtml(visibleText(line))}</p>\n`).join('') + renderFixProfileHtml(fix.profile);
}
