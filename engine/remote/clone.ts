import fs from 'node:fs';
import path from 'node:path';
import git from 'isomorphic-git';
import { DgitError, NotFoundError, UsageError } from '../errors/index.js';
import { Repository } from '../repository/repository.js';
import { checkBranchName } from '../store/ref-store.js';
import type { CommitId } from '../store/revision.js';
import { CredentialProvider } from './credentials.js';
import { remoteError } from './remote-error.js';
import { guessDefaultBranch, withStandInHead, type DefaultBranchGuess, type RemoteHeadWatch } from './remote-head.js';
import { checkRemoteName } from './remote-config.js';
import { defaultCloneDirectory, parseRemoteUrl, redactUrl } from './remote-url.js';
import { countingHttpClient, emptyCounts, type TransferCounts, type TransferOptions } from './transport.js';
import { adoptCommittedChunkStore } from '../chunkstore/chunk-store-setting.js';

export interface CloneOptions extends TransferOptions {
  /** The branch to check out; default the remote's HEAD. */
  branch?: string;
  /** The name of the remote; default `origin`. */
  remote?: string;
  /** Relative `dir` resolves against this; default the process's. */
  cwd?: string;
}

export interface CloneOutcome {
  /** The new repository's folder (absolute). */
  dir: string;
  /** The remote's URL, secrets redacted. */
  url: string;
  remote: string;
  /** The checked-out branch. */
  branch: string;
  /** Its commit, or null for an empty remote. */
  commit: CommitId | null;
  /** The remote had no commit yet. */
  empty: boolean;
  /** Set when the remote's HEAD names no branch and dgit chose `branch` itself: why that one. */
  guessedBranch?: DefaultBranchGuess['reason'];
  /** The bucket the checked-out commit's dgit.yml names for its chunks (fetched on demand), if any. */
  chunkStore?: string;
  transfer: TransferCounts;
}

/**
 * Copy a remote repository into `dir` (default: the URL's last component), with
 * every branch as `refs/remotes/<remote>/*`, the default branch checked out (its
 * table chunks as files, git's index matching, so `git status` is clean) and
 * tracking its remote. A plain git repository, or an empty one, becomes a dgit
 * repository. On failure nothing is left behind.
 */
export async function clone(url: string, dir: string | undefined, options: CloneOptions = {}): Promise<CloneOutcome> {
  const checked = parseRemoteUrl(url);
  const remote = options.remote ?? 'origin';
  checkRemoteName(remote);
  if (options.branch !== undefined) checkBranchName(options.branch);
  const target = path.resolve(options.cwd ?? process.cwd(), dir ?? defaultCloneDirectory(checked));
  const existed = fs.existsSync(target);
  if (existed && (!fs.statSync(target).isDirectory() || fs.readdirSync(target).length > 0)) {
    throw new DgitError('ALREADY_EXISTS', 'destination already exists and is not an empty folder', target);
  }
  const transfer = emptyCounts();
  const credentials = new CredentialProvider({ cwd: options.cwd, interactive: options.interactive, token: options.token });
  const remoteHead: RemoteHeadWatch = {};
  // A remote HEAD naming no branch: the branch asked for, else a clear guess, else a usage error before any download.
  let guessed: DefaultBranchGuess | undefined;
  const pick = (branches: string[]): string => options.branch ?? (guessed = chooseBranch(branches, redactUrl(checked))).branch;
  try {
    await git.clone({
      fs,
      cache: {},
      http: withStandInHead(countingHttpClient(transfer, options.onProgress), pick, remoteHead),
      dir: target,
      url: checked,
      remote,
      ref: options.branch,
      singleBranch: false,
      noTags: false,
      headers: credentials.headers(),
      onAuth: credentials.onAuth,
      onAuthFailure: credentials.onAuthFailure,
      onAuthSuccess: credentials.onAuthSuccess,
      onProgress: options.onProgress,
      onMessage: options.onMessage,
    });
    const gitdir = path.join(target, '.git');
    // The stand-in's `refs/remotes/<remote>/HEAD`: the remote has no default branch to follow (git writes none either).
    if (remoteHead.missing) await git.deleteRef({ fs, gitdir, ref: `refs/remotes/${remote}/HEAD` }).catch(() => undefined);
    const head = await git.resolveRef({ fs, gitdir, ref: 'HEAD' }).catch(() => undefined);
    const dgitAlready = fs.existsSync(path.join(target, 'tables')) || fs.existsSync(path.join(target, 'dgit.yml'));
    const repository = dgitAlready ? await Repository.open(target) : (await Repository.init(target, { initialBranch: options.branch ?? 'main' })).repository;
    if (!head) {
      // An empty remote: isomorphic-git leaves HEAD on `master`; dgit's default branch is `main`.
      const branch = options.branch ?? 'main';
      repository.refs.setHeadTarget(`refs/heads/${branch}`);
      await git.setConfig({ fs, gitdir, path: `branch.${branch}.remote`, value: remote });
      await git.setConfig({ fs, gitdir, path: `branch.${branch}.merge`, value: `refs/heads/${branch}` });
    }
    // A repository whose chunks live in a bucket says so in dgit.yml: this clone fetches them from there.
    const chunkStore = head ? await adoptCommittedChunkStore(repository, (await repository.readCommit(head as CommitId)).tree) : undefined;
    return {
      ...(chunkStore ? { chunkStore: chunkStore.url } : {}),
      dir: target,
      url: redactUrl(checked),
      remote,
      branch: repository.currentBranch(),
      commit: (head as CommitId | undefined) ?? null,
      empty: !head,
      ...(guessed ? { guessedBranch: guessed.reason } : {}),
      transfer,
    };
  } catch (error) {
    removeClone(target, existed);
    if ((error as { code?: string }).code === 'NotFoundError' && options.branch !== undefined) {
      throw new NotFoundError(`branch ${JSON.stringify(options.branch)} on the remote`, redactUrl(checked));
    }
    throw remoteError(error, checked, 'clone', credentials);
  }
}

/** The branch to check out of a remote whose HEAD names none (see `guessDefaultBranch`), or a usage error naming the choices. */
function chooseBranch(branches: string[], url: string): DefaultBranchGuess {
  const guess = guessDefaultBranch(branches);
  if (guess) return guess;
  if (branches.length === 0) throw new NotFoundError("a branch to check out (the remote's HEAD names no branch and it has none)", url);
  const shown = branches.slice(0, 20).join(', ') + (branches.length > 20 ? `, and ${branches.length - 20} more` : '');
  throw new UsageError(`the remote's HEAD names no existing branch and dgit will not guess among its branches (${shown}); choose one: dgit clone -b BRANCH ${url}`, url);
}

function removeClone(target: string, existed: boolean): void {
  if (!existed) {
    fs.rmSync(target, { recursive: true, force: true });
    return;
  }
  for (const entry of fs.readdirSync(target)) fs.rmSync(path.join(target, entry), { recursive: true, force: true });
}
