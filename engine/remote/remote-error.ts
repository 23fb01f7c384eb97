import { DgitError, type ErrorCode } from '../errors/index.js';
import { redactUrl } from './remote-url.js';

/** Why talking to a remote failed, for callers (the bot) that must react differently to each. */
export type RemoteFailure =
  | 'authentication' // 401: no credentials, or wrong ones
  | 'forbidden' // 403: the credentials may not do this (e.g. a read-only token pushing)
  | 'not-found' // 404: no repository at that URL
  | 'unreachable' // DNS, connection refused, TLS
  | 'not-git' // the URL answers, but not with git's smart HTTP
  | 'rejected' // the remote refused a ref update (non-fast-forward, hook, protected branch)
  | 'stale-lease' // --force-with-lease: the remote branch is not where we expected
  | 'http'; // any other HTTP status

const CODES: Record<RemoteFailure, ErrorCode> = {
  authentication: 'INVALID_INPUT',
  forbidden: 'INVALID_INPUT',
  'not-found': 'NOT_FOUND',
  unreachable: 'NOT_FOUND',
  'not-git': 'INVALID_INPUT',
  rejected: 'CONCURRENT_UPDATE',
  'stale-lease': 'CONCURRENT_UPDATE',
  http: 'INTERNAL',
};

/**
 * A failure at the remote. Its `code` is one of the engine's (so the CLI maps it
 * to exit 1 like every failure) and `failure` says precisely what happened.
 * `where` is the remote's URL with any secret redacted.
 */
export class RemoteError extends DgitError {
  constructor(
    readonly failure: RemoteFailure,
    message: string,
    url: string,
    options?: { cause?: unknown },
  ) {
    super(CODES[failure], message, redactUrl(url), { cause: options?.cause });
    this.name = 'RemoteError';
  }
}

const TOKEN_HINT = 'set DGIT_TOKEN (or GITHUB_TOKEN for GitHub) to a token with access, or configure a git credential helper';

/** Turn what isomorphic-git or the network threw into a RemoteError (DgitErrors pass through). */
export function remoteError(error: unknown, url: string, action: string, credentials?: { describeFailure(): string }): unknown {
  if (error instanceof DgitError) return error;
  const refused = credentials ? `: ${credentials.describeFailure()}` : '';
  const code = (error as { code?: string } | null)?.code;
  const data = (error as { data?: Record<string, unknown> } | null)?.data ?? {};
  if (code === 'HttpError') {
    const status = Number(data.statusCode);
    if (status === 401) return new RemoteError('authentication', `authentication failed while trying to ${action} (HTTP 401)${refused}; ${TOKEN_HINT}`, url, { cause: error });
    if (status === 403) return new RemoteError('forbidden', `permission denied while trying to ${action} (HTTP 403): the server accepted the credentials but they may not do this (a token without write access?)`, url, { cause: error });
    if (status === 404) return new RemoteError('not-found', `no git repository at this URL (the server answered 404)`, url, { cause: error });
    return new RemoteError('http', `the server answered ${status} ${String(data.statusMessage ?? '')} while trying to ${action}`.trim(), url, { cause: error });
  }
  if (code === 'UserCanceledError') return new RemoteError('authentication', `authentication failed while trying to ${action}${refused}; ${TOKEN_HINT}`, url, { cause: error });
  if (code === 'SmartHttpError' || code === 'EmptyServerResponseError' || code === 'ParseError') {
    return new RemoteError('not-git', `the URL does not answer with git's smart HTTP protocol (is it the repository's clone URL?)`, url, { cause: error });
  }
  if (code === 'UnknownTransportError' || code === 'UrlParseError') return new DgitError('UNSUPPORTED', 'only HTTP(S) remotes are supported', redactUrl(url), { cause: error });
  if (code && /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|CERT_|UNABLE_TO_VERIFY|DEPTH_ZERO|SELF_SIGNED)/.test(code)) {
    return new RemoteError('unreachable', `cannot reach the remote (${code})`, url, { cause: error });
  }
  return error;
}
