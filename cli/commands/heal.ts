import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { renderEvidenceText } from '../../formats/checks/evidence-text.js';
import { visibleText } from '../../formats/text/safe-text.js';
import type { CommandContext } from '../context.js';
import { colourEnabled, formatTable, paint, print, printJson, withProgress } from '../output.js';
import { acceptIncident, approveProposal, failingRowEvidence, fixKindsText, heal, listIncidents, NotFoundError, propose, recordIncidentOutcome, UsageError, type HealIncident, type HealReport, type KnownIncident } from '../../engine/index.js';

/** `dgit heal`, `dgit propose` and `dgit incidents`: the healer and its memory. */
export function registerHeal(program: Command, context: CommandContext): void {
  program
    .command('heal')
    .description('turn failing checks into incidents and fix proposals on heal/* branches')
    .argument('[rev]', 'the revision to heal (default: the head of the default branch)')
    .option('--check <id...>', 'heal only these checks')
    .option('--keep-newest <check=column...>', "resolve a unique check's duplicates by keeping the row with the greatest COLUMN (default: dgit.yml's keep/by, else the row of the latest load)")
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  dgit heal                                  # the default branch',
        '  dgit heal HEAD~1 --json',
        '  dgit heal --keep-newest orders.email.unique=updated_at',
        '',
        'Each proposal is a commit on a new branch heal/<incident>; the default branch, the',
        'current branch and the working set are never touched. The policy: section of dgit.yml',
        'bounds what may change. Review with `dgit diff main heal/<incident>`.',
        'Exit status: 0 when every failing check has a proposal, 1 otherwise.',
      ].join('\n'),
    )
    .action(async (rev: string | undefined, options: { check?: string[]; keepNewest?: string[]; json?: boolean }) => {
      const duplicates: Record<string, { keep: 'newest'; by: string }> = {};
      for (const rule of options.keepNewest ?? []) {
        const at = rule.lastIndexOf('=');
        if (at <= 0 || at === rule.length - 1) throw new UsageError(`--keep-newest takes CHECK=COLUMN, not ${JSON.stringify(rule)}`, '--keep-newest');
        duplicates[rule.slice(0, at)] = { keep: 'newest', by: rule.slice(at + 1) };
      }
      const repository = await context.repository();
      const report = await withProgress((progress) => heal(repository, rev, { checks: options.check, duplicates, progress }));
      if (options.json) printJson(report);
      else printHealReport(report);
      if (!report.healed) process.exitCode = 1;
    });

  program
    .command('propose')
    .description("propose an outside agent's fix: a patch of row edits with reasons, checked and branched like the healer's; --evidence shows what to restore first")
    .option('--patch <file>', 'the patch: JSON {"table", "edits": [...]} or NDJSON, one edit a line (- reads stdin)')
    .option('--evidence', 'write nothing: print the failing rows of --check, each with its last good version (at the last revision where the check passed)')
    .option('--check <id>', 'the failing check whose rows --evidence shows')
    .option('--limit <n>', 'most failing rows --evidence shows (default 20)')
    .option('--rev <rev>', 'the revision the patch applies to, or --evidence reads (default: the head of the default branch)')
    .option('--branch <name>', 'the branch to create, under heal/ (default: heal/<incident>)')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  dgit propose --evidence --check "penguins.Body Mass (g).range"',
        '  dgit propose --evidence --check penguins.Sex.not_null --rev HEAD~1 --limit 50 --json',
        '  dgit propose --patch fix.json',
        '  dgit propose --patch fix.ndjson --branch heal/fix-sex --json',
        '',
        'Evidence first: --evidence lists the failing rows of a check with their values now and',
        'at the last revision where the check passed (50 first-parent commits at most), and the',
        'columns that differ. A row with a last good version can be restored from it (cite the',
        'commit in the reason); one with none has no good version in the history.',
        '',
        'A patch (JSON):',
        '  {"table": "penguins", "checks": ["penguins.Sex.accepted_values"], "edits": [',
        '    {"op": "update", "key": {"id": 9}, "set": {"Sex": "FEMALE"}, "reason": "lower case"},',
        '    {"op": "quarantine", "key": {"id": 12}, "reason": "Sex \\".\\" is not a sex"}]}',
        'ops: upsert (row: every column), update (key, set), delete (key), quarantine (key);',
        'every edit needs a reason. Nothing is written when the patch is malformed, breaks the',
        'policy of dgit.yml, or does not pass the checks.',
      ].join('\n'),
    )
    .action(async (options: ProposeFlags) => {
      if (options.evidence) return printEvidence(context, options);
      if (options.patch === undefined) throw new UsageError('give --patch FILE, or --evidence --check ID to see the failing rows first', '--patch');
      for (const [flag, given] of [['--check', options.check], ['--limit', options.limit]] as const)
        if (given !== undefined) throw new UsageError(`${flag} goes with --evidence`, flag);
      const file = options.patch === '-' ? '-' : path.resolve(context.cwd, options.patch);
      let text: string;
      try {
        text = file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(file, 'utf8');
      } catch {
        throw new NotFoundError(`patch file ${JSON.stringify(options.patch)}`, options.patch);
      }
      const repository = await context.repository();
      const result = await propose(repository, text, { rev: options.rev, branch: options.branch, source: options.patch });
      if (options.json) return printJson(result);
      const counts = result.counts;
      const parts = [counts.updated && `${counts.updated} updated`, counts.inserted && `${counts.inserted} inserted`, counts.deleted && `${counts.deleted} deleted`, counts.quarantined && `${counts.quarantined} quarantined`].filter(Boolean);
      if (result.status === 'existing') print(`Already proposed on ${result.branch} (incident ${result.incident}).`);
      else {
        print(`Proposed ${result.branch} (incident ${result.incident}, strategy agent): ${result.rows_changed} row${result.rows_changed === 1 ? '' : 's'} of ${result.table} changed (${parts.join(', ')}).`);
        print(result.fixed.length > 0 ? `Fixes: ${result.fixed.join(', ')}; breaks no check.` : 'Breaks no check.');
      }
      print(`Review: ${result.review}`);
    });

  program
    .command('incidents')
    .description('the incident memory: what failed, when, which fix, merged or not')
    .option('--check <id>', 'only the incidents of this check')
    .option('--record <branch>', "record the outcome of a heal branch's fix (with --outcome and --reason)")
    .option('--outcome <outcome>', 'merged, rejected or failed (with --record)')
    .option('--reason <text>', 'why (with --record or --accept)')
    .option('--accept <incident>', 'accept the new state of the data for an open incident (with --reason); recorded with your name')
    .option('--approve <branch>', 'record that you reviewed a proposal marked for review, so the merge queue may land it')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  dgit incidents',
        '  dgit incidents --json --check penguins.Sex.not_null',
        '  dgit incidents --record heal/penguins.Sex.not_null-1a2b3c4d5e --outcome rejected --reason "wrong default"',
        '  dgit incidents --accept airports.row_count-1a2b3c4d5e --reason "closed airports removed on purpose"',
        '  dgit incidents --approve heal/airports.row_count-1a2b3c4d5e',
        '',
        'Read from the default branch, every heal/* branch and the incident log',
        '(refs/dgit/incidents); each incident once, in its latest state.',
      ].join('\n'),
    )
    .action(async (options: { check?: string; record?: string; outcome?: string; reason?: string; accept?: string; approve?: string; json?: boolean }) => {
      const repository = await context.repository();
      if (options.accept !== undefined) {
        const accepted = await acceptIncident(repository, options.accept, options.reason ?? '');
        if (options.json) return printJson({ incidents: [accepted] });
        return print(`Accepted ${accepted.id} (by ${visibleText(accepted.accepted_by ?? '')}): ${visibleText(accepted.reason ?? '')}`);
      }
      if (options.approve !== undefined) {
        const head = await approveProposal(repository, options.approve);
        if (options.json) return printJson({ branch: options.approve, approved: head });
        return print(`Approved ${options.approve} at ${head.slice(0, 12)}: the merge queue may land it.`);
      }
      if (options.record !== undefined) {
        if (!options.outcome || !['merged', 'rejected', 'failed'].includes(options.outcome))
          throw new UsageError('--record needs --outcome merged, rejected or failed', '--outcome');
        if (!options.reason?.trim()) throw new UsageError('--record needs --reason', '--reason');
        const updated = await recordIncidentOutcome(repository, options.record, options.outcome as 'merged' | 'rejected' | 'failed', options.reason);
        if (updated.length === 0) throw new NotFoundError(`an incident whose fix is on ${JSON.stringify(options.record)}`, options.record);
        if (options.json) return printJson({ incidents: updated });
        for (const incident of updated) print(`Recorded ${incident.id}: ${incident.outcome} (${visibleText(incident.reason ?? '')})`);
        return;
      } else if (options.outcome !== undefined || options.reason !== undefined) throw new UsageError('--outcome and --reason go with --record BRANCH', '--outcome');
      const incidents = (await listIncidents(repository)).filter((incident) => !options.check || incident.check.split(',').includes(options.check));
      if (options.json) return printJson({ incidents });
      printIncidents(incidents);
    });
}

interface ProposeFlags {
  patch?: string;
  evidence?: boolean;
  check?: string;
  limit?: string;
  rev?: string;
  branch?: string;
  json?: boolean;
}

/** `dgit propose --evidence`: the failing rows of a check and their last good version; writes nothing. */
async function printEvidence(context: CommandContext, options: ProposeFlags): Promise<void> {
  if (options.patch !== undefined) throw new UsageError('--evidence writes nothing and takes no --patch: look at the evidence first, then propose the patch', '--patch');
  if (options.branch !== undefined) throw new UsageError('--evidence writes nothing and takes no --branch', '--branch');
  if (options.check === undefined) throw new UsageError('--evidence needs --check ID (the ids: `dgit check`)', '--check');
  const limit = options.limit === undefined ? undefined : Number(options.limit);
  if (limit !== undefined && (!/^[0-9]+$/.test(options.limit!) || !Number.isSafeInteger(limit) || limit < 1))
    throw new UsageError(`--limit takes a positive whole number, not ${JSON.stringify(options.limit)}`, '--limit');
  const repository = await context.repository();
  const evidence = await failingRowEvidence(repository, { rev: options.rev, check: options.check, limit });
  if (options.json) return printJson(evidence);
  for (const line of renderEvidenceText(evidence)) print(line);
}

function printHealReport(report: HealReport): void {
  const colour = colourEnabled();
  const head = `${report.rev} (${report.revision.slice(0, 12)})`;
  if (!report.config) return print(`${head} has no dgit.yml: no checks, nothing to heal.`);
  if (report.incidents.length === 0) return print(`Every check passes at ${head}: nothing to heal.`);
  print(`Healing ${head}: ${report.incidents.length} incident${report.incidents.length === 1 ? '' : 's'}.`);
  for (const incident of report.incidents) printIncident(incident, colour);
}

function printIncident(incident: HealIncident, colour: boolean): void {
  print();
  const status =
    incident.status === 'proposed'
      ? paint('proposed', 'green', colour)
      : incident.status === 'existing'
        ? paint(`already ${incident.outcome}`, 'cyan', colour)
        : paint('no proposal', 'red', colour);
  print(`${paint(incident.check, 'bold', colour)}  ${incident.severity}, ${incident.failing_rows} failing row${incident.failing_rows === 1 ? '' : 's'}: ${status}`);
  const line = (label: string, text: string) => print(`  ${label.padEnd(9)} ${visibleText(text)}`);
  line('incident', incident.incident);
  if (incident.seen > 1) line('open', `since ${incident.first_seen.slice(0, 12)}, failing at ${incident.seen} revisions`);
  for (const previous of incident.previous)
    line('before', `${previous.incident}: ${previous.outcome === 'accepted' ? 'accepted' : `${previous.strategy ?? 'no strategy'}, ${previous.outcome}`}${previous.fix_branch ? ` (${previous.fix_branch})` : ''}`);
  if (incident.memory) line('memory', incident.memory);
  for (const attempt of incident.attempts) if (!attempt.offered) line('tried', `${attempt.strategy}${attempt.remembered ? ' (remembered)' : ''}: ${attempt.reason}`);
  if (incident.strategy) line('strategy', `${incident.strategy}${incident.attempts.find((a) => a.offered)?.remembered ? ' (remembered)' : ''}`);
  if (incident.resolution) line('fix', `${incident.resolution}: ${fixKindsText(incident.kinds, incident.evidence)}${incident.review_required ? ' (marked for review)' : ''}`);
  if (incident.status === 'proposed') line('changes', incident.reason);
  else line('reason', incident.reason);
  if (incident.branch) line('branch', incident.branch);
  if (incident.review) line('review', incident.review);
}

function printIncidents(incidents: KnownIncident[]): void {
  if (incidents.length === 0) return print('No incidents.');
  const rows = incidents.map((incident) => [
    incident.id,
    incident.check,
    incident.outcome === 'accepted' ? `accepted by ${incident.accepted_by ?? '?'}` : incident.outcome,
    incident.strategy ?? '-',
    incident.resolution ? `${incident.resolution}: ${fixKindsText(incident.fix_kinds, incident.evidence)}` : '-',
    incident.rows_changed === null ? '-' : String(incident.rows_changed),
    incident.fix_branch ?? '-',
    incident.updated_at.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    String(incident.seen),
  ]);
  print(formatTable(['incident', 'check', 'outcome', 'strategy', 'fix', 'rows', 'branch', 'updated', 'seen'], rows, { maxWidth: 60 }));
  const failed = incidents.filter((incident) => incident.outcome === 'failed' || incident.outcome === 'rejected');
  for (const incident of failed.slice(0, 10)) print(`\n${incident.id} (${incident.outcome}): ${visibleText(incident.reason ?? '')}`);
}
