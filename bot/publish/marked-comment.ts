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
  let found: { id: number; body?: string } | undefined;
  for await (const page of client.paginate.iterator(client.rest.issues.listComments, { ...where, issue_number: issueNumber, per_page: 100 })) {
    found = page.data.find((comment) => comment.body?.startsWith(marker) && writtenBy(comment.user, identity));
    if (found) break;
  }
  if (!found) {
    const { data } = await client.rest.issues.createComment({ ...where, issue_number: issueNumber, body });
    return { action: 'created', id: data.id };
  }
  if (found.body === body) return { action: 'unchanged', id: found.id };
  await client.rest.issues.updateComment({ ...where, comment_id: found.id, body });
  return { action: 'updated', id: found.id };
}

/** The bot's own comment on an issue or pull request whose body starts with `marker`, if any. */
export async function findMarkedComment(
  client: GitHubClient,
  where: RepositoryCoordinates,
  issueNumber: number,
  marker: string,
  identity: WriterIdentity,
): Promise<{ id: number; body?: string } | undefined> {
  for await (const page of client.paginate.iterator(client.rest.issues.listComments, { ...where, issue_number: issueNumber, per_page: 100 })) {
    const found = page.data.find((comment) => comment.body?.startsWith(marker) && writtenBy(comment.user, identity));
    if (found) return found;
  }
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
  return { action: 'created', id: data.id };
}
