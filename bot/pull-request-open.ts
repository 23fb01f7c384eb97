import type { GitHubClient, RepositoryCoordinates, WriterIdentity } from './github/github-client.js';
import { upsertMarkedComment, type CommentOutcome } from './publish/marked-comment.js';
import { openOrUpdateProposal, type ProposalOutcome } from './publish/proposal-pull-request.js';
import { diffCommentBody } from './render/diff-comment.js';
import { DIFF_COMMENT_MARKER } from './render/markers.js';
import { buildProposal } from './review/healing-proposal.js';
import { DgitError, InvalidInputError, redactUrl, remoteUrl, type CommitId, type Repository } from '../engine/index.js';

export interface OpenPullRequestOptions {
  /** The branch to propose; it must be on the remote already (`dgit push`). */
  branch: string;
  /** A token that may write pull requests and issues (GITHUB_TOKEN in Actions, or a personal token). */
  token: string;
  /** The REST API's root: GITHUB_API_URL in Actions; default https://api.github.com. */
  apiUrl?: string;
  /** The remote on GitHub; default `origin`. */
  remote?: string;
  /** A client to use instead of `@octokit/rest`'s (tests). */
  client?: GitHubClient;
}

export interface OpenPullRequestResult {
  repository: string;
  number: number;
  url: string;
  pullRequest: ProposalOutcome['action'];
  comment: CommentOutcome['action'] | 'skipped';
}

/** `owner/repo` from a GitHub remote URL (`https://github.com/owner/repo.git`, any host). */
export function repositoryOfRemote(url: string): RepositoryCoordinates {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidInputError('the remote URL is not a URL', redactUrl(url));
  }
  const parts = parsed.pathname.replace(/\/+$/, '').replace(/\.git$/, '').split('/').filter(Boolean);
  if (parts.length < 2) throw new InvalidInputError('cannot tell owner/repository from the remote URL (expected https://HOST/OWNER/REPO.git)', redactUrl(url));
  const [owner, repo] = parts.slice(-2).map(decodeURIComponent) as [string, string];
  if (!/^[A-Za-z0-9_.-]+$/.test(owner) || !/^[A-Za-z0-9_.-]+$/.test(repo)) throw new InvalidInputError('the remote URL does not name a GitHub repository', redactUrl(url));
  return { owner, repo };
}

/**
 * `dgit pr open BRANCH`: open (or bring up to date) the pull request of a
 * proposal branch with the same title, body, labels and data-diff comment the
 * GitHub App would make, through the REST API with a token, so a data repository
 * gets healing pull requests from a scheduled workflow alone. The branch is read
 * as the remote has it (its remote-tracking ref): what GitHub will show.
 */
export async function openPullRequest(repository: Repository, options: OpenPullRequestOptions): Promise<OpenPullRequestResult> {
  const remote = options.remote ?? 'origin';
  const where = repositoryOfRemote(await remoteUrl(repository, remote));
  const client = options.client ?? (await restClient(options.token, options.apiUrl));
  const head = (await repository.refs.resolve(`refs/remotes/${remote}/${options.branch}`)) as CommitId | undefined;
  if (!head) throw new DgitError('NOT_FOUND', `branch ${JSON.stringify(options.branch)} is not on ${remote}; push it first (dgit push ${remote} ${options.branch})`, options.branch);
  const local = await repository.branchHead(options.branch);
  if (local && local !== head) process.stderr.write(`dgit: warning: ${options.branch} differs from ${remote}/${options.branch}; proposing what ${remote} has\n`);

  const baseBranch = (await githubCall(() => client.rest.repos.get({ ...where }), `${where.owner}/${where.repo}`)).data.default_branch;
  const baseTip = ((await repository.refs.resolve(`refs/remotes/${remote}/${baseBranch}`)) ?? (await repository.branchHead(baseBranch))) as CommitId | undefined;
  if (!baseTip) throw new DgitError('NOT_FOUND', `the default branch ${JSON.stringify(baseBranch)} is not here; fetch it first (dgit fetch ${remote})`, baseBranch);

  const built = await buildProposal(repository, { branch: options.branch, baseBranch, baseTip, head });
  const pull = await githubCall(() => openOrUpdateProposal(client, where, built.request), `${where.owner}/${where.repo}`);
  let comment: OpenPullRequestResult['comment'] = 'skipped';
  if (pull.action !== 'declined' && pull.action !== 'merged') {
    const body = await diffCommentBody(built.diffMarkdown, built.headChecks, head);
    comment = (await githubCall(async () => upsertMarkedComment(client, where, pull.number, DIFF_COMMENT_MARKER, body, await tokenIdentity(client)), `pull request #${pull.number}`)).action;
  }
  return { repository: `${where.owner}/${where.repo}`, number: pull.number, url: pull.url, pullRequest: pull.action, comment };
}

async function restClient(token: string, apiUrl: string | undefined): Promise<GitHubClient> {
  const { Octokit } = await import('@octokit/rest');
  return new Octokit({ auth: token, baseUrl: (apiUrl ?? 'https://api.github.com').replace(/\/+$/, ''), userAgent: 'dgit' });
}

/** Whose comments are ours: the token's user, or `github-actions[bot]` for an Actions token (which may not ask). */
async function tokenIdentity(client: GitHubClient): Promise<WriterIdentity> {
  try {
    return { login: (await client.rest.users.getAuthenticated()).data.login };
  } catch {
    return process.env.GITHUB_ACTIONS === 'true' ? { login: 'github-actions[bot]' } : {};
  }
}

/** GitHub's refusals as dgit errors that say what to do. */
async function githubCall<T>(call: () => Promise<T>, where: string): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status === undefined) throw error;
    const message = (error as Error).message.split('\n')[0];
    if (status === 401) throw new DgitError('INVALID_INPUT', `GitHub refused the token (HTTP 401): set GITHUB_TOKEN to a valid token`, where, { cause: error });
    if (status === 403) throw new DgitError('INVALID_INPUT', `the token may not do this (HTTP 403: ${message}); it needs pull-requests and issues write`, where, { cause: error });
    if (status === 404) throw new DgitError('NOT_FOUND', `GitHub answered 404: ${where} does not exist or the token cannot see it`, where, { cause: error });
    throw new DgitError('INVALID_INPUT', `GitHub answered HTTP ${status}: ${message}`, where, { cause: error });
  }
}
