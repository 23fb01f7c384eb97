import { writtenBy, type GitHubClient, type RepositoryCoordinates, type WriterIdentity } from '../github/github-client.js';

export type CommentOutcome = { action: 'created' | 'updated' | 'unchanged'; id: number };

/**
 * Keep exactly one comment starting with `marker` on an issue or pull request:
 * the bot's own (see `writtenBy`), edited in place when its body changed, made
 * when there is none. A copy of the marker in someone else's comment is ignored.
 */
export async function upsertMarkedComment(
  client: GitHubClient,
  where: RepositoryCoordinates,
  issueNumber: number,
  marker: string,
  body: string,
  identity: WriterIdentity,
): Promise<CommentOutcome> {
  if (!body.startsWith(marker)) throw new Error('a marked comment must start with its marker');
  let found = await findMarkedComment(client, where, issueNumber, marker, identity);
  if (!found) {
    const { data } = await client.rest.issues.createComment({ ...where, issue_number: issueNumber, body });
    const kept = await keepOldest(client, where, issueNumber, marker, identity, data);
    if (kept.id === data.id) return { action: 'created', id: data.id };
    found = kept;
  }
  if (found.body === body) return { action: 'unchanged', id: found.id };
  await client.rest.issues.updateComment({ ...where, comment_id: found.id, body });
  return { action: 'updated', id: found.id };
}

/** The bot's own comments on an issue or pull request whose body starts with `marker`, oldest first, page by page. */
async function* markedComments(
  client: GitHubClient,
  where: RepositoryCoordinates,
  issueNumber: number,
  marker: string,
  identity: WriterIdentity,
): AsyncGenerator<{ id: number; body?: string }> {
  for await (const page of client.paginate.iterator(client.rest.issues.listComments, { ...where, issue_number: issueNumber, per_page: 100 })) {
    for (const comment of page.data) if (comment.body?.startsWith(marker) && writtenBy(comment.user, identity)) yield comment;
  }
}

/** The bot's own comment on an issue or pull request whose body starts with `marker`, if any. */
export async function findMarkedComment(
  client: GitHubClient,
  where: RepositoryCoordinates,
  issueNumber: number,
  marker: string,
  identity: WriterIdentity,
): Promise<{ id: number; body?: string } | undefined> {
  for await (const comment of markedComments(client, where, issueNumber, marker, identity)) return comment;
  return undefined;
}

/**
 * Post a comment starting with `marker` unless the bot posted one already: a
 * message said once, whatever repeats (a redelivery, a retried report, a restart).
 * Unlike `upsertMarkedComment`, an existing comment is left as it was said.
 */
export async function postCommentOnce(
  client: GitHubClient,
  where: RepositoryCoordinates,
  issueNumber: number,
  marker: string,
  body: string,
  identity: WriterIdentity,
): Promise<CommentOutcome> {
  if (!body.startsWith(marker)) throw new Error('a marked comment must start with its marker');
  const found = await findMarkedComment(client, where, issueNumber, marker, identity);
  if (found) return { action: 'unchanged', id: found.id };
  const { data } = await client.rest.issues.createComment({ ...where, issue_number: issueNumber, body });
  const kept = await keepOldest(client, where, issueNumber, marker, identity, data);
  return kept.id === data.id ? { action: 'created', id: data.id } : { action: 'unchanged', id: kept.id };
}

/**
 * After making a marked comment: GitHub cannot create a comment only if there is none,
 * so two instances of the bot (or two events handled at once) can both find none and
 * both make one. Whoever made one looks again, keeps the oldest of the bot's comments
 * with the marker (the lowest id) and deletes the others, so both settle on the same one.
 * A comment the other writer deleted first is gone already (404). `made`: the comment
 * just made, kept if the list does not show it yet.
 */
async function keepOldest(
  client: GitHubClient,
  where: RepositoryCoordinates,
  issueNumber: number,
  marker: string,
  identity: WriterIdentity,
  made: { id: number; body?: string },
): Promise<{ id: number; body?: string }> {
  const marked: Array<{ id: number; body?: string }> = [];
  for await (const comment of markedComments(client, where, issueNumber, marker, identity)) marked.push(comment);
  marked.sort((a, b) => a.id - b.id);
  for (const extra of marked.slice(1)) {
    try {
      await client.rest.issues.deleteComment({ ...where, comment_id: extra.id });
    } catch (error) {
      if ((error as { status?: number }).status !== 404) throw error;
    }
  }
  return marked[0] ?? made;
}
