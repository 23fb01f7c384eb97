import fs from 'node:fs';
import git from 'isomorphic-git';
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
  let stopped: 'stale-lease' | 'up-to-date' | undefined;
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

  try {
    await git.push({
      fs,
      http: countingHttpClient(transfer, options.onProgress),
      gitdir: repository.gitdir,
      remote,
      ref: `refs/heads/${branch}`,
      remoteRef,
      force: expected !== undefined,
      onAuth: credentials.onAuth,
      onAuthFailure: credentials.onAuthFailure,
      onAuthSuccess: credentials.onAuthSuccess,
      onProgress: options.onProgress,
      onMessage: options.onMessage,
      // Called with the remote's advertised value of the branch, which becomes the old value of the update command.
      onPrePush: async ({ remoteRef: seen }) => {
        advertised = seen.oid === ZERO_ID ? null : (seen.oid as ObjectId);
        if (expected !== undefined && advertised !== expected) stopped = 'stale-lease';
        else if (advertised === head) stopped = 'up-to-date';
        // With a chunk store, every chunk the new commits need is in the bucket before the ref can move;
        // the remote's advertised tip is what it already references (and a collector never deletes that).
        if (stopped !== 'stale-lease') chunks = await uploadCommitChunks(repository, head, advertised ? [advertised as CommitId] : []);
        return stopped === undefined;
      },
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'UserCanceledError' && stopped === 'up-to-date') {
      await git.writeRef({ fs, gitdir: repository.gitdir, ref: trackingRef, value: head, force: true });
      if (options.setUpstream) await setUpstream(repository, branch, remote, remoteBranch);
      return outcome('up-to-date');
    }
    if (code === 'UserCanceledError' && stopped === 'stale-lease') throw staleLease(url, remote, remoteBranch, expected ?? null, advertised);
    if (code === 'PushRejectedError') throw notFastForward(url, remote, branch, remoteBranch, error);
    if (code === 'GitPushError') {
      const refs = (error as { data?: { result?: { refs?: Record<string, { ok: boolean; error?: string }> } } }).data?.result?.refs ?? {};
      const reason = refs[remoteRef]?.error ?? Object.values(refs).find((r) => !r.ok)?.error ?? 'rejected';
      if (expected !== undefined && /stale|failed to (update|lock)|cannot lock|reference already exists/i.test(reason)) {
        throw staleLease(url, remote, remoteBranch, expected, advertised, reason);
      }
      if (/fast-forward|fetch first/i.test(reason)) throw notFastForward(url, remote, branch, remoteBranch, error);
      throw new RemoteError('rejected', `the remote refused to update ${remoteRef}: ${reason}`, url, { cause: error });
    }
    throw remoteError(error, url, 'push', credentials);
  }
  if (options.setUpstream) await setUpstream(repository, branch, remote, remoteBranch);
  if (chunks) await recheckFoundChunks(repository, chunks);
  if (advertised === null) return outcome('created');
  const before: ObjectId = advertised;
  const fastForward = await git.isDescendent({ fs, gitdir: repository.gitdir, oid: head, ancestor: before, depth: -1 }).catch(() => false);
  return outcome(fastForward ? 'fast-forward' : 'forced');
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
