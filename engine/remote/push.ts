import fs from 'node:fs';
import { traceWrite } from '../store/write-trace.js';
import git, { type HttpClient } from 'isomorphic-git';
import nodeHttp from 'isomorphic-git/http/node';
import { NotFoundError } from '../errors/index.js';
import type { Repository } from '../repository/repository.js';
import type { ObjectId } from '../store/object-store.js';
import { checkBranchName } from '../store/ref-store.js';
import type { CommitId } from '../store/revision.js';
import { CredentialProvider } from './credentials.js';
import { RemoteError, remoteError } from './remote-error.js';
import { defaultRemote, remoteUrl, setUpstream } from './remote-config.js';
import { redactUrl } from './remote-url.js';
import { countingHttpClient, emptyCounts, type TransferCounts, type TransferOptions } from './transport.js';
import { recheckFoundChunks, uploadCommitChunks, type ChunkUpload } from '../chunkstore/chunk-upload.js';

const ZERO_ID = '0000000000000000000000000000000000000000';

export interface PushOptions extends TransferOptions {
  /** Default: `branch.<b>.pushRemote`, `remote.pushDefault`, the upstream remote, else `origin`. */
  remote?: string;
  /** The local branch to push; default the current one. */
  branch?: string;
  /** The branch to update on the remote; default the same name. */
  remoteBranch?: string;
  /**
   * Overwrite the remote branch even if that loses commits, but only if it is
   * still where we think: at our remote-tracking ref (`true`), or at the given
   * commit (`null`: must not exist).
   */
  forceWithLease?: true | { expect: ObjectId | null };
  /** Record the remote branch as the local branch's upstream (git push -u). */
  setUpstream?: boolean;
}

export interface PushOutcome {
  remote: string;
  /** The remote's URL, secrets redacted. */
  url: string;
  branch: string;
  /** The ref updated on the remote, e.g. `refs/heads/main`. */
  remoteRef: string;
  /** Where the remote branch was (null: it did not exist). */
  before: ObjectId | null;
  after: CommitId;
  status: 'up-to-date' | 'created' | 'fast-forward' | 'forced';
  transfer: TransferCounts;
  /** The branch's working set holds changes that were not pushed (only commits are). */
  uncommittedChanges: boolean;
  /** With a chunk store: the chunks uploaded before the ref moved (engine/chunkstore). */
  chunks?: ChunkUpload;
}

/**
 * Send a branch's commits to a remote and move the remote branch. Only the
 * objects the remote lacks travel: isomorphic-git leaves out everything
 * reachable from the merge base with the remote branch (and from the remote's
 * default branch), so a 10-row edit of a big table sends the few chunks and
 * trees it rewrote, not the table.
 *
 * A push that is not a fast-forward is refused (pull first), unless
 * `forceWithLease`: then the remote branch must still be where our
 * remote-tracking ref says. The lease is checked against the very ref
 * advertisement whose value goes into the update command, and git's
 * receive-pack applies that command only if the ref still holds that value, so
 * on git servers (git http-backend, GitHub) check and update are atomic. A
 * server that ignored the old value in the command would make it a
 * check-then-write with a small window.
 */
export async function push(repository: Repository, options: PushOptions = {}): Promise<PushOutcome> {
  const branch = options.branch ?? repository.currentBranch();
  checkBranchName(branch);
  const head = await repository.branchHead(branch);
  if (!head) throw new NotFoundError(`a commit on branch ${JSON.stringify(branch)} (commit before pushing)`, branch);
  const remote = options.remote ?? (await defaultRemote(repository, branch, 'push'));
  const url = await remoteUrl(repository, remote);
  const remoteBranch = options.remoteBranch ?? branch;
  checkBranchName(remoteBranch);
  const remoteRef = `refs/heads/${remoteBranch}`;
  const trackingRef = `refs/remotes/${remote}/${remoteBranch}`;
  const lease = options.forceWithLease;
  const expected: ObjectId | null | undefined = lease === undefined ? undefined : lease === true ? ((await repository.refs.resolve(trackingRef)) ?? null) : lease.expect;

  const working = await repository.workingSet(branch);
  const transfer = emptyCounts();
  const credentials = new CredentialProvider({ cwd: repository.dir, interactive: options.interactive, token: options.token });
  let advertised: ObjectId | null = null;
  let chunks: ChunkUpload | undefined;
  const outcome = (status: PushOutcome['status']): PushOutcome => ({
    remote,
    url: redactUrl(url),
    branch,
    remoteRef,
    before: advertised,
    after: head,
    status,
    transfer,
    uncommittedChanges: working.tree !== working.headTree,
    ...(chunks ? { chunks: { ...chunks, found: [] } } : {}),
  });

  // The remote's refs (push) or the local objects and tracking refs (fetch) change from here on.
  traceWrite('push');
  const sent = await sendRefUpdate(repository, {
    remote,
    url,
    localRef: `refs/heads/${branch}`,
    remoteRef,
    commit: head,
    expect: expected,
    credentials,
    http: countingHttpClient(transfer, options.onProgress),
    onProgress: options.onProgress,
    onMessage: options.onMessage,
    // With a chunk store, every chunk the new commits need is in the bucket before the ref can move;
    // the remote's advertised tip is what it already references (and a collector never deletes that).
    beforeUpdate: async (seen) => {
      chunks = await uploadCommitChunks(repository, head, seen ? [seen as CommitId] : []);
    },
    staleLease: (actual, serverReason) => staleLease(url, remote, remoteBranch, expected ?? null, actual, serverReason),
    notFastForward: (cause) => notFastForward(url, remote, branch, remoteBranch, cause),
  });
  traceWrite('push answered');
  advertised = sent.advertised;
  if (sent.upToDate) {
    await git.writeRef({ fs, gitdir: repository.gitdir, ref: trackingRef, value: head, force: true });
    if (options.setUpstream) await setUpstream(repository, branch, remote, remoteBranch);
    return outcome('up-to-date');
  }
  if (options.setUpstream) await setUpstream(repository, branch, remote, remoteBranch);
  if (chunks) await recheckFoundChunks(repository, chunks);
  if (advertised === null) return outcome('created');
  const before: ObjectId = advertised;
  const fastForward = await git.isDescendent({ fs, cache: {}, gitdir: repository.gitdir, oid: head, ancestor: before, depth: -1 }).catch(() => false);
  return outcome(fastForward ? 'fast-forward' : 'forced');
}

/** What a ref update sent to a remote found there: the advertised value, and whether it already was the commit. */
export interface SentRefUpdate {
  advertised: ObjectId | null;
  upToDate: boolean;
}

/**
 * The one lease push, used by `dgit push` (with or without `--force-with-lease`)
 * and by the merge queue's GitHub backend (its state ref and its landings): send
 * `localRef` as `remoteRef`. With `expect` (null: the ref must not exist) the
 * update is forced, but only from that value: the lease is compared with the very
 * advertisement whose value becomes the old value of git's update command, and
 * receive-pack applies the command only if the ref still holds it, so two writers
 * that read the same value cannot both move it. Without `expect`, a fast-forward
 * only. A push the remote already has stops before sending (`upToDate`).
 */
export async function sendRefUpdate(
  repository: Repository,
  options: {
    remote: string;
    /** The remote's URL, for errors. */
    url: string;
    localRef: string;
    remoteRef: string;
    commit: ObjectId;
    expect: ObjectId | null | undefined;
    credentials: CredentialProvider;
    http?: HttpClient;
    onProgress?: TransferOptions['onProgress'];
    onMessage?: TransferOptions['onMessage'];
    /** Runs once the remote advertised the ref and before the update is sent (a chunk store uploads here). */
    beforeUpdate?: (advertised: ObjectId | null) => Promise<void>;
    /** The error for a lost lease (`actual`: what the remote advertised). */
    staleLease?: (actual: ObjectId | null, serverReason?: string) => RemoteError;
    /** The error for a refused non-fast-forward (only without `expect`). */
    notFastForward?: (cause: unknown) => RemoteError;
  },
): Promise<SentRefUpdate> {
  const { url, remoteRef, expect } = options;
  const lost = options.staleLease ?? ((actual, serverReason) => genericStaleLease(url, remoteRef, expect ?? null, actual, serverReason));
  let advertised: ObjectId | null = null;
  let stopped: 'stale-lease' | 'up-to-date' | undefined;
  try {
    await git.push({
      fs,
      cache: {},
      http: options.http ?? nodeHttp,
      gitdir: repository.gitdir,
      remote: options.remote,
      ref: options.localRef,
      remoteRef,
      force: expect !== undefined,
      headers: options.credentials.headers(),
      onAuth: options.credentials.onAuth,
      onAuthFailure: options.credentials.onAuthFailure,
      onAuthSuccess: options.credentials.onAuthSuccess,
      onProgress: options.onProgress,
      onMessage: options.onMessage,
      // Called with the remote's advertised value of the ref, which becomes the old value of the update command.
      onPrePush: async ({ remoteRef: seen }) => {
        advertised = seen.oid === ZERO_ID ? null : (seen.oid as ObjectId);
        if (expect !== undefined && advertised !== expect) stopped = 'stale-lease';
        else if (advertised === options.commit) stopped = 'up-to-date';
        if (stopped === undefined && options.beforeUpdate) await options.beforeUpdate(advertised);
        return stopped === undefined;
      },
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'UserCanceledError' && stopped === 'up-to-date') return { advertised, upToDate: true };
    if (code === 'UserCanceledError' && stopped === 'stale-lease') throw lost(advertised);
    if (code === 'PushRejectedError' && options.notFastForward) throw options.notFastForward(error);
    if (code === 'GitPushError') {
      const refs = (error as { data?: { result?: { refs?: Record<string, { ok: boolean; error?: string }> } } }).data?.result?.refs ?? {};
      const reason = refs[remoteRef]?.error ?? Object.values(refs).find((r) => !r.ok)?.error ?? 'rejected';
      if (expect !== undefined && /stale|failed to (update|lock)|cannot lock|reference already exists/i.test(reason)) throw lost(advertised, reason);
      if (options.notFastForward && /fast-forward|fetch first/i.test(reason)) throw options.notFastForward(error);
      throw new RemoteError('rejected', `the remote refused to update ${remoteRef}: ${reason}`, url, { cause: error });
    }
    throw remoteError(error, url, 'push', options.credentials);
  }
  return { advertised, upToDate: false };
}

function genericStaleLease(url: string, ref: string, expected: ObjectId | null, actual: ObjectId | null, serverReason?: string): RemoteError {
  const at = (id: ObjectId | null) => (id ? id.slice(0, 12) : 'nothing');
  const seen = serverReason ? `moved while pushing (${serverReason})` : `is at ${at(actual)}`;
  return new RemoteError('stale-lease', `${ref} ${seen}, but the lease expected ${at(expected)}`, url);
}

function notFastForward(url: string, remote: string, branch: string, remoteBranch: string, cause: unknown): RemoteError {
  return new RemoteError(
    'rejected',
    `push rejected: ${remote}'s ${remoteBranch} has commits that ${branch} does not (not a fast-forward); run \`dgit pull ${remote} ${remoteBranch}\` to merge them, then push again`,
    url,
    { cause },
  );
}

function staleLease(url: string, remote: string, remoteBranch: string, expected: ObjectId | null, actual: ObjectId | null, serverReason?: string): RemoteError {
  const at = (id: ObjectId | null) => (id ? id.slice(0, 12) : 'nothing (no such branch)');
  const seen = serverReason ? `moved while pushing (${serverReason})` : `is at ${at(actual)}`;
  return new RemoteError(
    'stale-lease',
    `push refused by --force-with-lease: ${remote}'s ${remoteBranch} ${seen}, but the lease expected ${at(expected)}; someone else pushed: run \`dgit fetch ${remote}\` and look at their commits before overwriting them`,
    url,
  );
}
