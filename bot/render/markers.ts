/**
 * The names and hidden markers by which the bot finds what it wrote before, so a
 * redelivered or repeated event updates instead of duplicating. None of them holds
 * text from a user or from data: a marker is fixed text, and a user cannot forge
 * one in a place the bot trusts (comments count only when the bot wrote them).
 */

/** The check run's name, as branch protection rules require it. */
export const CHECK_RUN_NAME = 'dgit/checks';

/** First line of the one data-diff comment on a pull request. */
export const DIFF_COMMENT_MARKER = '<!-- dgit:data-diff -->';

/** First line of the body of a pull request the bot opened for a healing proposal. */
export const PROPOSAL_MARKER = '<!-- dgit:healing-proposal -->';

/** Labels of a healing pull request. */
export const PROPOSAL_LABELS = ['dgit', 'healing'] as const;

/** Branches of healing proposals. */
export const HEAL_BRANCH_PREFIX = 'heal/';

/** What a check run checked, kept in its `external_id` so a re-run knows what to check again. */
export type CheckTarget = { kind: 'pull'; number: number } | { kind: 'merge-group'; baseSha: string };

export function checkTargetId(target: CheckTarget): string {
  return target.kind === 'pull' ? `pull/${target.number}` : `merge_group/${target.baseSha}`;
}

export function parseCheckTargetId(text: string | null | undefined): CheckTarget | undefined {
  const pull = /^pull\/([1-9][0-9]{0,9})$/.exec(text ?? '');
  if (pull) return { kind: 'pull', number: Number(pull[1]) };
  const group = /^merge_group\/([0-9a-f]{40})$/.exec(text ?? '');
  if (group) return { kind: 'merge-group', baseSha: group[1]! };
  return undefined;
}

/** The merge queue's check run on a queued pull request's head. */
export const QUEUE_CHECK_RUN_NAME = 'dgit/queue';

/** The label that queues a pull request, as `/dgit queue` does. */
export const QUEUE_LABEL = 'dgit:queue';

/** First line of the comment saying how a queue entry left the queue (one per entry, ever). */
export function queueOutcomeMarker(entryId: number): string {
  if (!Number.isSafeInteger(entryId) || entryId < 1) throw new Error(`invalid queue entry ${entryId}`);
  return `<!-- dgit:queue-outcome:${entryId} -->`;
}

/** The `external_id` of a queue entry's check run. */
export function queueCheckRunId(entryId: number): string {
  return `queue/${entryId}`;
}

/**
 * First line of the bot's one reply to a command: a `/dgit` comment (by its
 * GitHub id) or a label event (by a digest of its delivery id). Finding it means the
 * command was answered already: a redelivery, even to a bot that lost its disk,
 * answers nothing twice.
 */
export function replyMarker(command: CommandKey): string {
  return `<!-- dgit:reply:${command.kind}-${command.id} -->`;
}

/** What a reply answers: GitHub's numeric comment id, or a hex digest. */
export type CommandKey = { kind: 'comment'; id: number } | { kind: 'delivery'; id: string };

export function commandKey(kind: 'comment', id: number): CommandKey;
export function commandKey(kind: 'delivery', id: string): CommandKey;
export function commandKey(kind: 'comment' | 'delivery', id: number | string): CommandKey {
  if (kind === 'comment') {
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) throw new Error(`invalid comment id ${String(id)}`);
    return { kind, id };
  }
  if (typeof id !== 'string' || !/^[0-9a-f]{16,64}$/.test(id)) throw new Error('a delivery key must be a hex digest');
  return { kind, id };
}

/** The text form of a command key, kept in the queue's state (`source`, `finished_by`). */
export function commandKeyText(command: CommandKey): string {
  return `${command.kind}/${command.id}`;
}
