import type { LoadedConfig } from '../config/config-file.js';

/**
 * Proposals marked for review: a fix whose rightness no check can judge (putting
 * back the rows a partial load removed: were they meant to go?). The mark is a
 * trailer of the proposal's commit message, so it travels with the branch to any
 * queue, local or on GitHub, and any git reads it.
 */
export const REVIEW_TRAILER = 'dgit-review';

/** Whether a commit message marks its proposal for review (a `dgit-review: required` trailer). */
export function requiresReview(message: string): boolean {
  return new RegExp(`^${REVIEW_TRAILER}: required$`, 'm').test(message);
}

/**
 * Whether a merge queue may land a proposal whose head commit has `message`
 * without a person's approval: always for ordinary proposals; for one marked for
 * review only when the policy of dgit.yml (on the target branch) says
 * `land_unreviewed: true`. Default: it may not.
 */
export function mayLandUnreviewed(message: string, config: LoadedConfig | undefined): boolean {
  if (!requiresReview(message)) return true;
  return config?.config.policy?.land_unreviewed === true;
}
