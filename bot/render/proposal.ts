import { codeSpan } from '../../formats/checks/index.js';
import { truncateText } from '../../formats/checks/check-text.js';
import { escapeMarkdown, GITHUB_COMMENT_LIMIT } from '../../formats/diff/index.js';
import type { CheckOutcome } from '../review/data-review.js';
import { checksLine } from './diff-comment.js';
import { PROPOSAL_MARKER } from './markers.js';
import { titleText, withinLimit } from './plain-text.js';
import { renderFixProfileMarkdown } from '../../formats/heal/fix-profile.js';
import type { CheckResult, FixProfile } from '../../engine/index.js';

/** A healing proposal: a `heal/<incident>` branch, what it fixes and what it changes. */
export interface HealingProposal {
  /** The branch, `heal/<incident>`. */
  branch: string;
  /** The incident a `heal/<incident>` branch is named after; undefined for another branch (`dgit pr open`). */
  incident: string | undefined;
  /** The branch the pull request goes to (the default branch). */
  baseBranch: string;
  head: string;
  /** The message of the head commit, as the healer (or an agent) wrote it. */
  message: string;
  /** Checks failing on the base branch and passing on the proposal. */
  fixed: CheckResult[];
  /** Checks failing on both. */
  stillFailing: CheckResult[];
  /** Checks that pass (or do not exist) on the base branch and fail on the proposal. */
  newlyFailing: CheckResult[];
  /** The checks of the proposal's head. */
  headChecks: CheckOutcome;
  /** Before/after profile of the rows the proposal changes (from the merge base), when it was computed. */
  profile?: FixProfile;
}

/** Most characters the profile of the affected rows takes in the body; the diff gets the rest. */
const PROFILE_BUDGET = 20_000;

/** Sort the checks of base and head into fixed, still failing and newly failing. */
export function compareChecks(base: CheckOutcome, head: CheckOutcome): Pick<HealingProposal, 'fixed' | 'stillFailing' | 'newlyFailing'> {
  const baseResults = base.kind === 'report' ? new Map(base.report.results.map((r) => [r.check, r])) : new Map<string, CheckResult>();
  const headResults = head.kind === 'report' ? head.report.results : [];
  const failedOnBase = (id: string) => baseResults.get(id)?.passed === false;
  return {
    fixed: headResults.filter((r) => r.passed && failedOnBase(r.check)),
    stillFailing: headResults.filter((r) => !r.passed && failedOnBase(r.check)),
    newlyFailing: headResults.filter((r) => !r.passed && !failedOnBase(r.check)),
  };
}

/** `Heal incident-42: fixes flights.id.unique, flights.delay.not_null` (inert text, at most 256 characters). */
export function proposalTitle(proposal: HealingProposal): string {
  const fixes = proposal.fixed.map((r) => r.check);
  const what = proposal.incident !== undefined ? `Heal ${proposal.incident}` : `Data change from ${proposal.branch}`;
  return titleText(fixes.length > 0 ? `${what}: fixes ${fixes.join(', ')}` : what, 256);
}

/**
 * The body of a healing pull request: which incident and which checks it fixes,
 * what still fails or newly fails, the commit message, and the data diff. Every
 * piece of text from the branch, the commit or the data is escaped; the whole
 * stays within GitHub's 65,536 characters.
 */
export async function proposalBody(proposal: HealingProposal, diffMarkdown: (budget: number) => Promise<string>): Promise<string> {
  const lines: string[] = [
    PROPOSAL_MARKER,
    proposal.incident !== undefined ? `## Healing proposal for incident ${codeSpan(proposal.incident)}` : `## Data change proposal from ${codeSpan(proposal.branch)}`,
    '',
    `dgit opened this pull request for the branch ${codeSpan(proposal.branch)}, to merge into ${codeSpan(proposal.baseBranch)} after review.`,
    '',
  ];
  // The fix first: what it did to the rows, and where restored values came from (the healer's trailers).
  const trailer = (name: string) => new RegExp(`^${name}: (.+)$`, 'm').exec(proposal.message)?.[1]?.trim();
  const fix = trailer('dgit-fix');
  if (fix) {
    const resolution = trailer('dgit-resolution');
    const evidence = trailer('dgit-evidence');
    lines.push(`**The fix** (${escapeMarkdown(resolution ?? 'unjudged')}): ${escapeMarkdown(truncateText(fix, 300))}`);
    if (evidence) lines.push(`Restored values come from ${codeSpan(evidence.slice(0, 12))}, the last revision where the check passed.`);
    if (resolution === 'contained') lines.push('Some rows were only defaulted or moved to quarantine: the check passes, but those values are not the truth.');
    if (trailer('dgit-review') === 'required') lines.push('**Marked for review:** the merge queue lands it only after a person approved it.');
    lines.push('', `The incident memory (${codeSpan('_dgit_incidents')}) is updated in the same commit; it is left out of the diff below.`, '');
  }
  // What the fix did to the values, per column of the affected rows: the first thing a reviewer judges.
  const profile = proposal.profile ? renderFixProfileMarkdown(proposal.profile, { budget: PROFILE_BUDGET }) : '';
  if (profile) lines.push(profile, '');
  const list = (heading: string, results: CheckResult[], show: (r: CheckResult) => string) => {
    if (results.length === 0) return;
    lines.push(heading, '');
    for (const result of results.slice(0, 50)) lines.push(`- ${codeSpan(result.check)}: ${show(result)}`);
    if (results.length > 50) lines.push(`- … and ${results.length - 50} more`);
    lines.push('');
  };
  list(`**Fixes** (failing on ${codeSpan(proposal.baseBranch)}, passing here):`, proposal.fixed, (r) => escapeMarkdown(truncateText(r.message, 300)));
  list('**Still failing:**', proposal.stillFailing, (r) => escapeMarkdown(truncateText(r.message, 300)));
  list('**⚠️ New failures** (passing before):', proposal.newlyFailing, (r) => escapeMarkdown(truncateText(r.message, 300)));
  if (proposal.fixed.length === 0 && proposal.stillFailing.length === 0 && proposal.newlyFailing.length === 0) {
    lines.push(checksLine(proposal.headChecks, proposal.head), '');
  }
  const message = proposal.message.trim();
  if (message) {
    lines.push('<details><summary>Commit message</summary>', '');
    for (const line of message.split('\n').slice(0, 40)) lines.push(`> ${escapeMarkdown(line.slice(0, 500))}`);
    lines.push('', '</details>', '');
  }
  const head = lines.join('\n') + '\n';
  const diff = await diffMarkdown(GITHUB_COMMENT_LIMIT - head.length - 1);
  return withinLimit(head + diff, GITHUB_COMMENT_LIMIT);
}
