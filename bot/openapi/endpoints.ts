/**
 * Every GitHub REST operation the bot and `dgit pr open` call. The tests serve
 * exactly these (validated against GitHub's OpenAPI description) and refuse any
 * other, so a call added to the bot must be added here, and the subset fixture
 * re-extracted (`bot/openapi/extract.ts`).
 */
export interface GitHubEndpoint {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  /** The path template as GitHub's OpenAPI description spells it. */
  path: string;
}

export const GITHUB_ENDPOINTS: readonly GitHubEndpoint[] = [
  // probot's app authentication: the installation token.
  { method: 'post', path: '/app/installations/{installation_id}/access_tokens' },
  // Who we are: the app (marker comments are ours only when we wrote them) or the token's user (`dgit pr open`).
  { method: 'get', path: '/app' },
  { method: 'get', path: '/user' },
  // Pull requests of healing proposals.
  { method: 'get', path: '/repos/{owner}/{repo}' },
  { method: 'get', path: '/repos/{owner}/{repo}/pulls' },
  { method: 'post', path: '/repos/{owner}/{repo}/pulls' },
  { method: 'get', path: '/repos/{owner}/{repo}/pulls/{pull_number}' },
  { method: 'patch', path: '/repos/{owner}/{repo}/pulls/{pull_number}' },
  { method: 'post', path: '/repos/{owner}/{repo}/issues/{issue_number}/labels' },
  // The one data-diff comment, and replies to `/dgit` commands.
  { method: 'get', path: '/repos/{owner}/{repo}/issues/{issue_number}/comments' },
  { method: 'post', path: '/repos/{owner}/{repo}/issues/{issue_number}/comments' },
  { method: 'patch', path: '/repos/{owner}/{repo}/issues/comments/{comment_id}' },
  // A second copy of a marked comment, made when two writers found none at once (publish/marked-comment.ts).
  { method: 'delete', path: '/repos/{owner}/{repo}/issues/comments/{comment_id}' },
  // The dgit/checks check run.
  { method: 'get', path: '/repos/{owner}/{repo}/commits/{ref}/check-runs' },
  { method: 'post', path: '/repos/{owner}/{repo}/check-runs' },
  { method: 'patch', path: '/repos/{owner}/{repo}/check-runs/{check_run_id}' },
  // The merge queue's label: taken off a dequeued pull request, or one labelled by someone without write access.
  { method: 'delete', path: '/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}' },
  // Who may run a `/dgit` command that changes things.
  { method: 'get', path: '/repos/{owner}/{repo}/collaborators/{username}/permission' },
];
