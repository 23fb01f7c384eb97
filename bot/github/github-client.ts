import type { Octokit } from '@octokit/rest';

/**
 * What the bot needs of an Octokit: probot's (an installation token, or the
 * Actions token) and `@octokit/rest`'s (`dgit pr open`) both fit, being built
 * from the same plugins.
 */
export type GitHubClient = Pick<Octokit, 'rest' | 'paginate'>;

/** A repository in REST paths: `/repos/{owner}/{repo}`. */
export interface RepositoryCoordinates {
  owner: string;
  repo: string;
}

/**
 * Who the bot writes as, to tell its own comments from others' (a marker alone
 * could be copied into anyone's comment). `login` is known for an app (its
 * `<slug>[bot]`), a personal token and Actions (`github-actions[bot]`); when it is
 * not, only comments by bots count.
 */
export interface WriterIdentity {
  login?: string;
}

/** A comment author as GitHub returns it. */
export interface CommentAuthor {
  login: string;
  type?: string;
}

export function writtenBy(author: CommentAuthor | null | undefined, identity: WriterIdentity): boolean {
  if (!author) return false;
  return identity.login !== undefined ? author.login === identity.login : author.type === 'Bot';
}
