import fs from 'node:fs';
import git from 'isomorphic-git';
import nodeHttp from 'isomorphic-git/http/node';
import { loadSyncApi, CredentialProvider, RemoteError, remoteError, remoteUrl, type ObjectId, type Repository } from '../../engine/index.js';

const { checkRefName } = await loadSyncApi();

/**
 * One ref of a remote that is not a branch (the merge queue's `refs/dgit/bot-queue`):
 * read where it points, fetch its objects, move it with a lease. engine/remote moves
 * branches and tags only (`push` refuses any other ref, `fetch` keeps only
 * `refs/heads/*` and tags), so this talks to isomorphic-git directly, with the
 * engine's credentials and errors. git servers (GitHub, `git http-backend`) accept
 * any ref under `refs/`.
 */

const ZERO_ID = '0000000000000000000000000000000000000000';

/**
 * Where `ref` points in the repository at `url` (null: it does not exist), from the
 * server's ref advertisement alone (protocol v2 `ls-refs` with the ref as prefix):
 * no clone needed, a few hundred bytes.
 */
export async function remoteRefTarget(options: { url: string; ref: string; token: string }): Promise<ObjectId | null> {
  checkRefName(options.ref);
  const url = options.url;
  const credentials = new CredentialProvider({ interactive: false, token: options.token });
  try {
    const refs = await git.listServerRefs({
      http: nodeHttp,
      url,
      prefix: options.ref,
      protocolVersion: 2,
      onAuth: credentials.onAuth,
      onAuthFailure: credentials.onAuthFailure,
      onAuthSuccess: credentials.onAuthSuccess,
    });
    return (refs.find((entry) => entry.ref === options.ref)?.oid as ObjectId | undefined) ?? null;
  } catch (error) {
    throw remoteError(error, url, 'read the refs', credentials);
  }
}

/**
 * Fetch the objects of `ref` on `remote` (the commit and its history that we
 * lack); returns where the ref points, or null when the remote has no such ref.
 * No local ref is moved: the caller records what it read.
 */
export async function fetchRemoteRef(repository: Repository, options: { remote: string; ref: string; token: string }): Promise<ObjectId | null> {
  checkRefName(options.ref);
  const url = await remoteUrl(repository, options.remote);
  const credentials = new CredentialProvider({ cwd: repository.dir, interactive: false, token: options.token });
  let fetched: Awaited<ReturnType<typeof git.fetch>>;
  try {
    fetched = await git.fetch({
      fs,
      http: nodeHttp,
      gitdir: repository.gitdir,
      remote: options.remote,
      // The local ref of the same name offers what we have; the remote ref is the one wanted.
      ref: options.ref,
      remoteRef: options.ref,
      singleBranch: true,
      tags: false,
      onAuth: credentials.onAuth,
      onAuthFailure: credentials.onAuthFailure,
      onAuthSuccess: credentials.onAuthSuccess,
    });
  } catch (error) {
    if ((error as { code?: string }).code === 'NotFoundError') return null;
    throw remoteError(error, url, 'fetch', credentials);
  }
  repository.store.packs.refresh();
  return (fetched.fetchHead as ObjectId | null) ?? null;
}

/**
 * Point `ref` on `remote` at `commit` (which the local repository has), only if it
 * still points at `expect` (null: must not exist). The lease is compared with the
 * advertisement whose value becomes the old value of git's update command, and the
 * server applies the command only if the ref still holds it: two writers that read
 * the same value cannot both move it. A lost lease is a RemoteError `stale-lease`.
 */
export async function pushRemoteRef(
  repository: Repository,
  options: { remote: string; ref: string; commit: ObjectId; expect: ObjectId | null; token: string },
): Promise<void> {
  checkRefName(options.ref);
  const url = await remoteUrl(repository, options.remote);
  const credentials = new CredentialProvider({ cwd: repository.dir, interactive: false, token: options.token });
  // isomorphic-git pushes a local ref: a scratch one, removed afterwards.
  const outgoing = `refs/dgit/outgoing/${options.ref.replace(/^refs\//, '')}`;
  await git.writeRef({ fs, gitdir: repository.gitdir, ref: outgoing, value: options.commit, force: true });
  let advertised: ObjectId | null = null;
  let stale = false;
  try {
    await git.push({
      fs,
      http: nodeHttp,
      gitdir: repository.gitdir,
      remote: options.remote,
      ref: outgoing,
      remoteRef: options.ref,
      force: true,
      onAuth: credentials.onAuth,
      onAuthFailure: credentials.onAuthFailure,
      onAuthSuccess: credentials.onAuthSuccess,
      onPrePush: ({ remoteRef }) => {
        advertised = remoteRef.oid === ZERO_ID ? null : (remoteRef.oid as ObjectId);
        stale = advertised !== options.expect;
        return !stale;
      },
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'UserCanceledError' && stale) throw staleLease(url, options.ref, options.expect, advertised);
    if (code === 'GitPushError') {
      const refs = (error as { data?: { result?: { refs?: Record<string, { ok: boolean; error?: string }> } } }).data?.result?.refs ?? {};
      const reason = refs[options.ref]?.error ?? 'rejected';
      if (/stale|failed to (update|lock)|cannot lock|reference already exists/i.test(reason)) throw staleLease(url, options.ref, options.expect, advertised, reason);
      throw new RemoteError('rejected', `the remote refused to update ${options.ref}: ${reason}`, url, { cause: error });
    }
    throw remoteError(error, url, 'push', credentials);
  } finally {
    await git.deleteRef({ fs, gitdir: repository.gitdir, ref: outgoing }).catch(() => undefined);
  }
}

function staleLease(url: string, ref: string, expected: ObjectId | null, actual: ObjectId | null, serverReason?: string): RemoteError {
  const at = (id: ObjectId | null) => (id ? id.slice(0, 12) : 'nothing');
  const seen = serverReason ? `moved while pushing (${serverReason})` : `is at ${at(actual)}`;
  return new RemoteError('stale-lease', `${ref} ${seen}, but the lease expected ${at(expected)}`, url);
}
