import fs from 'node:fs';
import { traceWrite } from '../store/write-trace.js';
import git from 'isomorphic-git';
import type { Repository } from '../repository/repository.js';
import type { ObjectId } from '../store/object-store.js';
import { CredentialProvider } from './credentials.js';
import { remoteError } from './remote-error.js';
import { guessDefaultBranch, withStandInHead, type RemoteHeadWatch } from './remote-head.js';
import { defaultRemote, remoteUrl } from './remote-config.js';
import { redactUrl } from './remote-url.js';
import { parseCommit } from '../store/git-objects.js';
import { answeringLocalWants, countingHttpClient, emptyCounts, type TransferCounts, type TransferOptions } from './transport.js';

/** How one remote-tracking branch moved. */
export interface TrackingRefUpdate {
  /** The branch on the remote, e.g. `main`. */
  branch: string;
  /** The local ref that follows it, e.g. `refs/remotes/origin/main`. */
  ref: string;
  before: ObjectId | null;
  after: ObjectId | null;
  status: 'new' | 'fast-forward' | 'forced' | 'deleted';
}

export interface FetchOutcome {
  remote: string;
  /** The remote's URL, secrets redacted. */
  url: string;
  updated: TrackingRefUpdate[];
  transfer: TransferCounts;
  /**
   * The remote's branches as it advertised them (names without `refs/heads/`):
   * a tracking ref of a branch deleted there stays without `prune`, as in git.
   */
  branches: string[] | undefined;
}

export interface FetchOptions extends TransferOptions {
  /** Remote name; default the current branch's upstream remote, else `origin`. */
  remote?: string;
  /** Remove tracking refs of branches deleted on the remote (git fetch --prune). */
  prune?: boolean;
}

/**
 * Download what the remote has and we lack, and move `refs/remotes/<remote>/*`.
 * The server computes the pack from the commits we already have (git's
 * negotiation: every local ref is offered as a "have"), so a fetch after a small
 * change downloads a few chunks. Local branches and the working set are untouched.
 */
export async function fetch(repository: Repository, options: FetchOptions = {}): Promise<FetchOutcome> {
  const remote = options.remote ?? (await defaultRemote(repository, currentBranchOrUndefined(repository), 'fetch'));
  const url = await remoteUrl(repository, remote);
  const gitdir = repository.gitdir;
  await dropDanglingTrackingRefs(repository, remote);
  const before = await trackingRefs(repository, remote);
  const transfer = emptyCounts();
  const credentials = new CredentialProvider({ cwd: repository.dir, interactive: options.interactive, token: options.token });
  // Every branch is fetched: any stand-in for a missing remote HEAD will do (see remote-head.ts).
  const remoteHead: RemoteHeadWatch = {};
  const http = answeringLocalWants(
    withStandInHead(countingHttpClient(transfer, options.onProgress), (branches) => guessDefaultBranch(branches)?.branch ?? branches[0], remoteHead),
    (id) => completeHere(repository, id as ObjectId),
  );
  // The remote's refs (push) or the local objects and tracking refs (fetch) change from here on.
  traceWrite('fetch');
  try {
    await git.fetch({
      fs,
      cache: {},
      http,
      gitdir,
      remote,
      // Not the current branch's upstream (isomorphic-git's default), which may be gone from the remote: every
      // branch is fetched, and the named ref only feeds FETCH_HEAD, which dgit does not use.
      remoteRef: 'HEAD',
      singleBranch: false,
      tags: true,
      prune: options.prune ?? false,
      headers: credentials.headers(),
      onAuth: credentials.onAuth,
      onAuthFailure: credentials.onAuthFailure,
      onAuthSuccess: credentials.onAuthSuccess,
      onProgress: options.onProgress,
      onMessage: options.onMessage,
    });
  } catch (error) {
    await restoreTrackingRefs(repository, remote, before);
    throw remoteError(error, url, 'fetch', credentials);
  } finally {
    // The stand-in's `refs/remotes/<remote>/HEAD`: the remote has no default branch to follow.
    if (remoteHead.missing) await git.deleteRef({ fs, gitdir, ref: `refs/remotes/${remote}/HEAD` }).catch(() => undefined);
  }
  // isomorphic-git wrote a new pack: our own pack reader must see it.
  repository.store.packs.refresh();
  const after = await trackingRefs(repository, remote);
  return { remote, url: redactUrl(url), updated: await compareTrackingRefs(repository, remote, before, after), transfer, branches: remoteHead.branches };
}

/**
 * Whether a commit (or tag) the remote advertises is here with what it needs, so
 * the fetch need not ask for it. Objects arrive here whole: a fetched pack is
 * indexed only once all of it is written, and dgit writes a commit after its
 * trees and chunks. The commit's root tree is checked as well, against a
 * repository whose objects someone pruned by hand.
 */
async function completeHere(repository: Repository, id: ObjectId): Promise<boolean> {
  if (!(await repository.store.has(id))) return false;
  const object = await repository.store.read(id);
  if (object.type !== 'commit') return object.type === 'tag';
  return repository.store.has(parseCommit(object.content, id).tree);
}

function currentBranchOrUndefined(repository: Repository): string | undefined {
  try {
    return repository.currentBranch();
  } catch {
    return undefined;
  }
}

/** `refs/remotes/<remote>/<branch>` → id, symbolic refs (HEAD) left out. */
export async function trackingRefs(repository: Repository, remote: string): Promise<Map<string, ObjectId>> {
  const branches = await git.listBranches({ fs, gitdir: repository.gitdir, remote });
  const refs = new Map<string, ObjectId>();
  for (const branch of branches) {
    if (branch === 'HEAD') continue;
    const id = await repository.refs.resolve(`refs/remotes/${remote}/${branch}`);
    if (id) refs.set(branch, id);
  }
  return refs;
}

async function compareTrackingRefs(repository: Repository, remote: string, before: Map<string, ObjectId>, after: Map<string, ObjectId>): Promise<TrackingRefUpdate[]> {
  const updates: TrackingRefUpdate[] = [];
  const cache = {};
  for (const branch of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const old = before.get(branch) ?? null;
    const now = after.get(branch) ?? null;
    if (old === now) continue;
    let status: TrackingRefUpdate['status'];
    if (!old) status = 'new';
    else if (!now) status = 'deleted';
    else status = (await git.isDescendent({ fs, cache, gitdir: repository.gitdir, oid: now, ancestor: old, depth: -1 }).catch(() => false)) ? 'fast-forward' : 'forced';
    updates.push({ branch, ref: `refs/remotes/${remote}/${branch}`, before: old, after: now, status });
  }
  return updates;
}

/**
 * isomorphic-git moves the tracking refs before it writes the pack. A failed
 * fetch puts them back; a process killed in between leaves refs naming objects
 * we lack, which the next fetch drops here (they are then fetched again).
 */
async function dropDanglingTrackingRefs(repository: Repository, remote: string): Promise<void> {
  for (const [branch, id] of await trackingRefs(repository, remote)) {
    if (!(await repository.store.has(id))) await git.deleteRef({ fs, gitdir: repository.gitdir, ref: `refs/remotes/${remote}/${branch}` });
  }
}

async function restoreTrackingRefs(repository: Repository, remote: string, before: Map<string, ObjectId>): Promise<void> {
  const now = await trackingRefs(repository, remote);
  for (const [branch, id] of now) {
    const old = before.get(branch);
    if (old === id) continue;
    const ref = `refs/remotes/${remote}/${branch}`;
    if (old) await git.writeRef({ fs, gitdir: repository.gitdir, ref, value: old, force: true });
    else await git.deleteRef({ fs, gitdir: repository.gitdir, ref });
  }
}
