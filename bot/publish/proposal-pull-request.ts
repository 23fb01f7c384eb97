import { PROPOSAL_LABELS, PROPOSAL_MARKER } from '../render/markers.js';
import type { GitHubClient, RepositoryCoordinates } from '../github/github-client.js';

/** The pull request a branch should have. */
export interface ProposalRequest {
  branch: string;
  baseBranch: string;
  /** The commit the branch points at now. */
  head: string;
  title: string;
  body: string;
}

export type ProposalOutcome = {
  /**
   * `declined`: a pull request of this very commit was closed without merging, and
   * is not reopened; `merged`: it was merged already. Either way nothing is written.
   */
  action: 'created' | 'updated' | 'unchanged' | 'declined' | 'merged';
  number: number;
  url: string;
};

/**
 * Open the pull request of a proposal branch, or bring the open one up to date.
 * Found by its head branch (the branch name is deterministic), so a repeated event
 * edits rather than duplicates; an unchanged title and body are not written, and
 * labels only when missing. A body is rewritten only when the bot wrote it (it
 * starts with the proposal marker): a person's pull request keeps theirs.
 */
export async function openOrUpdateProposal(client: GitHubClient, where: RepositoryCoordinates, request: ProposalRequest): Promise<ProposalOutcome> {
  const head = `${where.owner}:${request.branch}`;
  const { data: open } = await client.rest.pulls.list({ ...where, head, state: 'open', per_page: 100 });
  const current = open.find((pull) => pull.head.ref === request.branch);
  if (current) {
    const ours = current.body?.startsWith(PROPOSAL_MARKER) ?? false;
    const stale = ours && (current.title !== request.title || current.body !== request.body);
    if (stale) await client.rest.pulls.update({ ...where, pull_number: current.number, title: request.title, body: request.body });
    const labelled = await ensureLabels(client, where, current.number, current.labels.map((label) => label.name));
    return { action: stale || labelled ? 'updated' : 'unchanged', number: current.number, url: current.html_url };
  }
  const { data: closed } = await client.rest.pulls.list({ ...where, head, state: 'closed', per_page: 100 });
  const done = closed.find((pull) => pull.head.ref === request.branch && pull.head.sha === request.head);
  if (done) return { action: done.merged_at ? 'merged' : 'declined', number: done.number, url: done.html_url };
  const { data: created } = await client.rest.pulls.create({ ...where, title: request.title, head: request.branch, base: request.baseBranch, body: request.body });
  await ensureLabels(client, where, created.number, []);
  return { action: 'created', number: created.number, url: created.html_url };
}

/** Add the labels a proposal lacks; whether any was added. */
async function ensureLabels(client: GitHubClient, where: RepositoryCoordinates, number: number, present: string[]): Promise<boolean> {
  const missing = PROPOSAL_LABELS.filter((label) => !present.includes(label));
  if (missing.length === 0) return false;
  await client.rest.issues.addLabels({ ...where, issue_number: number, labels: missing });
  return true;
}
