import { spawnSync } from 'node:child_process';
import type { AuthCallback, AuthFailureCallback, AuthSuccessCallback } from 'isomorphic-git';

/** Where a set of credentials came from, for error messages ("the token in DGIT_TOKEN was refused"). */
export type CredentialSource = 'token option' | 'DGIT_TOKEN' | 'GITHUB_TOKEN' | 'git credential' | 'URL';

export interface Credentials {
  username: string;
  password: string;
  source: CredentialSource;
}

/** GitHub accepts any token (installation, personal, Actions) as the password of this user. */
export const TOKEN_USERNAME = 'x-access-token';

/**
 * A token from the environment for `url`:
 * - `DGIT_TOKEN` for any host (the user set it for dgit), user `DGIT_USERNAME` or `x-access-token`;
 * - `GITHUB_TOKEN` only for GitHub's hosts (github.com, *.ghe.com, or the host of
 *   `GITHUB_SERVER_URL` in Actions), so a CI token never leaks to another server.
 */
export function environmentCredentials(url: string, env: NodeJS.ProcessEnv = process.env): Credentials | undefined {
  const username = env.DGIT_USERNAME || TOKEN_USERNAME;
  if (env.DGIT_TOKEN) return { username, password: env.DGIT_TOKEN, source: 'DGIT_TOKEN' };
  if (env.GITHUB_TOKEN && isGitHubHost(url, env)) return { username: TOKEN_USERNAME, password: env.GITHUB_TOKEN, source: 'GITHUB_TOKEN' };
  return undefined;
}

function isGitHubHost(url: string, env: NodeJS.ProcessEnv): boolean {
  let host: string;
  try {
    host = new URL(url).host.toLowerCase();
  } catch {
    return false;
  }
  if (host === 'github.com' || host.endsWith('.ghe.com')) return true;
  try {
    return Boolean(env.GITHUB_SERVER_URL) && new URL(env.GITHUB_SERVER_URL!).host.toLowerCase() === host;
  } catch {
    return false;
  }
}

/**
 * Ask git's credential helpers (`git credential fill`), as `git push` would. A
 * terminal prompt is allowed only when dgit runs on a terminal; otherwise
 * `GIT_TERMINAL_PROMPT=0` makes git answer at once. No git binary: undefined.
 */
export function gitCredentialFill(url: string, options: { cwd?: string; interactive?: boolean } = {}): Credentials | undefined {
  // A newline in a value would let a crafted URL inject fields into git's credential protocol (CVE-2020-5260).
  if (!protocolSafe(url)) return undefined;
  const result = runGitCredential('fill', `url=${url}\n\n`, options);
  if (result === undefined) return undefined;
  const fields = parseCredentialLines(result);
  if (!fields.password) return undefined;
  return { username: fields.username ?? TOKEN_USERNAME, password: fields.password, source: 'git credential' };
}

/** Tell the helpers whether their credentials worked (`approve` stores, `reject` forgets), as git does. */
export function gitCredentialReport(verdict: 'approve' | 'reject', url: string, credentials: Credentials, options: { cwd?: string } = {}): void {
  if (credentials.source !== 'git credential' || ![url, credentials.username, credentials.password].every(protocolSafe)) return;
  const parsed = new URL(url);
  const input = `protocol=${parsed.protocol.replace(/:$/, '')}\nhost=${parsed.host}\npath=${parsed.pathname.replace(/^\//, '')}\nusername=${credentials.username}\npassword=${credentials.password}\n\n`;
  runGitCredential(verdict, input, { ...options, interactive: false });
}

function runGitCredential(action: 'fill' | 'approve' | 'reject', input: string, options: { cwd?: string; interactive?: boolean }): string | undefined {
  const env = { ...process.env };
  if (!options.interactive) {
    env.GIT_TERMINAL_PROMPT = '0';
    env.GCM_INTERACTIVE = 'never';
  }
  const result = spawnSync('git', ['credential', action], {
    cwd: options.cwd,
    input,
    env,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: options.interactive ? undefined : 30_000,
  });
  if (result.error || result.status !== 0) return undefined;
  return result.stdout;
}

function protocolSafe(value: string): boolean {
  return !/[\n\r\0]/.test(value);
}

function parseCredentialLines(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) fields[line.slice(0, at)] = line.slice(at + 1);
  }
  return fields;
}

/**
 * The credentials of one remote operation, wired into isomorphic-git's auth
 * callbacks. Found credentials are sent only after the server answered 401, as
 * git does: a token from the environment or a credential helper never reaches a
 * server that did not ask for one. Two exceptions are sent at once: a token in the
 * URL itself (isomorphic-git does it), and the `token` option (`headers`), which
 * its caller chose for this very URL (the bot's installation token): that saves
 * the refused first request of every fetch and push, a third of the bot's git
 * requests. Sources, in order: the `token` option, `DGIT_TOKEN`,
 * `GITHUB_TOKEN` (GitHub hosts), `git credential fill`.
 */
export class CredentialProvider {
  /** What was offered last, to name it when the server refuses it. */
  offered: Credentials | undefined;
  /** Whether any source had credentials to offer. */
  searched = false;

  constructor(private readonly options: { cwd?: string; env?: NodeJS.ProcessEnv; interactive?: boolean; token?: string } = {}) {}

  readonly onAuth: AuthCallback = (url) => {
    this.searched = true;
    const explicit: Credentials | undefined = this.options.token ? { username: TOKEN_USERNAME, password: this.options.token, source: 'token option' } : undefined;
    const credentials = explicit ?? environmentCredentials(url, this.options.env) ?? gitCredentialFill(url, { cwd: this.options.cwd, interactive: this.options.interactive });
    if (!credentials) return undefined;
    this.offered = credentials;
    return { username: credentials.username, password: credentials.password };
  };

  /**
   * Headers for isomorphic-git's `headers` option (a fresh object: isomorphic-git adds to it): the
   * `token` option as basic auth, sent with the first request; none without one.
   */
  headers(): Record<string, string> {
    if (!this.options.token) return {};
    return { Authorization: `Basic ${Buffer.from(`${TOKEN_USERNAME}:${this.options.token}`).toString('base64')}` };
  }

  readonly onAuthFailure: AuthFailureCallback = (url) => {
    if (this.offered) gitCredentialReport('reject', url, this.offered, { cwd: this.options.cwd });
    return undefined; // give up: isomorphic-git throws HttpError 401
  };

  readonly onAuthSuccess: AuthSuccessCallback = (url) => {
    if (this.offered) gitCredentialReport('approve', url, this.offered, { cwd: this.options.cwd });
  };

  /** A sentence for a 401: which credentials were refused, or that none were found. */
  describeFailure(): string {
    if (this.offered) return `the credentials from ${this.offered.source} were refused`;
    if (this.searched) return 'no credentials were found (DGIT_TOKEN, GITHUB_TOKEN for GitHub hosts, git credential helpers)';
    return 'the credentials in the URL were refused';
  }
}
