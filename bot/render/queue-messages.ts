import { codeSpan } from '../../formats/checks/index.js';
import { escapeMarkdown } from '../../formats/diff/index.js';
import type { QueueEntry } from '../queue/queue-state.js';
import { QUEUE_LABEL, queueOutcomeMarker } from './markers.js';
import { titleText, withinLimit } from './plain-text.js';

/**
 * What the merge queue says: replies to commands, the one comment on how an entry
 * left the queue, and its `dgit/queue` check run. Names (branches, logins) go in
 * code spans; reasons (which may quote table and check names from the data) are
 * escaped; no `#` reference or `@` mention is written by the bot itself.
 */

/** A check run's title and summary. */
export interface QueueRunOutput {
  title: string;
  summary: string;
}

export type QueueRunConclusion = 'success' | 'failure' | 'cancelled' | 'neutral';

const COMMENT_LIMIT = 65_536;
const SUMMARY_LIMIT = 65_535;

function short(sha: string): string {
  return codeSpan(sha.slice(0, 12));
}

/** How the queue lands a pull request, in one sentence. */
function howItLands(defaultBranch: string): string {
  return `dgit merges its head onto the latest ${codeSpan(defaultBranch)} (the data three-way merge), runs every check of dgit.yml on the result, and pushes that very commit to ${codeSpan(defaultBranch)} only if the checks pass.`;
}

export function queuedReply(entry: QueueEntry, position: number, defaultBranch: string, again = false): string {
  return `${again ? 'Queued again' : 'Queued'} for ${codeSpan(defaultBranch)}, position ${position}, at head ${short(entry.head)}. ${howItLands(defaultBranch)}`;
}

export function alreadyQueuedReply(position: number, defaultBranch: string): string {
  return `Already in the merge queue for ${codeSpan(defaultBranch)}, position ${position}.`;
}

export function alreadyMergedReply(defaultBranch: string): string {
  return `Already merged into ${codeSpan(defaultBranch)}: nothing to queue.`;
}

export function closedReply(): string {
  return 'This pull request is closed: only open pull requests can be queued.';
}

export function wrongBaseReply(base: string, defaultBranch: string): string {
  return `This pull request goes into ${codeSpan(base)}; the merge queue merges into ${codeSpan(defaultBranch)} only.`;
}

export function removedReply(): string {
  return 'Removed from the merge queue.';
}

export function notQueuedReply(): string {
  return 'This pull request is not in the merge queue.';
}

export function labelRefusal(login: string, held: string): string {
  return `Sorry, the label ${codeSpan(QUEUE_LABEL)} needs write access to this repository, and ${codeSpan(login)} has ${held}: the label was removed.`;
}

/** The check run of an entry waiting in the queue. */
export function queuedRunOutput(entry: QueueEntry, position: number, defaultBranch: string): QueueRunOutput {
  return {
    title: `Queued for ${titleText(defaultBranch, 100)}, position ${position}`,
    summary: `### ⏳ In the merge queue\n\nQueued by ${codeSpan(entry.queued_by)} at head ${short(entry.head)}. ${howItLands(defaultBranch)}\n`,
  };
}

/** What an entry's departure looks like on its check run. */
export function outcomeRunOutput(entry: QueueEntry, defaultBranch: string): QueueRunOutput & { conclusion: QueueRunConclusion } {
  const reason = escapeMarkdown(entry.reason ?? '');
  switch (entry.departure) {
    case 'merged':
      return {
        conclusion: 'success',
        title: `Merged into ${titleText(defaultBranch, 100)}`,
        summary: `### ✅ Merged\n\n${codeSpan(defaultBranch)} is now ${short(entry.commit ?? entry.head)}, the commit the checks passed on.\n`,
      };
    case 'already-merged':
    case 'merged-elsewhere':
      return { conclusion: 'neutral', title: `Already in ${titleText(defaultBranch, 100)}`, summary: `### Already merged\n\n${reason}\n` };
    case 'removed':
    case 'new-push':
    case 'closed':
      return { conclusion: 'cancelled', title: 'Removed from the merge queue', summary: withinLimit(`### Removed from the merge queue\n\n${reason}\n`, SUMMARY_LIMIT) };
    default:
      return { conclusion: 'failure', title: 'Removed from the merge queue', summary: withinLimit(`### ❌ Removed from the merge queue\n\n${reason}\n`, SUMMARY_LIMIT) };
  }
}

/**
 * The one comment saying how an entry left the queue. `headNow`: the pull request
 * has commits pushed after the queued head, which a merge did not take.
 */
export function outcomeComment(entry: QueueEntry, defaultBranch: string, headNow?: string): string {
  const marker = queueOutcomeMarker(entry.id);
  const reason = escapeMarkdown(entry.reason ?? '');
  let text: string;
  switch (entry.departure) {
    case 'merged':
      text = `✅ Merged by the dgit merge queue: ${codeSpan(defaultBranch)} is now ${short(entry.commit ?? entry.head)}, which contains this pull request's head ${short(entry.head)} and passed the checks.`;
      if (headNow) text += `\n\nThe commits pushed after it was queued (the head is now ${short(headNow)}) are not merged: queue the pull request again to land them.`;
      break;
    case 'already-merged':
    case 'merged-elsewhere':
      text = `Left the merge queue: ${reason}.`;
      break;
    case 'removed':
    case 'new-push':
    case 'closed':
      text = `Removed from the merge queue: ${reason}.`;
      break;
    default:
      text = `❌ Removed from the merge queue: ${reason}.\n\nFix it, then comment ${codeSpan('/dgit retry')} (or add the label ${codeSpan(QUEUE_LABEL)} again).`;
  }
  return withinLimit(`${marker}\n${text}\n`, COMMENT_LIMIT);
}
