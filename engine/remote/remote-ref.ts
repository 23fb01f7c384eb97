import fs from 'node:fs';
import git from 'isomorphic-git';
import nodeHttp from 'isomorphic-git/http/node';
import type { Repository } from '../repository/repository.js';
import type { ObjectId } from '../store/object-store.js';
import { checkRefName } from '../store/ref-store.js';
import { CredentialProvider } from './credentials.js';
import { sendRefUpdate } from './push.js';
import { remoteError } from './remote-error.js';
import { remoteUrl } from './remote-config.js';
import { withStandInHead } from './remote-head.js';

/**
 * One ref of a remote that is not a branch (the merge queue's `refs/dgit/bot-queue`):
 * read where it points, fetch its objects, move it with a lease. engine/remote moves
 * branches and tags only (`push` refuses any other ref, `fetch` keeps only
 * `refs/heads/*` and tags); these read and fetch through isomorphic-git with the
 * engine's credentials and errors, and move the ref with push's lease routine.
 * git servers (GitHub, `git http-backend`) accept any ref under `refs/`.
 */

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
      headers: credentials.headers(),
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
      cache: {},
      // A remote HEAD naming no branch would read as "no such ref" (see remote-head.ts); one ref is fetched, so
      // the stand-in is written nowhere.
      http: withStandInHead(nodeHttp, (branches) => branches[0], {}),
      gitdir: repository.gitdir,
      remote: options.remote,
      // The local ref of the same name offers what we have; the remote ref is the one wanted.
      ref: options.ref,
      remoteRef: options.ref,
      singleBranch: true,
      tags: false,
      headers: credentials.headers(),
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
 * still points at `expect` (null: must not exist), with the one lease push of
 * `dgit push --force-with-lease` (`sendRefUpdate`). A lost lease is a RemoteError
 * `stale-lease`.
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
  try {
    await sendRefUpdate(repository, { remote: options.remote, url, localRef: outgoing, remoteRef: options.ref, commit: options.commit, expect: options.expect, credentials });
  } finally {
    await git.deleteRef({ fs, gitdir: repository.gitdir, ref: outgoing }).catch(() => undefined);
  }
}
