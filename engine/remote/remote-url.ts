import { DgitError, InvalidInputError } from '../errors/index.js';

/** A remote's address as the user gave it: `https://host/owner/repo.git`, maybe with `user:token@`. */
export type RemoteUrl = string & { readonly __brand: 'RemoteUrl' };

/**
 * Check that `url` is one dgit can talk to: git's smart HTTP(S) only, since
 * isomorphic-git implements no other transport. SSH (`git@host:x`, `ssh://`),
 * `git://` and local paths get a clear "unsupported" with the HTTPS alternative.
 */
export function parseRemoteUrl(url: string, where = url): RemoteUrl {
  const text = url.trim();
  if (text === '') throw new InvalidInputError('empty remote URL', where);
  if (/^(ssh|git\+ssh|ssh\+git):\/\//i.test(text) || /^[\w.-]+@[\w.-]+:/.test(text)) {
    throw new DgitError('UNSUPPORTED', `SSH remotes are not supported; use the HTTPS URL of the repository (e.g. https://github.com/OWNER/REPO.git) with a token in DGIT_TOKEN`, redactUrl(text));
  }
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw new DgitError('UNSUPPORTED', `only HTTP(S) remotes are supported (got ${JSON.stringify(redactUrl(text))}, which is not a URL; local paths are not remotes for dgit)`, redactUrl(text));
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new DgitError('UNSUPPORTED', `only HTTP(S) remotes are supported, not ${parsed.protocol.replace(/:$/, '')}://`, redactUrl(text));
  }
  if (parsed.hash || parsed.search) throw new InvalidInputError('a remote URL takes no query string or fragment', redactUrl(text));
  // isomorphic-git appends `/info/refs`: a trailing slash would double it.
  return text.replace(/\/+$/, '') as RemoteUrl;
}

/** The URL with any password or token replaced by `***`, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password && !parsed.username) return url;
    if (parsed.password) parsed.password = '***';
    else parsed.username = '***'; // a bare `token@host` puts the secret in the user name
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//***@');
  }
}

/** The folder `git clone URL` would make: the last path component without `.git`. */
export function defaultCloneDirectory(url: RemoteUrl): string {
  const pathname = new URL(url).pathname.replace(/\/+$/, '');
  const last = pathname.slice(pathname.lastIndexOf('/') + 1).replace(/\.git$/, '');
  const name = decodeURIComponent(last);
  if (name === '' || name === '.' || name === '..' || /[\\/\u0000]/.test(name)) {
    throw new InvalidInputError('cannot tell a folder name from the URL; give one: dgit clone URL DIR', redactUrl(url));
  }
  return name;
}
