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
