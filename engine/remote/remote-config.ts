import fs from 'node:fs';
import git from 'isomorphic-git';
import { DgitError, InvalidNameError } from '../errors/index.js';
import type { Repository } from '../repository/repository.js';
import { checkRefName } from '../store/ref-store.js';
import { parseRemoteUrl, type RemoteUrl } from './remote-url.js';

/** A named remote, as `git remote -v` shows it. */
export interface Remote {
  name: string;
  url: string;
}

/** Remote names as git allows them (they become `refs/remotes/<name>/...`), minus the confusing ones. */
export function checkRemoteName(name: string): void {
  if (name === '' || name.startsWith('-') || name.includes('/') || /[\s]/.test(name)) {
    throw new InvalidNameError('remote', name, 'it is empty, starts with "-", or contains "/" or a space');
  }
  try {
    checkRefName(`refs/remotes/${name}/HEAD`);
  } catch (error) {
    if (error instanceof InvalidNameError) throw new InvalidNameError('remote', name, error.message.replace(/^.*: /, ''));
    throw error;
  }
}

/** The remotes in `.git/config`, by name. */
export async function listRemotes(repository: Repository): Promise<Remote[]> {
  const remotes = await git.listRemotes({ fs, gitdir: repository.gitdir });
  return remotes.map((r) => ({ name: r.remote, url: r.url })).sort((a, b) => a.name.localeCompare(b.name));
}

/** Add a remote with git's default refspec (`+refs/heads/*:refs/remotes/<name>/*`). */
export async function addRemote(repository: Repository, name: string, url: string): Promise<Remote> {
  checkRemoteName(name);
  const checked = parseRemoteUrl(url);
  if ((await listRemotes(repository)).some((r) => r.name === name)) throw new DgitError('ALREADY_EXISTS', `a remote named ${name} already exists`, name);
  await git.addRemote({ fs, gitdir: repository.gitdir, remote: name, url: checked });
  return { name, url: checked };
}

/**
 * Remove a remote as `git remote remove` does: its config section, its
 * remote-tracking refs, and the upstream settings of branches that followed it.
 */
export async function removeRemote(repository: Repository, name: string): Promise<{ name: string; trackingRefsRemoved: number }> {
  await remoteUrl(repository, name);
  const gitdir = repository.gitdir;
  const tracking = await git.listBranches({ fs, gitdir, remote: name });
  await git.deleteRemote({ fs, gitdir, remote: name });
  for (const branch of new Set([...tracking, 'HEAD'])) await git.deleteRef({ fs, gitdir, ref: `refs/remotes/${name}/${branch}` }).catch(() => undefined);
  for (const branch of await repository.refs.listBranches()) {
    if ((await readConfig(repository, `branch.${branch}.remote`)) === name) {
      await git.setConfig({ fs, gitdir, path: `branch.${branch}.remote`, value: undefined });
      await git.setConfig({ fs, gitdir, path: `branch.${branch}.merge`, value: undefined });
    }
  }
  return { name, trackingRefsRemoved: tracking.filter((b) => b !== 'HEAD').length };
}

/** The URL of remote `name`; NotFoundError naming the remotes there are. */
export async function remoteUrl(repository: Repository, name: string): Promise<RemoteUrl> {
  checkRemoteName(name);
  const url = await readConfig(repository, `remote.${name}.url`);
  if (!url) {
    const known = (await listRemotes(repository)).map((r) => r.name);
    const hint = known.length ? `; known remotes: ${known.join(', ')}` : '; add one with `dgit remote add NAME URL`';
    throw new DgitError('NOT_FOUND', `remote ${JSON.stringify(name)} not found${hint}`, name);
  }
  return parseRemoteUrl(url, name);
}

/** The branch's upstream (`branch.<b>.remote` and `.merge`), if set. */
export async function upstreamOf(repository: Repository, branch: string): Promise<{ remote: string; branch: string } | undefined> {
  const remote = await readConfig(repository, `branch.${branch}.remote`);
  const merge = await readConfig(repository, `branch.${branch}.merge`);
  if (!remote || !merge || remote === '.') return undefined;
  return { remote, branch: merge.replace(/^refs\/heads\//, '') };
}

/** Make `remote`/`remoteBranch` the upstream of `branch` (what `git push -u` records). */
export async function setUpstream(repository: Repository, branch: string, remote: string, remoteBranch: string): Promise<void> {
  await git.setConfig({ fs, gitdir: repository.gitdir, path: `branch.${branch}.remote`, value: remote });
  await git.setConfig({ fs, gitdir: repository.gitdir, path: `branch.${branch}.merge`, value: `refs/heads/${remoteBranch}` });
}

/** The remote a command without an explicit one uses: the branch's, else `origin`. */
export async function defaultRemote(repository: Repository, branch: string | undefined, purpose: 'fetch' | 'push'): Promise<string> {
  const keys = [
    ...(purpose === 'push' && branch ? [`branch.${branch}.pushRemote`, 'remote.pushDefault'] : []),
    ...(branch ? [`branch.${branch}.remote`] : []),
  ];
  for (const key of keys) {
    const value = await readConfig(repository, key);
    if (value && value !== '.') return value;
  }
  const remotes = await listRemotes(repository);
  if (remotes.some((r) => r.name === 'origin')) return 'origin';
  if (remotes.length === 1) return remotes[0]!.name;
  const message = remotes.length
    ? `no default remote: there are several (${remotes.map((r) => r.name).join(', ')}) and none is origin; name one`
    : 'no remote configured; add one with `dgit remote add origin URL`';
  throw new DgitError('NOT_FOUND', message, branch ?? 'HEAD');
}

async function readConfig(repository: Repository, key: string): Promise<string | undefined> {
  const value: unknown = await git.getConfig({ fs, gitdir: repository.gitdir, path: key });
  return typeof value === 'string' ? value : undefined;
}
